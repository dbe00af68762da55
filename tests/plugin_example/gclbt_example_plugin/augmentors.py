"""``NodeFeatureNoise``: add Gaussian noise to every node feature."""

from __future__ import annotations

import math

import torch

from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.graph import Graph


class NodeFeatureNoise(Augmentor):
    """Add independent Gaussian noise to node features: ``x' = x + sigma * eps``, ``eps ~ N(0, 1)``.

    Edges and edge weights are returned unchanged.

    Shapes:
        x: ``[N, F]`` (floating point) -> ``[N, F]``.

    Args:
        sigma (float): standard deviation of the noise, ``>= 0``; ``0`` returns ``x``
            unchanged. (default: ``0.1``)
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Raises:
        ValueError: if ``sigma`` is negative, NaN or infinite.

    Example:
        >>> aug = NodeFeatureNoise(sigma=0.1, generator=torch.Generator().manual_seed(0))
        >>> x, edge_index, edge_weight = aug(x, edge_index)
    """

    def __init__(self, sigma: float = 0.1, generator: torch.Generator | None = None) -> None:
        super().__init__(generator)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
            raise TypeError(f"sigma must be a number >= 0, got {sigma!r} ({type(sigma).__name__})")
        if not (math.isfinite(sigma) and sigma >= 0):
            raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
        self.sigma = float(sigma)

    def augment(self, g: Graph) -> Graph:
        if self.sigma == 0.0:
            return g
        x = g.x
        device = self.generator.device if self.generator is not None else x.device
        noise = torch.randn(x.shape, generator=self.generator, dtype=x.dtype, device=device)
        return Graph(x + self.sigma * noise.to(x.device), g.edge_index, g.edge_weights)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(sigma={self.sigma})"
