"""Uniform random edge dropping (GRACE, BGRL, G-BT)."""

from __future__ import annotations

import torch
from torch import Tensor

from gclbt_plugin._validation import check_probability
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.functional.dropping import (
    apply_edge_mask,
    edge_pairs,
    keep_mask,
    undirected_keep_mask,
)
from gclbt_plugin.graph import GraphT


class EdgeDropping(Augmentor):
    """Drop every edge independently with probability ``p`` (keep it with ``1 - p``).

    The edge-removal augmentation of GRACE (Zhu et al., "Deep Graph Contrastive Representation
    Learning", 2020), BGRL and Graph Barlow Twins, as PyG's ``dropout_edge``: the view keeps
    ``edge_index[:, m]`` with ``m_e ~ Bernoulli(1 - p)``. With ``undirected=True`` one draw is
    made per unordered pair ``{u, v}``, so both directions of an undirected edge are kept or
    dropped together. ``x`` is returned as is; ``edge_weight`` is indexed with the same mask, which
    :meth:`augment_with_edge_mask` returns (a ``Data``'s other edge attributes are indexed with it).

    Shapes:
        ``x: [N, F]``, ``edge_index: [2, E] -> [2, E']``, ``edge_weight: [E] -> [E']``.

    Args:
        p (float): drop probability, in ``[0, 1]``; ``0`` is the identity.
        undirected (bool, optional): drop both directions of an edge together. (default: ``False``)
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Raises:
        ValueError: if ``p`` is outside ``[0, 1]``.
        TypeError: if ``p`` is not a number, ``undirected`` not a bool or ``generator`` not a
            ``torch.Generator``.

    Example:
        >>> aug = EdgeDropping(p=0.2, generator=torch.Generator().manual_seed(0))
        >>> x, edge_index, edge_weight = aug(x, edge_index)
    """

    supports_sparse_features = True

    def __init__(
        self, p: float, undirected: bool = False, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(generator)
        self.p = check_probability("p", p)
        if not isinstance(undirected, bool):
            raise TypeError(f"undirected must be a bool, got {undirected!r}")
        self.undirected = undirected

    def augment(self, g: GraphT) -> GraphT:
        return self.augment_with_edge_mask(g)[0]

    def augment_with_edge_mask(self, g: GraphT) -> tuple[GraphT, Tensor]:
        """The view and its ``[E]`` bool keep mask (see :meth:`Augmentor.augment_with_edge_mask`)."""
        edge_index = g.edge_index
        if self.undirected:
            pair, num_pairs = edge_pairs(edge_index, g.x.size(0))
            keep = undirected_keep_mask(self.p, pair, num_pairs, self.generator)
        else:
            keep = keep_mask(self.p, edge_index.size(1), edge_index.device, self.generator)
        edge_index, edge_weight = apply_edge_mask(edge_index, g.edge_weights, keep)
        return g._replace(edge_index=edge_index, edge_weights=edge_weight), keep

    def __repr__(self) -> str:
        extra = ", undirected=True" if self.undirected else ""
        return f"{self.__class__.__name__}(p={self.p}{extra})"
