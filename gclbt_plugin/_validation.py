"""Argument checks shared by every component.

Each check raises ``ValueError``/``TypeError`` naming the argument, the value received and what
is allowed, so that a bad configuration fails at construction time with a fixable message.

:func:`check_graph` is called wherever a graph enters the package (augmenters, contrast models,
encoders, the training loop) and stays cheap: it remembers the last few graphs that passed (by
tensor identity and version counter, so an in-place edit is checked again), so a graph fed
every epoch costs ``O(E)`` once. Graphs our own code derives from a checked one (views,
mini-batches) are registered with :func:`mark_checked` instead of being checked again.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

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
        low, high = (int(v) for v in torch.aminmax(edge_index))
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
    if edge_weight.is_floating_point() and bool(torch.isnan(edge_weight).any()):
        raise ValueError(f"{name} contains {int(torch.isnan(edge_weight).sum())} NaN value(s)")


def tensor_identity(tensor: Tensor) -> tuple:
    """What identifies a tensor's current contents without reading them.

    Its storage pointer(s), shape, dtype, device and version counter (bumped by every in-place
    edit); use it together with the object's identity.
    """
    if tensor.is_sparse:
        pointer: Any = (tensor._indices().data_ptr(), tensor._values().data_ptr())
    else:
        pointer = tensor.data_ptr()
    return (pointer, tuple(tensor.shape), tensor.dtype, tensor.device, tensor._version)


class _CheckedGraphs:
    """The last :attr:`SIZE` graphs that passed :func:`check_graph` (weak references only)."""

    SIZE = 16

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, tuple[weakref.ref, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(tensors: tuple[Tensor | None, ...]) -> tuple:
        return tuple(None if t is None else (id(t), tensor_identity(t)) for t in tensors)

    def __contains__(self, tensors: tuple[Tensor | None, ...]) -> bool:
        key = self._key(tensors)
        with self._lock:
            refs = self._entries.get(key)
            if refs is None:
                return False
            # Same objects still alive (an id can be reused after a tensor is freed).
            alive = all(ref() is t for ref, t in zip(refs, (t for t in tensors if t is not None)))
            if alive:
                self._entries.move_to_end(key)
            else:
                del self._entries[key]
            return alive

    def add(self, tensors: tuple[Tensor | None, ...]) -> None:
        key = self._key(tensors)
        refs = tuple(weakref.ref(t) for t in tensors if t is not None)
        with self._lock:
            self._entries[key] = refs
            self._entries.move_to_end(key)
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)


_checked = _CheckedGraphs()


def check_graph(x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> None:
    """Check a whole ``(x, edge_index, edge_weight)`` triple, once per graph.

    ``x`` must be a 2-D ``[N, F]`` tensor without NaN, ``edge_index`` an integer ``[2, E]``
    tensor with ids in ``[0, N)``, ``edge_weight`` ``None`` or an ``[E]`` tensor without NaN.
    A triple that passed (same tensor objects, unmodified) is not checked again.

    Raises:
        TypeError, ValueError: naming ``x``, ``edge_index`` or ``edge_weight`` and what is wrong.
    """
    tensors = (x, edge_index, edge_weight)
    if all(t is None or isinstance(t, Tensor) for t in tensors) and tensors in _checked:
        return
    check_features(x)
    check_edge_index(edge_index, x.size(0))
    check_edge_weight(edge_weight, edge_index.size(1))
    _checked.add(tensors)


def mark_checked(x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> None:
    """Record a graph derived by this package from a checked one (a view, a mini-batch) as checked.

    Only for graphs valid by construction: sub-sets of checked edges, masked checked features.
    """
    _checked.add((x, edge_index, edge_weight))
