"""The graph container passed between augmenters, encoders and contrast models."""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor


class Graph(NamedTuple):
    """A graph as PyGCL passes it around: ``Graph(x, edge_index, edge_weights)``.

    Shapes:
        x: ``[N, F]`` node features.
        edge_index: ``[2, E]`` (source, target) node ids, PyG convention.
        edge_weights: ``[E]`` or ``None``.

    Example:
        >>> g = Graph(x, edge_index, None)
        >>> x, edge_index, edge_weights = g.unfold()
    """

    x: Tensor
    edge_index: Tensor
    edge_weights: Tensor | None = None

    def unfold(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """Return ``(x, edge_index, edge_weights)``."""
        return self.x, self.edge_index, self.edge_weights

    @property
    def num_nodes(self) -> int:
        return self.x.size(0)
