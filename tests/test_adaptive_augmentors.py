"""AdaptiveEdgeDropping / AdaptiveFeatureMasking against GCA's formulas and degenerate graphs."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from torch_geometric.utils import coalesce, degree, to_undirected

import gclbt_plugin.augmentors.adaptive as adaptive_module
from gclbt_plugin.augmentors import AdaptiveEdgeDropping, AdaptiveFeatureMasking
from gclbt_plugin.functional.adaptive import importance_to_probability

CENTRALITIES = ["degree", "pagerank", "eigenvector"]

# Connected 6-node graph: undirected part (both directions) plus one-way edges 4 -> 5 -> 0.
EDGES = [
    (0, 1),
    (1, 0),
    (0, 2),
    (2, 0),
    (0, 3),
    (3, 0),
    (1, 2),
    (2, 1),
    (3, 4),
    (4, 3),
    (4, 5),
    (5, 0),
]
NUM_NODES = 6
EDGE_INDEX = torch.tensor(EDGES).t().contiguous()
X = torch.tensor(
    [
        [1.0, 0.0, 2.0, 0.0, -1.0],
        [0.0, 3.0, 1.0, 0.0, 0.5],
        [1.0, 1.0, 0.0, 2.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0],
        [4.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0, 0.0, 0.0],
    ]
)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- independent references (plain python / numpy) ----------------------------------------


def _reference_centrality(name: str, edges: list[tuple[int, int]], n: int) -> list[float]:
    if name == "degree":
        neighbours: list[set[int]] = [set() for _ in range(n)]
        for u, v in edges:
            neighbours[u].add(v)
            neighbours[v].add(u)
        return [float(len(s)) for s in neighbours]
    if name == "pagerank":
        transition = np.zeros((n, n))
        for u, v in edges:
            transition[u, v] += 1.0
        for u in range(n):
            total = transition[u].sum()
            transition[u] = transition[u] / total if total else 1.0 / n
        return list(np.linalg.solve(np.eye(n) - 0.85 * transition.T, np.full(n, 0.15 / n)))
    adjacency = np.zeros((n, n))  # eigenvector, connected graph only
    for u, v in edges:
        adjacency[u, v] = adjacency[v, u] = 1.0
    values, vectors = np.linalg.eigh(adjacency)
    leading = np.abs(vectors[:, np.argmax(values)])
    return list(leading / np.linalg.norm(leading))


def _reference_probabilities(s: list[float], p: float, threshold: float) -> list[float]:
    s_max, s_mean = max(s), sum(s) / len(s)
    return [min((s_max - v) / (s_max - s_mean) * p, threshold) for v in s]


def _reference_edge_probabilities(name, aggregation, p, threshold) -> list[float]:
    c = _reference_centrality(name, EDGES, NUM_NODES)
    s = []
    for u, v in EDGES:
        s.append(
            {
                "sink": math.log(c[v]),
                "source": math.log(c[u]),
                "mean": 0.5 * (math.log(c[u]) + math.log(c[v])),
            }[aggregation]
        )
    return _reference_probabilities(s, p, threshold)


def _reference_feature_probabilities(x, name, binarise, p, threshold) -> list[float]:
    c = _reference_centrality(name, EDGES, NUM_NODES)
    rows = x.tolist()
    w = []
    for j in range(len(rows[0])):
        total = 0.0
        for i, row in enumerate(rows):
            total += (1.0 if row[j] != 0 else 0.0) * c[i] if binarise else abs(row[j]) * c[i]
        w.append(math.log(total))
    return _reference_probabilities(w, p, threshold)


# GCA's own code (CRIPAC-DIG/GCA, pGRACE/functional.py), copied as an oracle for the degree case.
def _gca_degree_drop_weights(edge_index):
    edge_index_ = to_undirected(edge_index)
    deg = degree(edge_index_[1])
    deg_col = deg[edge_index[1]].to(torch.float32)
    s_col = torch.log(deg_col)
    weights = (s_col.max() - s_col) / (s_col.max() - s_col.mean())
    return weights


def _gca_feature_drop_weights(x, node_c):
    x = x.to(torch.bool).to(torch.float32)
    w = x.t() @ node_c
    w = w.log()
    s = (w.max() - w) / (w.max() - w.mean())
    return s


def _gca_truncate(w, p, threshold):
    w = w / w.mean() * p
    return w.where(w < threshold, torch.ones_like(w) * threshold)


def _random_graph(num_nodes: int, num_pairs: int, seed: int) -> torch.Tensor:
    g = _generator(seed)
    source = torch.randint(0, num_nodes, (num_pairs,), generator=g)
    target = torch.randint(0, num_nodes, (num_pairs,), generator=g)
    keep = source != target
    source, target = source[keep], target[keep]
    edge_index = torch.stack([torch.cat([source, target]), torch.cat([target, source])])
    return coalesce(edge_index, num_nodes=num_nodes)  # no duplicate edges


# ---- formulas ----------------------------------------------------------------------------


@pytest.mark.parametrize("aggregation", ["sink", "source", "mean"])
@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_edge_dropping_probabilities_match_gca_formula(centrality, aggregation):
    aug = AdaptiveEdgeDropping(centrality, p=0.4, threshold=0.7, aggregation=aggregation)
    result = aug.drop_probability(EDGE_INDEX, NUM_NODES)
    expected = _reference_edge_probabilities(centrality, aggregation, 0.4, 0.7)
    assert result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=0, atol=1e-6)


def test_adaptive_edge_dropping_degree_matches_gca_code():
    result = AdaptiveEdgeDropping("degree", p=0.3, threshold=0.5).drop_probability(EDGE_INDEX, 6)
    expected = _gca_truncate(_gca_degree_drop_weights(EDGE_INDEX), 0.3, 0.5)
    assert torch.allclose(result, expected, atol=1e-6)


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_feature_masking_probabilities_match_gca_formula(centrality, dense):
    aug = AdaptiveFeatureMasking(centrality, p=0.4, threshold=0.7, dense=dense)
    result = aug.mask_probability(X, EDGE_INDEX)
    expected = _reference_feature_probabilities(X, centrality, not dense, 0.4, 0.7)
    assert result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=0, atol=1e-6)


def test_adaptive_feature_masking_degree_matches_gca_code():
    aug = AdaptiveFeatureMasking("degree", p=0.3, threshold=0.7, dense=False)
    node_deg = degree(to_undirected(EDGE_INDEX)[1])
    expected = _gca_truncate(_gca_feature_drop_weights(X, node_deg), 0.3, 0.7)
    assert torch.allclose(aug.mask_probability(X, EDGE_INDEX), expected, atol=1e-6)


@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_feature_masking_sparse_x_gives_binarised_probabilities(centrality):
    sparse = AdaptiveFeatureMasking(centrality).mask_probability(X.to_sparse(), EDGE_INDEX)
    binarised = AdaptiveFeatureMasking(centrality, dense=False).mask_probability(X, EDGE_INDEX)
    assert torch.allclose(sparse, binarised, atol=1e-7)


def test_adaptive_feature_masking_dense_x_defaults_to_absolute_values():
    auto = AdaptiveFeatureMasking("degree").mask_probability(X, EDGE_INDEX)
    absolute = AdaptiveFeatureMasking("degree", dense=True).mask_probability(X, EDGE_INDEX)
    binarised = AdaptiveFeatureMasking("degree", dense=False).mask_probability(X, EDGE_INDEX)
    assert torch.equal(auto, absolute)
    assert not torch.allclose(auto, binarised)  # X is not binary, so the choice matters


def test_adaptive_edge_dropping_undirected_pair_probability_is_mean_of_directions():
    aug = AdaptiveEdgeDropping("pagerank", p=0.4, aggregation="sink", undirected=True)
    directed = _reference_edge_probabilities("pagerank", "sink", 0.4, 0.7)
    by_pair: dict[frozenset, list[float]] = {}
    for (u, v), prob in zip(EDGES, directed, strict=True):
        by_pair.setdefault(frozenset((u, v)), []).append(prob)
    expected = [sum(by_pair[frozenset(e)]) / len(by_pair[frozenset(e)]) for e in EDGES]
    np.testing.assert_allclose(aug.drop_probability(EDGE_INDEX, 6).numpy(), expected, atol=1e-6)


# ---- statistics --------------------------------------------------------------------------


@pytest.mark.parametrize("centrality", ["degree", "pagerank"])
def test_adaptive_edge_dropping_drop_rate_matches_each_probability_class(centrality):
    num_nodes, draws = 300, 200
    edge_index = _random_graph(num_nodes, 1500, seed=0)
    x = torch.zeros(num_nodes, 1)
    aug = AdaptiveEdgeDropping(centrality, p=0.3, threshold=0.6, generator=_generator(1))
    probability = aug.drop_probability(edge_index, num_nodes)
    code = edge_index[0] * num_nodes + edge_index[1]
    dropped = torch.zeros(edge_index.size(1))
    for _ in range(draws):
        kept = aug(x, edge_index)[1]
        dropped += ~torch.isin(code, kept[0] * num_nodes + kept[1])
    # Group edges into classes of (nearly) equal probability, test each class's rate.
    classes = torch.round(probability * 20).long()
    assert classes.unique().numel() >= 5
    for cls in classes.unique():
        members = classes == cls
        trials = int(members.sum()) * draws
        expected = probability[members].double().mean().item()
        rate = dropped[members].sum().item() / trials
        sd = math.sqrt(max(expected * (1 - expected), 1e-12) / trials)
        assert abs(rate - expected) <= 5 * sd + 1e-12, (cls, rate, expected)  # 5 binomial sd


def test_adaptive_feature_masking_mask_rate_matches_each_probability_class():
    num_nodes, num_features, draws = 60, 400, 300
    density = torch.linspace(0.02, 0.5, num_features)
    x = (torch.rand(num_nodes, num_features, generator=_generator(0)) < density).float()
    x[0] = 1.0  # every column has a non-zero entry in row 0, so masking is visible there
    edge_index = _random_graph(num_nodes, 150, seed=2)
    aug = AdaptiveFeatureMasking("degree", p=0.3, threshold=0.7, generator=_generator(3))
    probability = aug.mask_probability(x, edge_index)
    masked = torch.zeros(num_features)
    for _ in range(draws):
        masked += (aug(x, edge_index)[0][0] == 0).float()
    # Group dimensions into classes of similar probability, test each class's rate.
    classes = torch.round(probability * 10).long()
    assert classes.unique().numel() >= 4
    for cls in classes.unique():
        members = classes == cls
        trials = int(members.sum()) * draws
        expected = probability[members].double().mean().item()
        rate = masked[members].sum().item() / trials
        sd = math.sqrt(max(expected * (1 - expected), 1e-12) / trials)
        assert abs(rate - expected) <= 5 * sd + 1e-12, (cls, rate, expected)  # 5 binomial sd


# ---- degenerate inputs ---------------------------------------------------------------------

DEGENERATE = {
    "isolated_nodes": (torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 5),
    "node_without_in_edges": (torch.tensor([[3, 0, 1, 2], [0, 1, 2, 0]]), 4),
    "disconnected": (torch.tensor([[0, 1, 2, 3, 3, 4], [1, 0, 3, 2, 4, 3]]), 6),
    "no_edges": (torch.empty(2, 0, dtype=torch.long), 4),
    "star": (torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]]), 4),
}


@pytest.mark.parametrize("graph", sorted(DEGENERATE))
@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_edge_dropping_degenerate_graphs_give_finite_capped_probabilities(
    centrality, graph
):
    edge_index, num_nodes = DEGENERATE[graph]
    aug = AdaptiveEdgeDropping(centrality, p=0.9, threshold=0.6, undirected=graph == "star")
    probability = aug.drop_probability(edge_index, num_nodes)
    assert probability.shape == (edge_index.size(1),)
    assert bool(torch.isfinite(probability).all())
    assert bool(((probability >= 0) & (probability <= 0.6)).all())
    aug(torch.ones(num_nodes, 2), edge_index)


@pytest.mark.parametrize("graph", sorted(DEGENERATE))
@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_feature_masking_degenerate_graphs_give_finite_capped_probabilities(
    centrality, graph
):
    edge_index, num_nodes = DEGENERATE[graph]
    x = torch.zeros(num_nodes, 4)
    x[0, 0], x[num_nodes - 1, 1], x[:, 3] = 1.0, 2.0, 1.0  # column 2 is all zero
    probability = AdaptiveFeatureMasking(centrality, p=0.9, threshold=0.6).mask_probability(
        x, edge_index
    )
    assert bool(torch.isfinite(probability).all())
    assert bool(((probability >= 0) & (probability <= 0.6)).all())


def test_adaptive_feature_masking_zero_column_is_least_important():
    x = X.clone()
    x[:, 3] = 0.0
    probability = AdaptiveFeatureMasking("degree", p=0.2, threshold=1.0).mask_probability(
        x, EDGE_INDEX
    )
    assert bool(torch.isfinite(probability).all())
    assert probability[3].item() == probability.max().item()
    # It ties with the least important non-zero column: -inf becomes the smallest finite log.
    others = torch.cat([probability[:3], probability[4:]])
    assert probability[3].item() == pytest.approx(others.max().item())


def test_adaptive_edge_dropping_equal_importances_give_p():
    cycle = torch.tensor([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])  # all degree 2
    for centrality in CENTRALITIES:
        probability = AdaptiveEdgeDropping(centrality, p=0.25).drop_probability(cycle, 4)
        assert torch.allclose(probability, torch.full((8,), 0.25)), centrality


def test_importance_to_probability_replaces_minus_infinity_by_smallest_finite():
    s = torch.tensor([-math.inf, 0.0, 1.0, 2.0], dtype=torch.float64)
    expected = _reference_probabilities([0.0, 0.0, 1.0, 2.0], 0.3, 0.7)
    assert torch.allclose(
        importance_to_probability(s, 0.3, 0.7).double(),
        torch.tensor(expected, dtype=torch.float64),
        atol=1e-7,
    )


def test_importance_to_probability_all_zero_importance_gives_p():
    s = torch.full((3,), -math.inf, dtype=torch.float64)
    assert importance_to_probability(s, 0.3, 0.7).tolist() == pytest.approx([0.3] * 3)


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.35])
def test_adaptive_probabilities_never_exceed_threshold(threshold):
    edge = AdaptiveEdgeDropping("degree", p=1.0, threshold=threshold)
    feature = AdaptiveFeatureMasking("degree", p=1.0, threshold=threshold)
    edge_probability = edge.drop_probability(EDGE_INDEX, NUM_NODES)
    feature_probability = feature.mask_probability(X, EDGE_INDEX)
    for probability in (edge_probability, feature_probability):
        assert probability.max().item() == pytest.approx(threshold)  # the cap is reached
        assert bool((probability <= threshold).all())


# ---- augmenter contract ------------------------------------------------------------------


@pytest.mark.parametrize("centrality", CENTRALITIES)
def test_adaptive_augmentors_p_zero_is_identity(centrality):
    weight = torch.arange(12, dtype=torch.float)
    edge_aug = AdaptiveEdgeDropping(centrality, p=0.0, generator=_generator(0))
    feature_aug = AdaptiveFeatureMasking(centrality, p=0.0, generator=_generator(0))
    x, edge_index, edge_weight = edge_aug(X, EDGE_INDEX, weight)
    assert edge_index.tolist() == EDGE_INDEX.tolist() and edge_weight.tolist() == weight.tolist()
    x, edge_index, _ = feature_aug(X, EDGE_INDEX)
    assert x.tolist() == X.tolist()


def test_adaptive_edge_dropping_keeps_edge_weight_aligned():
    weight = (EDGE_INDEX[0] * 10 + EDGE_INDEX[1]).float()
    aug = AdaptiveEdgeDropping("degree", p=0.6, generator=_generator(0))
    for _ in range(5):
        _, edge_index, edge_weight = aug(X, EDGE_INDEX, weight)
        assert edge_weight.tolist() == (edge_index[0] * 10 + edge_index[1]).float().tolist()


def test_adaptive_edge_dropping_undirected_keeps_both_directions_or_neither():
    edge_index = _random_graph(40, 150, seed=4)
    aug = AdaptiveEdgeDropping("degree", p=0.5, undirected=True, generator=_generator(0))
    for _ in range(10):
        kept = set(map(tuple, aug(torch.ones(40, 1), edge_index)[1].t().tolist()))
        assert all((v, u) in kept for u, v in kept)
        assert 0 < len(kept) < edge_index.size(1)


def test_adaptive_feature_masking_sparse_x_matches_dense_masking():
    binary = (X != 0).float()
    for seed in range(5):
        dense = AdaptiveFeatureMasking(p=0.5, generator=_generator(seed))(binary, EDGE_INDEX)[0]
        sparse = AdaptiveFeatureMasking(p=0.5, generator=_generator(seed))(
            binary.to_sparse(), EDGE_INDEX
        )[0]
        assert sparse.is_sparse
        assert torch.equal(sparse.to_dense(), dense)


def test_adaptive_augmentors_leave_inputs_unchanged():
    x, sparse, edge_index, weight = X.clone(), X.to_sparse(), EDGE_INDEX.clone(), torch.rand(12)
    weight_before = weight.clone()
    AdaptiveEdgeDropping("pagerank", p=0.9, undirected=True)(x, edge_index, weight)
    AdaptiveFeatureMasking("eigenvector", p=0.9)(x, edge_index, weight)
    AdaptiveFeatureMasking("degree", p=0.9)(sparse, edge_index)
    assert torch.equal(x, X) and torch.equal(edge_index, EDGE_INDEX)
    assert torch.equal(weight, weight_before) and torch.equal(sparse.to_dense(), X)


@pytest.mark.parametrize("cls", [AdaptiveEdgeDropping, AdaptiveFeatureMasking])
def test_adaptive_augmentors_same_seed_gives_same_views_other_seed_differs(cls):
    x, edge_index = torch.ones(40, 64), _random_graph(40, 150, seed=4)
    views = [cls(p=0.5, generator=_generator(seed))(x, edge_index) for seed in (7, 7, 8)]
    index = 1 if cls is AdaptiveEdgeDropping else 0
    assert torch.equal(views[0][index], views[1][index])
    assert not torch.equal(views[0][index], views[2][index])


def _count_centrality_calls(monkeypatch) -> list[int]:
    calls = [0]
    original = adaptive_module.node_centrality

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(adaptive_module, "node_centrality", counting)
    return calls


def test_adaptive_edge_dropping_reuses_cache_until_in_place_edit(monkeypatch):
    calls = _count_centrality_calls(monkeypatch)
    edge_index = EDGE_INDEX.clone()
    aug = AdaptiveEdgeDropping("pagerank", generator=_generator(0))
    for _ in range(3):
        aug(X, edge_index)
    assert calls[0] == 1
    edge_index[1, 0] = 2  # in-place edit bumps the version counter
    probability = aug.drop_probability(edge_index, NUM_NODES)
    assert calls[0] == 2
    fresh = AdaptiveEdgeDropping("pagerank").drop_probability(edge_index.clone(), NUM_NODES)
    assert torch.equal(probability, fresh)


def test_adaptive_feature_masking_reuses_cache_until_in_place_edit(monkeypatch):
    calls = _count_centrality_calls(monkeypatch)
    x = X.clone()
    aug = AdaptiveFeatureMasking("degree", generator=_generator(0))
    for _ in range(3):
        aug(x, EDGE_INDEX)
    assert calls[0] == 1
    x[:, 1] = 0.0
    probability = aug.mask_probability(x, EDGE_INDEX)
    assert calls[0] == 2
    assert torch.equal(
        probability, AdaptiveFeatureMasking("degree").mask_probability(x.clone(), EDGE_INDEX)
    )


def test_adaptive_edge_dropping_cache_misses_for_another_graph(monkeypatch):
    calls = _count_centrality_calls(monkeypatch)
    aug = AdaptiveEdgeDropping("degree")
    aug(X, EDGE_INDEX)
    aug(X, EDGE_INDEX.flip(0))
    assert calls[0] == 2


def test_adaptive_feature_masking_cache_misses_for_other_tensor_on_same_storage():
    # x.t() of a square x has x's data pointer, shape, dtype and version but other contents.
    x = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    aug = AdaptiveFeatureMasking("degree")
    first = aug.mask_probability(x, edge_index)
    transposed = aug.mask_probability(x.t(), edge_index)
    expected = AdaptiveFeatureMasking("degree").mask_probability(x.t().contiguous(), edge_index)
    assert not torch.equal(first, expected)
    assert torch.equal(transposed, expected)


def test_adaptive_augmentors_survive_deepcopy_and_pickle():
    aug = AdaptiveEdgeDropping("degree", p=0.2)
    aug(X, EDGE_INDEX)
    for clone in (copy.deepcopy(aug), pickle.loads(pickle.dumps(aug))):
        assert repr(clone) == repr(aug)
        assert torch.equal(
            clone.drop_probability(EDGE_INDEX, 6), aug.drop_probability(EDGE_INDEX, 6)
        )


# ---- validation and repr -------------------------------------------------------------------

BAD_ARGUMENTS = [
    (AdaptiveEdgeDropping, {"p": -0.1}, r"p must be in \[0, 1\], got -0.1"),
    (AdaptiveEdgeDropping, {"p": 1.5}, r"p must be in \[0, 1\], got 1.5"),
    (AdaptiveEdgeDropping, {"threshold": 2.0}, r"threshold must be in \[0, 1\], got 2.0"),
    (AdaptiveEdgeDropping, {"centrality": "closeness"}, r"centrality must be one of .*'closeness'"),
    (AdaptiveEdgeDropping, {"aggregation": "max"}, r"aggregation must be one of .*'max'"),
    (AdaptiveFeatureMasking, {"p": -0.5}, r"p must be in \[0, 1\], got -0.5"),
    (AdaptiveFeatureMasking, {"threshold": -1.0}, r"threshold must be in \[0, 1\], got -1.0"),
    (AdaptiveFeatureMasking, {"centrality": "katz"}, r"centrality must be one of .*'katz'"),
]


@pytest.mark.parametrize(("cls", "kwargs", "message"), BAD_ARGUMENTS)
def test_adaptive_augmentors_reject_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (AdaptiveFeatureMasking, {"dense": "yes"}, "dense must be True, False or None, got 'yes'"),
        (AdaptiveEdgeDropping, {"undirected": 1}, "undirected must be a bool, got 1"),
    ],
)
def test_adaptive_augmentors_reject_bad_flag_types(cls, kwargs, message):
    with pytest.raises(TypeError, match=message):
        cls(**kwargs)


def test_adaptive_augmentors_repr_shows_hyper_parameters():
    assert repr(AdaptiveEdgeDropping()) == (
        "AdaptiveEdgeDropping(centrality='degree', p=0.3, threshold=0.7)"
    )
    assert repr(AdaptiveEdgeDropping("pagerank", 0.2, 0.5, "mean", True)) == (
        "AdaptiveEdgeDropping(centrality='pagerank', p=0.2, threshold=0.5, aggregation='mean', "
        "undirected=True)"
    )
    assert repr(AdaptiveFeatureMasking("eigenvector", p=0.1, dense=True)) == (
        "AdaptiveFeatureMasking(centrality='eigenvector', p=0.1, threshold=0.7, dense=True)"
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_adaptive_augmentors_on_cuda_match_cpu_with_same_seed():
    edge_index, x = _random_graph(40, 150, seed=4), torch.rand(40, 16, generator=_generator(0))
    weight = torch.rand(edge_index.size(1), generator=_generator(1))
    for aug_cls in (AdaptiveEdgeDropping, AdaptiveFeatureMasking):
        kwargs = {"undirected": True} if aug_cls is AdaptiveEdgeDropping else {}
        cpu = aug_cls("degree", p=0.5, generator=_generator(5), **kwargs)(x, edge_index, weight)
        cuda = aug_cls("degree", p=0.5, generator=_generator(5), **kwargs)(
            x.cuda(), edge_index.cuda(), weight.cuda()
        )
        for a, b in zip(cpu, cuda, strict=True):
            assert b.is_cuda and torch.equal(a, b.cpu())


@pytest.mark.parametrize("batch_ids", [None, torch.arange(0, 40, 2)])
def test_fitted_chain_gives_an_adaptive_dropper_after_a_uniform_one_its_edges_full_graph_ids(batch_ids):
    # the dropper's fitted probabilities are per training-graph edge: after another dropper it must
    # take those of the edges it receives, as set_subgraph with their ids does (it raised before)
    from gclbt_plugin.augmentors import Compose, EdgeDropping
    from gclbt_plugin.graph import Graph

    edge_index = _random_graph(30, 20, seed=3)
    x = torch.rand(30, 4)
    graph = Graph(x, edge_index if batch_ids is None else edge_index[:, batch_ids], None)
    chain = Compose(
        [EdgeDropping(p=0.5, generator=_generator(1)), AdaptiveEdgeDropping(p=0.5, generator=_generator(2))]
    )
    chain.fit_full_graph(x, edge_index)
    chain.set_subgraph(batch_ids)
    view = chain.augment(graph)

    first, mask = EdgeDropping(p=0.5, generator=_generator(1)).augment_with_edge_mask(graph)
    reference = AdaptiveEdgeDropping(p=0.5, generator=_generator(2))
    reference.fit_full_graph(x, edge_index)
    ids = torch.arange(edge_index.size(1)) if batch_ids is None else batch_ids
    reference.set_subgraph(ids[mask])
    assert 0 < first.edge_index.size(1) < graph.edge_index.size(1)
    assert torch.equal(view.edge_index, reference.augment(first).edge_index)


def test_fitted_edge_dropper_names_the_fitted_size_for_a_graph_of_another_size():
    from gclbt_plugin.graph import Graph

    dropper = AdaptiveEdgeDropping(p=0.5)
    dropper.fit_full_graph(X, EDGE_INDEX)
    with pytest.raises(ValueError, match="has 4 edges but it was fitted on a graph of 12 edges"):
        dropper.augment(Graph(X, EDGE_INDEX[:, :4], None))


def test_fitted_undirected_dropper_reads_a_graph_without_edge_ids_as_the_training_graph():
    # like the directed dropper, which takes the fitted probabilities by position: the pairs are the
    # training graph's, not recomputed from the given graph
    from gclbt_plugin.graph import Graph

    edge_index = _random_graph(30, 40, seed=5)
    x = torch.rand(30, 4)
    relabelled = torch.randperm(30, generator=_generator(0))[edge_index]  # same edge count, other pairs order
    masks = []
    for graph in (Graph(x, edge_index, None), Graph(x, relabelled, None)):
        dropper = AdaptiveEdgeDropping(p=0.5, undirected=True, generator=_generator(4))
        dropper.fit_full_graph(x, edge_index)
        masks.append(dropper.augment_with_edge_mask(graph)[1])
    assert torch.equal(masks[0], masks[1])
