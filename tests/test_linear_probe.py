"""Tests for gclbt_plugin.evaluation.linear_probe."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from gclbt_plugin.evaluation import (
    DEFAULT_GRID,
    ProbeResult,
    Split,
    evaluate_embeddings,
    evaluate_protocol,
    format_result,
    random_splits,
)


def _clusters(num_nodes: int, num_classes: int, dim: int, spread: float, seed: int):
    """Gaussian clusters around random centres: embeddings [N, dim], labels [N]."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_classes, (num_nodes,), generator=gen)
    centres = 5.0 * torch.randn(num_classes, dim, generator=gen)
    return centres[y] + spread * torch.randn(num_nodes, dim, generator=gen), y


def _selection_case():
    """Imbalanced training set (30 of class 0 at x=-1, 10 of class 1 at x=+1) and 10 val nodes
    at x=+1. A weakly regularised model (large C) predicts 1 there, a very strongly regularised
    one (small C) falls back on the training prior and predicts 0. Returns embeddings, split and the two val labelings
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


def _sklearn_val_accuracy(z, y, split, c, preprocess="l2"):
    """The oracle: scikit-learn's Newton-CG solver (another algorithm than the probe's L-BFGS), cold
    start, tolerance far below the probe's, on the same preprocessing and C."""
    x = z.double().numpy()
    x = normalize(x, norm="l2") if preprocess == "l2" else x
    train, val, _ = (part.numpy() for part in split.indices())
    model = LogisticRegression(solver="newton-cg", C=c, tol=1e-10, max_iter=100000)
    model.fit(x[train], y.numpy()[train])
    return float((model.predict(x[val]) == y.numpy()[val]).mean())


def _ill_conditioned(kind: str, seed: int = 0):
    """Embeddings [N, d] and labels on which a first-order probe stops far from the optimum."""
    gen = torch.Generator().manual_seed(seed)
    n, d, k = 600, 24, 4
    y = torch.randint(0, k, (n,), generator=gen)
    signal = 0.3 * torch.randn(k, d, generator=gen)[y] + torch.randn(n, d, generator=gen)
    if kind == "offset":  # a large shared direction, the class signal small beside it
        return 20.0 + 0.05 * signal, y
    if kind == "anisotropic":  # column scales over 6 orders of magnitude
        return signal * torch.logspace(-3, 3, d), y
    if kind == "duplicates":  # near-duplicate columns: a near-singular Gram matrix
        return torch.cat([signal, signal + 1e-6 * torch.randn(n, d, generator=gen)], dim=1), y
    if kind == "wide":  # d > |train|: 60 training rows, 120 dimensions
        wide = 0.3 * torch.randn(k, 120, generator=gen)[y] + torch.randn(n, 120, generator=gen)
        return wide, y
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["offset", "anisotropic", "duplicates", "wide"])
def test_bgrl_probe_matches_sklearn_optimum_on_ill_conditioned_embeddings(kind):
    z, y = _ill_conditioned(kind)
    split = random_splits(z.size(0), num_splits=1, seed=0)[0]  # 10/10/80: 60 train, 60 val nodes
    grid = (2.0**-6, 1.0, 2.0**6, 2.0**10)
    got = evaluate_embeddings(z, y, [split], grid=grid).val_accuracy_grid[0]
    want = [_sklearn_val_accuracy(z, y, split, c) for c in grid]
    assert got == pytest.approx(want, abs=0.003)  # within 0.3 points for every C


def test_bgrl_probe_matches_sklearn_with_raw_preprocessing_and_offset():
    z, y = _ill_conditioned("offset", seed=1)
    split = random_splits(z.size(0), num_splits=1, seed=1)[0]
    grid = (2.0**-4, 2.0**4)
    got = evaluate_embeddings(z, y, [split], grid=grid, preprocess="none").val_accuracy_grid[0]
    want = [_sklearn_val_accuracy(z, y, split, c, preprocess="none") for c in grid]
    assert got == pytest.approx(want, abs=0.003)


def test_bgrl_probe_recovers_weak_signal_under_large_offset():
    # The case the Adam-based probe of earlier versions failed (35 % where the optimum gives > 99 %):
    # a common offset of 20 in every coordinate and a weak but perfectly separable class signal.
    gen = torch.Generator().manual_seed(3)
    n, d, k = 1000, 64, 7
    y = torch.randint(0, k, (n,), generator=gen)
    z = 20.0 + 3.0 * F.one_hot(y, d).float() + 0.1 * torch.randn(n, d, generator=gen)
    splits = random_splits(n, num_splits=2, seed=3)
    result = evaluate_embeddings(z, y, splits)
    oracle = [_sklearn_val_accuracy(z, y, s, c) for s, c in zip(splits, result.chosen)]
    assert result.val_accuracies == pytest.approx(oracle, abs=0.003)
    assert result.test_mean > 0.99


def test_bgrl_probe_default_grid_is_bgrl_c_grid():
    assert DEFAULT_GRID == tuple(2.0**k for k in range(-10, 11))


def test_evaluate_embeddings_separable_clusters_reach_full_accuracy():
    z, y = _clusters(300, 3, 8, spread=0.3, seed=0)
    result = evaluate_embeddings(z, y, random_splits(300, num_splits=3, seed=0))
    assert result.test_accuracies == [1.0, 1.0, 1.0]
    assert result.val_mean == 1.0 and result.probe == "bgrl" and result.preprocess == "l2"


@pytest.mark.parametrize("probe", ["bgrl", "gca"])
def test_evaluate_embeddings_random_labels_are_at_chance(probe):
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(2000, 16, generator=gen)
    y = torch.randint(0, 4, (2000,), generator=gen)
    result = evaluate_embeddings(z, y, random_splits(2000, num_splits=3, seed=1), probe=probe)
    # 1600 test nodes per split: the std of one accuracy is sqrt(.25 * .75 / 1600) ~ 0.011;
    # 0.05 is > 4 standard deviations of the 3-split mean from chance 0.25.
    assert abs(result.test_mean - 0.25) < 0.05


@pytest.mark.parametrize("probe", ["bgrl", "gca"])
def test_evaluate_embeddings_never_uses_test_labels_for_selection(probe):
    z, y = _clusters(400, 4, 6, spread=4.0, seed=2)
    split = random_splits(400, num_splits=1, seed=2)
    corrupted = y.clone()
    corrupted[split[0].test] = (y[split[0].test] + 1) % 4
    clean = evaluate_embeddings(z, y, split, probe=probe)
    dirty = evaluate_embeddings(z, corrupted, split, probe=probe)
    assert dirty.chosen == clean.chosen
    assert dirty.val_accuracy_grid == clean.val_accuracy_grid
    assert dirty.test_accuracies != clean.test_accuracies  # the test labels are scored


def test_evaluate_embeddings_choice_follows_validation_labels():
    z, split, y_follow, y_contradict = _selection_case()
    grid = (1e-4, 100.0)  # C: strongest and weakest regularisation
    follow = evaluate_embeddings(z, y_follow, [split], grid=grid)
    contradict = evaluate_embeddings(z, y_contradict, [split], grid=grid)
    assert follow.val_accuracy_grid == [[0.0, 1.0]]
    assert contradict.val_accuracy_grid == [[1.0, 0.0]]
    assert follow.chosen == [100.0]
    assert contradict.chosen == [1e-4]
    assert (follow.test_accuracies, contradict.test_accuracies) == ([1.0], [0.5])


def test_evaluate_embeddings_tie_goes_to_the_strongest_regularisation():
    # Well-separated clusters: every C is 100 % accurate on validation; the smallest C is kept
    # (scikit-learn's GridSearchCV keeps the first best of an ascending grid too).
    z, y = _clusters(200, 2, 4, spread=0.2, seed=3)
    result = evaluate_embeddings(z, y, random_splits(200, 1, seed=3), grid=(1.0, 0.5, 4.0))
    assert result.val_accuracy_grid == [[1.0, 1.0, 1.0]]
    assert result.chosen == [0.5]


def test_evaluate_embeddings_path_with_warm_starts_equals_separate_fits():
    z, y = _clusters(300, 3, 10, spread=5.0, seed=4)
    splits = random_splits(300, num_splits=2, seed=4)
    together = evaluate_embeddings(z, y, splits, grid=(2.0**-3, 2.0**5))
    alone = [evaluate_embeddings(z, y, splits, grid=(c,)) for c in (2.0**-3, 2.0**5)]
    for s in range(2):
        assert together.val_accuracy_grid[s] == [alone[0].val_accuracy_grid[s][0], alone[1].val_accuracy_grid[s][0]]


def _gca_reference(z, y, split, init_weight, epochs, every):
    """GCA's log_regression written out with torch.nn and autograd for one split (test at best val)."""
    layer = torch.nn.Linear(z.size(1), int(y.max()) + 1)
    with torch.no_grad():
        layer.weight.copy_(init_weight.T)
        layer.bias.zero_()
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.01, weight_decay=0.0)
    train, val, test = split.indices()
    best_val, best_test, history = 0.0, 0.0, []
    for epoch in range(epochs):
        optimizer.zero_grad()
        F.nll_loss(F.log_softmax(layer(z[train]), dim=-1), y[train]).backward()
        optimizer.step()
        if (epoch + 1) % every == 0:
            with torch.no_grad():
                val_acc = float((layer(z[val]).argmax(-1) == y[val]).float().mean())
                test_acc = float((layer(z[test]).argmax(-1) == y[test]).float().mean())
            history.append(val_acc)
            if val_acc > best_val:
                best_val, best_test = val_acc, test_acc
    return history, best_val, best_test


def test_gca_probe_equals_gca_reference_loop_per_split():
    z, y = _clusters(300, 3, 6, spread=6.0, seed=11)
    splits = random_splits(300, num_splits=2, seed=11)
    result = evaluate_embeddings(z, y, splits, probe="gca", epochs=200, eval_every=20, seed=5)
    assert result.preprocess == "none" and result.grid == tuple(float(e) for e in range(20, 201, 20))
    # the probe draws every split's Xavier-uniform weights [S, d, K] from one seeded generator
    bound = math.sqrt(6.0 / (6 + 3))
    init = (torch.rand(2, 6, 3, generator=torch.Generator().manual_seed(5)) * 2 - 1) * bound
    for s, split in enumerate(splits):
        history, best_val, best_test = _gca_reference(z, y, split, init[s], 200, 20)
        assert result.val_accuracy_grid[s] == pytest.approx(history, abs=1 / 30 + 1e-9)
        assert result.val_accuracies[s] == pytest.approx(best_val, abs=1 / 30 + 1e-9)
        assert result.test_accuracies[s] == pytest.approx(best_test, abs=1 / 240 + 1e-9)


def test_gca_probe_keeps_the_first_best_validation_epoch():
    z, y = _clusters(200, 2, 4, spread=0.2, seed=12)  # separable: 100 % after a few checks
    result = evaluate_embeddings(z, y, random_splits(200, 1, seed=12), probe="gca", epochs=100, eval_every=20)
    history = result.val_accuracy_grid[0]
    assert history.count(1.0) >= 2  # several checks share the best accuracy
    assert result.chosen == [result.grid[history.index(1.0)]]


@pytest.mark.parametrize("probe", ["bgrl", "gca"])
def test_evaluate_embeddings_is_deterministic(probe):
    z, y = _clusters(200, 3, 5, spread=3.0, seed=6)
    splits = random_splits(200, 2, seed=6)
    assert evaluate_embeddings(z, y, splits, probe=probe) == evaluate_embeddings(z, y, splits, probe=probe)


def test_evaluate_embeddings_accepts_mask_splits_of_different_sizes():
    z, y = _clusters(60, 2, 3, spread=0.2, seed=7)
    small = Split(torch.arange(60) < 4, torch.arange(4, 10), torch.arange(10, 60))
    large = Split(torch.arange(30), torch.arange(30, 40), torch.arange(40, 60))
    for probe in ("bgrl", "gca"):
        result = evaluate_embeddings(z, y, [small, large], probe=probe)
        assert result.num_splits == 2 and result.test_accuracies == [1.0, 1.0]


def test_evaluate_embeddings_single_training_class_predicts_it():
    z, y = _clusters(40, 2, 3, spread=0.2, seed=8)
    y = torch.where(torch.arange(40) < 10, 0, y)  # every training node of class 0
    result = evaluate_embeddings(z, y, [Split(torch.arange(10), torch.arange(10, 20), torch.arange(20, 40))])
    assert result.val_accuracies == pytest.approx([float((y[10:20] == 0).double().mean())])


def test_evaluate_embeddings_l2_is_invariant_to_row_scaling():
    z, y = _clusters(200, 3, 5, spread=4.0, seed=10)
    splits = random_splits(200, 2, seed=10)
    rows = torch.rand(200, 1, generator=torch.Generator().manual_seed(10)) * 10 + 0.1
    plain = evaluate_embeddings(z, y, splits)
    scaled = evaluate_embeddings(z * rows, y, splits)
    assert scaled.chosen == plain.chosen
    assert scaled.test_accuracies == pytest.approx(plain.test_accuracies, abs=1 / 160)


def test_evaluate_embeddings_warns_when_lbfgs_stops_at_max_iter():
    z, y = _ill_conditioned("offset")
    with pytest.warns(UserWarning, match=r"L-BFGS fits stopped at max_iter=2"):
        result = evaluate_embeddings(z, y, random_splits(600, 1, seed=0), grid=(1.0,), max_iter=2)
    assert result.not_converged == 1


def test_probe_result_mean_std_and_format():
    result = ProbeResult("random", [0.8, 0.9], [0.5, 0.7], [1.0, 2.0], (1.0, 2.0))
    assert (result.test_mean, result.test_std) == (pytest.approx(0.6), pytest.approx(0.1))
    assert (result.val_mean, result.val_std) == (pytest.approx(0.85), pytest.approx(0.05))
    assert format_result(result) == "test 60.00 ± 10.00 | val 85.00 ± 5.00 | 2 splits (random, bgrl probe)"
    assert result.to_dict()["test_mean"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"y": torch.zeros(5, dtype=torch.long)}, ValueError, r"y must have shape \[N\] = \[10\]"),
        ({"y": torch.zeros(10)}, ValueError, "y must hold integer class ids"),
        ({"probe": "dgi"}, ValueError, r"probe must be one of \['bgrl', 'gca'\], got 'dgi'"),
        ({"grid": ()}, ValueError, "grid must be a non-empty sequence"),
        ({"grid": (0.1, -1.0)}, ValueError, "grid value must be a finite number > 0, got -1.0"),
        ({"max_iter": 0}, ValueError, "max_iter must be a positive integer, got 0"),
        ({"tol": 0.0}, ValueError, "tol must be a finite number > 0"),
        ({"probe": "gca", "epochs": 10, "eval_every": 20}, ValueError, r"eval_every \(20\) must not exceed epochs"),
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


def test_evaluate_protocol_public_split_on_cora_features_matches_sklearn(cora):
    grid = (2.0**-2, 2.0**2, 2.0**6)
    result = evaluate_protocol(cora.data.x, cora, "public", grid=grid)
    assert result.protocol == "public" and result.num_splits == 1
    split = Split(cora.data.train_mask, cora.data.val_mask, cora.data.test_mask)
    oracle = [_sklearn_val_accuracy(cora.data.x, cora.data.y, split, c) for c in grid]
    assert result.val_accuracy_grid[0] == pytest.approx(oracle, abs=0.003)
    # raw bag-of-words features, public split: far above the majority class (31.9 % of test nodes)
    assert 0.45 < result.test_mean < 0.70
    assert not math.isnan(result.val_mean)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gca_probe_on_cuda_matches_cpu():
    z, y = _clusters(500, 4, 16, spread=5.0, seed=8)
    splits = random_splits(500, 3, seed=8)
    cpu = evaluate_embeddings(z, y, splits, probe="gca")
    gpu = evaluate_embeddings(z.cuda(), y.cuda(), splits, probe="gca")
    assert gpu.chosen == cpu.chosen
    assert gpu.test_accuracies == pytest.approx(cpu.test_accuracies, abs=0.01)
