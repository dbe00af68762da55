"""Mini-batch training for graphs that do not fit full-batch.

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

``"auto"`` picks ``"neighbor"`` when it can, otherwise ``"random-node"``; the choice is returned
in :class:`MiniBatchTrainResult` (and reported by ``gclbt train``).

Augmentations: the views are drawn per batch on the batch's sub-graph. Adaptive (GCA)
augmenters are fitted once on the full graph (:meth:`fit_full_graph`) and their per-edge
probabilities are indexed by the batch's edge ids, so centralities are those of the full graph.
Losses: a forward pre-hook on ``model.loss`` keeps the rows of the seed nodes, so every
contrast model (dual branch, bootstrap) trains unchanged on the seeds.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from gclbt_plugin._progress import progress_bar
from gclbt_plugin._validation import check_choice, check_graph, check_positive, check_positive_int, mark_checked
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training import checkpoint as ckpt
from gclbt_plugin.training.interrupt import deferred_interrupts
from gclbt_plugin.training.optim import build_optimizer, build_scheduler
from gclbt_plugin.training.state import (
    TrainingDivergedError,
    TrainingInterrupted,
    TrainResult,
    rng_state,
    set_rng_state,
)

SAMPLERS = ("auto", "neighbor", "random-node")

logger = logging.getLogger(__name__)

#: Sampled in-neighbours per hop when ``num_neighbors`` is not given (one entry per encoder layer).
DEFAULT_NUM_NEIGHBORS = 10


def neighbor_sampling_available() -> bool:
    """``True`` when PyG's ``NeighborLoader`` can run (``pyg-lib`` or ``torch-sparse`` is importable)."""
    import torch_geometric.typing

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

    def __init__(
        self,
        edge_index: Tensor,
        num_nodes: int,
        num_batches: int,
        num_neighbors: Sequence[int],
        input_nodes: Tensor | None = None,
    ) -> None:
        resolve_sampler("neighbor")
        from torch_geometric.data import Data
        from torch_geometric.loader import NeighborLoader

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


@dataclass
class MiniBatchTrainResult(TrainResult):
    """:class:`~gclbt_plugin.training.TrainResult` plus how batches were made.

    Attributes:
        sampler: ``"neighbor"``, ``"random-node"`` or ``"full-graph"``.
        batches_per_epoch: optimiser steps per epoch.
    """

    sampler: str = ""
    batches_per_epoch: int = 0


def model_augmentors(model: ContrastModel) -> list[Augmentor]:
    """Every augmenter of ``model``'s two views, looking inside ``Compose`` / ``RandomChoice``."""
    found: list[Augmentor] = []

    def visit(augmentor: Any) -> None:
        if isinstance(augmentor, Augmentor):
            found.append(augmentor)
        for inner in getattr(augmentor, "augmentors", []) or []:
            visit(inner)

    visit(getattr(model, "augmentor1", None))
    visit(getattr(model, "augmentor2", None))
    return found


@contextmanager
def full_graph_augmentation(model: ContrastModel, x: Tensor, edge_index: Tensor) -> Iterator[list[Augmentor]]:
    """Fit the model's adaptive augmenters on the full graph for the duration of the block.

    Yields the fitted augmenters; call ``set_subgraph(edge_ids)`` on each before a batch.
    """
    fitted = [a for a in model_augmentors(model) if callable(getattr(a, "fit_full_graph", None))]
    for augmentor in fitted:
        augmentor.fit_full_graph(x, edge_index)
    try:
        yield fitted
    finally:
        for augmentor in fitted:
            augmentor.release_full_graph()


class _SeedRows:
    """A forward pre-hook on the loss keeping the seed rows of every input."""

    def __init__(self) -> None:
        self.seeds: int | Tensor | None = None

    def __call__(self, module: nn.Module, args: tuple) -> tuple | None:
        if self.seeds is None:
            return None
        if isinstance(self.seeds, int):
            return tuple(a[: self.seeds] for a in args)
        return tuple(a.index_select(0, self.seeds) for a in args)


def _loss_module(model: ContrastModel) -> nn.Module:
    loss = getattr(model, "loss", None)
    if not isinstance(loss, nn.Module):
        raise TypeError(
            f"mini-batch training needs a contrast model with an nn.Module attribute 'loss' (the loss is "
            f"computed on the seed nodes through it); {type(model).__name__} has none"
        )
    return loss


def _sampling_generator() -> torch.Generator:
    # Seeded from torch's global generator, so torch.manual_seed(seed) fixes the batches.
    return torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,)).item()))


def _check_checkpoint_options(checkpoint_every: int, checkpoint_minutes: float | None) -> None:
    check_positive_int("checkpoint_every", checkpoint_every)
    if checkpoint_minutes is not None:
        check_positive("checkpoint_minutes", checkpoint_minutes)


def train_loop(
    model: ContrastModel,
    forward: nn.Module,
    x: Tensor,
    edge_index: Tensor,
    edge_weight: Tensor | None,
    sampler: RandomNodeSampler | NeighborSampler | FullGraphSampler,
    *,
    epochs: int,
    optimizer: dict[str, Any],
    scheduler: dict[str, Any] | None,
    generator: torch.Generator | None,
    checkpoint_path: str | os.PathLike | None,
    checkpoint_every: int,
    fingerprint: str,
    progress: bool,
    callback: Callable[[int, ContrastModel, float], None] | None,
    loss_scale: float = 1.0,
    writes_checkpoints: bool = True,
    checkpoint_minutes: float | None = None,
    handle_signals: bool = True,
) -> MiniBatchTrainResult:
    """The mini-batch loop shared by :func:`train_minibatch` and the distributed trainer.

    ``forward`` is ``model`` itself or its ``DistributedDataParallel`` wrapper; the loss is
    multiplied by ``loss_scale`` before ``backward`` (the reported loss is not).

    Checkpoints (with ``checkpoint_path``): after every ``checkpoint_every``-th epoch, after the
    first epoch that ends ``checkpoint_minutes`` or more after the last save, after the last
    epoch, and -- with ``handle_signals`` -- after the epoch in which SIGINT or SIGTERM arrived,
    which then raises :class:`~gclbt_plugin.training.state.TrainingInterrupted`. An existing
    checkpoint is resumed from (logged as ``resumed from epoch E of FILE``); an unreadable one
    falls back to the previous one, else to a fresh start, with a warning
    (:func:`gclbt_plugin.training.checkpoint.load_latest`).
    """
    check_positive_int("epochs", epochs)
    _check_checkpoint_options(checkpoint_every, checkpoint_minutes)
    check_graph(x, edge_index, edge_weight)
    opt = build_optimizer(optimizer, model.parameters())
    sched = build_scheduler(scheduler, opt, epochs)
    sampling = _sampling_generator()
    result = MiniBatchTrainResult(sampler=sampler.name, batches_per_epoch=len(sampler))
    device = x.device

    if checkpoint_path is not None:
        found = ckpt.load_latest(checkpoint_path, map_location=device, clean=writes_checkpoints)
        if found is not None:
            state, source = found
            if state.get("fingerprint", "") != fingerprint:
                raise ValueError(
                    f"checkpoint {os.fspath(source)!r} was written by a different configuration; "
                    "remove it or pass another checkpoint path"
                )
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            set_rng_state(state["rng"], generator)
            sampling.set_state(state["sampling"])
            result.losses = list(state["losses"])
            result.epochs = result.resumed_from = int(state["epoch"])
            logger.info("resumed from epoch %d of %s", result.epochs, os.fspath(source))

    saves = checkpoint_path is not None and writes_checkpoints
    last_save = time.monotonic()

    def save(epoch: int) -> None:
        nonlocal last_save
        if not saves:
            return
        ckpt.atomic_save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "rng": rng_state(generator),
                "sampling": sampling.get_state(),
                "losses": result.losses,
                "fingerprint": fingerprint,
            },
            checkpoint_path,
        )
        last_save = time.monotonic()

    def due(epoch: int) -> bool:
        if epoch % checkpoint_every == 0 or epoch == epochs:
            return True
        return checkpoint_minutes is not None and time.monotonic() - last_save >= 60.0 * checkpoint_minutes

    seed_rows = _SeedRows()
    # Plain full-batch training (every row is a seed) needs no hook, so any ContrastModel trains.
    every_row = isinstance(sampler, FullGraphSampler) and isinstance(sampler.batch.seeds, int)
    every_row = every_row and sampler.batch.seeds >= x.size(0)
    handle = None if every_row else _loss_module(model).register_forward_pre_hook(seed_rows)
    model.train()
    bar = progress_bar(
        range(result.epochs + 1, epochs + 1),
        total=epochs,
        initial=result.epochs,
        disable=not progress,
        desc=f"train ({sampler.name}, {len(sampler)} batches/epoch)",
        leave=False,
    )
    started = time.perf_counter()
    try:
        with full_graph_augmentation(model, x, edge_index) as fitted, deferred_interrupts(
            handle_signals and saves
        ) as interrupted:
            for epoch in bar:
                total, steps = 0.0, 0
                for step, batch in enumerate(sampler.sample(sampling)):
                    if batch.node_ids is None:
                        batch_x, batch_weight = x, edge_weight
                    else:
                        batch_x = x.index_select(0, batch.node_ids.to(device))
                        batch_weight = None if edge_weight is None else edge_weight[batch.edge_ids.to(device)]
                    batch_edges = batch.edge_index.to(device)
                    mark_checked(batch_x, batch_edges, batch_weight)  # a sub-graph of the checked graph
                    edge_ids = None if batch.edge_ids is None else batch.edge_ids.to(device)
                    for augmentor in fitted:
                        augmentor.set_subgraph(edge_ids)
                    seeds = batch.seeds
                    seed_rows.seeds = seeds if isinstance(seeds, int) else seeds.to(device)
                    if isinstance(seeds, int) and seeds >= batch_x.size(0):
                        seed_rows.seeds = None
                    opt.zero_grad(set_to_none=True)
                    loss = forward(batch_x, batch_edges, batch_weight)
                    value = float(loss.detach())
                    if not math.isfinite(value):
                        where = f" (batch {step + 1})" if len(sampler) > 1 else ""
                        raise TrainingDivergedError(
                            f"loss became {value} at epoch {epoch}/{epochs}{where}; lower the learning rate"
                            + (", raise the batch size" if len(sampler) > 1 else "")
                            + " or check the inputs"
                        )
                    (loss * loss_scale if loss_scale != 1.0 else loss).backward()
                    opt.step()
                    model.after_step((epoch - 1 + (step + 1) / len(sampler)) / epochs)
                    total += value
                    steps += 1
                sched.step()
                value = total / max(steps, 1)
                result.losses.append(value)
                result.epochs = epoch
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)  # shown at the next redraw
                saved = due(epoch)
                if saved:
                    save(epoch)
                if callback is not None:
                    callback(epoch, model, value)
                if interrupted:
                    if not saved:
                        save(epoch)
                    raise TrainingInterrupted(interrupted.signum, epoch, epochs, os.fspath(checkpoint_path))
    finally:
        if handle is not None:
            handle.remove()
        result.seconds = time.perf_counter() - started
        bar.close()
    return result


def train_minibatch(
    model: ContrastModel,
    x: Tensor,
    edge_index: Tensor,
    edge_weight: Tensor | None = None,
    *,
    epochs: int,
    optimizer: dict[str, Any],
    batch_size: int,
    sampler: str = "auto",
    num_neighbors: Sequence[int] | None = None,
    scheduler: dict[str, Any] | None = None,
    generator: torch.Generator | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int = 50,
    fingerprint: str = "",
    progress: bool = True,
    callback: Callable[[int, ContrastModel, float], None] | None = None,
    checkpoint_minutes: float | None = None,
) -> MiniBatchTrainResult:
    """Train ``model`` on mini-batches of seed nodes (one optimiser step per batch).

    Each epoch visits every node once as a seed, in ``ceil(N / batch_size)`` batches of nearly
    equal size. Per batch: the sub-graph's features (``x[node_ids]``), edges and edge weights
    (``edge_weight[edge_ids]``) go through ``model(...)``, whose loss only sees the seed rows;
    backward; optimiser step; ``model.after_step(progress)`` (progress counted in steps). The
    learning-rate schedule steps once per epoch, as in :func:`~gclbt_plugin.training.train`.
    Batches are drawn from a generator seeded from torch's global one, so
    ``torch.manual_seed`` makes a run reproducible for the ``random-node`` sampler (PyG's
    neighbour sampling has its own random state). The epoch loss is the mean of the batch
    losses (batches have nearly equal sizes).

    Args:
        model (ContrastModel): the model, already on ``x``'s device; it needs a ``loss`` module.
        x (Tensor): ``[N, F]`` node features (dense or sparse COO).
        edge_index (Tensor): ``[2, E]``.
        edge_weight (Tensor, optional): ``[E]``.
        epochs (int): total epochs (a resumed run continues up to this number).
        optimizer (dict): ``{name, lr, weight_decay}``.
        batch_size (int): seed nodes per batch, ``>= 2``.
        sampler (str): ``"auto"``, ``"neighbor"`` or ``"random-node"``. (default: ``"auto"``)
        num_neighbors (sequence of int, optional): neighbours per hop for ``"neighbor"``.
            (default: ``[10] * encoder.num_layers``)
        scheduler (dict, optional): ``{warmup_epochs, cosine}``.
        generator (torch.Generator, optional): the augmenters' generator (saved in checkpoints).
        checkpoint_path, checkpoint_every, checkpoint_minutes, fingerprint: as
            :func:`~gclbt_plugin.training.train`.
        progress (bool): progress bar. (default: ``True``)
        callback (callable, optional): ``callback(epoch, model, loss)`` after every epoch.

    Returns:
        MiniBatchTrainResult: losses, timings, the sampler used and batches per epoch.

    Raises:
        ValueError: bad ``batch_size``/``sampler``/``num_neighbors``, or ``"neighbor"`` without
            pyg-lib or torch-sparse.
        TypeError: the model has no ``loss`` module.
        TrainingDivergedError: the loss became NaN/inf.

    Example:
        >>> result = train_minibatch(model, x, edge_index, epochs=20, optimizer={"name": "adam", "lr": 1e-3},
        ...                          batch_size=1024, sampler="auto")
        >>> result.sampler
        'neighbor'
    """
    num_layers = int(getattr(getattr(model, "encoder", None), "num_layers", 2))
    batches = make_sampler(
        sampler, edge_index, x.size(0), batch_size=batch_size, num_neighbors=num_neighbors, num_layers=num_layers
    )
    return train_loop(
        model,
        model,
        x,
        edge_index,
        edge_weight,
        batches,
        epochs=epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        generator=generator,
        checkpoint_path=checkpoint_path,
        checkpoint_every=checkpoint_every,
        fingerprint=fingerprint,
        progress=progress,
        callback=callback,
        checkpoint_minutes=checkpoint_minutes,
    )
