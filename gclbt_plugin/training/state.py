"""What a training run returns, its errors, and the random state saved in checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; the message names the epoch."""


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped training at the end of an epoch, after a checkpoint was saved.

    Attributes:
        signum: the signal received (``signal.SIGINT`` or ``signal.SIGTERM``).
        epoch: the last completed epoch (the one saved).
        epochs: the run's total epochs.
        checkpoint_path: the checkpoint written.
    """

    def __init__(self, signum: int, epoch: int, epochs: int, checkpoint_path: str) -> None:
        import signal

        self.signum = int(signum)
        self.epoch = epoch
        self.epochs = epochs
        self.checkpoint_path = checkpoint_path
        name = signal.Signals(self.signum).name if self.signum in set(signal.Signals) else str(self.signum)
        super().__init__(
            f"interrupted by {name} after epoch {epoch} of {epochs}; checkpoint saved to {checkpoint_path} "
            "(run the same command again to resume from it)"
        )


@dataclass
class TrainResult:
    """What a training run did.

    Attributes:
        losses: the loss of every epoch run (1-based epoch ``i`` is ``losses[i - 1]``; epochs
            restored from a checkpoint are included).
        epochs: epochs completed in total.
        resumed_from: epoch the run resumed from (0 for a fresh run).
        seconds: wall-clock seconds of *this* process's training epochs.
        seconds_restored: training seconds of the ``resumed_from`` restored epochs, as their
            checkpoint recorded them (``0.0`` for a fresh run; ``None``: a checkpoint written
            before checkpoints recorded it).
    """

    losses: list[float] = field(default_factory=list)
    epochs: int = 0
    resumed_from: int = 0
    seconds: float = 0.0
    seconds_restored: float | None = 0.0

    @property
    def timed_epochs(self) -> int:
        """The epochs whose training time is known: all, or only this process's when a checkpoint
        did not record the time of the restored ones."""
        return self.epochs if self.seconds_restored is not None else self.epochs - self.resumed_from

    @property
    def training_seconds(self) -> float:
        """Training seconds of :attr:`timed_epochs` (this process's plus the restored epochs')."""
        return self.seconds + (self.seconds_restored or 0.0)

    @property
    def seconds_per_epoch(self) -> float:
        """Training seconds per epoch over :attr:`timed_epochs` (a resumed run counts the time its
        checkpoint recorded); NaN when no epoch is timed."""
        timed = self.timed_epochs
        return self.training_seconds / timed if timed else float("nan")


@dataclass
class MiniBatchTrainResult(TrainResult):
    """:class:`~gclbt_plugin.training.TrainResult` plus how batches were made.

    Attributes:
        sampler: ``"neighbor"``, ``"random-node"`` or ``"full-graph"``.
        batches_per_epoch: optimiser steps per epoch.
    """

    sampler: str = ""
    batches_per_epoch: int = 0


def rng_state(generator: torch.Generator | None) -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if generator is not None:
        state["generator"] = generator.get_state()
    return state


def set_rng_state(state: dict[str, Any], generator: torch.Generator | None) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])
