"""Training: one full-batch loop for every method, optimisers, schedules, checkpoints, devices."""

from gclbt_plugin.training.device import resolve_device
from gclbt_plugin.training.trainer import TrainingDivergedError, TrainResult, train

__all__ = ["train", "TrainResult", "TrainingDivergedError", "resolve_device"]
