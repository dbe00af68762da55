"""Mini-batch training for graphs that do not fit full-batch (see :mod:`gclbt_plugin.training.samplers`).

Augmentations: the views are drawn per batch on the batch's sub-graph. Adaptive (GCA) augmenters
are fitted once on the full graph (:meth:`~gclbt_plugin.models.ContrastModel.fit_full_graph`) and
their per-edge probabilities are indexed by the batch's edge ids, so centralities are those of the
full graph. Losses: :meth:`~gclbt_plugin.models.ContrastModel.loss` is computed on the seed rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data, Dataset

from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training.loop import graph_inputs, train_loop
from gclbt_plugin.training.samplers import (
    SAMPLERS,
    Batch,
    FullGraphSampler,
    NeighborSampler,
    RandomNodeSampler,
    Sampler,
    balanced_batches,
    make_sampler,
    neighbor_sampling_available,
    resolve_sampler,
)
from gclbt_plugin.training.state import MiniBatchTrainResult

__all__ = [
    "SAMPLERS",
    "Batch",
    "FullGraphSampler",
    "MiniBatchTrainResult",
    "NeighborSampler",
    "RandomNodeSampler",
    "Sampler",
    "balanced_batches",
    "make_sampler",
    "neighbor_sampling_available",
    "resolve_sampler",
    "train_minibatch",
]


def train_minibatch(
    model: ContrastModel,
    x: Tensor | Data | Dataset,
    edge_index: Tensor | None = None,
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
    (``edge_weight[edge_ids]``) go through ``model(...)`` and ``model.loss(outputs, rows=seeds)``;
    backward; optimiser step; ``model.after_step(progress)`` (progress counted in steps). The
    learning-rate schedule steps once per epoch, as in :func:`~gclbt_plugin.training.train`.
    Batches are drawn from a generator seeded from torch's global one, so
    ``torch.manual_seed`` makes a run reproducible for the ``random-node`` sampler (PyG's
    neighbour sampling has its own random state). The epoch loss is the mean of the batch
    losses (batches have nearly equal sizes).

    Args:
        model (ContrastModel): the model, already on ``x``'s device.
        x (Tensor | Data | Dataset): ``[N, F]`` node features (dense or sparse COO), or a PyG
            ``Data`` / one-graph dataset as in :func:`~gclbt_plugin.training.train`.
        edge_index (Tensor): ``[2, E]`` (with a tensor ``x``).
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
        TrainingDivergedError: the loss became NaN/inf.

    Example:
        >>> result = train_minibatch(model, x, edge_index, epochs=20, optimizer={"name": "adam", "lr": 1e-3},
        ...                          batch_size=1024, sampler="auto")
        >>> result.sampler
        'neighbor'
    """
    x, edge_index, edge_weight = graph_inputs(x, edge_index, edge_weight)
    batches = make_sampler(
        sampler, edge_index, x.size(0), batch_size=batch_size, num_neighbors=num_neighbors,
        num_layers=model.encoder.num_layers,
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
