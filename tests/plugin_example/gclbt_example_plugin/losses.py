"""``CosineAlignmentLoss``: mean cosine distance between the two views' embeddings."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor

from gclbt_plugin.losses.base import Loss, check_pair


class CosineAlignmentLoss(Loss):
    """Mean cosine distance between matching rows: ``L = 1/N sum_i (1 - cos(h1_i, h2_i))``.

    Alignment only (no negatives, no redundancy reduction): on its own it admits collapsed
    solutions, which is fine for an example plugin. Values lie in ``[0, 2]``.

    Shapes:
        h1, h2: ``[N, d]`` -> scalar.

    Args:
        eps (float): lower bound on the norms in the cosine, ``> 0``. (default: ``1e-8``)

    Raises:
        ValueError: if ``eps`` is not a finite number ``> 0``; in ``forward``, if ``h1`` and
            ``h2`` are not 2-D tensors of the same shape.

    Example:
        >>> loss = CosineAlignmentLoss()
        >>> loss(h1, h2).backward()
    """

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        if isinstance(eps, bool) or not isinstance(eps, (int, float)):
            raise TypeError(f"eps must be a number > 0, got {eps!r} ({type(eps).__name__})")
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
        self.eps = float(eps)

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        check_pair(h1, h2)
        return (1.0 - F.cosine_similarity(h1, h2, dim=1, eps=self.eps)).mean()

    def extra_repr(self) -> str:
        return f"eps={self.eps}"
