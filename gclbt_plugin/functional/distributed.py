"""Autograd-aware reductions over a ``torch.distributed`` process group.

A loss whose statistics are summed over every process (the nodes of one big graph split across
ranks) must differentiate *through* the reduction, otherwise each rank only sees the gradient of
its own partial sum. :func:`all_reduce_sum` is an autograd-aware summing all-reduce (its backward
all-reduces the incoming gradients, as ``torch.distributed.nn.functional.all_reduce`` does) and
is the identity when no group with more than one process is initialised, so the same loss code
runs everywhere.

Gradient semantics. Suppose every rank computes the same global loss ``L`` from reduced
tensors. Because the backward of a summing all-reduce sums the gradients of *all* ranks' copies
of ``L``, a plain ``L.backward()`` gives each rank ``W * dL/d(local inputs)`` (``W`` = world
size). :func:`scale_gradient` with ``1 / W`` (see :func:`world_size`) undoes that factor, so a
rank's backward yields exactly the rows of the single-process gradient that belong to its nodes.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor


def is_distributed() -> bool:
    """``True`` when ``torch.distributed`` is initialised with a world size above 1."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    """Number of processes in the default group, 1 when not distributed."""
    return dist.get_world_size() if is_distributed() else 1


class _AllReduceSum(torch.autograd.Function):
    # The same forward/backward as torch.distributed.nn.functional.all_reduce (deprecated since
    # torch 2.6 in favour of a private, compile-oriented API), without its per-call warning.

    @staticmethod
    def forward(ctx, tensor: Tensor) -> Tensor:  # type: ignore[override]
        reduced = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(reduced, op=dist.ReduceOp.SUM)
        return reduced

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tensor:  # type: ignore[override]
        return _AllReduceSum.apply(grad_output)


def all_reduce_sum(tensor: Tensor) -> Tensor:
    """Sum ``tensor`` over all processes, differentiably.

    Returns a new tensor (the input is not modified) equal to ``sum_r tensor_r`` on every rank;
    its backward sums the incoming gradients over ranks, exactly like
    ``torch.distributed.nn.functional.all_reduce``. The identity when not distributed (see
    :func:`is_distributed`).

    Args:
        tensor (Tensor): any shape; the same shape and dtype on every rank.

    Returns:
        Tensor: same shape as ``tensor``.
    """
    if not is_distributed():
        return tensor
    return _AllReduceSum.apply(tensor)


class _ScaleGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: Tensor, factor: float) -> Tensor:  # type: ignore[override]
        ctx.factor = factor
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad_output * ctx.factor, None


def scale_gradient(tensor: Tensor, factor: float) -> Tensor:
    """Return ``tensor`` unchanged in value, with the gradient flowing back through it scaled.

    Args:
        tensor (Tensor): any shape.
        factor (float): the gradient multiplier.

    Returns:
        Tensor: a view of ``tensor`` (same value) whose backward multiplies by ``factor``.
    """
    if factor == 1.0:
        return tensor
    return _ScaleGradient.apply(tensor, factor)
