"""EdgeDropping and FeatureMasking: uniform probabilities, masks, determinism, validation."""

from __future__ import annotations

import math

import pytest
import torch

from gclbt_plugin.augmentors import EdgeDropping, FeatureMasking
from gclbt_plugin.functional.dropping import edge_pairs

# 4-node graph, undirected (both directions), edges listed pairwise.
EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 2, 3, 0, 2], [1, 0, 2, 1, 3, 2, 2, 0]])
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 0.0, 1.0]])


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _random_graph(num_nodes: int, num_pairs: int, seed: int) -> torch.Tensor:
    """An undirected random graph with both directions of ``num_pairs`` random node pairs."""
    g = _generator(seed)
    source = torch.randint(0, num_nodes, (num_pairs,), generator=g)
    target = torch.randint(0, num_nodes, (num_pairs,), generator=g)
    keep = source != target
    source, target = source[keep], target[keep]
    return torch.stack([torch.cat([source, target]), torch.cat([target, source])])


def _tolerance(p: float, trials: int) -> float:
    """Five binomial standard deviations of a rate estimated from ``trials`` draws."""
    return 5 * math.sqrt(p * (1 - p) / trials)


def test_edge_dropping_p_zero_is_identity():
    weight = torch.arange(8, dtype=torch.float)
    x, edge_index, edge_weight = EdgeDropping(p=0.0)(X, EDGE_INDEX, weight)
    assert x is X
    assert edge_index.tolist() == EDGE_INDEX.tolist()
    assert edge_weight.tolist() == weight.tolist()


def test_edge_dropping_p_one_drops_every_edge():
    _, edge_index, edge_weight = EdgeDropping(p=1.0)(X, EDGE_INDEX, torch.ones(8))
    assert edge_index.shape == (2, 0)
    assert edge_weight.shape == (0,)


def test_edge_dropping_drop_rate_matches_p():
    edge_index = _random_graph(200, 1000, seed=0)
    aug, draws, p = EdgeDropping(p=0.3, generator=_generator(1)), 50, 0.3
    kept = sum(aug(torch.zeros(200, 1), edge_index)[1].size(1) for _ in range(draws))
    trials = draws * edge_index.size(1)
    assert abs(1 - kept / trials - p) <= _tolerance(p, trials)


def test_edge_dropping_keeps_edge_weight_aligned():
    weight = (EDGE_INDEX[0] * 10 + EDGE_INDEX[1]).float()  # weight encodes its edge
    for seed in range(5):
        _, edge_index, edge_weight = EdgeDropping(p=0.5, generator=_generator(seed))(
            X, EDGE_INDEX, weight
        )
        assert edge_weight.tolist() == (edge_index[0] * 10 + edge_index[1]).float().tolist()


def test_edge_dropping_undirected_keeps_both_directions_or_neither():
    edge_index = _random_graph(50, 200, seed=3)
    aug = EdgeDropping(p=0.5, undirected=True, generator=_generator(0))
    for _ in range(10):
        kept = aug(torch.zeros(50, 1), edge_index)[1]
        pairs = set(map(tuple, kept.t().tolist()))
        assert all((v, u) in pairs for u, v in pairs)
        assert 0 < len(pairs) < edge_index.size(1)


def test_edge_dropping_undirected_drop_rate_matches_p():
    edge_index = _random_graph(200, 1000, seed=0)
    aug, draws, p = EdgeDropping(p=0.2, undirected=True, generator=_generator(5)), 50, 0.2
    kept = sum(aug(torch.zeros(200, 1), edge_index)[1].size(1) for _ in range(draws))
    # Each pair is one trial of two edges (duplicated random pairs are rare and only widen it).
    trials = draws * edge_index.size(1) // 2
    assert abs(1 - kept / (2 * trials) - p) <= _tolerance(p, trials)


def test_edge_dropping_same_seed_gives_same_view_and_other_seed_differs():
    edge_index = _random_graph(50, 200, seed=3)
    x = torch.zeros(50, 1)
    first = EdgeDropping(p=0.5, generator=_generator(7))(x, edge_index)[1]
    again = EdgeDropping(p=0.5, generator=_generator(7))(x, edge_index)[1]
    other = EdgeDropping(p=0.5, generator=_generator(8))(x, edge_index)[1]
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_edge_dropping_leaves_inputs_unchanged():
    edge_index, weight = EDGE_INDEX.clone(), torch.rand(8)
    weight_before = weight.clone()
    EdgeDropping(p=0.5, undirected=True, generator=_generator(0))(X, edge_index, weight)
    assert torch.equal(edge_index, EDGE_INDEX)
    assert torch.equal(weight, weight_before)


def test_feature_masking_p_zero_is_identity():
    x, edge_index, _ = FeatureMasking(p=0.0)(X, EDGE_INDEX)
    assert x.tolist() == X.tolist()
    assert edge_index is EDGE_INDEX


def test_feature_masking_p_one_masks_everything():
    x, _, _ = FeatureMasking(p=1.0)(X, EDGE_INDEX)
    assert x.abs().sum().item() == 0.0


def test_feature_masking_masks_whole_columns():
    x = torch.rand(6, 40, generator=_generator(0)) + 1.0  # no zero entries
    for seed in range(5):
        out = FeatureMasking(p=0.5, generator=_generator(seed))(x, EDGE_INDEX)[0]
        zero_columns = (out == 0).all(dim=0)
        assert torch.equal(out[:, ~zero_columns], x[:, ~zero_columns])
        assert not bool((out[:, ~zero_columns] == 0).any())


def test_feature_masking_masks_fraction_p_not_one_minus_p():
    # PyGCL's dropout_feature masks 1 - p; ours masks p.
    num_features, draws, p = 2000, 50, 0.2
    x = torch.ones(3, num_features)
    aug = FeatureMasking(p=p, generator=_generator(11))
    masked = sum(int((aug(x, EDGE_INDEX[:, :0])[0][0] == 0).sum()) for _ in range(draws))
    rate, trials = masked / (draws * num_features), draws * num_features
    assert abs(rate - p) <= _tolerance(p, trials)  # 5 sd = 0.0063
    assert abs(rate - (1 - p)) > 0.5


def test_feature_masking_sparse_x_matches_dense_and_stays_sparse():
    x = torch.tensor(
        [[0.0, 2.0, 0.0, 1.0], [3.0, 0.0, 0.0, 4.0], [0.0, 5.0, 6.0, 0.0], [7.0, 0.0, 0.0, 8.0]]
    )
    for seed in range(5):
        dense = FeatureMasking(p=0.5, generator=_generator(seed))(x, EDGE_INDEX)[0]
        sparse = FeatureMasking(p=0.5, generator=_generator(seed))(x.to_sparse(), EDGE_INDEX)[0]
        assert sparse.is_sparse
        assert torch.equal(sparse.to_dense(), dense)
        assert sparse._nnz() == int((dense != 0).sum())  # masked entries removed, not zeroed


def test_feature_masking_same_seed_gives_same_view_and_other_seed_differs():
    x = torch.ones(4, 64)
    first = FeatureMasking(p=0.5, generator=_generator(7))(x, EDGE_INDEX)[0]
    again = FeatureMasking(p=0.5, generator=_generator(7))(x, EDGE_INDEX)[0]
    other = FeatureMasking(p=0.5, generator=_generator(8))(x, EDGE_INDEX)[0]
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_feature_masking_leaves_inputs_unchanged():
    x, sparse = X.clone(), X.to_sparse()
    FeatureMasking(p=0.9, generator=_generator(0))(x, EDGE_INDEX)
    FeatureMasking(p=0.9, generator=_generator(0))(sparse, EDGE_INDEX)
    assert torch.equal(x, X)
    assert torch.equal(sparse.to_dense(), X)


@pytest.mark.parametrize("cls", [EdgeDropping, FeatureMasking])
@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_uniform_augmentors_reject_p_outside_unit_interval(cls, p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got"):
        cls(p=p)


@pytest.mark.parametrize("cls", [EdgeDropping, FeatureMasking])
def test_uniform_augmentors_reject_non_numeric_p(cls):
    with pytest.raises(TypeError, match="p must be a number"):
        cls(p="0.2")


def test_edge_dropping_rejects_non_bool_undirected():
    with pytest.raises(TypeError, match="undirected must be a bool, got 'yes'"):
        EdgeDropping(p=0.2, undirected="yes")


def test_uniform_augmentors_repr_shows_hyper_parameters():
    assert repr(EdgeDropping(p=0.2)) == "EdgeDropping(p=0.2)"
    assert repr(EdgeDropping(p=0.2, undirected=True)) == "EdgeDropping(p=0.2, undirected=True)"
    assert repr(FeatureMasking(p=0.3)) == "FeatureMasking(p=0.3)"


def test_edge_pairs_groups_both_directions_and_duplicates():
    edge_index = torch.tensor([[0, 1, 2, 1, 3, 0], [1, 0, 2, 0, 0, 1]])
    pair, num_pairs = edge_pairs(edge_index, 4)
    assert num_pairs == 3  # {0, 1}, {0, 3}, {2, 2}
    assert pair.tolist() == [0, 0, 2, 0, 1, 0]
