"""The augmentor interface (PyGCL's ``GCL.augmentors.Augmentor``, also a PyG ``BaseTransform``),
``Identity``, ``Compose`` and ``RandomChoice``."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import overload

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.data.data import BaseData
from torch_geometric.transforms import BaseTransform
from torch_geometric.utils import select

from gclbt_plugin._validation import check_graph, check_positive_int
from gclbt_plugin.functional.dropping import chain_edge_masks
from gclbt_plugin.graph import Graph, GraphT


class Augmentor(BaseTransform):
    """Base class of graph augmenters: a random map ``Graph -> Graph``.

    Subclasses implement :meth:`augment`. An augmenter can be called three ways, all with the
    same draws for the same generator state:

    * ``aug(x, edge_index, edge_weight=None) -> (x, edge_index, edge_weight)``, PyGCL's call
      form; the input is validated once.
    * ``aug.augment(g) -> g'`` on PyGCL's ``Graph(x, edge_index, edge_weights)`` NamedTuple or
      ours (:class:`~gclbt_plugin.graph.GraphLike`): only the three fields are used, and the
      view has the type of ``g``. PyGCL's ``GCL.augmentors.Compose`` calls this.
    * ``aug(data) -> data'`` on a ``torch_geometric.data.Data``: a PyG ``BaseTransform``, so it
      composes inside ``torch_geometric.transforms.Compose``; see :meth:`forward`.

    Contract for every subclass: inputs are never modified in place; ``edge_weight`` (if
    given) stays aligned with the kept edges; randomness is drawn from ``self.generator`` when
    one is given, so that the same seed gives the same views. An augmenter that changes the
    edges also overrides :meth:`augment_with_edge_mask` (so a ``Data``'s ``edge_attr`` stays
    aligned); one whose views depend on the whole graph overrides the mini-batch hooks
    :meth:`fit_full_graph`, :meth:`set_subgraph` and :meth:`release_full_graph` (no-ops here).

    Args:
        generator (torch.Generator, optional): source of randomness. (default: ``None``,
            torch's global generator)

    Raises:
        TypeError: if ``generator`` is not a ``torch.Generator`` or None.

    Example:
        >>> aug = EdgeDropping(p=0.2, generator=torch.Generator().manual_seed(0))
        >>> x, edge_index, edge_weight = aug(x, edge_index)   # PyGCL
        >>> view = torch_geometric.transforms.Compose([aug, FeatureMasking(p=0.3)])(data)   # PyG
    """

    #: Whether :meth:`augment` accepts a sparse COO feature matrix (bag-of-words data are fed
    #: sparse when every component of a recipe declares this; see ``gclbt_plugin.experiment``).
    supports_sparse_features: bool = False

    #: Raised by one whenever a change of the code gives other views for the same arguments, so
    #: that results keyed by a configuration (benchmark cells) are not reused across the change
    #: (see :func:`gclbt_plugin.recipes.build.augmenter_revisions`).
    revision: int = 0

    def __init__(self, generator: torch.Generator | None = None) -> None:
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        self.generator = generator

    @abstractmethod
    def augment(self, g: GraphT) -> GraphT:
        """Return an augmented copy of ``g``, of the same NamedTuple type (no validation).

        Only ``g.x``, ``g.edge_index`` and ``g.edge_weights`` may be used (PyGCL's ``Graph``
        has nothing else; the node count is ``g.x.size(0)``).
        """

    def augment_with_edge_mask(self, g: GraphT) -> tuple[GraphT, Tensor | None]:
        """The view :meth:`augment` returns, and which of ``g``'s edges it holds.

        Like PyG's ``dropout_edge``, which returns its mask so that callers index every
        edge-level attribute once; :meth:`forward` indexes a ``Data``'s ``edge_attr`` & co.
        with it. The draws are those of :meth:`augment`. This default suits augmenters that
        leave the edges alone (it returns ``None``); one that changes them overrides it.

        Returns:
            tuple: the view and ``edge_mask``, an ``[E]`` bool tensor with
            ``view.edge_index == g.edge_index[:, edge_mask]`` (and likewise the edge weights),
            or ``None`` when the view's edges are ``g``'s own.

        Raises:
            NotImplementedError: (this default) :meth:`augment` returned other edges, so which
                were kept is unknown.
        """
        view = self.augment(g)
        if view.edge_index is not g.edge_index:
            raise NotImplementedError(
                f"{self.__class__.__name__} changed the edges but does not say which it kept, so "
                "edge-level attributes other than edge_index and edge_weight (e.g. Data.edge_attr) "
                "cannot be kept aligned; override augment_with_edge_mask to return the [E] bool "
                "mask of kept edges, or drop those attributes"
            )
        return view, None

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        """Prepare for training on the full graph ``(x, edge_index)`` or on sub-graphs of it.

        The trainer calls it once on each view's (top-level) augmenter before the first step,
        full-graph training included; mini-batch training then calls :meth:`set_subgraph` before
        every batch; :meth:`release_full_graph` comes at the end. An augmenter whose view depends
        on the whole graph (GCA's centralities) computes that here once, from the training graph,
        not from the view an earlier member of a :class:`Compose` made. This default does
        nothing; :class:`Compose` and :class:`RandomChoice` forward the call to their members.

        Args:
            x (Tensor): ``[N, F]`` full-graph features (dense or sparse COO).
            edge_index (Tensor): ``[2, E]`` full-graph edges.
        """

    def set_subgraph(self, edge_ids: Tensor | None) -> None:
        """Declare that the next graphs are sub-graphs holding the full-graph edges ``edge_ids``.

        Only meaningful after :meth:`fit_full_graph`. This default does nothing.

        Args:
            edge_ids (Tensor, optional): ``[E_batch]`` long ids into the full graph's edges, in
                the order of the sub-graph's ``edge_index`` columns; ``None`` means the full
                graph itself.
        """

    def release_full_graph(self) -> None:
        """Forget the state of :meth:`fit_full_graph`. This default does nothing."""

    @overload
    def __call__(self, x: BaseData) -> BaseData: ...

    @overload
    def __call__(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]: ...

    def __call__(
        self, x: Tensor | BaseData, edge_index: Tensor | None = None, edge_weight: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None] | BaseData:
        """``aug(x, edge_index, edge_weight=None)`` (PyGCL) or ``aug(data)`` (PyG transform).

        Raises:
            TypeError, ValueError: a malformed graph, naming ``x``, ``edge_index`` or
                ``edge_weight``; ``edge_index`` missing, or given together with a ``Data``.
        """
        if isinstance(x, BaseData):
            if edge_index is not None or edge_weight is not None:
                raise TypeError(
                    f"{self.__class__.__name__} called on a {type(x).__name__} takes no edge_index or "
                    "edge_weight (they are read from it): call aug(data) or aug(x, edge_index, edge_weight)"
                )
            return super().__call__(x)  # BaseTransform: forward() on a shallow copy
        if edge_index is None:
            raise TypeError(
                f"{self.__class__.__name__} needs edge_index: call aug(x, edge_index, edge_weight=None) "
                "or aug(data) with a torch_geometric.data.Data"
            )
        check_graph(x, edge_index, edge_weight)
        return self.augment(Graph(x, edge_index, edge_weight)).unfold()

    def forward(self, data: Data) -> Data:
        """Augment ``data`` in place (PyG's transform hook; ``aug(data)`` passes a shallow copy).

        ``data.x``, ``data.edge_index`` and ``data.edge_weight`` (if present) become the view's;
        every other edge-level attribute (PyG's ``Data.is_edge_attr``, e.g. ``edge_attr``, or
        ``edge_label`` of shape ``[E, ...]``) is indexed with the view's edge mask (see
        :meth:`augment_with_edge_mask`); everything else, node-level attributes included, is
        kept as it is. The draws are those of ``aug(x, edge_index, edge_weight)``.

        Args:
            data (Data): ``x`` ``[N, F]``, ``edge_index`` ``[2, E]``, optional ``edge_weight``
                ``[E]``, any other attributes.

        Returns:
            Data: ``data`` with the view's tensors.

        Raises:
            TypeError: ``data`` is not a ``Data`` (a ``HeteroData``, say) or has no tensor ``x``.
            ValueError: ``data`` has no ``edge_index`` (only ``adj_t``, say), or a malformed
                graph (naming ``x``, ``edge_index`` or ``edge_weight``).
            NotImplementedError: the augmenter changes the edges without saying which it kept
                (see :meth:`augment_with_edge_mask`) and ``data`` has other edge-level attributes.
        """
        name = self.__class__.__name__
        if not isinstance(data, Data):
            raise TypeError(f"{name} transforms a torch_geometric.data.Data, got {type(data).__name__}")
        if "edge_index" not in data:
            raise ValueError(
                f"{name} needs data.edge_index [2, E], got a Data with keys {sorted(data.keys())} "
                "(convert adj_t with torch_geometric.utils.to_edge_index first)"
            )
        if not isinstance(data.x, Tensor):
            raise TypeError(f"{name} needs data.x, the [N, F] node features, got {type(data.x).__name__}")
        weighted = data.edge_weight is not None
        check_graph(data.x, data.edge_index, data.edge_weight)
        g = Graph(data.x, data.edge_index, data.edge_weight)
        others = [k for k in data.keys() if k not in ("edge_index", "edge_weight") and data.is_edge_attr(k)]
        if others:
            view, edge_mask = self.augment_with_edge_mask(g)
            if edge_mask is not None:
                for key in others:
                    value = data[key]
                    data[key] = select(value, edge_mask, dim=data.__cat_dim__(key, value))
        else:
            view = self.augment(g)
        data.x = view.x
        data.edge_index = view.edge_index
        if weighted:
            data.edge_weight = view.edge_weights
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Identity(Augmentor):
    """The do-nothing augmenter: returns the graph unchanged (no copy is needed: nothing is modified).

    Example:
        >>> x, edge_index, edge_weight = Identity()(x, edge_index)
    """

    supports_sparse_features = True

    def augment(self, g: GraphT) -> GraphT:
        return g


class _Group(Augmentor):
    """Augmenters made of member augmenters (``self.augmentors``): sparse features are supported when
    every member supports them, and the mini-batch hooks are forwarded to every member."""

    augmentors: list[Augmentor]

    @property
    def supports_sparse_features(self) -> bool:  # type: ignore[override]
        """``True`` when every member accepts a sparse COO ``x``."""
        return all(aug.supports_sparse_features for aug in self.augmentors)

    @property
    def revision(self) -> int:  # type: ignore[override]
        """The highest member revision: the group's views change whenever a member's do (a bump
        takes the member past every revision it had, so the maximum moves with it)."""
        return max((aug.revision for aug in self.augmentors), default=0)

    #: Between :meth:`fit_full_graph` and :meth:`release_full_graph`: the members are fitted, and
    #: :meth:`_chain` tells each which training-graph edges its input holds.
    _fitted: bool = False
    #: The ids :meth:`set_subgraph` gave (``None``: the training graph itself).
    _edge_ids: Tensor | None = None

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        for aug in self.augmentors:
            aug.fit_full_graph(x, edge_index)
        self._fitted, self._edge_ids = True, None

    def set_subgraph(self, edge_ids: Tensor | None) -> None:
        self._edge_ids = edge_ids
        for aug in self.augmentors:
            aug.set_subgraph(edge_ids)

    def release_full_graph(self) -> None:
        self._fitted, self._edge_ids = False, None
        for aug in self.augmentors:
            aug.release_full_graph()

    def _chain(self, augmentors: Sequence[Augmentor], g: GraphT) -> tuple[GraphT, Tensor | None]:
        """Apply ``augmentors`` in order; the view and the edge mask of the whole chain.

        Once fitted, each member first learns (:meth:`set_subgraph`) which training-graph edges its
        input holds: a member after an edge dropper gets fewer edges than it was fitted on, and one
        with per-edge state (GCA's fitted drop probabilities) takes its edges' values by these ids.
        """
        edge_mask, edge_ids = None, self._edge_ids
        for aug in augmentors:
            if self._fitted:
                aug.set_subgraph(edge_ids)
            num_edges = g.edge_index.size(1)
            g, mask = aug.augment_with_edge_mask(g)
            if self._fitted and mask is not None:
                ids = torch.arange(num_edges, device=mask.device) if edge_ids is None else edge_ids.to(mask.device)
                edge_ids = ids[mask]
            edge_mask = chain_edge_masks(edge_mask, mask)
        return g, edge_mask

    def _apply(self, augmentors: Sequence[Augmentor], g: GraphT) -> GraphT:
        """The view of ``augmentors`` applied in order (through :meth:`_chain` once fitted: the
        members then need the edge ids the chain's masks give)."""
        if self._fitted:
            return self._chain(augmentors, g)[0]
        for aug in augmentors:
            g = aug.augment(g)
        return g


class Compose(_Group):
    """Apply ``augmentors`` one after another.

    The edge mask of :meth:`augment_with_edge_mask` is that of the whole chain, sparse features
    are supported when every member supports them, and the mini-batch hooks
    (:meth:`fit_full_graph`, :meth:`set_subgraph`, :meth:`release_full_graph`) are forwarded to
    every member. Once fitted, each member is told which training-graph edges its input holds, so
    that a fitted adaptive dropper may follow another edge dropper.

    Args:
        augmentors (Sequence[Augmentor]): applied in order.

    Raises:
        TypeError: if a member is not an :class:`Augmentor`.

    Example:
        >>> aug = Compose([EdgeDropping(p=0.2), FeatureMasking(p=0.3)])
    """

    def __init__(self, augmentors: Sequence[Augmentor]) -> None:
        super().__init__()
        augmentors = list(augmentors)
        for i, aug in enumerate(augmentors):
            if not isinstance(aug, Augmentor):
                raise TypeError(f"augmentors[{i}] must be an Augmentor, got {type(aug).__name__}")
        self.augmentors = augmentors

    def augment(self, g: GraphT) -> GraphT:
        return self._apply(self.augmentors, g)

    def augment_with_edge_mask(self, g: GraphT) -> tuple[GraphT, Tensor | None]:
        return self._chain(self.augmentors, g)

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.augmentors)
        return f"Compose([{inner}])"


class RandomChoice(_Group):
    """Apply ``num_choices`` augmenters drawn without replacement from ``augmentors``, in random order.

    The mini-batch hooks are forwarded to every candidate.

    Args:
        augmentors (Sequence[Augmentor]): the candidates.
        num_choices (int): how many to apply per call, ``1 <= num_choices <= len(augmentors)``.
        generator (torch.Generator, optional): source of the choice. (default: ``None``)

    Raises:
        TypeError: if a candidate is not an :class:`Augmentor`.
        ValueError: if ``num_choices`` is outside ``[1, len(augmentors)]``.

    Example:
        >>> aug = RandomChoice([EdgeDropping(p=0.2), FeatureMasking(p=0.3)], num_choices=1)
    """

    def __init__(
        self,
        augmentors: Sequence[Augmentor],
        num_choices: int,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(generator)
        self.augmentors = Compose(augmentors).augmentors
        check_positive_int("num_choices", num_choices)
        if num_choices > len(self.augmentors):
            raise ValueError(
                f"num_choices must be in [1, {len(self.augmentors)}] (the number of augmentors), "
                f"got {num_choices}"
            )
        self.num_choices = num_choices

    def _choose(self) -> list[Augmentor]:
        """The augmenters to apply this call, in order (one ``randperm`` draw)."""
        device = self.generator.device if self.generator is not None else "cpu"
        order = torch.randperm(len(self.augmentors), generator=self.generator, device=device)
        return [self.augmentors[i] for i in order[: self.num_choices].tolist()]

    def augment(self, g: GraphT) -> GraphT:
        return self._apply(self._choose(), g)

    def augment_with_edge_mask(self, g: GraphT) -> tuple[GraphT, Tensor | None]:
        return self._chain(self._choose(), g)

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.augmentors)
        return f"RandomChoice([{inner}], num_choices={self.num_choices})"
