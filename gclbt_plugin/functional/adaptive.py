"""GCA's adaptive drop / mask probabilities, as pure functions of a graph and a centrality.

Zhu et al., "Graph Contrastive Learning with Adaptive Augmentation" (GCA, WWW 2021), Sec. 3.3;
reference code github.com/CRIPAC-DIG/GCA (``degree_drop_weights``, ``pr_drop_weights``,
``evc_drop_weights``, ``feature_drop_weights(_dense)``, ``drop_edge_weighted``,
``drop_feature_weighted_2``). Unimportant edges / feature dimensions are dropped more often:

    ``p_i = min((s_max - s_i) / (s_max - mean(s)) * p, threshold)``

with ``s`` a log-importance: ``s_e = log(phi_c(v))`` for an edge (``v`` its sink, source, or the
mean of both endpoints' logs) and ``s_j = log(sum_i |x_ij| * phi_c(i))`` for a feature dimension.

Where GCA's code produces ``-inf``/``NaN`` these functions stay finite (see
:func:`importance_to_probability`). Everything is computed in float64; probabilities are
returned as float32 in ``[0, threshold]``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter

from gclbt_plugin._validation import check_choice, check_features, check_probability

AGGREGATIONS = ("sink", "source", "mean")
"""How an edge's log-importance is taken from its endpoints (GCA's ``aggr``)."""

_RELATIVE_SPREAD_TOL = 1e-9


def importance_to_probability(log_importance: Tensor, p: float, threshold: float) -> Tensor:
    """GCA's map from log-importances ``s`` to probabilities, made total.

    ``p_i = min((s_max - s_i) / (s_max - mean(s)) * p, threshold)``. The mean of the untruncated
    values is ``p``, so ``p`` is the average drop rate before truncation. Two cases GCA leaves
    undefined are given values:

    * ``s_i = -inf`` (an importance of ``0``, e.g. an all-zero feature column or a zero
      centrality) is replaced by the smallest finite ``s`` -- the least important entries, so the
      highest (still truncated) probability;
    * if all ``s`` are equal (``s_max == mean(s)`` up to a relative ``1e-9``, which also covers
      all ``-inf``), every probability is ``min(p, threshold)``, the formula's limit.

    Args:
        log_importance (Tensor): ``[M]`` values ``s`` (``-inf`` allowed, no NaN / ``+inf``).
        p (float): mean drop probability, in ``[0, 1]``.
        threshold (float): cap on every probability, in ``[0, 1]``.

    Returns:
        Tensor: ``[M]`` float32 probabilities in ``[0, threshold]``.

    Raises:
        ValueError: if ``p`` or ``threshold`` is outside ``[0, 1]``, or ``log_importance`` holds NaN
            or ``+inf``.
    """
    p = check_probability("p", p)
    threshold = check_probability("threshold", threshold)
    s = log_importance.to(torch.float64)
    if torch.isnan(s).any() or torch.isposinf(s).any():
        raise ValueError("log_importance must not contain NaN or +inf")
    if s.numel() == 0:
        return torch.zeros(0, dtype=torch.float32, device=s.device)
    finite = torch.isfinite(s)
    if not bool(finite.any()):
        return torch.full_like(s, min(p, threshold), dtype=torch.float32)
    s = torch.where(finite, s, s[finite].min())
    s_max = s.max()
    spread = s_max - s.mean()
    if float(spread) <= _RELATIVE_SPREAD_TOL * max(1.0, abs(float(s_max))):
        return torch.full_like(s, min(p, threshold), dtype=torch.float32)
    probability = ((s_max - s) / spread * p).clamp(min=0.0, max=threshold)
    return probability.to(torch.float32).clamp(max=threshold)


def edge_log_importance(
    edge_index: Tensor, centrality: Tensor, aggregation: str = "sink"
) -> Tensor:
    """``s_e``: ``log(phi_c)`` of the edge's sink, of its source, or the mean of both.

    GCA's code uses the sink (``edge_index[1]``); ``"mean"`` averages the two endpoints'
    log-centralities as GCA's ``pr_drop_weights(aggr="mean")`` does.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        centrality (Tensor): ``[N]`` non-negative node centralities ``phi_c``.
        aggregation (str, optional): ``"sink"``, ``"source"`` or ``"mean"``. (default: ``"sink"``)

    Returns:
        Tensor: ``[E]`` float64 log-importances (``-inf`` where a centrality is 0).

    Raises:
        ValueError: if ``aggregation`` is unknown.
    """
    check_choice("aggregation", aggregation, AGGREGATIONS)
    log_centrality = centrality.to(torch.float64).log()
    source, target = edge_index
    if aggregation == "sink":
        return log_centrality[target]
    if aggregation == "source":
        return log_centrality[source]
    return 0.5 * (log_centrality[source] + log_centrality[target])


def edge_drop_probability(
    edge_index: Tensor,
    centrality: Tensor,
    p: float,
    threshold: float,
    aggregation: str = "sink",
) -> Tensor:
    """Per-edge drop probability ``p_e = min((s_max - s_e) / (s_max - mean(s)) * p, threshold)``.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        centrality (Tensor): ``[N]`` node centralities ``phi_c`` (e.g. from
            :func:`gclbt_plugin.functional.centrality.node_centrality`).
        p (float): mean drop probability ``p_e`` of the paper, in ``[0, 1]``.
        threshold (float): cap ``p_tau``, in ``[0, 1]``.
        aggregation (str, optional): see :func:`edge_log_importance`. (default: ``"sink"``)

    Returns:
        Tensor: ``[E]`` float32 probabilities in ``[0, threshold]``.

    Raises:
        ValueError: for ``p``/``threshold`` outside ``[0, 1]`` or an unknown ``aggregation``.
    """
    return importance_to_probability(
        edge_log_importance(edge_index, centrality, aggregation), p, threshold
    )


def feature_importance(x: Tensor, centrality: Tensor, dense: bool | None = None) -> Tensor:
    """Feature-dimension importance ``w_j = sum_i t(x_ij) * phi_c(i)``, i.e. ``t(x)^T phi_c``.

    ``t`` binarises (``x != 0``, GCA's ``feature_drop_weights`` for bag-of-words features) or takes
    the absolute value (GCA's ``feature_drop_weights_dense``). The two agree on binary features.

    Args:
        x (Tensor): ``[N, F]`` dense or sparse COO features.
        centrality (Tensor): ``[N]`` raw (not log) node centralities.
        dense (bool, optional): ``True``: ``|x|``; ``False``: binarised; ``None``: binarised for a
            sparse-layout ``x`` (bag-of-words), ``|x|`` for a dense one. (default: ``None``)

    Returns:
        Tensor: ``[F]`` float64 non-negative importances.

    Raises:
        TypeError: if ``dense`` is not a bool or None.
        ValueError: if ``x`` is not 2-D or holds NaN, or ``centrality`` is not ``[N]``.
    """
    if dense is not None and not isinstance(dense, bool):
        raise TypeError(f"dense must be True, False or None, got {dense!r}")
    check_features(x)
    if centrality.dim() != 1 or centrality.numel() != x.size(0):
        raise ValueError(
            f"centrality must have shape [N] = [{x.size(0)}] (one value per row of x), got {list(centrality.shape)}"
        )
    if dense is None:
        dense = not x.is_sparse
    centrality = centrality.to(torch.float64)
    if x.is_sparse:
        x = x.coalesce()
        row, col = x.indices()
        values = x.values().to(torch.float64)
        values = values.abs() if dense else (values != 0).to(torch.float64)
        return scatter(values * centrality[row], col, dim=0, dim_size=x.size(1), reduce="sum")
    weights = x.abs().to(torch.float64) if dense else (x != 0).to(torch.float64)
    return weights.t() @ centrality


def feature_mask_probability(
    x: Tensor,
    centrality: Tensor,
    p: float,
    threshold: float,
    dense: bool | None = None,
) -> Tensor:
    """Per-dimension mask probability ``p_j = min((s_max - s_j) / (s_max - mean(s)) * p, tau)``.

    ``s_j = log(w_j)`` with ``w`` from :func:`feature_importance`; a dimension with ``w_j = 0``
    gets the highest probability (see :func:`importance_to_probability`).

    Args:
        x (Tensor): ``[N, F]`` dense or sparse COO features.
        centrality (Tensor): ``[N]`` raw node centralities ``phi_c``.
        p (float): mean mask probability ``p_f`` of the paper, in ``[0, 1]``.
        threshold (float): cap ``p_tau``, in ``[0, 1]``.
        dense (bool, optional): see :func:`feature_importance`. (default: ``None``)

    Returns:
        Tensor: ``[F]`` float32 probabilities in ``[0, threshold]``.

    Raises:
        ValueError: if ``p`` or ``threshold`` is outside ``[0, 1]``.
        TypeError: if ``dense`` is not a bool or None.
    """
    return importance_to_probability(feature_importance(x, centrality, dense).log(), p, threshold)
