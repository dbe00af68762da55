"""The Barlow Twins redundancy-reduction loss, optionally over a distributed node set."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor

from gclbt_plugin._validation import check_positive
from gclbt_plugin.functional.distributed import (
    all_reduce_sum,
    is_distributed,
    scale_gradient,
    world_size,
)
from gclbt_plugin.losses.base import Loss, check_pair


class BarlowTwinsLoss(Loss):
    r"""Barlow Twins loss (Zbontar et al., "Barlow Twins: Self-Supervised Learning via
    Redundancy Reduction", ICML 2021), as used on graphs by Graph Barlow Twins (Bielak et al.,
    Knowledge-Based Systems 2022).

    Each view is standardised along the node axis (batch normalisation without affine
    parameters, biased variance), then the cross-correlation matrix of the two views is pushed
    towards the identity:

    .. math::
        z = \frac{h - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        C = \frac{1}{N} z_1^\top z_2, \qquad
        \mathcal{L} = \sum_i (1 - C_{ii})^2 + \lambda \sum_i \sum_{j \neq i} C_{ij}^2 .

    Memory is :math:`O(Nd + d^2)`.

    Distributed: in an initialised ``torch.distributed`` group with world size > 1 (or with
    ``distributed=True``), every rank passes its own nodes (ranks may hold different numbers of
    nodes); the mean, the sum of squared deviations, :math:`N` and :math:`C` are summed over
    ranks with autograd-aware collectives, so every rank returns the loss of the concatenated
    nodes, and ``loss.backward()`` on rank ``r`` gives the gradient of that global loss with
    respect to rank ``r``'s inputs (the corresponding rows of the single-process gradient).
    Under ``DistributedDataParallel``, which *averages* parameter gradients over ranks, multiply
    the loss by the world size before ``backward()`` to obtain the single-process parameter
    gradient.

    Shapes:
        h1, h2: ``[N, d]`` embeddings of the two views (row ``i`` is node ``i`` in both).
        output: scalar.

    Args:
        lambda_ (float, optional): weight :math:`\lambda` of the off-diagonal (redundancy)
            term. ``None`` means :math:`1/d` with :math:`d` the embedding width at call time
            (Graph Barlow Twins); the original Barlow Twins used ``0.0051``. (default: ``None``)
        eps (float): :math:`\epsilon` added to the variance. (default: ``1e-5``, as
            ``torch.nn.BatchNorm1d``)
        distributed (bool, optional): ``None`` reduces over the default process group when it
            is initialised with world size > 1; ``False`` never reduces; ``True`` always reduces
            and raises at call time when no process group is initialised. (default: ``None``)

    Raises:
        ValueError: ``lambda_ < 0``, ``eps <= 0`` (constructor); fewer than 2 nodes in total,
            or ``h1``/``h2`` shapes that differ or are not 2-D (call).
        TypeError: ``distributed`` is not a bool or ``None`` (constructor).
        RuntimeError: ``distributed=True`` without an initialised process group (call).

    Example:
        >>> loss = BarlowTwinsLoss()
        >>> value = loss(torch.randn(100, 32), torch.randn(100, 32))
    """

    def __init__(
        self, lambda_: float | None = None, eps: float = 1e-5, distributed: bool | None = None
    ) -> None:
        super().__init__()
        if lambda_ is not None:
            lambda_ = check_positive("lambda_", lambda_, allow_zero=True)
        self.lambda_ = lambda_
        self.eps = check_positive("eps", eps)
        if distributed is not None and not isinstance(distributed, bool):
            raise TypeError(
                f"distributed must be True, False or None (auto), got {distributed!r} "
                f"({type(distributed).__name__})"
            )
        self.distributed = distributed

    def _reduces(self) -> bool:
        if self.distributed is None:
            return is_distributed()
        if self.distributed and not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError(
                "BarlowTwinsLoss(distributed=True) needs an initialised torch.distributed process "
                "group; call torch.distributed.init_process_group first or pass distributed=None"
            )
        return self.distributed

    def reduces_over_ranks(self) -> bool:
        """``True`` in a process group of more than one rank unless built with ``distributed=False``."""
        return self.distributed is not False and is_distributed()

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        check_pair(h1, h2)
        reduce = self._reduces()
        if not reduce and h1.size(0) < 2:
            raise ValueError(
                "BarlowTwinsLoss needs at least 2 nodes to standardise embeddings, "
                f"got N={h1.size(0)}"
            )
        reduce_sum = all_reduce_sum if reduce else _identity
        num_nodes = reduce_sum(torch.tensor(float(h1.size(0)), dtype=h1.dtype, device=h1.device))
        if reduce and num_nodes.item() < 2:
            raise ValueError(
                "BarlowTwinsLoss needs at least 2 nodes over all processes, "
                f"got N={int(num_nodes.item())}"
            )
        z1 = self._standardise(h1, num_nodes, reduce_sum)
        z2 = self._standardise(h2, num_nodes, reduce_sum)
        c = reduce_sum(z1.T @ z2) / num_nodes
        diagonal = torch.diagonal(c)
        on_diagonal = (1.0 - diagonal).pow(2).sum()
        off_diagonal = c.pow(2).sum() - diagonal.pow(2).sum()
        lambda_ = 1.0 / h1.size(1) if self.lambda_ is None else self.lambda_
        loss = on_diagonal + lambda_ * off_diagonal
        if reduce:
            # The all-reduce backward sums every rank's (identical) loss gradient; undo it.
            loss = scale_gradient(loss, 1.0 / world_size())
        return loss

    def _standardise(self, h: Tensor, num_nodes: Tensor, reduce_sum) -> Tensor:
        mean = reduce_sum(h.sum(dim=0)) / num_nodes
        centred = h - mean
        variance = reduce_sum(centred.pow(2).sum(dim=0)) / num_nodes
        return centred / torch.sqrt(variance + self.eps)

    def extra_repr(self) -> str:
        return f"lambda_={self.lambda_}, eps={self.eps}, distributed={self.distributed}"


def _identity(tensor: Tensor) -> Tensor:
    return tensor
