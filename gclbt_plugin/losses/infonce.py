"""GRACE's InfoNCE loss with inter- and intra-view negatives, optionally in row chunks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from gclbt_plugin._validation import check_positive, check_positive_int
from gclbt_plugin.losses.base import Loss, check_pair


class InfoNCELoss(Loss):
    r"""Symmetric InfoNCE loss of GRACE (Zhu et al., "Deep Graph Contrastive Representation
    Learning", ICML GRL+ workshop 2020), also used by GCA.

    With :math:`u_i, v_i` the embeddings of node :math:`i` in the two views and
    :math:`\theta` the cosine similarity, node :math:`i`'s positive pair is :math:`(u_i, v_i)`
    and its negatives are every other node in the other view (inter-view) and in the same view
    (intra-view):

    .. math::
        \ell(u_i, v_i) = -\log \frac{e^{\theta(u_i, v_i)/\tau}}
            {e^{\theta(u_i, v_i)/\tau} + \sum_{k \neq i} e^{\theta(u_i, v_k)/\tau}
             + \sum_{k \neq i} e^{\theta(u_i, u_k)/\tau}}, \qquad
        \mathcal{L} = \frac{1}{2N} \sum_{i=1}^{N} \left[\ell(u_i, v_i) + \ell(v_i, u_i)\right].

    The logarithm is evaluated with ``logsumexp``, so small :math:`\tau` does not overflow.
    With ``batch_size`` the :math:`N \times N` similarity matrices are computed ``batch_size``
    rows at a time, and each chunk is recomputed in the backward pass (activation
    checkpointing), so memory is :math:`O(\text{batch\_size} \cdot N)` in both passes; value
    and gradients equal the unchunked ones.

    Shapes:
        h1, h2: ``[N, d]`` embeddings of the two views (usually after a projection head).
        output: scalar.

    Args:
        tau (float): temperature :math:`\tau`. (default: ``0.5``)
        batch_size (int, optional): rows per chunk; ``None`` computes all :math:`N` rows at
            once. (default: ``None``)

    Raises:
        ValueError: ``tau <= 0`` or ``batch_size`` not a positive int (constructor); ``h1`` and
            ``h2`` of different shapes or not 2-D (call).

    Example:
        >>> loss = InfoNCELoss(tau=0.5, batch_size=1024)
        >>> value = loss(torch.randn(100, 32), torch.randn(100, 32))
    """

    def __init__(self, tau: float = 0.5, batch_size: int | None = None) -> None:
        super().__init__()
        self.tau = check_positive("tau", tau)
        self.batch_size = check_positive_int("batch_size", batch_size, allow_none=True)

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        check_pair(h1, h2)
        u = F.normalize(h1, dim=1)
        v = F.normalize(h2, dim=1)
        return (self._total(u, v) + self._total(v, u)) / (2 * u.size(0))

    def _total(self, anchor: Tensor, other: Tensor) -> Tensor:
        """``sum_i l(anchor_i, other_i)`` over all rows, chunked when ``batch_size`` is set."""
        num_nodes = anchor.size(0)
        size = self.batch_size or num_nodes
        if size >= num_nodes:
            return self._chunk(anchor, other, 0, num_nodes)
        total = anchor.new_zeros(())
        for start in range(0, num_nodes, size):
            end = min(start + size, num_nodes)
            if torch.is_grad_enabled() and (anchor.requires_grad or other.requires_grad):
                total = total + checkpoint(
                    self._chunk, anchor, other, start, end, use_reentrant=False
                )
            else:
                total = total + self._chunk(anchor, other, start, end)
        return total

    def _chunk(self, anchor: Tensor, other: Tensor, start: int, end: int) -> Tensor:
        """``sum_{i in [start, end)} l(anchor_i, other_i)`` for unit-norm rows."""
        rows = anchor[start:end]
        between = rows @ other.T / self.tau  # [b, N], positives on the shifted diagonal
        within = rows @ anchor.T / self.tau  # [b, N], self-similarity excluded below
        index = torch.arange(end - start, device=anchor.device)
        within = within.index_put((index, index + start), within.new_tensor(float("-inf")))
        positives = between[index, index + start]
        log_denominator = torch.logsumexp(torch.cat([between, within], dim=1), dim=1)
        return (log_denominator - positives).sum()

    def extra_repr(self) -> str:
        return f"tau={self.tau}, batch_size={self.batch_size}"
