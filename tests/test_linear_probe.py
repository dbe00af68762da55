"""Tests for gclbt_plugin.evaluation.linear_probe."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gclbt_plugin.evaluation import (
    ProbeResult,
    Split,
    evaluate_embeddings,
    evaluate_protocol,
    format_result,
    random_splits,
    standardize,
)


def _clusters(num_nodes: int, num_classes: int, dim: int, spread: float, seed: int):
    """Gaussian clusters around random centres: embeddings [N, dim], labels [N]."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_classes, (num_nodes,), generator=gen)
    centres = 5.0 * torch.randn(num_classes, dim, generator=gen)
    return centres[y] + spread * torch.randn(num_nodes, dim, generator=gen), y


def _selection_case():
    """Imbalanced training set (30 of class 0 at x=-1, 10 of class 1 at x=+1) and 10 val nodes
    at x=+1. A weakly regularised model predicts 1 there, a very strongly regularised one falls
    back on the training prior and predicts 0. Returns embeddings, split and the two val labelings
    (labels follow the features / labels contradict them); test labels are identical.
    """
    gen = torch.Generator().manual_seed(0)
    side = torch.cat([-torch.ones(30), torch.ones(10), torch.ones(10), -torch.ones(5), torch.ones(5)])
    z = torch.stack([side, torch.zeros(60)], dim=1) + 0.1 * torch.randn(60, 2, generator=gen)
    base = (side > 0).long()
    split = Split(torch.arange(40), torch.arange(40, 50), torch.arange(50, 60))
    y_follow = base.clone()
    y_contradict = base.clone()
    y_contradict[40:50] = 0
    return z, split, y_follow, y_contradict


def test_evaluate_embeddings_separable_clusters_reach_full_accuracy():
    z, y = _clusters(300, 3, 8, spread=0.3, seed=0)
    result = evaluate_embeddings(z, y, random_splits(300, num_splits=3, seed=0))
    assert result.test_accuracies == [1.0, 1.0, 1.0]
    assert result.val_mean == 1.0


def test_evaluate_embeddings_random_labels_are_at_chance():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(2000, 16, generator=gen)
    y = torch.randint(0, 4, (2000,), generator=gen)
    result = evaluate_embeddings(z, y, random_splits(2000, num_splits=3, seed=1))
    # 1600 test nodes per split: the std of one accuracy is sqrt(.25 * .75 / 1600) ~ 0.011;
    # 0.05 is > 4 standard deviations of the 3-split mean from chance 0.25.
    assert abs(result.test_mean - 0.25) < 0.05


def test_evaluate_embeddings_never_uses_test_labels_for_selection():
    z, y = _clusters(400, 4, 6, spread=4.0, seed=2)
    split = random_splits(400, num_splits=1, seed=2)
    corrupted = y.clone()
    corrupted[split[0].test] = (y[split[0].test] + 1) % 4
    clean = evaluate_embeddings(z, y, split)
    dirty = evaluate_embeddings(z, corrupted, split)
    assert dirty.chosen_weight_decays == clean.chosen_weight_decays
    assert dirty.val_accuracy_grid == clean.val_accuracy_grid
    assert dirty.test_accuracies != clean.test_accuracies  # the test labels are scored


def test_evaluate_embeddings_choice_follows_validation_labels():
    z, split, y_follow, y_contradict = _selection_case()
    grid = (1e-4, 10.0)
    follow = evaluate_embeddings(z, y_follow, [split], grid=grid)
    contradict = evaluate_embeddings(z, y_contradict, [split], grid=grid)
    assert follow.val_accuracy_grid == [[1.0, 0.0]]
    assert contradict.val_accuracy_grid == [[0.0, 1.0]]
    assert follow.chosen_weight_decays == [1e-4]
    assert contradict.chosen_weight_decays == [10.0]
    assert (follow.test_accuracies, contradict.test_accuracies) == ([1.0], [0.5])


def test_evaluate_embeddings_tie_is_broken_by_validation_loss():
    # Well-separated clusters: every grid value is 100% accurate, and the weakest
    # regularisation gives the largest margins, hence the lowest validation cross-entropy.
    z, y = _clusters(200, 2, 4, spread=0.2, seed=3)
    result = evaluate_embeddings(z, y, random_splits(200, 1, seed=3), grid=(1e-2, 1e-4, 1e-3))
    assert result.val_accuracy_grid == [[1.0, 1.0, 1.0]]
    assert result.chosen_weight_decays == [1e-4]


def test_evaluate_embeddings_batched_grid_equals_separate_fits():
    z, y = _clusters(300, 3, 10, spread=5.0, seed=4)
    splits = random_splits(300, num_splits=2, seed=4)
    together = evaluate_embeddings(z, y, splits, grid=(1e-3, 0.3))
    alone = [evaluate_embeddings(z, y, splits, grid=(g,)) for g in (1e-3, 0.3)]
    for s in range(2):
        assert together.val_accuracy_grid[s] == pytest.approx(
            [alone[0].val_accuracy_grid[s][0], alone[1].val_accuracy_grid[s][0]], abs=1 / 30
        )


def _reference_accuracy(z, y, train, val, weight_decay):
    """Independent fit: float64 L-BFGS to convergence on the same objective."""
    x = standardize(z.double())
    num_classes = int(y.max()) + 1
    w = torch.zeros(x.size(1), num_classes, dtype=torch.double, requires_grad=True)
    b = torch.zeros(num_classes, dtype=torch.double, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=1000, tolerance_grad=1e-10,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x[train] @ w + b, y[train]) + weight_decay * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return float(((x[val] @ w + b).argmax(1) == y[val]).double().mean())


def test_evaluate_embeddings_matches_independent_lbfgs_fit():
    z, y = _clusters(500, 3, 12, spread=7.0, seed=5)
    split = random_splits(500, num_splits=1, seed=5)[0]
    for weight_decay in (1e-3, 0.1):
        got = evaluate_embeddings(z, y, [split], grid=(weight_decay,)).val_accuracy_grid[0][0]
        want = _reference_accuracy(z, y, split.train, split.val, weight_decay)
        assert abs(got - want) <= 1 / 50 + 1e-9  # at most one of 50 val nodes may flip


def test_evaluate_embeddings_is_deterministic():
    z, y = _clusters(200, 3, 5, spread=3.0, seed=6)
    splits = random_splits(200, 2, seed=6)
    assert evaluate_embeddings(z, y, splits) == evaluate_embeddings(z, y, splits)


def test_evaluate_embeddings_accepts_mask_splits_of_different_sizes():
    z, y = _clusters(60, 2, 3, spread=0.2, seed=7)
    small = Split(torch.arange(60) < 4, torch.arange(4, 10), torch.arange(10, 60))
    large = Split(torch.arange(30), torch.arange(30, 40), torch.arange(40, 60))
    result = evaluate_embeddings(z, y, [small, large])
    assert result.num_splits == 2 and result.test_accuracies == [1.0, 1.0]


def test_evaluate_embeddings_standardize_is_invariant_to_column_affine_maps():
    z, y = _clusters(200, 3, 5, spread=4.0, seed=9)
    splits = random_splits(200, 2, seed=9)
    scale = torch.tensor([0.01, 1.0, 3.0, 100.0, 0.5])
    plain = evaluate_embeddings(z, y, splits)
    mapped = evaluate_embeddings(z * scale + 7.0, y, splits)
    assert mapped.chosen_weight_decays == plain.chosen_weight_decays
    assert mapped.test_accuracies == pytest.approx(plain.test_accuracies, abs=1 / 160)


def test_evaluate_embeddings_l2_is_invariant_to_row_scaling():
    z, y = _clusters(200, 3, 5, spread=4.0, seed=10)
    splits = random_splits(200, 2, seed=10)
    rows = torch.rand(200, 1, generator=torch.Generator().manual_seed(10)) * 10 + 0.1
    plain = evaluate_embeddings(z, y, splits, preprocess="l2")
    scaled = evaluate_embeddings(z * rows, y, splits, preprocess="l2")
    assert scaled.chosen_weight_decays == plain.chosen_weight_decays
    assert scaled.test_accuracies == pytest.approx(plain.test_accuracies, abs=1 / 160)


def test_probe_result_mean_std_and_format():
    result = ProbeResult("random", [0.8, 0.9], [0.5, 0.7], [1.0, 2.0], (1.0, 2.0))
    assert (result.test_mean, result.test_std) == (pytest.approx(0.6), pytest.approx(0.1))
    assert (result.val_mean, result.val_std) == (pytest.approx(0.85), pytest.approx(0.05))
    assert format_result(result) == "test 60.00 ± 10.00 | val 85.00 ± 5.00 | 2 splits (random)"
    assert result.to_dict()["test_mean"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"y": torch.zeros(5, dtype=torch.long)}, ValueError, r"y must have shape \[N\] = \[10\]"),
        ({"y": torch.zeros(10)}, ValueError, "y must hold integer class ids"),
        ({"grid": ()}, ValueError, "grid must be a non-empty sequence"),
        ({"grid": (0.1, -1.0)}, ValueError, "grid value must be a finite number > 0, got -1.0"),
        ({"max_iter": 0}, ValueError, "max_iter must be a positive integer, got 0"),
        ({"preprocess": "pca"}, ValueError, r"preprocess must be one of \['l2', 'none', 'stand"),
        ({"splits": []}, ValueError, "splits must be a non-empty list of Split"),
        ({"splits": [Split(torch.tensor([0]), torch.tensor([1]), torch.tensor([10]))]},
         ValueError, r"splits\[0\].test holds node ids outside \[0, 9\]"),
        ({"splits": [Split(torch.tensor([0]), torch.tensor([], dtype=torch.long),
                           torch.tensor([2]))]}, ValueError, r"splits\[0\].val is empty"),
    ],
)
def test_evaluate_embeddings_rejects_bad_inputs(kwargs, error, message):
    args = {
        "y": torch.zeros(10, dtype=torch.long),
        "splits": [Split(torch.tensor([0, 1]), torch.tensor([2]), torch.tensor([3]))],
    }
    args.update(kwargs)
    embeddings = torch.randn(10, 3, generator=torch.Generator().manual_seed(0))
    with pytest.raises(error, match=message):
        evaluate_embeddings(embeddings, args.pop("y"), args.pop("splits"), **args)


def test_evaluate_protocol_public_split_on_cora_features(cora):
    result = evaluate_protocol(cora.data.x, cora, "public")
    assert result.protocol == "public" and result.num_splits == 1
    # Logistic regression on raw features, public split: 47.9 +- 0.4% in DGI (Velickovic et
    # al. 2019, Table 2, "Raw features"); the majority class alone gets 31.9% of the test nodes.
    assert 0.42 < result.test_mean < 0.60
    assert not math.isnan(result.val_mean)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_evaluate_embeddings_on_cuda_matches_cpu():
    z, y = _clusters(500, 4, 16, spread=5.0, seed=8)
    splits = random_splits(500, 3, seed=8)
    cpu = evaluate_embeddings(z, y, splits)
    gpu = evaluate_embeddings(z.cuda(), y.cuda(), splits)
    assert gpu.chosen_weight_decays == cpu.chosen_weight_decays
    assert gpu.test_accuracies == pytest.approx(cpu.test_accuracies, abs=0.01)
