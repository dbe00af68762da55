"""Optimisers and learning-rate schedules as the papers used them."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from typing import Any

import torch

from gclbt_plugin._validation import check_choice, check_positive

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def optimizer_keys(name: str) -> list[str]:
    """The keys an ``optimizer`` section of optimiser ``name`` accepts: ``name`` and its keywords."""
    parameters = inspect.signature(OPTIMIZERS[name]).parameters
    return sorted({"name", *parameters} - {"self", "params"})


def build_optimizer(spec: dict[str, Any], parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """``{name: adam|adamw, lr, weight_decay, ...}`` -> optimiser (GRACE/GCA: Adam; BGRL/G-BT: AdamW).

    Further keys are passed to the optimiser's constructor (e.g. ``betas``, ``eps``).

    Raises:
        ValueError: an unknown name or key (the message lists the accepted keys), or a value the
            optimiser rejects; each message starts with ``optimizer.<key>``.
    """
    if not isinstance(spec, dict):
        raise ValueError(f"optimizer must be a mapping such as {{name: adam, lr: 0.001}}, got {spec!r}")
    spec = dict(spec)
    name = check_choice("optimizer.name", str(spec.pop("name", "adam")).lower(), OPTIMIZERS)
    unknown = sorted(set(spec) - set(optimizer_keys(name)))
    if unknown:
        keys = ", ".join(f"optimizer.{key}" for key in unknown)
        raise ValueError(
            f"{keys} is not an option of the {name} optimizer ({OPTIMIZERS[name].__module__}."
            f"{OPTIMIZERS[name].__qualname__}); accepted keys: {optimizer_keys(name)}"
        )
    lr = check_positive("optimizer.lr", spec.pop("lr", 1e-3))
    weight_decay = check_positive("optimizer.weight_decay", spec.pop("weight_decay", 0.0), allow_zero=True)
    try:
        return OPTIMIZERS[name](parameters, lr=lr, weight_decay=weight_decay, **spec)
    except (TypeError, ValueError) as error:
        extra = sorted(spec)
        key = f"optimizer.{extra[0]}" if len(extra) == 1 else f"optimizer ({name} with {extra})"
        raise ValueError(f"{key}: {error}") from error


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
    if spec is not None and not isinstance(spec, dict):
        raise ValueError(f"scheduler must be a mapping such as {{warmup_epochs: 10, cosine: true}}, got {spec!r}")
    spec = dict(spec or {})
    warmup = spec.pop("warmup_epochs", 0)
    cosine = spec.pop("cosine", False)
    if spec:
        raise ValueError(f"scheduler accepts warmup_epochs and cosine, got unknown keys {sorted(spec)}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"scheduler.warmup_epochs must be an integer >= 0, got {warmup!r}")
    if not isinstance(cosine, bool):
        raise ValueError(f"scheduler.cosine must be true or false, got {cosine!r}")
    if warmup and warmup >= epochs:
        raise ValueError(
            f"scheduler.warmup_epochs ({warmup}) must be shorter than epochs ({epochs}): the learning rate "
            "would never reach its peak nor decay"
        )
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: warmup_cosine_factor(epoch, epochs, warmup, cosine)
    )
