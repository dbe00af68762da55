"""Interoperability of the augmenters: PyG transforms on ``Data`` and PyGCL's ``Graph`` NamedTuple."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch
import torch_geometric.transforms as T
from torch import Tensor
from torch_geometric.data import Data, HeteroData
from torch_geometric.transforms import BaseTransform

from gclbt_plugin.augmentors import (
    AdaptiveEdgeDropping,
    AdaptiveFeatureMasking,
    Augmentor,
    Compose,
    EdgeDropping,
    FeatureMasking,
    Identity,
    RandomChoice,
)
from gclbt_plugin.functional.dropping import chain_edge_masks
from gclbt_plugin.graph import Graph

# 4-node graph, undirected (both directions), edges listed pairwise: N = 4 != E = 8, so PyG tells
# node-level from edge-level attributes by their size.
EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 2, 3, 0, 2], [1, 0, 2, 1, 3, 2, 2, 0]])
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 0.0, 1.0]])
WEIGHT = (EDGE_INDEX[0] * 10 + EDGE_INDEX[1]).float()  # each weight encodes its edge


class PyGCLGraph(NamedTuple):
    """Stand-in for PyGCL 0.1.2's ``GCL.augmentors.Graph``: the three fields and ``unfold``, nothing else."""

    x: Tensor
    edge_index: Tensor
    edge_weights: Tensor | None

    def unfold(self) -> tuple[Tensor, Tensor, Tensor | None]:
        return self.x, self.edge_index, self.edge_weights


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _data() -> Data:
    """``X``/``EDGE_INDEX`` with edge attributes that encode their edge, node and graph attributes."""
    return Data(
        x=X.clone(),
        edge_index=EDGE_INDEX.clone(),
        edge_weight=WEIGHT.clone(),
        edge_attr=EDGE_INDEX.t().float(),  # [E, 2]: row e is edge e's (source, target)
        y=torch.tensor([0, 1, 0, 1]),
        train_mask=torch.tensor([True, False, True, False]),
        name="toy",
    )


# Every built-in augmenter, built afresh with a seeded generator (same seed -> same draws).
BUILT_INS: dict[str, Callable[[], Augmentor]] = {
    "EdgeDropping": lambda: EdgeDropping(p=0.5, generator=_generator(0)),
    "EdgeDropping-undirected": lambda: EdgeDropping(p=0.5, undirected=True, generator=_generator(1)),
    "FeatureMasking": lambda: FeatureMasking(p=0.5, generator=_generator(2)),
    "AdaptiveEdgeDropping": lambda: AdaptiveEdgeDropping(p=0.5, generator=_generator(3)),
    "AdaptiveEdgeDropping-undirected": lambda: AdaptiveEdgeDropping(
        "pagerank", p=0.5, undirected=True, generator=_generator(4)
    ),
    "AdaptiveFeatureMasking": lambda: AdaptiveFeatureMasking(p=0.5, generator=_generator(5)),
    "Compose": lambda: Compose(
        [EdgeDropping(p=0.3, generator=_generator(6)), FeatureMasking(p=0.3, generator=_generator(7))]
    ),
    "RandomChoice": lambda: RandomChoice(
        [
            EdgeDropping(p=0.4, generator=_generator(8)),
            AdaptiveEdgeDropping(p=0.4, undirected=True, generator=_generator(9)),
            FeatureMasking(p=0.4, generator=_generator(10)),
        ],
        num_choices=2,
        generator=_generator(11),
    ),
    "Identity": Identity,
}


def _assert_same_graph(a: tuple, b: tuple) -> None:
    for u, v in zip(a, b, strict=True):
        assert (u is None and v is None) or torch.equal(u, v)


# ---- PyG: every augmenter is a BaseTransform on Data ---------------------------------------


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_augmentor_is_pyg_base_transform(name):
    assert isinstance(BUILT_INS[name](), BaseTransform)


def test_identity_on_data_returns_new_data_with_same_attributes():
    data = _data()
    out = Identity()(data)
    assert out is not data
    assert sorted(out.keys()) == sorted(data.keys())
    for key in ("x", "edge_index", "edge_weight", "edge_attr", "y", "train_mask"):
        assert out[key] is data[key]
    assert out.name == "toy"


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_augmentor_on_data_gives_same_view_as_tuple_form(name):
    expected = BUILT_INS[name]()(X, EDGE_INDEX, WEIGHT)
    out = BUILT_INS[name]()(_data())
    _assert_same_graph((out.x, out.edge_index, out.edge_weight), expected)


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_augmentor_on_data_leaves_input_unchanged(name):
    data = _data()
    BUILT_INS[name]()(data)
    reference = _data()
    assert sorted(data.keys()) == sorted(reference.keys())
    for key in ("x", "edge_index", "edge_weight", "edge_attr", "y", "train_mask"):
        assert torch.equal(data[key], reference[key])


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_augmentor_on_data_keeps_edge_attributes_aligned_and_other_attributes(name):
    aug = BUILT_INS[name]()
    for _ in range(3):
        out = aug(_data())
        edge_index = out.edge_index
        assert out.edge_attr.tolist() == edge_index.t().float().tolist()
        assert out.edge_weight.tolist() == (edge_index[0] * 10 + edge_index[1]).float().tolist()
        assert out.y.tolist() == [0, 1, 0, 1] and out.train_mask.tolist() == [True, False, True, False]
        assert out.name == "toy"


def test_edge_dropping_on_data_drops_some_edges_and_their_attributes():
    # Guards the alignment test above: edges are actually dropped with these seeds.
    out = EdgeDropping(p=0.5, generator=_generator(0))(_data())
    assert 0 < out.edge_index.size(1) < EDGE_INDEX.size(1)
    assert out.edge_attr.size(0) == out.edge_weight.size(0) == out.edge_index.size(1)


def test_augmentor_on_data_keeps_any_edge_level_attribute_aligned():
    data = _data()
    data.edge_label = torch.arange(8)  # named "edge*", [E]
    data.edge_list = [f"{u}-{v}" for u, v in EDGE_INDEX.t().tolist()]  # a python list of length E
    out = EdgeDropping(p=0.5, generator=_generator(0))(data)
    kept = [EDGE_INDEX.t().tolist().index(edge) for edge in out.edge_index.t().tolist()]
    assert out.edge_label.tolist() == kept
    assert out.edge_list == [f"{u}-{v}" for u, v in out.edge_index.t().tolist()]


def test_augmentor_on_data_without_edge_weight_adds_none():
    data = Data(x=X, edge_index=EDGE_INDEX)
    out = EdgeDropping(p=0.5, generator=_generator(0))(data)
    assert "edge_weight" not in out and out.edge_weight is None


def test_pyg_compose_of_augmenters_matches_chained_tuple_calls():
    transform = T.Compose(
        [
            AdaptiveEdgeDropping(p=0.4, generator=_generator(0)),
            EdgeDropping(p=0.4, undirected=True, generator=_generator(1)),
            FeatureMasking(p=0.5, generator=_generator(2)),
        ]
    )
    data = _data()
    out = transform(data)
    view = AdaptiveEdgeDropping(p=0.4, generator=_generator(0))(X, EDGE_INDEX, WEIGHT)
    view = EdgeDropping(p=0.4, undirected=True, generator=_generator(1))(*view)
    view = FeatureMasking(p=0.5, generator=_generator(2))(*view)
    _assert_same_graph((out.x, out.edge_index, out.edge_weight), view)
    assert out.edge_attr.tolist() == out.edge_index.t().float().tolist()
    assert out is not data and torch.equal(data.edge_index, EDGE_INDEX)


def test_compose_edge_mask_is_that_of_the_whole_chain():
    aug = Compose([EdgeDropping(p=0.3, generator=_generator(s)) for s in range(3)])
    view, edge_mask = aug.augment_with_edge_mask(Graph(X, EDGE_INDEX, WEIGHT))
    assert view.edge_index.tolist() == EDGE_INDEX[:, edge_mask].tolist()
    assert view.edge_weights.tolist() == WEIGHT[edge_mask].tolist()


def test_feature_masking_edge_mask_is_none():
    view, edge_mask = FeatureMasking(p=0.5).augment_with_edge_mask(Graph(X, EDGE_INDEX, None))
    assert edge_mask is None and view.edge_index is EDGE_INDEX


def test_chain_edge_masks_matches_indexing_twice():
    first = torch.tensor([True, False, True, True, False, True])
    then = torch.tensor([False, True, True, False])
    ids = torch.arange(6)
    assert ids[chain_edge_masks(first, then)].tolist() == ids[first][then].tolist() == [2, 3]
    assert chain_edge_masks(None, then) is then and chain_edge_masks(first, None) is first
    assert chain_edge_masks(None, None) is None


class _Reverse(Augmentor):
    """Test double: reverses every edge without declaring an edge mask."""

    def augment(self, g):
        return g._replace(edge_index=g.edge_index.flip(0))


def test_custom_edge_augmenter_on_data_without_other_edge_attributes_works():
    out = _Reverse()(Data(x=X, edge_index=EDGE_INDEX, edge_weight=WEIGHT))
    assert out.edge_index.tolist() == EDGE_INDEX.flip(0).tolist()


def test_custom_edge_augmenter_on_data_with_edge_attr_raises_rather_than_misaligning():
    with pytest.raises(NotImplementedError, match="_Reverse changed the edges .*augment_with_edge_mask"):
        _Reverse()(_data())


def test_augmentor_on_data_without_edge_index_raises():
    with pytest.raises(ValueError, match=r"EdgeDropping needs data.edge_index \[2, E\], got a Data with keys \['x'\]"):
        EdgeDropping(p=0.1)(Data(x=X))


def test_augmentor_on_data_without_features_raises():
    with pytest.raises(TypeError, match="FeatureMasking needs data.x, the .* got NoneType"):
        FeatureMasking(p=0.1)(Data(edge_index=EDGE_INDEX, num_nodes=4))


def test_augmentor_on_data_with_malformed_edge_weight_raises():
    with pytest.raises(ValueError, match=r"edge_weight must have shape \[E\] = \[8\]"):
        EdgeDropping(p=0.1)(Data(x=X, edge_index=EDGE_INDEX, edge_weight=torch.ones(3)))


def test_augmentor_on_hetero_data_raises():
    with pytest.raises(TypeError, match="transforms a torch_geometric.data.Data, got HeteroData"):
        EdgeDropping(p=0.1)(HeteroData())


def test_augmentor_on_data_with_extra_arguments_raises():
    with pytest.raises(TypeError, match="takes no edge_index or edge_weight"):
        EdgeDropping(p=0.1)(_data(), EDGE_INDEX)


def test_augmentor_tuple_call_without_edge_index_raises():
    with pytest.raises(TypeError, match=r"EdgeDropping needs edge_index: call aug\(x, edge_index"):
        EdgeDropping(p=0.1)(X)


# ---- PyGCL: the Graph NamedTuple of exactly (x, edge_index, edge_weights) -------------------


def test_pygcl_stand_in_has_only_the_three_fields():
    # Guards the tests below: the stand-in has no num_nodes, like PyGCL's Graph.
    g = PyGCLGraph(X, EDGE_INDEX, None)
    assert PyGCLGraph._fields == ("x", "edge_index", "edge_weights")
    assert not hasattr(g, "num_nodes")


@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_augmentor_on_pygcl_graph_returns_its_type_with_same_draws_as_on_our_graph(name, weight):
    aug = BUILT_INS[name]()
    theirs = [aug.augment(PyGCLGraph(X, EDGE_INDEX, weight))]
    aug_ours = BUILT_INS[name]()
    ours = [aug_ours.augment(Graph(X, EDGE_INDEX, weight))]
    for _ in range(2):  # later calls draw from the same generators
        theirs.append(aug.augment(PyGCLGraph(X, EDGE_INDEX, weight)))
        ours.append(aug_ours.augment(Graph(X, EDGE_INDEX, weight)))
    for a, b in zip(theirs, ours, strict=True):
        assert type(a) is PyGCLGraph
        _assert_same_graph(a.unfold(), b.unfold())


def test_pygcl_compose_loop_over_augmenters_works_on_its_graph():
    # What GCL.augmentors.Compose.augment does: g = aug.augment(g) for each augmenter.
    augmenters = [
        AdaptiveEdgeDropping(p=0.4, undirected=True, generator=_generator(0)),
        AdaptiveFeatureMasking(p=0.4, generator=_generator(1)),
    ]
    g = PyGCLGraph(X, EDGE_INDEX, WEIGHT)
    for aug in augmenters:
        g = aug.augment(g)
    expected = AdaptiveEdgeDropping(p=0.4, undirected=True, generator=_generator(0))(X, EDGE_INDEX, WEIGHT)
    expected = AdaptiveFeatureMasking(p=0.4, generator=_generator(1))(*expected)
    assert type(g) is PyGCLGraph
    _assert_same_graph(g.unfold(), expected)


@pytest.mark.parametrize("undirected", [False, True])
def test_adaptive_edge_dropping_fitted_on_full_graph_works_on_pygcl_graph(undirected):
    def fitted() -> AdaptiveEdgeDropping:
        aug = AdaptiveEdgeDropping(p=0.5, undirected=undirected, generator=_generator(3))
        aug.fit_full_graph(X, EDGE_INDEX)
        aug.set_subgraph(torch.tensor([0, 1, 2, 3]))
        return aug

    sub_x, sub_edges = X[:3], EDGE_INDEX[:, :4]
    theirs = fitted().augment(PyGCLGraph(sub_x, sub_edges, None))
    ours = fitted().augment(Graph(sub_x, sub_edges, None))
    assert type(theirs) is PyGCLGraph
    _assert_same_graph(theirs.unfold(), ours.unfold())
