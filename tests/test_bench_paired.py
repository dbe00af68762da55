"""The paired comparison of two cells (issue #13): Student's paired t-test and its interval."""

import pytest
from scipy import stats

from gclbt_plugin.benchmarking.paired import compare_cells, compare_seeds, pair_accuracies, paired_difference

A = [81.0, 79.5, 83.2, 80.1, 82.4, 78.9]
B = [80.2, 79.9, 81.0, 79.0, 81.1, 78.0]


def test_paired_difference_agrees_with_scipy_ttest_rel():
    result = paired_difference(A, B)
    reference = stats.ttest_rel(A, B)
    assert result.n == 6
    assert result.mean == pytest.approx(sum(a - b for a, b in zip(A, B)) / 6)
    assert result.t == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)


def test_paired_interval_ends_are_where_the_shifted_test_has_p_five_percent():
    # an independent characterisation of the 95 % interval: shifting a by an end of the interval makes
    # the paired test's p-value exactly 0.05
    result = paired_difference(A, B)
    assert result.ci_low < result.mean < result.ci_high
    for end in (result.ci_low, result.ci_high):
        assert stats.ttest_rel([a - end for a in A], B).pvalue == pytest.approx(0.05)


def test_paired_difference_of_constant_differences():
    result = paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert (result.mean, result.ci_low, result.ci_high, result.t, result.p_value) == (1.0, 1.0, 1.0, float("inf"), 0.0)
    same = paired_difference([1.0, 2.0], [1.0, 2.0])
    assert same.mean == 0.0 and same.p_value == 1.0


def test_paired_difference_rejects_unmatched_or_too_few_pairs():
    with pytest.raises(ValueError, match="same pairs"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2 pairs"):
        paired_difference([1.0], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        paired_difference(A, B, confidence=1.0)


def _record(accuracies_per_seed):
    return {"runs": [{"seed": seed, "probe": {"test_accuracies": acc}} for seed, acc in accuracies_per_seed.items()]}


def test_compare_cells_uses_only_the_pairs_both_cells_hold():
    first = pair_accuracies(_record({0: [0.80, 0.82, 0.81], 1: [0.79, 0.80, 0.78]}))
    second = pair_accuracies(_record({0: [0.78, 0.80, 0.80]}))  # seed 1 missing
    assert sorted(first) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    result = compare_cells(first, second)
    assert result.n == 3
    assert result.mean == pytest.approx(100 * (0.02 + 0.02 + 0.01) / 3)
    assert compare_cells(first, pair_accuracies(_record({2: [0.5, 0.5]}))) is None


def test_compare_seeds_tests_the_seed_means_over_common_splits():
    first = pair_accuracies(_record({0: [0.80, 0.82, 0.81], 1: [0.79, 0.80, 0.78], 2: [0.70, 0.75, 0.72]}))
    second = pair_accuracies(_record({0: [0.78, 0.80, 0.80], 1: [0.78, 0.79], 2: [0.71, 0.70, 0.70]}))
    result = compare_seeds(first, second)
    # seed 1's third split is in the first cell only: its mean is over splits 0 and 1
    a = [100 * (0.80 + 0.82 + 0.81) / 3, 100 * (0.79 + 0.80) / 2, 100 * (0.70 + 0.75 + 0.72) / 3]
    b = [100 * (0.78 + 0.80 + 0.80) / 3, 100 * (0.78 + 0.79) / 2, 100 * (0.71 + 0.70 + 0.70) / 3]
    reference = stats.ttest_rel(a, b)
    assert result.n == 3
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.mean == pytest.approx(sum(x - y for x, y in zip(a, b)) / 3)
    assert compare_seeds(first, pair_accuracies(_record({0: [0.5, 0.5, 0.5]}))) is None  # one common seed
