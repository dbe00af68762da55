"""Optimisers and learning-rate schedules as the papers used them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from gclbt_plugin._validation import check_choice, check_positive

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def build_optimizer(spec: dict[str, Any], parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """``{name: adam|adamw, lr, weight_decay}`` -> optimiser (GRACE/GCA: Adam; BGRL/G-BT: AdamW)."""
    spec = dict(spec)
    name = check_choice("optimizer.name", str(spec.pop("name", "adam")).lower(), OPTIMIZERS)
    lr = check_positive("optimizer.lr", spec.pop("lr", 1e-3))
    weight_decay = check_positive("optimizer.weight_decay", spec.pop("weight_decay", 0.0), allow_zero=True)
    return OPTIMIZERS[name](parameters, lr=lr, weight_decay=weight_decay, **spec)


def warmup_cosine_factor(epoch: int, epochs: int, warmup_epochs: int, cosine: bool) -> float:
    """Learning-rate multiplier at ``epoch`` (0-based): linear warm-up, then cosine decay to 0 or constant.

    ``factor = (epoch + 1) / warmup`` during warm-up (BGRL, Thakoor et al. 2022), then
    ``0.5 * (1 + cos(pi * (epoch - warmup) / (epochs - warmup)))`` when ``cosine``.
    """
    if warmup_epochs > 0 and epoch < warmup_epochs:
        return (epoch + 1) / warmup_epochs
    if not cosine:
        return 1.0
    remaining = max(1, epochs - warmup_epochs)
    return 0.5 * (1.0 + math.cos(math.pi * (epoch - warmup_epochs) / remaining))


def build_scheduler(
    spec: dict[str, Any] | None, optimizer: torch.optim.Optimizer, epochs: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """``{warmup_epochs: int, cosine: bool}`` -> a per-epoch :class:`LambdaLR`."""
    spec = dict(spec or {})
    warmup = int(spec.pop("warmup_epochs", 0))
    cosine = bool(spec.pop("cosine", False))
    if spec:
        raise ValueError(f"scheduler accepts warmup_epochs and cosine, got unknown keys {sorted(spec)}")
    if warmup < 0:
        raise ValueError(f"scheduler.warmup_epochs must be >= 0, got {warmup}")
    if warmup and warmup >= epochs:
        raise ValueError(
            f"scheduler.warmup_epochs ({warmup}) must be shorter than epochs ({epochs}): the learning rate "
            "would never reach its peak nor decay"
        )
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: warmup_cosine_factor(epoch, epochs, warmup, cosine)
    )
