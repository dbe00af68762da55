"""GRACE's InfoNCE loss with inter- and intra-view negatives, optionally in row chunks."""

from __future__ import annotations

import math

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

    Computation (value and gradients equal the formula's to float tolerance; tests compare them
    with a node-by-node evaluation): the three similarity matrices :math:`S = UV^\top/\tau`,
    :math:`UU^\top/\tau`, :math:`VV^\top/\tau` are computed once, the inter-view one serving both
    directions (its rows for :math:`\ell(u_i, v_i)`, its columns for :math:`\ell(v_i, u_i)`), and
    exponentiated in place without a shift: cosines are in :math:`[-1, 1]`, so every term lies in
    :math:`[e^{-1/\tau}, e^{1/\tau}]`, a normal number as long as :math:`1/\tau` stays below ~80 in
    float32 and the sums of :math:`2N` terms stay finite (:func:`fused_is_exact`; e.g.
    :math:`\tau > 0.0125` in float32 for any graph below :math:`10^{12}` nodes); smaller temperatures
    fall back to a per-row ``logsumexp``. The scale :math:`1/\tau` is folded into the GEMM, so the
    exponentials cost one pass over each block. The gradient is written out
    (:math:`\partial\mathcal{L}/\partial S_{ik} \propto A_{ik}/r_i + A_{ik}/c_k - 2\delta_{ik}` with
    :math:`A = e^{S}` and the row / column sums :math:`r, c`; the intra-view :math:`1/r_i` scales the
    :math:`[N, d]` operands, not the block), then multiplied out: 3 products of
    :math:`N \times d \times N` forward and 6 backward, the bound, and no :math:`N \times N`
    temporary: the three
    :math:`N \times N` (or ``batch_size`` :math:`\times N``) buffers are kept and reused from step to
    step. With ``batch_size`` the rows are processed ``batch_size`` at a time, so memory is
    :math:`O(\text{batch\_size} \cdot N)`; the column sums :math:`c` are only complete after the
    last block, so when a gradient is needed the forward pass computes it in two sweeps (anchors
    :math:`u`, then anchors :math:`v`, the inter-view block recomputed once): 10 products instead of
    9, and the backward pass only scales it.

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
        self._workspace = _Workspace()

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        check_pair(h1, h2)
        u = F.normalize(h1, dim=1)
        v = F.normalize(h2, dim=1)
        if fused_is_exact(self.tau, u.dtype, u.size(0)):
            block = min(self.batch_size or u.size(0), u.size(0))
            with_grad = torch.is_grad_enabled() and (u.requires_grad or v.requires_grad)
            return _FusedInfoNCE.apply(u, v, self.tau, block, self._workspace, with_grad)
        # a temperature so small that e^{-1/tau} underflows (or the sums overflow): per-row log-sum-exp
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


#: ``-ln`` of the smallest normal number and ``ln`` of the largest finite number of each dtype, less a
#: margin: ``e^{x}`` is a normal, finite number for ``-_LOG_TINY < x < _LOG_MAX``.
_LOG_TINY = {torch.float16: 9.0, torch.bfloat16: 80.0, torch.float32: 80.0, torch.float64: 700.0}
_LOG_MAX = {torch.float16: 10.0, torch.bfloat16: 87.0, torch.float32: 87.0, torch.float64: 708.0}


def fused_is_exact(tau: float, dtype: torch.dtype, num_nodes: int) -> bool:
    """Whether every term ``e^{S_ik}`` (``S = cos / tau`` in ``[-1/tau, 1/tau]``) is a normal number of
    ``dtype`` and the sums of ``2 num_nodes`` of them stay finite, so no shift is needed."""
    return 1.0 / tau < _LOG_TINY.get(dtype, 80.0) and 1.0 / tau + math.log(2 * num_nodes) < _LOG_MAX.get(dtype, 87.0)


class _Workspace:
    """Three ``[rows, N]`` buffers reused from step to step (no per-step N x N allocation).

    A buffer set stays reserved from a forward pass to its backward pass; a second forward pass in
    between (two losses in flight) gets a fresh set.
    """

    def __init__(self) -> None:
        self._free: list[Tensor] | None = None

    def take(self, rows: int, cols: int, like: Tensor) -> list[Tensor]:
        free, self._free = self._free, None
        if free is not None and free[0].shape == (rows, cols) and free[0].dtype == like.dtype and (
            free[0].device == like.device
        ):
            return free
        return [like.new_empty(rows, cols) for _ in range(3)]

    def give_back(self, buffers: list[Tensor]) -> None:
        self._free = buffers

    def __deepcopy__(self, memo: dict) -> _Workspace:
        return _Workspace()  # buffers are scratch space, never state

    def __getstate__(self) -> dict:
        return {"_free": None}


def _exp_block(target: Tensor, rows: Tensor, other: Tensor, tau: float) -> Tensor:
    """``e^{rows other^T / tau}`` written into ``target`` (``[len(rows), N]``).

    The GEMM writes ``rows other^T / tau`` (scale folded in, ``beta = 0`` ignores the buffer's old
    contents) and one in-place pass exponentiates it: one pass over the block.
    """
    return target.addmm_(rows, other.T, beta=0.0, alpha=1.0 / tau).exp_()


def _drop_self_terms(within: Tensor, start: int) -> None:
    """Zero the entries ``(i, start + i)`` of an intra-view block: a node is not its own negative."""
    index = torch.arange(within.size(0), device=within.device)
    within[index, index + start] = 0.0


def _exponentials(u: Tensor, v: Tensor, start: int, end: int, tau: float, buffers: list[Tensor]) -> list[Tensor]:
    """``e^{X Y^T / tau}`` for the rows ``[start, end)`` of ``UV^T``, ``UU^T``, ``VV^T`` (self terms 0)."""
    out = [b[: end - start] for b in buffers]
    for target, (x, y) in zip(out, ((u, v), (u, u), (v, v)), strict=True):
        _exp_block(target, x[start:end], y, tau)
    for within in out[1:]:
        _drop_self_terms(within, start)
    return out


class _FusedInfoNCE(torch.autograd.Function):
    """GRACE's symmetric loss of unit-norm ``u, v`` with a written-out gradient (see InfoNCELoss).

    One block (all rows): the forward pass computes the three exponential blocks and keeps them,
    the backward pass multiplies out the gradient (3 + 6 products). Several blocks with a gradient
    needed: the forward pass computes the gradient too (:func:`_chunked_loss_and_gradient`, 10
    products) and the backward pass only scales it. Without a gradient: 3 products.
    """

    @staticmethod
    def forward(ctx, u: Tensor, v: Tensor, tau: float, block: int, workspace: _Workspace, with_grad: bool) -> Tensor:  # type: ignore[override]
        n = u.size(0)
        buffers = workspace.take(block, n, u)
        ctx.tau, ctx.workspace = tau, workspace
        ctx.buffers, ctx.gradients = None, None
        if with_grad and block < n:
            loss, ctx.gradients = _chunked_loss_and_gradient(u, v, tau, block, buffers)
            workspace.give_back(buffers)
            return loss
        row_sums = u.new_zeros(n)  # r_i: anchor u_i (inter-view row + intra-view row)
        col_sums = u.new_zeros(n)  # c_i: anchor v_i (inter-view column + intra-view row of VV^T)
        for start in range(0, n, block):
            end = min(start + block, n)
            inter, within_u, within_v = _exponentials(u, v, start, end, tau, buffers)
            row_sums[start:end] = inter.sum(1) + within_u.sum(1)
            col_sums += inter.sum(0)
            col_sums[start:end] += within_v.sum(1)
        loss = _loss_from_sums(u, v, tau, row_sums, col_sums)
        if with_grad:  # one block: keep the exponentials for the backward pass
            ctx.buffers = buffers
            ctx.save_for_backward(u, v, row_sums, col_sums)
        else:
            workspace.give_back(buffers)
        return loss

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        if ctx.gradients is not None:  # kept: a second backward pass (retain_graph) gets them again
            du, dv = ctx.gradients
        else:
            du, dv = _single_block_gradient(*ctx.saved_tensors, ctx.buffers)
            ctx.workspace.give_back(ctx.buffers)
            ctx.buffers = None
        scale = grad / (2 * du.size(0) * ctx.tau)
        return du * scale, dv * scale, None, None, None, None


def _loss_from_sums(u: Tensor, v: Tensor, tau: float, row_sums: Tensor, col_sums: Tensor) -> Tensor:
    """``(sum_i log r_i + sum_i log c_i - 2 sum_i S_ii) / 2N`` from the denominators ``r, c``."""
    positives = (u * v).sum(1).div_(tau)  # S_ii
    return (row_sums.log().sum() + col_sums.log().sum() - 2 * positives.sum()) / (2 * u.size(0))


def _single_block_gradient(
    u: Tensor, v: Tensor, row_sums: Tensor, col_sums: Tensor, buffers: list[Tensor]
) -> tuple[Tensor, Tensor]:
    """``(2N tau) dL/du, (2N tau) dL/dv`` from the kept exponentials of all rows: 6 products."""
    inter, within_u, within_v = buffers
    r, c = row_sums[:, None], col_sums[:, None]
    # The positives' -2 delta_ik, then the intra-view terms: UU^T / tau is symmetric in u, so both of
    # its factors carry gradient; dL/dT_ik ~ B_ik / r_i, the 1 / r_i applied to the [N, d] operands
    # and products, not to the [N, N] block.
    du = (within_u @ u).div_(r).add_(within_u.T @ (u / r)).sub_(v, alpha=2.0)
    dv = (within_v @ v).div_(c).add_(within_v.T @ (v / c)).sub_(u, alpha=2.0)
    # Inter-view: dL/dS_ik ~ A_ik / r_i + A_ik / c_k, formed in place (two passes: the scaled copy in
    # the freed intra-view buffer, then one fused multiply-add).
    torch.div(inter, r, out=within_u)
    torch.addcmul(within_u, inter, col_sums.reciprocal()[None, :], out=inter)
    du += inter @ v
    dv += inter.T @ u
    return du, dv


def _chunked_loss_and_gradient(
    u: Tensor, v: Tensor, tau: float, block: int, buffers: list[Tensor]
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """The loss and ``(2N tau) dL/du, (2N tau) dL/dv``, ``block`` rows at a time: 10 products.

    Every gradient term of a block needs the denominators of its rows and columns, and ``c_k``
    (anchor ``v_k``) is only complete once every row of ``UV^T`` has been seen. Two sweeps:

    1. anchors ``u``: ``A = e^{U_b V^T / tau}``, ``B = e^{U_b U^T / tau}`` give ``r_b`` (complete) and add
       ``A``'s column sums to ``c``; ``B``'s gradient terms (weights ``B_ik / r_i``) are done here;
    2. anchors ``v``: ``C = e^{V_b V^T / tau}`` completes ``c_b``; ``C``'s terms, then the inter-view ones
       from ``A^T = e^{V_b U^T / tau}`` recomputed, with weights ``A_kj / c_j + A_kj / r_k`` (all known).

    4 + 6 products against the 3 + 6 of the kept blocks (the 12 of recomputing all three blocks in
    the backward pass), with three ``[block, N]`` buffers.
    """
    n = u.size(0)
    row_sums, col_sums = u.new_zeros(n), u.new_zeros(n)
    du, dv = v.mul(-2.0), u.mul(-2.0)  # the positives' -2 delta_ik
    for start in range(0, n, block):
        end = min(start + block, n)
        inter, within, _ = (b[: end - start] for b in buffers)
        u_block = u[start:end]
        _exp_block(inter, u_block, v, tau)
        _drop_self_terms(_exp_block(within, u_block, u, tau), start)
        r = inter.sum(1).add_(within.sum(1))
        row_sums[start:end] = r
        col_sums += inter.sum(0)
        du[start:end] += (within @ u).div_(r[:, None])
        du += within.T @ (u_block / r[:, None])
    row_reciprocals = row_sums.reciprocal()[None, :]
    for start in range(0, n, block):
        end = min(start + block, n)
        inter_t, within, scaled = (b[: end - start] for b in buffers)
        v_block = v[start:end]
        _drop_self_terms(_exp_block(within, v_block, v, tau), start)
        col_sums[start:end] += within.sum(1)
        c = col_sums[start:end, None]
        dv[start:end] += (within @ v).div_(c)
        dv += within.T @ (v_block / c)
        _exp_block(inter_t, v_block, u, tau)  # A^T rows: e^{v_j . u_k / tau}
        torch.div(inter_t, c, out=scaled)
        torch.addcmul(scaled, inter_t, row_reciprocals, out=inter_t)
        dv[start:end] += inter_t @ u
        du += inter_t.T @ v_block
    return _loss_from_sums(u, v, tau, row_sums, col_sums), (du, dv)
