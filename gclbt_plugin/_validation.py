"""Argument checks shared by every component.

Each check raises ``ValueError``/``TypeError`` naming the argument, the value received and what
is allowed, so that a bad configuration fails at construction time with a fixable message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor


def check_probability(name: str, value: float) -> float:
    """Return ``value`` as float if it lies in ``[0, 1]``; raise ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r} ({type(value).__name__})")
    value = float(value)
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not ok or math.isnan(value) or math.isinf(value):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return value


def check_positive_int(name: str, value: int | None, *, allow_none: bool = False) -> int | None:
    """Return ``value`` if it is a positive ``int`` (or ``None`` when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        allowed = "a positive integer" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; the error lists them sorted."""
    choices = sorted(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_features(x: Tensor, name: str = "x") -> Tensor:
    """Check that ``x`` is a 2-D floating tensor ``[N, F]`` without NaN."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [N, F], got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{name} must be 2-D with shape [N, F], got shape {list(x.shape)}")
    values = x.coalesce().values() if x.is_sparse else x
    if values.is_floating_point() and torch.isnan(values).any():
        n_bad = int(torch.isnan(values).sum())
        raise ValueError(f"{name} contains {n_bad} NaN value(s); clean or impute features first")
    return x


def check_edge_index(edge_index: Tensor, num_nodes: int, name: str = "edge_index") -> Tensor:
    """Check that ``edge_index`` is an integer tensor ``[2, E]`` with ids in ``[0, num_nodes)``."""
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [2, E], got {type(edge_index).__name__}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"{name} must have shape [2, E], got shape {list(edge_index.shape)}")
    if edge_index.is_floating_point() or edge_index.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer node ids, got dtype {edge_index.dtype}")
    if edge_index.numel() > 0:
        low, high = int(edge_index.min()), int(edge_index.max())
        if low < 0 or high >= num_nodes:
            raise ValueError(
                f"{name} holds node ids in [{low}, {high}], but ids must lie in [0, {num_nodes - 1}] "
                f"for num_nodes={num_nodes}"
            )
    return edge_index


def check_edge_weight(edge_weight: Tensor | None, num_edges: int, name: str = "edge_weight") -> None:
    """Check that ``edge_weight`` is ``None`` or a 1-D tensor with one entry per edge."""
    if edge_weight is None:
        return
    if not isinstance(edge_weight, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [E] or None, got {type(edge_weight).__name__}")
    if edge_weight.dim() != 1 or edge_weight.numel() != num_edges:
        raise ValueError(
            f"{name} must have shape [E] = [{num_edges}] to match edge_index, got shape {list(edge_weight.shape)}"
        )


def check_graph(x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> None:
    """Check a whole ``(x, edge_index, edge_weight)`` triple (see the individual checks)."""
    check_features(x)
    check_edge_index(edge_index, x.size(0))
    check_edge_weight(edge_weight, edge_index.size(1))
