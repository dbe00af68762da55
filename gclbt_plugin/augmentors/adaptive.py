"""GCA's adaptive augmenters: centrality-aware edge dropping and feature masking."""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import Tensor

from gclbt_plugin._validation import (
    check_choice,
    check_edge_index,
    check_features,
    check_probability,
    tensor_identity,
)
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.functional.adaptive import (
    AGGREGATIONS,
    edge_drop_probability,
    feature_mask_probability,
)
from gclbt_plugin.functional.centrality import CENTRALITIES, node_centrality
from gclbt_plugin.functional.dropping import (
    apply_edge_mask,
    edge_pairs,
    keep_mask,
    mask_features,
    pair_drop_probability,
    undirected_keep_mask,
)
from gclbt_plugin.graph import GraphLike, GraphT


class _GraphCache:
    """One-entry cache of what was computed from some input tensors.

    An entry is reused only for the very same tensor objects (held by weak reference, so the
    cache keeps nothing alive) with unchanged data pointer, shape, dtype, device and version
    counter: any in-place edit bumps ``_version`` and invalidates the entry.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._refs: tuple[weakref.ref, ...] = ()
        self._key: tuple | None = None
        self._value: Any = None

    def get(self, tensors: tuple[Tensor, ...], extra: tuple = ()) -> Any:
        key = tuple(tensor_identity(t) for t in tensors) + extra
        if self._key != key or len(self._refs) != len(tensors):
            return None
        if any(ref() is not t for ref, t in zip(self._refs, tensors, strict=True)):
            return None
        return self._value

    def put(self, tensors: tuple[Tensor, ...], extra: tuple, value: Any) -> Any:
        self._refs = tuple(weakref.ref(t) for t in tensors)
        self._key = tuple(tensor_identity(t) for t in tensors) + extra
        self._value = value
        return value


class _Adaptive(Augmentor):
    """Shared constructor checks and caching of the adaptive augmenters."""

    supports_sparse_features = True
    # 1: training fits the probabilities on the training graph, full-graph training too (before
    # 2026-12-04 a chain's feature masker recomputed them on the edge-dropped view at every step;
    # the edge dropper's draws did not change, but both are bumped: cells of 9c60055 carry both).
    revision = 1

    def __init__(
        self, centrality: str, p: float, threshold: float, generator: torch.Generator | None
    ) -> None:
        super().__init__(generator)
        self.centrality = check_choice("centrality", centrality, CENTRALITIES)
        self.p = check_probability("p", p)
        self.threshold = check_probability("threshold", threshold)
        self._cache = _GraphCache()
        self._full_graph: Tensor | None = None
        self._edge_ids: Tensor | None = None

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        """Compute the probabilities once on the training graph (full-graph and mini-batch training).

        Until :meth:`release_full_graph`, :meth:`augment` uses these probabilities: per-dimension
        feature probabilities for every graph it is given (also a view whose edges an earlier
        member dropped: GCA's importances are the training graph's); per-edge probabilities for
        the fitted graph itself, or indexed by the edge ids set with :meth:`set_subgraph` for
        sampled sub-graphs (a graph of another size without them is an error).

        Args:
            x (Tensor): ``[N, F]`` full-graph features (dense or sparse COO).
            edge_index (Tensor): ``[2, E]`` full-graph edges.
        """
        raise NotImplementedError  # pragma: no cover - both subclasses override it

    def set_subgraph(self, edge_ids: Tensor | None) -> None:
        """Declare that the next graphs are sub-graphs holding the full-graph edges ``edge_ids``.

        Args:
            edge_ids (Tensor, optional): ``[E_batch]`` long ids into the full graph's edges, in
                the order of the sub-graph's ``edge_index`` columns; ``None`` means the full
                graph itself.
        """
        self._edge_ids = edge_ids

    def release_full_graph(self) -> None:
        """Forget the state of :meth:`fit_full_graph`; :meth:`augment` works per input graph again."""
        self._full_graph = None
        self._edge_ids = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_cache"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache = _GraphCache()


class AdaptiveEdgeDropping(_Adaptive):
    """Drop edges with GCA's centrality-aware probabilities: unimportant edges more often.

    Zhu et al., "Graph Contrastive Learning with Adaptive Augmentation" (GCA, WWW 2021), Eq. (3):
    with ``s_e = log(phi_c(v))`` (``v`` the edge's sink node, as in GCA's code; see
    ``aggregation``), every edge is dropped independently with

        ``p_e = min((s_max - s_e) / (s_max - mean(s)) * p, threshold)``.

    Centralities ``phi_c`` (degree on the undirected graph, PageRank, eigenvector; see
    :mod:`gclbt_plugin.functional.centrality`) and the probabilities are computed once per graph
    and cached (keyed on the ``edge_index`` tensor's identity and version, so in-place edits
    invalidate it); a call then costs one uniform draw per edge plus indexing. Degenerate graphs
    (isolated nodes, no edges, disconnected) give finite probabilities in ``[0, threshold]`` (see
    :func:`gclbt_plugin.functional.adaptive.importance_to_probability`).

    Mini-batch training: :meth:`fit_full_graph` computes the probabilities once on the full
    graph; each sampled sub-graph then uses ``probability[edge_ids]`` for the full-graph edge ids
    given to :meth:`set_subgraph` (see :mod:`gclbt_plugin.training.minibatch`).

    Shapes:
        ``x: [N, F]``, ``edge_index: [2, E] -> [2, E']``, ``edge_weight: [E] -> [E']``.

    Args:
        centrality (str, optional): ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
            (default: ``"degree"``)
        p (float, optional): mean drop probability (the paper's ``p_e``), in ``[0, 1]``; ``0`` is
            the identity. (default: ``0.3``)
        threshold (float, optional): cap ``p_tau`` on every probability, in ``[0, 1]``.
            (default: ``0.7``)
        aggregation (str, optional): edge importance from the ``"sink"`` (``edge_index[1]``),
            the ``"source"``, or the ``"mean"`` of both endpoints' log-centralities.
            (default: ``"sink"``)
        undirected (bool, optional): one draw per unordered pair ``{u, v}``, both directions kept
            or dropped together, with the mean of the two directions' probabilities.
            (default: ``False``)
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Raises:
        ValueError: for ``p``/``threshold`` outside ``[0, 1]`` or an unknown ``centrality`` /
            ``aggregation``.
        TypeError: if ``undirected`` is not a bool or ``generator`` not a ``torch.Generator``.

    Example:
        >>> aug = AdaptiveEdgeDropping("pagerank", p=0.3, threshold=0.7)
        >>> x, edge_index, edge_weight = aug(x, edge_index, edge_weight)
    """

    #: ``_state`` of the graph :meth:`fit_full_graph` was given (a class default: older pickles lack it).
    _fitted_state: tuple[Tensor, Tensor | None, int] | None = None

    def __init__(
        self,
        centrality: str = "degree",
        p: float = 0.3,
        threshold: float = 0.7,
        aggregation: str = "sink",
        undirected: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(centrality, p, threshold, generator)
        self.aggregation = check_choice("aggregation", aggregation, AGGREGATIONS)
        if not isinstance(undirected, bool):
            raise TypeError(f"undirected must be a bool, got {undirected!r}")
        self.undirected = undirected

    def _state(self, edge_index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor | None, int]:
        """``(probability, pair, num_pairs)``: per-edge (or per-pair) probabilities, cached."""
        state = self._cache.get((edge_index,), (num_nodes,))
        if state is not None:
            return state
        check_edge_index(edge_index, num_nodes)
        centrality = node_centrality(self.centrality, edge_index, num_nodes)
        probability = edge_drop_probability(
            edge_index, centrality, self.p, self.threshold, self.aggregation
        )
        if self.undirected:
            pair, num_pairs = edge_pairs(edge_index, num_nodes)
            state = (pair_drop_probability(probability, pair, num_pairs), pair, num_pairs)
        else:
            state = (probability, None, probability.numel())
        return self._cache.put((edge_index,), (num_nodes,), state)

    def drop_probability(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """Each edge's ``[E]`` float32 drop probability (pair-averaged if undirected), cached.

        Raises:
            TypeError, ValueError: ``edge_index`` is not an integer ``[2, E]`` tensor with ids in
                ``[0, num_nodes)`` (checked once per graph).
        """
        probability, pair, _ = self._state(edge_index, num_nodes)
        return probability if pair is None else probability[pair]

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        # the training graph's state, kept: its undirected pairs serve every graph without edge ids
        self._fitted_state = self._state(edge_index, x.size(0))
        self._full_graph = self.drop_probability(edge_index, x.size(0))
        self._edge_ids = None

    def release_full_graph(self) -> None:
        super().release_full_graph()
        self._fitted_state = None

    def _subgraph_keep_mask(self, g: GraphLike) -> Tensor:
        probability = self._full_graph
        if self._edge_ids is not None:
            probability = probability[self._edge_ids.to(probability.device)]
        if probability.numel() != g.edge_index.size(1):
            given = (
                f"it was fitted on a graph of {probability.numel()} edges" if self._edge_ids is None
                else f"set_subgraph gave {probability.numel()} edge ids"
            )
            raise ValueError(
                f"{self.__class__.__name__} was fitted on a full graph; the graph to augment has "
                f"{g.edge_index.size(1)} edges but {given} (call set_subgraph(edge_ids) with the "
                "graph's full-graph edge ids, or release_full_graph())"
            )
        if not self.undirected:
            return keep_mask(probability, probability.numel(), probability.device, self.generator)
        if self._edge_ids is None:  # the training graph itself: the pairs found when fitting
            pair_probability, pair, num_pairs = self._fitted_state
            return undirected_keep_mask(pair_probability, pair, num_pairs, self.generator)
        pair, num_pairs = edge_pairs(g.edge_index, g.x.size(0))
        return undirected_keep_mask(
            pair_drop_probability(probability, pair, num_pairs), pair, num_pairs, self.generator
        )

    def augment(self, g: GraphT) -> GraphT:
        return self.augment_with_edge_mask(g)[0]

    def augment_with_edge_mask(self, g: GraphT) -> tuple[GraphT, Tensor]:
        """The view and its ``[E]`` bool keep mask (see :meth:`Augmentor.augment_with_edge_mask`)."""
        if self._full_graph is not None:
            keep = self._subgraph_keep_mask(g)
        else:
            probability, pair, num_pairs = self._state(g.edge_index, g.x.size(0))
            if pair is None:
                keep = keep_mask(probability, num_pairs, probability.device, self.generator)
            else:
                keep = undirected_keep_mask(probability, pair, num_pairs, self.generator)
        edge_index, edge_weight = apply_edge_mask(g.edge_index, g.edge_weights, keep)
        return g._replace(edge_index=edge_index, edge_weights=edge_weight), keep

    def __repr__(self) -> str:
        extra = "" if self.aggregation == "sink" else f", aggregation={self.aggregation!r}"
        extra += ", undirected=True" if self.undirected else ""
        return (
            f"{self.__class__.__name__}(centrality={self.centrality!r}, p={self.p}, "
            f"threshold={self.threshold}{extra})"
        )


class AdaptiveFeatureMasking(_Adaptive):
    """Mask feature dimensions with GCA's centrality-aware probabilities.

    Zhu et al., "Graph Contrastive Learning with Adaptive Augmentation" (GCA, WWW 2021), Eq. (5):
    a dimension's importance is ``w_j = sum_i t(x_ij) * phi_c(i)`` (``t`` binarises or takes
    ``|x|``, see ``dense``; ``phi_c`` the raw node centrality), ``s_j = log(w_j)``, and column
    ``j`` is zeroed for every node with probability

        ``p_j = min((s_max - s_j) / (s_max - mean(s)) * p, threshold)``.

    A dimension with ``w_j = 0`` is the least important (highest, still truncated, probability).
    Probabilities are computed once per graph and cached (keyed on the identity and version of
    ``x`` and ``edge_index``); a call costs one uniform draw per dimension plus the masking. A
    sparse COO ``x`` is supported (importance and masking) and gives a sparse result.

    Shapes:
        ``x: [N, F] -> [N, F]``, ``edge_index: [2, E]``, ``edge_weight: [E]``.

    Args:
        centrality (str, optional): ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
            (default: ``"degree"``)
        p (float, optional): mean mask probability (the paper's ``p_f``), in ``[0, 1]``; ``0`` is
            the identity. (default: ``0.3``)
        threshold (float, optional): cap ``p_tau`` on every probability, in ``[0, 1]``.
            (default: ``0.7``)
        dense (bool, optional): ``True``: ``t(x) = |x|`` (GCA's ``feature_drop_weights_dense``,
            used for WikiCS); ``False``: ``t(x) = [x != 0]`` (GCA's ``feature_drop_weights`` for
            bag-of-words); ``None``: binarised for a sparse-layout ``x``, ``|x|`` for a dense one
            (identical for binary features). (default: ``None``)
        generator (torch.Generator, optional): source of randomness. (default: ``None``)

    Raises:
        ValueError: for ``p``/``threshold`` outside ``[0, 1]`` or an unknown ``centrality``.
        TypeError: if ``dense`` is not a bool or None, or ``generator`` not a ``torch.Generator``.

    Example:
        >>> aug = AdaptiveFeatureMasking("degree", p=0.3, threshold=0.7)
        >>> x, edge_index, edge_weight = aug(x, edge_index)
    """

    def __init__(
        self,
        centrality: str = "degree",
        p: float = 0.3,
        threshold: float = 0.7,
        dense: bool | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(centrality, p, threshold, generator)
        if dense is not None and not isinstance(dense, bool):
            raise TypeError(f"dense must be True, False or None, got {dense!r}")
        self.dense = dense

    def mask_probability(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """The ``[F]`` float32 probability that each feature dimension is masked (cached).

        Raises:
            TypeError, ValueError: ``x`` is not a 2-D ``[N, F]`` tensor without NaN, or
                ``edge_index`` not an integer ``[2, E]`` tensor with ids in ``[0, N)`` (checked
                once per graph).
        """
        probability = self._cache.get((x, edge_index))
        if probability is not None:
            return probability
        check_features(x)
        check_edge_index(edge_index, x.size(0))
        centrality = node_centrality(self.centrality, edge_index, x.size(0))
        probability = feature_mask_probability(x, centrality, self.p, self.threshold, self.dense)
        return self._cache.put((x, edge_index), (), probability)

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        self._full_graph = self.mask_probability(x, edge_index)
        self._edge_ids = None

    def augment(self, g: GraphT) -> GraphT:
        if self._full_graph is not None:
            probability = self._full_graph
        else:
            probability = self.mask_probability(g.x, g.edge_index)
        masked = ~keep_mask(probability, probability.numel(), probability.device, self.generator)
        return g._replace(x=mask_features(g.x, masked))

    def __repr__(self) -> str:
        extra = "" if self.dense is None else f", dense={self.dense}"
        return (
            f"{self.__class__.__name__}(centrality={self.centrality!r}, p={self.p}, "
            f"threshold={self.threshold}{extra})"
        )
