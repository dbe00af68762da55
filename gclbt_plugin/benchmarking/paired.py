"""Paired comparison of two methods over the same (model seed, split) pairs.

Two cells of a suite that share the dataset, the seeds and the probe's splits (the splits are drawn
from seed 0 for every method) give one test accuracy per ``(seed, split)`` pair each. Their
difference is compared with Student's paired t-test (``scipy.stats.ttest_rel``): the mean difference
``d̄``, its ``confidence`` interval ``d̄ ± t_{(1+c)/2, n-1} · s_d / sqrt(n)`` and the two-sided p-value.
The pairs are not independent draws of everything that varies (20 splits of 1 to 5 trained models),
so the interval speaks for these models and splits; the report says so. :func:`compare_seeds` is the
test over what does vary independently, the trained models: each seed's mean over the splits both
cells hold, paired by seed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

#: ``(seed, split index) -> test accuracy`` (a fraction in [0, 1]).
PairedAccuracies = dict[tuple[int, int], float]


@dataclass(frozen=True)
class PairedDifference:
    """``a - b`` over matched pairs, in percentage points.

    Attributes:
        n: number of pairs.
        mean: mean difference.
        ci_low, ci_high: the confidence interval of the mean difference.
        confidence: the interval's level (e.g. 0.95).
        t: the paired t statistic (``inf`` with the sign of ``mean`` when every difference is equal
            and non-zero; ``nan`` when all differences are 0).
        p_value: two-sided p-value (1.0 when all differences are 0).
    """

    n: int
    mean: float
    ci_low: float
    ci_high: float
    confidence: float
    t: float
    p_value: float


def paired_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> PairedDifference:
    """Student's paired t-test and interval of ``a - b`` (values in %, pair ``i`` is ``(a[i], b[i])``).

    Raises:
        ValueError: ``a`` and ``b`` differ in length, hold fewer than 2 pairs, or ``confidence`` is
            not in (0, 1).
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must hold the same pairs, got {len(a)} and {len(b)} values")
    if len(a) < 2:
        raise ValueError(f"a paired test needs at least 2 pairs, got {len(a)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    differences = [float(x) - float(y) for x, y in zip(a, b, strict=True)]
    n = len(differences)
    mean = math.fsum(differences) / n
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in differences) / (n - 1))
    if sd == 0.0:
        t = math.copysign(math.inf, mean) if mean else math.nan
        return PairedDifference(n, mean, mean, mean, confidence, t, 0.0 if mean else 1.0)
    half = stats.t.ppf((1.0 + confidence) / 2.0, n - 1) * sd / math.sqrt(n)
    test = stats.ttest_rel(a, b)
    return PairedDifference(n, mean, mean - half, mean + half, confidence, float(test.statistic), float(test.pvalue))


def pair_accuracies(record: Mapping[str, Any]) -> PairedAccuracies:
    """The test accuracy of every ``(seed, split)`` pair of a cell record (``ExperimentResult.to_dict()``)."""
    pairs: PairedAccuracies = {}
    for run in record.get("runs") or []:
        accuracies = (run.get("probe") or {}).get("test_accuracies") or []
        for split, accuracy in enumerate(accuracies):
            pairs[(int(run["seed"]), split)] = float(accuracy)
    return pairs


def compare_cells(
    first: PairedAccuracies, second: PairedAccuracies, confidence: float = 0.95
) -> PairedDifference | None:
    """:func:`paired_difference` (in %) over the pairs both cells hold; ``None`` with fewer than 2."""
    common = sorted(set(first) & set(second))
    if len(common) < 2:
        return None
    return paired_difference([100 * first[k] for k in common], [100 * second[k] for k in common], confidence)


def compare_seeds(
    first: PairedAccuracies, second: PairedAccuracies, confidence: float = 0.95
) -> PairedDifference | None:
    """:func:`paired_difference` (in %) of the per-seed means over the splits both cells hold.

    Pair ``i`` is model seed ``i``'s mean test accuracy over its common splits in each cell, so ``n`` is
    the number of common seeds; ``None`` with fewer than 2.
    """
    by_seed: dict[int, list[tuple[float, float]]] = {}
    for key in sorted(set(first) & set(second)):
        by_seed.setdefault(key[0], []).append((first[key], second[key]))
    if len(by_seed) < 2:
        return None
    means = [
        (100 * math.fsum(a for a, _ in values) / len(values), 100 * math.fsum(b for _, b in values) / len(values))
        for values in by_seed.values()
    ]
    return paired_difference([a for a, _ in means], [b for _, b in means], confidence)
