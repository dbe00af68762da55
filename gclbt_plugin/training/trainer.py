"""The one training loop every method uses (full batch)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gclbt_plugin._validation import check_graph, check_positive_int
from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training import checkpoint as ckpt
from gclbt_plugin.training.optim import build_optimizer, build_scheduler


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch."""


@dataclass
class TrainResult:
    """What a training run did.

    Attributes:
        losses: the loss of every epoch run (1-based epoch ``i`` is ``losses[i - 1]``; epochs
            restored from a checkpoint are included).
        epochs: epochs completed in total.
        resumed_from: epoch the run resumed from (0 for a fresh run).
        seconds: wall-clock seconds of *this* process's training epochs.
    """

    losses: list[float] = field(default_factory=list)
    epochs: int = 0
    resumed_from: int = 0
    seconds: float = 0.0

    @property
    def seconds_per_epoch(self) -> float:
        run = self.epochs - self.resumed_from
        return self.seconds / run if run else float("nan")


def _rng_state(generator: torch.Generator | None) -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def _set_rng_state(state: dict[str, Any], generator: torch.Generator | None) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])


def train(
    model: ContrastModel,
    x: Tensor,
    edge_index: Tensor,
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
) -> TrainResult:
    """Train ``model`` full-batch for ``epochs`` epochs (one optimiser step per epoch).

    Each epoch: ``loss = model(x, edge_index, edge_weight)``, backward, optimiser step,
    ``model.after_step(epoch / epochs)`` (BGRL's EMA), scheduler step.

    Args:
        model (ContrastModel): the model, already on the data's device.
        x (Tensor): node features ``[N, F]`` (dense, or sparse COO for bag-of-words data).
        edge_index (Tensor): ``[2, E]``.
        edge_weight (Tensor, optional): ``[E]``.
        epochs (int): total epochs of the run (a resumed run continues up to this number).
        optimizer (dict): ``{name, lr, weight_decay}``, see :func:`build_optimizer`.
        scheduler (dict, optional): ``{warmup_epochs, cosine}``, see :func:`build_scheduler`.
        generator (torch.Generator, optional): the augmenters' generator, saved in checkpoints
            so that a resumed run draws the same views as an uninterrupted one.
        checkpoint_path (path, optional): where to write atomic checkpoints every
            ``checkpoint_every`` epochs and at the end; an existing file is resumed from.
        checkpoint_every (int): epochs between checkpoints. (default: ``50``)
        fingerprint (str): identifies the configuration; resuming from a checkpoint written
            with another fingerprint raises ``ValueError``. (default: ``""``)
        progress (bool): show a progress bar with the loss. (default: ``True``)
        callback (callable, optional): ``callback(epoch, model, loss)`` after every epoch
            (1-based); it may raise (e.g. ``optuna.TrialPruned``) to stop the run.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (the message names the epoch).
    """
    check_positive_int("epochs", epochs)
    check_positive_int("checkpoint_every", checkpoint_every)
    check_graph(x, edge_index, edge_weight)
    opt = build_optimizer(optimizer, model.parameters())
    sched = build_scheduler(scheduler, opt, epochs)
    result = TrainResult()

    if checkpoint_path is not None:
        state = ckpt.load(checkpoint_path, map_location=x.device)
        if state is not None:
            if state.get("fingerprint", "") != fingerprint:
                raise ValueError(
                    f"checkpoint {os.fspath(checkpoint_path)!r} was written by a different configuration; "
                    "remove it or pass another checkpoint path"
                )
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            _set_rng_state(state["rng"], generator)
            result.losses = list(state["losses"])
            result.epochs = result.resumed_from = int(state["epoch"])

    def save(epoch: int) -> None:
        if checkpoint_path is None:
            return
        ckpt.atomic_save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "rng": _rng_state(generator),
                "losses": result.losses,
                "fingerprint": fingerprint,
            },
            checkpoint_path,
        )

    model.train()
    bar = tqdm(
        range(result.epochs + 1, epochs + 1),
        total=epochs,
        initial=result.epochs,
        disable=not progress,
        desc="train",
        leave=False,
        dynamic_ncols=True,
    )
    started = time.perf_counter()
    try:
        for epoch in bar:
            opt.zero_grad(set_to_none=True)
            loss = model(x, edge_index, edge_weight)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"loss became {value} at epoch {epoch}/{epochs}; lower the learning rate or check the inputs"
                )
            loss.backward()
            opt.step()
            model.after_step(epoch / epochs)
            sched.step()
            result.losses.append(value)
            result.epochs = epoch
            bar.set_postfix(loss=f"{value:.4f}")
            if epoch % checkpoint_every == 0 or epoch == epochs:
                save(epoch)
            if callback is not None:
                callback(epoch, model, value)
    finally:
        result.seconds = time.perf_counter() - started
        bar.close()
    return result
