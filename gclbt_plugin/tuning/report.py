"""After a study: retrain the best configuration on test, export it, and plot the study.

:func:`report_study` retrains the best trial's configuration over K seeds (and the protocol's
splits) and reports **test** accuracy as mean ± std -- the only place a study looks at test data --,
writes the configuration as a YAML file that ``gclbt train --config`` reads, and saves Optuna's
matplotlib plots (optimisation history, parameter importances, parallel coordinates) as PNG.

Example:
    >>> study = open_study("gclbt-Cora", "sqlite:///gclbt-studies.db", create=False)   # doctest: +SKIP
    >>> report = report_study(study, "tuning/gclbt-Cora", seeds=(0, 1, 2))              # doctest: +SKIP
    >>> print(report.summary())                                                           # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.exceptions import ExperimentalWarning

from gclbt_plugin.config import TUNED_SOURCE_PREFIX
from gclbt_plugin.experiment import ExperimentResult, resolve_config, run_experiment
from gclbt_plugin.files import write_json_atomic, write_text_atomic
from gclbt_plugin.recipes.build import augmenter_revisions
from gclbt_plugin.tuning.search_space import apply_params
from gclbt_plugin.tuning.study import study_augmenter_revisions, trial_counts

#: Plot file name -> function of :mod:`optuna.visualization.matplotlib`.
PLOTS = {
    "optimization_history": "plot_optimization_history",
    "param_importances": "plot_param_importances",
    "parallel_coordinate": "plot_parallel_coordinate",
}


def _study_attr(study: optuna.Study, key: str) -> str:
    value = study.user_attrs.get(key)
    if not isinstance(value, str):
        raise ValueError(
            f"study {study.study_name!r} has no {key!r} attribute; it was not created by gclbt tune"
        )
    return value


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial:
    """The study's best complete trial.

    Raises:
        ValueError: the study has no complete trial yet.
    """
    try:
        return study.best_trial
    except ValueError:
        raise ValueError(
            f"study {study.study_name!r} has no complete trial yet ({trial_counts(study) or 'no trials'})"
        ) from None


def best_config(study: optuna.Study) -> dict[str, Any]:
    """The full configuration the best trial trained (its ``config`` user attribute).

    Falls back to the recipe's defaults with the best parameters applied for trials that did not
    record their configuration.
    """
    trial = best_trial(study)
    config = trial.user_attrs.get("config")
    if not isinstance(config, Mapping):
        base = resolve_config(_study_attr(study, "method"), _study_attr(study, "dataset"))
        config = apply_params(base, trial.params)
    return {key: value for key, value in config.items() if key != "sources"}


def provenance(study: optuna.Study) -> str:
    """Where a tuned configuration comes from, as one citation line for its ``sources``.

    Names the study, its finished trials (complete / pruned) and the best trial's validation
    accuracy, the one number that chose it (a study never reads test accuracy).
    """
    trial = best_trial(study)
    counts = trial_counts(study)
    complete, pruned = counts.get("COMPLETE", 0), counts.get("PRUNED", 0)
    line = (
        f"{TUNED_SOURCE_PREFIX}: Optuna study {study.study_name!r}, {complete + pruned} finished trials "
        f"({complete} complete, {pruned} pruned), chosen on validation only: best trial {trial.number}, "
        f"validation accuracy {trial.value:.2f} %"
    )
    recorded, today = study_augmenter_revisions(study), augmenter_revisions(best_config(study))
    if recorded is not None and recorded != today:
        line += (
            f" (its trials ran with augmenter revisions {recorded}, today's code has {today}: "
            "the views changed since; re-test the configuration)"
        )
    return line


def export_config(study: optuna.Study, path: str | os.PathLike) -> Path:
    """Write the best configuration as YAML for ``gclbt train --config`` (with ``method`` and ``dataset``).

    Its ``sources`` start with the study's :func:`provenance`, followed by the recipe's citations,
    so that every result trained from the file records the study, trial count and validation
    accuracy that chose it.

    Returns:
        Path: the file written.
    """
    trial = best_trial(study)
    method, dataset = _study_attr(study, "method"), _study_attr(study, "dataset")
    sources = [provenance(study), *resolve_config(method, dataset).get("sources", [])]
    document = {"method": method, "dataset": dataset, **best_config(study), "sources": sources}
    params = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(trial.params.items()))
    header = (
        f"# Best configuration of Optuna study {study.study_name!r}: trial {trial.number}, "
        f"validation accuracy {trial.value:.2f} %.\n"
        f"# Tuned parameters: {params}\n"
        f"# Train it with: gclbt train --config {Path(path).name}\n"
    )
    path = Path(path)
    write_text_atomic(header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None), path)
    return path


def write_plots(study: optuna.Study, output_dir: str | os.PathLike) -> tuple[list[Path], dict[str, str]]:
    """Save the plots of :data:`PLOTS` as PNG files in ``output_dir``.

    The caller chooses the matplotlib backend (the CLI uses ``Agg``). A plot Optuna cannot draw
    yet (e.g. importances with fewer than two complete trials) is skipped with its reason.

    Returns:
        (list of Path, dict): the files written, and ``{plot name: reason}`` for those skipped.
    """
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    skipped: dict[str, str] = {}
    for name, function in PLOTS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                warnings.simplefilter("ignore", UserWarning)
                axes = getattr(optuna_plots, function)(study)
        except Exception as error:  # Optuna raises several types for "not enough trials"
            skipped[name] = f"{type(error).__name__}: {' '.join(str(error).split())}"
            continue
        figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        path = output_dir / f"{name}.png"
        figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    return written, skipped


def retrain_best(
    study: optuna.Study,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    num_splits: int = 20,
    protocol: str | None = None,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    progress: bool = False,
) -> ExperimentResult:
    """Train the best configuration once per seed and probe it on every split (test accuracy included)."""
    return run_experiment(
        _study_attr(study, "method"),
        _study_attr(study, "dataset"),
        config=best_config(study),
        seeds=seeds,
        protocol=protocol,
        num_splits=num_splits,
        device=device,
        data_cache=data_cache,
        data_mirror=data_mirror,
        progress=progress,
    )


@dataclass
class TuneReport:
    """What :func:`report_study` found and wrote; accuracies in %. The retraining fields keep their
    defaults (``None`` / empty) when the study was reported without retraining."""

    study_name: str
    method: str
    dataset: str
    trials: dict[str, int]
    best_trial: int
    best_value: float
    best_params: dict[str, Any]
    config_file: str
    plots: list[str] = field(default_factory=list)
    skipped_plots: dict[str, str] = field(default_factory=dict)
    # The retraining on test; the defaults say "not retrained".
    test_mean: float | None = None
    test_std: float | None = None
    val_mean: float | None = None
    val_std: float | None = None
    num_evaluations: int = 0
    seeds: list[int] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {state.lower()}" for state, n in sorted(self.trials.items()))
        head = (
            f"study {self.study_name} ({self.method} on {self.dataset}; {counts}): best trial {self.best_trial} "
            f"val {self.best_value:.2f} %"
        )
        if self.test_mean is None:
            return f"{head}; not retrained (no test accuracy)"
        return (
            f"{head}; retrained over seeds {self.seeds} ({self.num_evaluations} evaluations): "
            f"test {self.test_mean:.2f} ± {self.test_std:.2f} %, val {self.val_mean:.2f} ± {self.val_std:.2f} %"
        )


def report_study(
    study: optuna.Study,
    output_dir: str | os.PathLike,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    num_splits: int = 20,
    protocol: str | None = None,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    plots: bool = True,
    progress: bool = False,
    retrain: bool = True,
) -> TuneReport:
    """Retrain the best configuration, export it and plot the study into ``output_dir``.

    Writes ``best-config.yaml``, ``report.json`` (this report, with the full
    :class:`~gclbt_plugin.experiment.ExperimentResult`) and the PNG plots.

    Args:
        study (optuna.Study): a study created by :func:`~gclbt_plugin.tuning.study.tune`.
        output_dir (path): where the files go.
        seeds (sequence of int): K model seeds of the retraining. (default: ``(0, 1, 2)``)
        num_splits (int): random splits per model. (default: ``20``)
        protocol, device, data_cache, data_mirror: see :func:`~gclbt_plugin.experiment.run_experiment`.
        plots (bool): write the plots. (default: ``True``)
        retrain (bool): retrain on test. ``False`` reports the study alone (trial counts, best
            validation accuracy, configuration, plots) with no test numbers, for a configuration that
            is retrained elsewhere, e.g. by a ``gclbt bench`` suite. (default: ``True``)

    Raises:
        ValueError: the study has no complete trial or was not created by ``gclbt tune``.
    """
    output_dir = Path(output_dir)
    trial = best_trial(study)
    config_file = export_config(study, output_dir / "best-config.yaml")
    retraining: dict[str, Any] = {}
    if retrain:
        result = retrain_best(
            study, seeds=seeds, num_splits=num_splits, protocol=protocol, device=device,
            data_cache=data_cache, data_mirror=data_mirror, progress=progress,
        )
        retraining = {
            "test_mean": result.test_mean, "test_std": result.test_std, "val_mean": result.val_mean,
            "val_std": result.val_std, "num_evaluations": result.num_evaluations, "seeds": list(seeds),
            "result": result.to_dict(),
        }
    written, skipped = write_plots(study, output_dir) if plots else ([], {})
    report = TuneReport(
        study_name=study.study_name,
        method=_study_attr(study, "method"),
        dataset=_study_attr(study, "dataset"),
        trials=trial_counts(study),
        best_trial=trial.number,
        best_value=float(trial.value),
        best_params=dict(trial.params),
        config_file=str(config_file),
        plots=[str(p) for p in written],
        skipped_plots=skipped,
        **retraining,
    )
    write_json_atomic(report.to_dict(), output_dir / "report.json")
    return report
