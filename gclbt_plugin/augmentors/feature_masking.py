"""Uniform feature-column masking (GRACE, BGRL, G-BT)."""

from __future__ import annotations

import torch

from gclbt_plugin._validation import check_probability
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.functional.dropping import keep_mask, mask_features
from gclbt_plugin.graph import GraphT


class FeatureMasking(Augmentor):
    """Zero every feature dimension (column) independently with probability ``p``.

    The feature-masking augmentation of GRACE (Zhu et al., "Deep Graph Contrastive
    Representation Learning", 2020), BGRL and Graph Barlow Twins: draw ``m_j ~ Bernoulli(p)``
    once per dimension and set ``x[:, j] = 0`` where ``m_j = 1`` -- the same columns for every
    node. (PyGCL's ``dropout_feature`` masks with probability ``1 - p``; this one masks ``p``.)
    A sparse COO ``x`` gives a sparse result with the masked columns' entries removed. The
    edges are returned as they are.

    Shapes:
        ``x: [N, F] -> [N, F]``, ``edge_index: [2, E]``, ``edge_weight: [E]``.

    Args:
        p (float): mask probability, in ``[0, 1]``; ``0`` is the identity.
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Raises:
        ValueError: if ``p`` is outside ``[0, 1]``.
        TypeError: if ``p`` is not a number or ``generator`` not a ``torch.Generator``.

    Example:
        >>> aug = FeatureMasking(p=0.3, generator=torch.Generator().manual_seed(0))
        >>> x, edge_index, edge_weight = aug(x, edge_index)
    """

    supports_sparse_features = True

    def __init__(self, p: float, generator: torch.Generator | None = None) -> None:
        super().__init__(generator)
        self.p = check_probability("p", p)

    def augment(self, g: GraphT) -> GraphT:
        x = g.x
        masked = ~keep_mask(self.p, x.size(1), x.device, self.generator)
        return g._replace(x=mask_features(x, masked))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"
