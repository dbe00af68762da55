"""Full-batch training: every method's loop (one optimiser step per epoch on the whole graph).

The loop itself is :func:`gclbt_plugin.training.loop.train_loop`, shared with mini-batch and
data-parallel training; full-batch training is its one-batch case.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data, Dataset

from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training.loop import graph_inputs, train_loop
from gclbt_plugin.training.samplers import FullGraphSampler
from gclbt_plugin.training.state import MiniBatchTrainResult, TrainingDivergedError, TrainResult

__all__ = ["train", "TrainResult", "TrainingDivergedError"]


def train(
    model: ContrastModel,
    x: Tensor | Data | Dataset,
    edge_index: Tensor | None = None,
    edge_weight: Tensor | None = None,
    *,
    epochs: int,
    optimizer: dict[str, Any],
    scheduler: dict[str, Any] | None = None,
    generator: torch.Generator | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int = 50,
    fingerprint: str = "",
    progress: bool = True,
    callback: Callable[[int, ContrastModel, float], None] | None = None,
    checkpoint_minutes: float | None = None,
) -> MiniBatchTrainResult:
    """Train ``model`` full-batch for ``epochs`` epochs (one optimiser step per epoch).

    Each epoch: ``loss = model.loss(model(x, edge_index, edge_weight))``, backward, optimiser step,
    ``model.after_step(epoch / epochs)`` (BGRL's EMA), scheduler step.

    Args:
        model (ContrastModel): the model, already on the data's device.
        x (Tensor | Data | Dataset): node features ``[N, F]`` (dense, or sparse COO for
            bag-of-words data); or a PyG ``Data`` (its ``x``, ``edge_index`` and ``edge_weight``)
            or a one-graph PyG dataset, with ``edge_index`` and ``edge_weight`` left out.
        edge_index (Tensor): ``[2, E]`` (with a tensor ``x``).
        edge_weight (Tensor, optional): ``[E]``.
        epochs (int): total epochs of the run (a resumed run continues up to this number).
        optimizer (dict): ``{name, lr, weight_decay}``, see :func:`build_optimizer`.
        scheduler (dict, optional): ``{warmup_epochs, cosine}``, see :func:`build_scheduler`.
        generator (torch.Generator, optional): the augmenters' generator, saved in checkpoints
            so that a resumed run draws the same views as an uninterrupted one.
        checkpoint_path (path, optional): where to write atomic checkpoints every
            ``checkpoint_every`` epochs, every ``checkpoint_minutes`` and at the end; an existing
            file is resumed from (logged as ``resumed from epoch E of FILE``), an unreadable one
            falls back to the previous checkpoint or a fresh start with a warning. While training
            with a checkpoint path, SIGINT / SIGTERM finish the epoch, save and raise
            :class:`~gclbt_plugin.training.state.TrainingInterrupted`.
        checkpoint_every (int): epochs between checkpoints. (default: ``50``)
        fingerprint (str): identifies the configuration; resuming from a checkpoint written
            with another fingerprint raises ``ValueError``. (default: ``""``)
        progress (bool): show a progress bar with the loss. (default: ``True``)
        callback (callable, optional): ``callback(epoch, model, loss)`` after every epoch
            (1-based); it may raise (e.g. ``optuna.TrialPruned``) to stop the run.
        checkpoint_minutes (float, optional): also save after the first epoch ending this many
            minutes after the last save. (default: ``None``, by epochs only)

    Raises:
        TrainingDivergedError: the loss became NaN/inf (the message names the epoch).
        TrainingInterrupted: SIGINT / SIGTERM arrived (with a checkpoint path); the checkpoint
            of the last completed epoch was saved.
        ValueError: bad ``epochs`` / ``checkpoint_every`` / ``checkpoint_minutes`` or graph, or a
            checkpoint written by another configuration.
    """
    x, edge_index, edge_weight = graph_inputs(x, edge_index, edge_weight)
    sampler = FullGraphSampler(edge_index, seeds=x.size(0))
    return train_loop(
        model,
        model,
        x,
        edge_index,
        edge_weight,
        sampler,
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
