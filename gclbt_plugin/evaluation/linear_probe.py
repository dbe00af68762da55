"""Linear-probe evaluation of frozen node embeddings, under the protocols the papers use.

A probe trains a linear classifier on the frozen embeddings of the training nodes, chooses its one
hyper-parameter by accuracy on the **validation** nodes, and scores the chosen model **once** on the
test nodes. Test labels take no part in any choice. Two protocols, named after their source:

``bgrl`` (default) -- BGRL (Thakoor et al. ICLR 2022, ``bgrl/logistic_regression_eval.py``) and
    Graph Barlow Twins (Bielak et al. 2022, ``gssl/tasks.py``): rows scaled to unit L2 norm, L2
    logistic regression for every ``C = 2^-10, 2^-9, ..., 2^10``; the ``C`` with the best validation
    accuracy (the smallest such ``C`` on ties) is kept. The fit is scikit-learn's
    ``LogisticRegression`` (multinomial, L-BFGS) run to convergence (``tol``, ``max_iter``): the
    objective is strictly convex, so the result is *the* optimum, whatever the conditioning of the
    embeddings. Differences from the references, both deliberate: the references fit one-vs-rest
    liblinear models and choose ``C`` by cross-validation inside the training nodes; here the
    model is multinomial (scikit-learn's default) and ``C`` is chosen on the split's validation
    nodes, as every split protocol of this package provides them.
``gca`` -- GRACE / GCA's code (Zhu et al. 2020 / 2021, ``pGRACE/eval.py: log_regression``): the raw
    embeddings, a linear layer (Xavier-uniform weights, zero bias) trained by full-batch Adam (lr
    0.01, no weight decay) for 3000 epochs; every 20 epochs the validation accuracy is read and the
    test accuracy is that of the weights at the first epoch with the best validation accuracy.
    (GCA reads the test accuracy at every check and keeps the one at the best; here the weights at
    the best check are kept and scored once at the end -- the same number, without reading test
    labels during the run.)

``preprocess`` overrides a protocol's preprocessing: ``"l2"`` (rows to unit norm), ``"none"``
(as they are) or ``"standardize"`` (each column centred and scaled over all nodes, label-free).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from gclbt_plugin._validation import (
    check_choice,
    check_features,
    check_positive,
    check_positive_int,
)
from gclbt_plugin.evaluation.logistic import fit_adam_early_stopping, fit_regularisation_path
from gclbt_plugin.evaluation.splits import Split, _unwrap, make_splits

#: The named probe protocols (see the module docstring).
PROBES = ("bgrl", "gca")
#: The probe every tool uses unless told otherwise (see README, "Evaluation").
DEFAULT_PROBE = "bgrl"
PREPROCESSING = ("standardize", "l2", "none")
#: Each protocol's embedding preprocessing.
PROBE_PREPROCESSING = {"bgrl": "l2", "gca": "none"}

#: ``C`` values of the ``bgrl`` protocol: ``2^-10, 2^-9, ..., 2^10`` (21 values, BGRL's grid).
DEFAULT_GRID: tuple[float, ...] = tuple(2.0**k for k in range(-10, 11))
#: L-BFGS stopping rule of the ``bgrl`` protocol (scikit-learn's gradient tolerance, iteration cap).
DEFAULT_TOL = 1e-6
DEFAULT_MAX_ITER = 10000
#: Adam schedule of the ``gca`` protocol (GCA's ``train.py`` and ``log_regression``).
GCA_EPOCHS = 3000
GCA_EVAL_EVERY = 20
GCA_LR = 0.01


@dataclass
class ProbeResult:
    """Accuracies of a linear probe over several splits.

    Accuracies are fractions in ``[0, 1]``; standard deviations are population ones
    (``ddof=0``, as ``numpy.std`` in GRACE/GCA/BGRL's reports).

    Attributes:
        protocol: Name of the split protocol (``"random"``, ``"public"``, ``"wikics"``, ...).
        val_accuracies: Validation accuracy of the chosen model, per split.
        test_accuracies: Test accuracy of the chosen model, per split.
        chosen: The hyper-parameter chosen on validation, per split: ``C`` (``bgrl``) or the
            epoch (``gca``).
        grid: The values of that hyper-parameter that were tried.
        val_accuracy_grid: Validation accuracy of every grid value, per split ``[S][G]``.
        probe: The probe protocol (``"bgrl"`` or ``"gca"``).
        preprocess: The embedding preprocessing applied before the fit.
        not_converged: Fits that stopped at the iteration cap (``bgrl``; 0 when all converged).
    """

    protocol: str
    val_accuracies: list[float]
    test_accuracies: list[float]
    chosen: list[float]
    grid: tuple[float, ...]
    val_accuracy_grid: list[list[float]] = field(default_factory=list)
    probe: str = DEFAULT_PROBE
    preprocess: str = "l2"
    not_converged: int = 0

    @staticmethod
    def _mean_std(values: list[float]) -> tuple[float, float]:
        mean = sum(values) / len(values)
        return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))

    @property
    def num_splits(self) -> int:
        return len(self.test_accuracies)

    @property
    def test_mean(self) -> float:
        return self._mean_std(self.test_accuracies)[0]

    @property
    def test_std(self) -> float:
        return self._mean_std(self.test_accuracies)[1]

    @property
    def val_mean(self) -> float:
        return self._mean_std(self.val_accuracies)[0]

    @property
    def val_std(self) -> float:
        return self._mean_std(self.val_accuracies)[1]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (JSON-serialisable) with the summary statistics added."""
        out = asdict(self)
        out["grid"] = list(self.grid)
        out.update(
            test_mean=self.test_mean,
            test_std=self.test_std,
            val_mean=self.val_mean,
            val_std=self.val_std,
            num_splits=self.num_splits,
        )
        return out


def format_result(result: ProbeResult) -> str:
    """One line, in percent: ``test 83.10 ± 0.52 | val 84.02 ± 0.40 | 20 splits (random, bgrl probe)``."""
    return (
        f"test {100 * result.test_mean:.2f} ± {100 * result.test_std:.2f} | "
        f"val {100 * result.val_mean:.2f} ± {100 * result.val_std:.2f} | "
        f"{result.num_splits} split{'s' if result.num_splits != 1 else ''} ({result.protocol}, {result.probe} probe)"
    )


def _check_grid(grid: Sequence[float]) -> tuple[float, ...]:
    if isinstance(grid, (str, bytes)) or not isinstance(grid, Sequence) or len(grid) == 0:
        raise ValueError(f"grid must be a non-empty sequence of C values > 0, got {grid!r}")
    return tuple(check_positive("grid value", v) for v in grid)


def _check_inputs(
    embeddings: Tensor, y: Tensor, splits: Sequence[Split]
) -> list[tuple[Tensor, Tensor, Tensor]]:
    check_features(embeddings, "embeddings")
    if embeddings.is_sparse or not embeddings.is_floating_point():
        raise ValueError(
            f"embeddings must be a dense floating tensor [N, d], got {embeddings.dtype}"
            f"{' (sparse)' if embeddings.is_sparse else ''}"
        )
    n = embeddings.size(0)
    if not isinstance(y, Tensor):
        raise TypeError(f"y must be a torch.Tensor of shape [N], got {type(y).__name__}")
    if y.dim() != 1 or y.numel() != n:
        raise ValueError(f"y must have shape [N] = [{n}] to match embeddings, got {list(y.shape)}")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise ValueError(f"y must hold integer class ids, got dtype {y.dtype}")
    if isinstance(splits, Split) or not isinstance(splits, Sequence) or len(splits) == 0:
        raise ValueError(f"splits must be a non-empty list of Split, got {type(splits).__name__}")
    out = []
    for i, split in enumerate(splits):
        if not isinstance(split, Split):
            raise TypeError(f"splits[{i}] must be a Split, got {type(split).__name__}")
        parts = split.indices()
        for part_name, idx in zip(("train", "val", "test"), parts, strict=True):
            if idx.numel() == 0:
                raise ValueError(f"splits[{i}].{part_name} is empty; every part needs nodes")
            if int(idx.min()) < 0 or int(idx.max()) >= n:
                raise ValueError(
                    f"splits[{i}].{part_name} holds node ids outside [0, {n - 1}] "
                    f"(embeddings have N={n} rows)"
                )
        out.append(parts)
    return out


def standardize(embeddings: Tensor) -> Tensor:
    """Centre and scale each column with its mean and std over all nodes (constant -> 0)."""
    mean = embeddings.mean(dim=0, keepdim=True)
    std = embeddings.std(dim=0, unbiased=False, keepdim=True)
    return (embeddings - mean) / std.clamp_min(1e-12)


def preprocess_embeddings(embeddings: Tensor, preprocess: str) -> Tensor:
    """``embeddings`` after ``"l2"`` (unit rows), ``"standardize"`` (columns) or ``"none"``."""
    check_choice("preprocess", preprocess, PREPROCESSING)
    x = embeddings.detach()
    if preprocess == "standardize":
        return standardize(x)
    if preprocess == "l2":
        return F.normalize(x, dim=1)
    return x


def _pad(parts: list[Tensor], device: torch.device, mean: bool) -> tuple[Tensor, Tensor]:
    """Stack index tensors of different lengths: ``idx [S, n]`` and row weights ``[S, n]``.

    Row weights are ``1 / |part|`` (``mean``) or 1 for real rows, 0 for padding.
    """
    longest = max(p.numel() for p in parts)
    idx = torch.zeros(len(parts), longest, dtype=torch.long, device=device)
    weights = torch.zeros(len(parts), longest, device=device)
    for s, part in enumerate(parts):
        idx[s, : part.numel()] = part.to(device)
        weights[s, : part.numel()] = 1.0 / part.numel() if mean else 1.0
    return idx, weights


def test_accuracy(predict: Callable[[Any], Any], features: Any, labels: Any) -> float:
    """The accuracy of the chosen model on a split's test nodes: the one place test labels are read.

    ``predict(features)`` gives the predicted classes (numpy or torch); ``labels`` the true ones.
    :func:`evaluate_embeddings` calls it once per split after the choice on validation, and not at
    all with ``score_test=False`` (hyper-parameter searches).
    """
    predicted = predict(features)
    if isinstance(predicted, Tensor):
        return float((predicted == labels).double().mean())
    return float((predicted == labels).mean())


def _probe_path(
    x: Tensor,
    y: Tensor,
    parts: list[tuple[Tensor, Tensor, Tensor]],
    grid: tuple[float, ...],
    max_iter: int,
    tol: float,
    score_test: bool = True,
) -> tuple[list[list[float]], list[float], list[float], list[float], int]:
    """The ``bgrl`` protocol on every split: val grid, val / test accuracy (NaN unless ``score_test``)
    and ``C`` chosen."""
    from threadpoolctl import threadpool_limits

    features = x.cpu().numpy()
    labels = y.cpu().numpy()
    val_grid, val_acc, test_acc, chosen = [], [], [], []
    not_converged = 0
    # scikit-learn's BLAS follows torch's thread setting (benchmark cells run with 1 thread)
    with threadpool_limits(limits=torch.get_num_threads()):
        for train, val, test in parts:
            train, val, test = train.cpu().numpy(), val.cpu().numpy(), test.cpu().numpy()
            fit = fit_regularisation_path(
                features[train], labels[train], features[val], labels[val], grid, max_iter=max_iter, tol=tol
            )
            not_converged += fit.not_converged
            best = max(fit.val_accuracy)
            g = min((i for i in range(len(grid)) if fit.val_accuracy[i] == best), key=lambda i: grid[i])
            # the chosen model is scored once on test
            score = test_accuracy(fit.models[g].predict, features[test], labels[test]) if score_test else math.nan
            val_grid.append(fit.val_accuracy)
            val_acc.append(fit.val_accuracy[g])
            test_acc.append(score)
            chosen.append(grid[g])
    return val_grid, val_acc, test_acc, chosen, not_converged


def _probe_early_stopping(
    x: Tensor,
    y: Tensor,
    parts: list[tuple[Tensor, Tensor, Tensor]],
    num_classes: int,
    epochs: int,
    eval_every: int,
    lr: float,
    seed: int,
    score_test: bool = True,
) -> tuple[list[int], list[list[float]], list[float], list[float], list[float]]:
    """The ``gca`` protocol on every split at once: checkpoints, val grid, val / test accuracy, epoch."""
    device = x.device
    train_idx, train_weights = _pad([p[0].to(device) for p in parts], device, mean=True)
    val_idx, val_weights = _pad([p[1].to(device) for p in parts], device, mean=False)
    generator = torch.Generator().manual_seed(seed)
    fit = fit_adam_early_stopping(
        x[train_idx], y[train_idx], train_weights.to(x.dtype), x[val_idx], y[val_idx], val_weights.to(x.dtype),
        num_classes, epochs=epochs, eval_every=eval_every, lr=lr, generator=generator,
    )
    val_acc, test_acc, chosen = [], [], []
    for s, (_, _, test) in enumerate(parts):
        t = fit.chosen[s]
        test = test.to(device)
        with torch.no_grad():  # the chosen weights are scored once on test

            def predict(features: Tensor, s: int = s) -> Tensor:
                return (features @ fit.weight[s] + fit.bias[s]).argmax(-1)

            test_acc.append(test_accuracy(predict, x[test], y[test]) if score_test else math.nan)
        val_acc.append(fit.val_accuracy[s][t])
        chosen.append(float(fit.epochs[t]))
    return fit.epochs, fit.val_accuracy, val_acc, test_acc, chosen


def evaluate_embeddings(
    embeddings: Tensor,
    y: Tensor,
    splits: Sequence[Split],
    *,
    probe: str = DEFAULT_PROBE,
    preprocess: str | None = None,
    grid: Sequence[float] = DEFAULT_GRID,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    epochs: int = GCA_EPOCHS,
    eval_every: int = GCA_EVAL_EVERY,
    lr: float = GCA_LR,
    num_classes: int | None = None,
    protocol: str = "custom",
    seed: int = 0,
    score_test: bool = True,
) -> ProbeResult:
    """Linear-probe accuracy of frozen embeddings, the hyper-parameter chosen on validation.

    For every split, the probe (see the module docstring) is fitted on the training nodes, its
    hyper-parameter (``C`` for ``bgrl``, the epoch for ``gca``) is chosen by validation accuracy,
    and only the chosen model is then scored on the split's test nodes. Labels of test nodes are
    read only for that final scoring.

    Args:
        embeddings: Frozen node embeddings ``[N, d]`` (detached; any device).
        y: Class ids ``[N]``.
        splits: One or more :class:`~gclbt_plugin.evaluation.splits.Split`.
        probe: ``"bgrl"`` or ``"gca"`` (default: ``"bgrl"``).
        preprocess: ``"l2"``, ``"none"`` or ``"standardize"`` (default: the probe's own,
            :data:`PROBE_PREPROCESSING`).
        grid: ``bgrl``: the ``C`` values to choose from (default: :data:`DEFAULT_GRID`).
        max_iter: ``bgrl``: L-BFGS iteration cap per ``C`` (default: 10000).
        tol: ``bgrl``: L-BFGS gradient tolerance (default: 1e-6).
        epochs: ``gca``: Adam epochs (default: 3000).
        eval_every: ``gca``: epochs between validation checks (default: 20).
        lr: ``gca``: Adam learning rate (default: 0.01).
        num_classes: Number of classes ``K`` (default: ``1 + max`` label over the training and
            validation nodes of all splits).
        protocol: Name of the split protocol, stored in the result (default: ``"custom"``).
        seed: ``gca``: seed of the Xavier initialisation (default: 0); ``bgrl`` draws nothing.
        score_test: Score the chosen model on the test nodes (:func:`test_accuracy`); ``False``
            (hyper-parameter searches) never reads a test label and gives NaN test accuracies
            (default: ``True``).

    Returns:
        A :class:`ProbeResult`.

    Raises:
        TypeError: If ``embeddings``/``y`` are not tensors or a split is not a ``Split``.
        ValueError: On shape or dtype mismatches, empty or out-of-range split parts, an unknown
            ``probe`` or ``preprocess``, an empty or non-positive grid, non-positive
            ``max_iter``/``tol``/``epochs``/``eval_every``/``lr``/``num_classes``, or
            ``eval_every > epochs``.

    Warns:
        UserWarning: When some ``bgrl`` fits stopped at ``max_iter`` before reaching ``tol``.

    Example:
        >>> splits = random_splits(z.size(0), num_splits=20)
        >>> print(format_result(evaluate_embeddings(z, data.y, splits, protocol="random")))
    """
    check_choice("probe", probe, PROBES)
    preprocess = PROBE_PREPROCESSING[probe] if preprocess is None else preprocess
    check_choice("preprocess", preprocess, PREPROCESSING)
    parts = _check_inputs(embeddings, y, splits)
    grid_values = _check_grid(grid)
    check_positive_int("max_iter", max_iter)
    check_positive("tol", tol)
    check_positive_int("epochs", epochs)
    check_positive_int("eval_every", eval_every)
    check_positive("lr", lr)
    if probe == "gca" and eval_every > epochs:
        raise ValueError(f"eval_every ({eval_every}) must not exceed epochs ({epochs}): no validation check would run")
    device = embeddings.device
    y = y.to(device)
    train_labels = torch.cat([y[p[0].to(device)] for p in parts])
    if num_classes is None:
        val_labels = torch.cat([y[p[1].to(device)] for p in parts])
        num_classes = int(torch.cat([train_labels, val_labels]).max()) + 1
    check_positive_int("num_classes", num_classes)
    if int(train_labels.min()) < 0 or int(train_labels.max()) >= num_classes:
        raise ValueError(f"y must hold class ids in [0, {num_classes - 1}] on training nodes")

    with torch.no_grad():
        # scikit-learn fits in float64 anyway; the batched Adam fit stays in float32, as GCA's
        x = preprocess_embeddings(embeddings.double() if probe == "bgrl" else embeddings.float(), preprocess)
    not_converged = 0
    if probe == "bgrl":
        val_grid, val_acc, test_acc, chosen, not_converged = _probe_path(
            x, y, parts, grid_values, max_iter, tol, score_test
        )
        tried: tuple[float, ...] = grid_values
        if not_converged:
            warnings.warn(
                f"linear probe: {not_converged} of {len(parts) * len(grid_values)} L-BFGS fits stopped at "
                f"max_iter={max_iter} before tol={tol}; raise max_iter",
                stacklevel=2,
            )
    else:
        checkpoints, val_grid, val_acc, test_acc, chosen = _probe_early_stopping(
            x, y, parts, num_classes, epochs, eval_every, lr, seed, score_test
        )
        tried = tuple(float(e) for e in checkpoints)
    return ProbeResult(
        protocol=protocol,
        val_accuracies=val_acc,
        test_accuracies=test_acc,
        chosen=chosen,
        grid=tried,
        val_accuracy_grid=val_grid,
        probe=probe,
        preprocess=preprocess,
        not_converged=not_converged,
    )


def evaluate_protocol(
    embeddings: Tensor,
    data: Any,
    protocol: str = "random",
    *,
    num_splits: int = 20,
    seed: int = 0,
    **probe_kwargs: Any,
) -> ProbeResult:
    """:func:`make_splits` then :func:`evaluate_embeddings` with ``data.y``.

    Args:
        embeddings: Frozen node embeddings ``[N, d]``.
        data: A PyG ``Data`` (or a ``LoadedDataset``) with ``y`` and the masks the protocol needs.
        protocol: ``"public"``, ``"random"`` or ``"wikics"`` (default: ``"random"``).
        num_splits: Splits for ``"random"``/``"wikics"`` (default: 20).
        seed: Seed of the random splits (default: 0).
        **probe_kwargs: Passed to :func:`evaluate_embeddings` (``probe``, ``preprocess``, ``grid``, ...).

    Raises:
        ValueError: See :func:`make_splits` and :func:`evaluate_embeddings`.
    """
    splits = make_splits(protocol, data, num_splits=num_splits, seed=seed)
    graph = _unwrap(data)
    return evaluate_embeddings(embeddings, graph.y, splits, protocol=protocol, **probe_kwargs)
