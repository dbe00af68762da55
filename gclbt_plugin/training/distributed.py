"""Multi-process data-parallel training with ``torch.distributed`` (launched with ``torchrun``).

Every process (rank) holds the whole graph and trains on its own share of the seed nodes
(:func:`shard_nodes`, contiguous and balanced). The model is wrapped in
:class:`~torch.nn.parallel.DistributedDataParallel`, which averages parameter gradients over
ranks. The Barlow Twins loss (:class:`~gclbt_plugin.losses.BarlowTwinsLoss`) reduces its
normalisation statistics and cross-correlation matrix over ranks with autograd-aware
collectives, so every rank's loss is the loss of the union of all ranks' seed nodes and its
backward gives the rows of the single-process gradient that belong to the rank's nodes; the
trainer therefore multiplies that loss by the world size before ``backward`` so that DDP's
*average* becomes the *sum* over ranks -- the single-process gradient on the union. Losses that
do not reduce over ranks (InfoNCE, bootstrap) are plain per-rank losses whose gradients DDP
averages (ordinary data parallelism).

Two modes:

* ``batch_size=None`` (full-graph): every rank runs the encoder on the whole graph and computes
  the loss on its share of the nodes. One step equals single-process full-batch training
  exactly when all ranks draw the same views, i.e. with the same augmentation seed (the
  default: every rank seeds identically).
* ``batch_size=B``: mini-batches of seeds from the rank's share with sampled neighbourhoods (see
  :mod:`gclbt_plugin.training.minibatch`); every rank runs the same number of steps per epoch.

Backends: ``gloo`` on CPU, ``nccl`` on GPU (one GPU per rank, ``cuda:$LOCAL_RANK``).

Command line: ``gclbt train --distributed`` (every rank probes the same embeddings
deterministically; rank 0 prints and writes the result)::

    torchrun --nproc_per_node 2 -m gclbt_plugin train --distributed --method gbt --dataset Cora \\
        --epochs 2 --batch-size 512
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor
from torch_geometric.data import Data, Dataset

from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training.loop import graph_inputs, train_loop
from gclbt_plugin.training.samplers import FullGraphSampler, make_sampler
from gclbt_plugin.training.state import MiniBatchTrainResult


def shard_nodes(num_nodes: int, rank: int, world_size: int) -> Tensor:
    """The node ids of ``rank``'s share: ``world_size`` contiguous ranges whose sizes differ by at most one.

    Raises:
        ValueError: ``world_size < 1``, ``rank`` outside ``[0, world_size)`` or more ranks than nodes.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"rank must be in [0, world_size) with world_size >= 1, got rank={rank}, world_size={world_size}"
        )
    if world_size > num_nodes:
        raise ValueError(f"world_size ({world_size}) must not exceed the number of nodes ({num_nodes})")
    return torch.tensor_split(torch.arange(num_nodes), world_size)[rank]


def train_distributed(
    model: ContrastModel,
    x: Tensor | Data | Dataset,
    edge_index: Tensor | None = None,
    edge_weight: Tensor | None = None,
    *,
    epochs: int,
    optimizer: dict[str, Any],
    batch_size: int | None = None,
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
    """Train ``model`` data-parallel over the initialised default process group.

    Call on every rank with the same arguments (same graph, same seeds). Parameters are
    broadcast from rank 0 when DDP wraps the model. Checkpoints are written by rank 0 and read
    by every rank (use a shared file system across machines).

    Args:
        model (ContrastModel): on ``x``'s device (``cuda:$LOCAL_RANK`` with NCCL).
        x, edge_index, edge_weight: the full graph, on every rank (or a PyG ``Data`` / one-graph
            dataset in place of ``x``, as :func:`~gclbt_plugin.training.train`).
        epochs (int): total epochs.
        optimizer (dict): ``{name, lr, weight_decay}``.
        batch_size (int, optional): seed nodes per batch *per rank*; ``None`` trains full-graph
            (one step per epoch, each rank's loss on its share). (default: ``None``)
        sampler, num_neighbors: as :func:`~gclbt_plugin.training.minibatch.train_minibatch`.
        scheduler, generator, checkpoint_path, checkpoint_every, checkpoint_minutes, fingerprint,
        progress, callback: as :func:`~gclbt_plugin.training.train` (the callback runs on every
        rank; SIGINT / SIGTERM are not deferred to the end of the epoch).

    Returns:
        MiniBatchTrainResult: this rank's view of the run (the Barlow Twins loss is global).

    Raises:
        RuntimeError: no process group is initialised.
        ValueError: as :func:`~gclbt_plugin.training.minibatch.make_sampler`.
    """
    from torch.nn.parallel import DistributedDataParallel

    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError(
            "train_distributed needs an initialised torch.distributed process group; launch with torchrun "
            "and call torch.distributed.init_process_group first"
        )
    x, edge_index, edge_weight = graph_inputs(x, edge_index, edge_weight)
    rank, world = dist.get_rank(), dist.get_world_size()
    num_nodes = x.size(0)
    shard = shard_nodes(num_nodes, rank, world)
    if batch_size is None:
        batches = FullGraphSampler(edge_index, shard.to(x.device))
    else:
        # The same number of steps on every rank: collectives in the loss and in DDP must pair up.
        largest = math.ceil(num_nodes / world)
        num_batches = max(1, math.ceil(largest / batch_size))
        num_batches = min(num_batches, int(shard.numel()))
        batches = make_sampler(
            sampler, edge_index, num_nodes, batch_size=batch_size, num_neighbors=num_neighbors,
            num_layers=model.encoder.num_layers, input_nodes=shard, num_batches=num_batches,
        )
    device_ids = [x.device.index] if x.device.type == "cuda" else None
    wrapped = DistributedDataParallel(model, device_ids=device_ids)
    # A loss over every rank's rows (Barlow Twins' all-reduced C) has the gradient of the global loss on
    # each rank; DDP averages gradients over ranks, so multiplying by the world size restores it.
    scale = float(world) if model.loss_reduces_over_ranks() else 1.0
    return train_loop(
        model,
        wrapped,
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
        progress=progress and rank == 0,
        callback=callback,
        loss_scale=scale,
        writes_checkpoints=rank == 0,
        checkpoint_minutes=checkpoint_minutes,
        # Ranks could see a signal in different epochs and stop out of step: signals act at once.
        handle_signals=False,
    )

