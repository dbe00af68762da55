"""Random edge dropping and feature-column masking as pure functions returning boolean masks.

Like PyG's ``torch_geometric.utils.dropout_edge`` / ``mask_feature`` the draws are separated
from their application, so callers index ``edge_index`` and ``edge_weight`` once with the same
mask. Probabilities may be one number (uniform dropping, GRACE / BGRL / G-BT) or one per
edge / dimension (adaptive dropping, GCA). Each function costs one uniform draw per edge, pair
or dimension, drawn from an optional ``torch.Generator`` (see
:mod:`gclbt_plugin.functional.random`).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter

from gclbt_plugin.functional.random import uniform


def keep_mask(
    drop_probability: Tensor | float,
    num: int,
    device: torch.device | str,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Boolean ``[num]`` mask, ``True`` = kept, each entry kept independently with ``1 - p_i``.

    ``p_i = 0`` always keeps and ``p_i = 1`` always drops.

    Args:
        drop_probability (Tensor or float): one probability, or ``[num]`` of them.
        num (int): number of items (edges, pairs, dimensions).
        device (torch.device or str): device of the mask.
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Returns:
        Tensor: ``[num]`` bool.
    """
    return uniform(num, torch.device(device), generator) >= drop_probability


def edge_pairs(edge_index: Tensor, num_nodes: int) -> tuple[Tensor, int]:
    """Group edges into unordered node pairs ``{u, v}`` (both directions, and duplicates, together).

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.

    Returns:
        tuple[Tensor, int]: ``pair`` (``[E]`` long, the pair id of every edge, pairs numbered in
        sorted ``(min, max)`` order) and the number of pairs ``P``.
    """
    source, target = edge_index
    key = torch.minimum(source, target) * num_nodes + torch.maximum(source, target)
    unique, pair = torch.unique(key, sorted=True, return_inverse=True)
    return pair, int(unique.numel())


def pair_drop_probability(drop_probability: Tensor, pair: Tensor, num_pairs: int) -> Tensor:
    """A pair's drop probability: the mean of its edges' (its two directions') probabilities.

    Args:
        drop_probability (Tensor): ``[E]`` per-edge probabilities.
        pair (Tensor): ``[E]`` pair ids from :func:`edge_pairs`.
        num_pairs (int): ``P``.

    Returns:
        Tensor: ``[P]`` probabilities, same dtype as ``drop_probability``.
    """
    return scatter(drop_probability, pair, dim=0, dim_size=num_pairs, reduce="mean")


def undirected_keep_mask(
    drop_probability: Tensor | float,
    pair: Tensor,
    num_pairs: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Edge keep mask, one draw per unordered pair: both directions kept or dropped together.

    Args:
        drop_probability (Tensor or float): one probability, or ``[P]`` per-pair probabilities
            (see :func:`pair_drop_probability`).
        pair (Tensor): ``[E]`` pair ids from :func:`edge_pairs`.
        num_pairs (int): ``P``.
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Returns:
        Tensor: ``[E]`` bool, ``True`` = kept.
    """
    return keep_mask(drop_probability, num_pairs, pair.device, generator)[pair]


def apply_edge_mask(
    edge_index: Tensor, edge_weight: Tensor | None, keep: Tensor
) -> tuple[Tensor, Tensor | None]:
    """Index ``edge_index`` ``[2, E]`` and ``edge_weight`` ``[E]`` (or None) with one mask."""
    return edge_index[:, keep], (None if edge_weight is None else edge_weight[keep])


def chain_edge_masks(first: Tensor | None, then: Tensor | None) -> Tensor | None:
    """The keep mask of two edge selections applied one after the other.

    Args:
        first (Tensor, optional): ``[E]`` bool mask of the edges kept by the first step, or
            ``None`` (all kept, unchanged).
        then (Tensor, optional): ``[E']`` bool mask, ``E' = first.sum()``, of the edges the
            second step keeps among those, or ``None``.

    Returns:
        Tensor, optional: ``[E]`` bool mask ``m`` with ``edge_index[:, m] ==
        edge_index[:, first][:, then]``; ``None`` if both are ``None``.
    """
    if first is None:
        return then
    if then is None:
        return first
    return first.masked_scatter(first, then)


def mask_features(x: Tensor, masked: Tensor) -> Tensor:
    """Zero the feature columns flagged in ``masked``, for every node; ``x`` is not modified.

    Args:
        x (Tensor): ``[N, F]`` dense features, or a sparse COO tensor.
        masked (Tensor): ``[F]`` bool, ``True`` = set the column to zero.

    Returns:
        Tensor: ``[N, F]`` new tensor; for sparse ``x`` a coalesced sparse COO tensor with the
        masked columns' entries removed.
    """
    if x.is_sparse:
        x = x.coalesce()
        indices, values = x.indices(), x.values()
        kept = ~masked[indices[1]]
        return torch.sparse_coo_tensor(
            indices[:, kept], values[kept], x.shape, is_coalesced=True, check_invariants=False
        )
    return x.masked_fill(masked.unsqueeze(0), 0)
