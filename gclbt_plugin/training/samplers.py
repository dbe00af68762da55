"""Batches for mini-batch and data-parallel training: which sub-graph each optimiser step sees.

Every step trains on a batch of *seed* nodes and the part of the graph around them, and the loss
is computed on the seeds' embeddings only. Two ways to build a batch (``sampler``):

* ``"neighbor"`` -- PyG's :class:`~torch_geometric.loader.NeighborLoader` (GraphSAGE's sampler,
  Hamilton et al., "Inductive Representation Learning on Large Graphs", NeurIPS 2017): the seeds
  plus, hop by hop, at most ``num_neighbors[l]`` sampled in-neighbours of every node reached.
  Needs ``pyg-lib`` or ``torch-sparse``.
* ``"random-node"`` -- pure torch, always available: the nodes are randomly partitioned into
  batches and each batch is the sub-graph *induced* by its nodes, all of which are seeds (PyG's
  :class:`~torch_geometric.loader.RandomNodeLoader`, the scheme of DeeperGCN on ogbn-proteins).
  The partition of all edges into batches is computed once per epoch with one sort, so an epoch
  costs ``O(E log E)`` instead of ``O(E)`` per batch.

``"auto"`` picks ``"neighbor"`` when it can, otherwise ``"random-node"``. :class:`FullGraphSampler`
gives the whole graph every step (full-batch and full-graph data-parallel training).

Every sampler has the :class:`Sampler` interface: a ``name``, whether its batches are the
``full_graph``, ``len()`` batches per epoch and ``sample(generator)`` yielding :class:`Batch`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch_geometric.typing
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.loader import NeighborLoader

from gclbt_plugin._validation import check_choice, check_positive_int

SAMPLERS = ("auto", "neighbor", "random-node")

#: Sampled in-neighbours per hop when ``num_neighbors`` is not given (one entry per encoder layer).
DEFAULT_NUM_NEIGHBORS = 10


def neighbor_sampling_available() -> bool:
    """``True`` when PyG's ``NeighborLoader`` can run (``pyg-lib`` or ``torch-sparse`` is importable)."""
    return bool(torch_geometric.typing.WITH_PYG_LIB or torch_geometric.typing.WITH_TORCH_SPARSE)


def resolve_sampler(sampler: str) -> str:
    """``"neighbor"`` or ``"random-node"``: ``"auto"`` becomes ``"neighbor"`` when it is available.

    Raises:
        ValueError: an unknown ``sampler``, or ``"neighbor"`` without pyg-lib / torch-sparse.
    """
    check_choice("sampler", sampler, SAMPLERS)
    if sampler == "auto":
        return "neighbor" if neighbor_sampling_available() else "random-node"
    if sampler == "neighbor" and not neighbor_sampling_available():
        raise ValueError(
            "sampler 'neighbor' needs pyg-lib or torch-sparse (PyG's NeighborLoader), and neither is "
            "installed; install one of them or use sampler 'random-node' (or 'auto')"
        )
    return sampler


@dataclass(frozen=True)
class Batch:
    """One training step's sub-graph.

    Attributes:
        node_ids: ``[n]`` full-graph ids of the batch's nodes (row ``i`` of the batch is node
            ``node_ids[i]``), or ``None`` for the whole graph in its own order.
        edge_index: ``[2, e]`` edges in batch-local ids.
        edge_ids: ``[e]`` full-graph ids of those edges, or ``None`` for all edges in order.
        seeds: the rows the loss is computed on: an ``int`` ``k`` (the first ``k`` rows) or a
            ``[k]`` long tensor of row indices.
    """

    node_ids: Tensor | None
    edge_index: Tensor
    edge_ids: Tensor | None
    seeds: int | Tensor

    @property
    def num_seeds(self) -> int:
        return self.seeds if isinstance(self.seeds, int) else int(self.seeds.numel())


class Sampler(Protocol):
    """What the training loop needs of a sampler.

    Attributes:
        name: ``"neighbor"``, ``"random-node"`` or ``"full-graph"`` (reported with the result).
        full_graph: ``True`` when every batch is the whole graph in its own order (no
            :meth:`~gclbt_plugin.models.ContrastModel.set_subgraph` call per batch).
    """

    name: str
    full_graph: bool

    def __len__(self) -> int:
        """Batches (optimiser steps) per epoch."""

    def sample(self, generator: torch.Generator | None = None) -> Iterator[Batch]:
        """One epoch's batches, drawn with ``generator``."""


def balanced_batches(nodes: Tensor, num_batches: int, generator: torch.Generator | None = None) -> list[Tensor]:
    """Shuffle ``nodes`` and split them into ``num_batches`` batches whose sizes differ by at most one.

    Args:
        nodes (Tensor): ``[n]`` node ids (CPU).
        num_batches (int): number of batches, ``1 <= num_batches <= n``.
        generator (torch.Generator, optional): CPU generator of the shuffle. (default: ``None``)
    """
    check_positive_int("num_batches", num_batches)
    if num_batches > nodes.numel():
        raise ValueError(f"num_batches must be at most the number of nodes ({nodes.numel()}), got {num_batches}")
    order = torch.randperm(nodes.numel(), generator=generator)
    return list(torch.tensor_split(nodes[order], num_batches))


class RandomNodeSampler:
    """Random node partitions with induced sub-graphs (pure torch): see the module docstring.

    Args:
        edge_index (Tensor): ``[2, E]`` full-graph edges (CPU).
        num_nodes (int): ``N``.
        num_batches (int): batches per epoch.
        input_nodes (Tensor, optional): the nodes to partition (e.g. this process's share);
            default all. Edges leaving them are never used. (default: ``None``)
    """

    name = "random-node"
    full_graph = False

    def __init__(
        self, edge_index: Tensor, num_nodes: int, num_batches: int, input_nodes: Tensor | None = None
    ) -> None:
        self.edge_index = edge_index.cpu()
        self.num_nodes = num_nodes
        self.num_batches = check_positive_int("num_batches", num_batches)
        self.input_nodes = torch.arange(num_nodes) if input_nodes is None else input_nodes.cpu()

    def __len__(self) -> int:
        return self.num_batches

    def sample(self, generator: torch.Generator | None = None) -> Iterator[Batch]:
        parts = balanced_batches(self.input_nodes, self.num_batches, generator)
        sizes = torch.tensor([p.numel() for p in parts])
        nodes = torch.cat(parts)
        part = torch.full((self.num_nodes,), -1, dtype=torch.long)
        part[nodes] = torch.repeat_interleave(torch.arange(len(parts)), sizes)
        local = torch.empty(self.num_nodes, dtype=torch.long)
        starts = torch.cumsum(sizes, 0) - sizes
        local[nodes] = torch.arange(nodes.numel()) - torch.repeat_interleave(starts, sizes)
        source_part = part[self.edge_index[0]]
        edge_ids = ((source_part >= 0) & (source_part == part[self.edge_index[1]])).nonzero().view(-1)
        edge_part = source_part[edge_ids]
        order = torch.argsort(edge_part, stable=True)
        edge_ids, edge_part = edge_ids[order], edge_part[order]
        del source_part, order
        bounds = torch.cumsum(torch.bincount(edge_part, minlength=len(parts)), 0).tolist()
        start = 0
        for index, ids in enumerate(parts):
            batch_edges = edge_ids[start : bounds[index]]
            start = bounds[index]
            yield Batch(ids, local[self.edge_index[:, batch_edges]], batch_edges, int(ids.numel()))


class _EpochBatches:
    """A ``batch_sampler`` for ``DataLoader`` whose batches are replaced before every epoch."""

    def __init__(self) -> None:
        self.batches: list[Tensor] = []

    def __iter__(self) -> Iterator[list[int]]:
        return (batch.tolist() for batch in self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class NeighborSampler:
    """Seeds with sampled multi-hop neighbourhoods through PyG's ``NeighborLoader``.

    The seeds come first in every batch (PyG's convention), so the loss uses the first
    ``batch_size`` rows. Needs ``pyg-lib`` or ``torch-sparse``.

    Args:
        edge_index (Tensor): ``[2, E]`` full-graph edges (CPU).
        num_nodes (int): ``N``.
        num_batches (int): batches per epoch.
        num_neighbors (sequence of int): in-neighbours sampled per node at each hop (``-1``: all).
        input_nodes (Tensor, optional): the seed nodes to batch; default all. (default: ``None``)

    Raises:
        ValueError: neither pyg-lib nor torch-sparse is installed.
    """

    name = "neighbor"
    full_graph = False

    def __init__(
        self,
        edge_index: Tensor,
        num_nodes: int,
        num_batches: int,
        num_neighbors: Sequence[int],
        input_nodes: Tensor | None = None,
    ) -> None:
        resolve_sampler("neighbor")
        self.num_batches = check_positive_int("num_batches", num_batches)
        self.num_neighbors = [int(k) for k in num_neighbors]
        if not self.num_neighbors or any(k == 0 or k < -1 for k in self.num_neighbors):
            raise ValueError(
                f"num_neighbors must be a non-empty list of positive integers or -1, got {num_neighbors!r}"
            )
        self.input_nodes = torch.arange(num_nodes) if input_nodes is None else input_nodes.cpu()
        self._batches = _EpochBatches()
        graph = Data(edge_index=edge_index.cpu(), num_nodes=num_nodes)
        with warnings.catch_warnings():
            # PyG deprecates torch-sparse's sampler in favour of pyg-lib; both give the same batches.
            warnings.filterwarnings("ignore", message=".*NeighborSampler.*pyg-lib.*")
            self.loader = NeighborLoader(graph, num_neighbors=self.num_neighbors, batch_sampler=self._batches)

    def __len__(self) -> int:
        return self.num_batches

    def sample(self, generator: torch.Generator | None = None) -> Iterator[Batch]:
        self._batches.batches = balanced_batches(self.input_nodes, self.num_batches, generator)
        for batch in self.loader:
            yield Batch(batch.n_id, batch.edge_index, batch.e_id, int(batch.batch_size))


class FullGraphSampler:
    """The whole graph every step, with the loss on some of its rows (full-batch data parallelism).

    Args:
        edge_index (Tensor): ``[2, E]``.
        seeds (Tensor | int): ``[k]`` the rows (nodes) this process computes the loss on, or an
            int ``k`` for the first ``k`` rows (``N``: every row, plain full-batch training).
    """

    name = "full-graph"
    full_graph = True

    def __init__(self, edge_index: Tensor, seeds: Tensor | int) -> None:
        self.batch = Batch(None, edge_index, None, seeds)

    def __len__(self) -> int:
        return 1

    def sample(self, generator: torch.Generator | None = None) -> Iterator[Batch]:
        yield self.batch


def make_sampler(
    sampler: str,
    edge_index: Tensor,
    num_nodes: int,
    *,
    batch_size: int,
    num_neighbors: Sequence[int] | None = None,
    num_layers: int = 2,
    input_nodes: Tensor | None = None,
    num_batches: int | None = None,
) -> RandomNodeSampler | NeighborSampler:
    """Build the sampler named ``sampler`` (``auto`` resolved with :func:`resolve_sampler`).

    Args:
        sampler (str): ``"auto"``, ``"neighbor"`` or ``"random-node"``.
        edge_index (Tensor): ``[2, E]``.
        num_nodes (int): ``N``.
        batch_size (int): seed nodes per batch (``>= 2``).
        num_neighbors (sequence of int, optional): for ``"neighbor"``; default
            ``[10] * num_layers``.
        num_layers (int): hops to sample when ``num_neighbors`` is not given. (default: ``2``)
        input_nodes (Tensor, optional): the seed nodes; default all nodes.
        num_batches (int, optional): batches per epoch; default
            ``ceil(len(input_nodes) / batch_size)``.

    Raises:
        ValueError: ``batch_size < 2``, an unknown ``sampler``, or ``"neighbor"`` unavailable.
    """
    check_positive_int("batch_size", batch_size)
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 (the loss standardises over the batch), got {batch_size}")
    kind = resolve_sampler(sampler)
    count = num_nodes if input_nodes is None else int(input_nodes.numel())
    if num_batches is None:
        num_batches = max(1, math.ceil(count / batch_size))
    if kind == "neighbor":
        if num_neighbors is None:
            num_neighbors = [DEFAULT_NUM_NEIGHBORS] * num_layers
        return NeighborSampler(edge_index, num_nodes, num_batches, num_neighbors, input_nodes)
    return RandomNodeSampler(edge_index, num_nodes, num_batches, input_nodes)
