"""The graph container passed between augmenters, encoders and contrast models."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, TypeVar

from torch import Tensor


class Graph(NamedTuple):
    """A graph as PyGCL passes it around: ``Graph(x, edge_index, edge_weights)``.

    Augmenters accept any NamedTuple with these three fields (:class:`GraphLike`, e.g. PyGCL's
    own ``GCL.augmentors.Graph``) and return the type they were given; ``num_nodes`` is a
    convenience of this class only, so augmenters use ``g.x.size(0)``.

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


GraphT = TypeVar("GraphT", bound="GraphLike")


class GraphLike(Protocol):
    """What an augmenter may rely on: PyGCL 0.1.2's ``Graph`` NamedTuple contract.

    The three fields ``x`` ``[N, F]``, ``edge_index`` ``[2, E]`` and ``edge_weights`` ``[E]``
    or ``None``, ``unfold()`` returning them, and NamedTuple's ``_replace`` (so a view has the
    type of its input). :class:`Graph` and PyGCL's ``Graph`` both satisfy it.
    """

    @property
    def x(self) -> Tensor: ...

    @property
    def edge_index(self) -> Tensor: ...

    @property
    def edge_weights(self) -> Tensor | None: ...

    def unfold(self) -> tuple[Tensor, Tensor, Tensor | None]: ...

    def _replace(self: GraphT, **kwargs: Any) -> GraphT: ...
