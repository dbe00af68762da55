"""``gclbt tune``: an Optuna study of a method's hyper-parameters; ``gclbt tune report``: its result.

Examples::

    gclbt tune --method gclbt --dataset Computers --n-trials 100
    gclbt tune --method gclbt --dataset Computers --n-trials 100 --storage postgresql://u:p@host/db  # per GPU
    gclbt tune report --study-name gclbt-Computers --report-seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

from gclbt_plugin.cli.options import (
    add_data_options,
    add_device_option,
    add_probe_option,
    check_data_options,
    check_method_dataset,
    method_dataset_overrides,
)
from gclbt_plugin.errors import UsageError
from gclbt_plugin.files import check_output_dir, check_output_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="tune hyper-parameters with Optuna (drop rates and lambda by default)",
        description="Run or continue an Optuna study that maximises the linear probe's validation accuracy. "
        "Several processes given the same --storage and --study-name share the study's --n-trials. "
        "'gclbt tune report' (or --report) retrains the best configuration on test, exports it and plots "
        "the study.",
    )
    parser.add_argument(
        "action", nargs="?", choices=["report"], help="report: only report on an existing study (no new trials)"
    )
    parser.add_argument("--method", help="a registered method (gclbt list methods); default from --config")
    parser.add_argument(
        "--dataset", help="Cora, CiteSeer, PubMed, Computers, Photo, CS, Physics, WikiCS, Facebook, ..."
    )
    parser.add_argument("--config", metavar="FILE", help="YAML hyper-parameters merged over the recipe's defaults")
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
        help="fix one hyper-parameter, e.g. --set epochs=200 (repeatable; beats --config)",
    )
    parser.add_argument("--epochs", type=int, help="training epochs of every trial (beats --config and the recipe)")
    parser.add_argument(
        "--search-space", metavar="FILE",
        help="YAML file adding, narrowing or removing parameters of the default space (see README)",
    )
    study = parser.add_argument_group("study")
    study.add_argument(
        "--n-trials", type=int, default=20,
        help="finished (complete or pruned) trials the study should hold, shared by all workers; "
        "a re-run continues up to it (default: 20)",
    )
    study.add_argument("--timeout", type=float, metavar="SECONDS", help="stop starting trials after this long")
    study.add_argument(
        "--storage", metavar="URL",
        help="Optuna storage URL (default: $OPTUNA_STORAGE, else sqlite:///gclbt-studies.db in the current "
        "directory)",
    )
    study.add_argument("--study-name", help="default: <method>-<dataset>")
    study.add_argument(
        "--optuna-sampler", choices=["tpe", "random"], default="tpe",
        help="Optuna's sampler of hyper-parameters (default: tpe)",
    )
    study.add_argument(
        "--optuna-seed", type=int, default=0,
        help="seed of the Optuna sampler (default: 0); give each concurrent worker its own seed",
    )
    study.add_argument("--pruner", choices=["median", "hyperband", "none"], default="median", help="(default: median)")
    study.add_argument(
        "--pruner-startup-trials", type=int, default=5, help="median: trials finished before pruning (default: 5)"
    )
    study.add_argument(
        "--pruner-warmup-epochs", type=int, default=0, help="median: epochs never pruned (default: 0)"
    )
    study.add_argument(
        "--heartbeat-interval", type=int, default=60,
        help="seconds between heartbeats of a running trial; a trial whose worker died is failed and retried "
        "(0 disables; default: 60)",
    )
    study.add_argument(
        "--grace-period", type=int, help="seconds without heartbeat before failing (default: 2x interval)"
    )
    study.add_argument("--max-retry", type=int, default=3, help="retries of a trial whose worker died (default: 3)")
    study.add_argument(
        "--fail-fast", action="store_true",
        help="stop at the first trial error (default: record it as a failed trial and go on; "
        "CUDA out-of-memory always goes on)",
    )
    trial = parser.add_argument_group("trials")
    trial.add_argument("--seeds", type=int, nargs="+", default=[0], help="model seeds per trial (default: 0)")
    trial.add_argument("--num-splits", type=int, default=5, help="random splits probed per trial (default: 5)")
    trial.add_argument("--protocol", choices=["public", "random", "wikics"], help="default: by dataset")
    trial.add_argument(
        "--eval-every", type=int,
        help="report validation accuracy every K epochs for pruning (0: never; default: epochs/10)",
    )
    trial.add_argument("--eval-splits", type=int, default=2, help="splits of those probes (default: 2)")
    report = parser.add_argument_group("report")
    report.add_argument("--report", action="store_true", help="after the study, report on it as 'gclbt tune report'")
    report.add_argument(
        "--report-seeds", type=int, nargs="+", help="model seeds of the retraining (default: 0 1 2)"
    )
    report.add_argument("--report-splits", type=int, help="random splits of the retraining (default: 20)")
    report.add_argument(
        "--no-retrain", action="store_true",
        help="report the study (trial counts, best validation accuracy, configuration, plots) without retraining "
        "it on test, for a configuration retrained elsewhere (e.g. by a gclbt bench suite)",
    )
    report.add_argument("--output-dir", metavar="DIR", help="report files (default: tuning/<study-name>)")
    report.add_argument("--no-plots", action="store_true", help="do not write the PNG plots")
    report.add_argument(
        "--export-config",
        metavar="FILE",
        help="with 'report': only write the best configuration to FILE (with the study, its trial count and "
        "validation accuracy under sources), no retraining",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show Optuna's log messages (failed trials with tracebacks)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no per-trial lines and no progress bar")
    add_probe_option(parser)
    add_device_option(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here for start-up time (Optuna and the training stack load slowly).
    import optuna
    from optuna.exceptions import ExperimentalWarning

    from gclbt_plugin.tuning.study import (
        default_study_name,
        hide_password,
        open_study,
        resolve_storage_url,
        trial_counts,
        tune,
    )

    warnings.filterwarnings("ignore", category=ExperimentalWarning)
    optuna.logging.set_verbosity(
        optuna.logging.INFO if args.verbose else optuna.logging.ERROR
    )
    for flag in ("num_splits", "eval_splits", "report_splits"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be a positive integer, got {getattr(args, flag)}")
    for flag in ("max_retry", "heartbeat_interval", "pruner_startup_trials", "pruner_warmup_epochs"):
        if getattr(args, flag) < 0:
            raise UsageError(f"--{flag.replace('_', '-')} must be a non-negative integer, got {getattr(args, flag)}")
    if args.export_config and args.action != "report":
        raise UsageError("--export-config is an option of 'gclbt tune report' (it exports an existing study's best "
                         "configuration)")
    _check_report_options(args)
    if args.action != "report" and args.n_trials < 1:
        raise UsageError(
            f"--n-trials must be a positive integer, got {args.n_trials} (to look at an existing study without "
            "running trials, use 'gclbt tune report')"
        )
    method, dataset, overrides = method_dataset_overrides(args)
    storage_url = resolve_storage_url(args.storage)
    heartbeat = args.heartbeat_interval or None
    if args.action == "report":
        study_name = args.study_name or (method and dataset and default_study_name(method, dataset))
        if not study_name:
            raise UsageError("gclbt tune report needs --study-name (or --method and --dataset)")
        _check_storage(args, storage_url, study_name=study_name)
        if args.export_config:
            check_output_file(args.export_config, "--export-config")
            study = open_study(study_name, storage_url, create=False, heartbeat_interval=heartbeat)
            return _export(args.export_config, study)
        _check_report_dir(args, study_name)
        study = open_study(study_name, storage_url, create=False, heartbeat_interval=heartbeat)
        return _report(args, study)

    if not method or not dataset:
        raise UsageError("--method and --dataset are required (or method: and dataset: in --config)")
    name = check_method_dataset(args, method, dataset)
    _check_storage(args, storage_url)
    check_data_options(args)
    if args.report:
        _check_report_dir(args, args.study_name or default_study_name(method, name))
    quiet = args.quiet
    study = tune(
        method,
        dataset,
        n_trials=args.n_trials,
        timeout=args.timeout,
        search_space=args.search_space,
        overrides=overrides,
        storage=storage_url,
        study_name=args.study_name,
        sampler=args.optuna_sampler,
        seed=args.optuna_seed,
        pruner=args.pruner,
        pruner_startup_trials=args.pruner_startup_trials,
        pruner_warmup_epochs=args.pruner_warmup_epochs,
        eval_every=args.eval_every,
        eval_splits=args.eval_splits,
        num_splits=args.num_splits,
        seeds=args.seeds,
        protocol=args.protocol,
        device=args.device,
        data_cache=args.data_cache,
        data_mirror=args.data_mirror,
        heartbeat_interval=heartbeat,
        grace_period=args.grace_period,
        max_retry=args.max_retry,
        catch=() if args.fail_fast else (Exception,),
        progress=not (args.no_progress or quiet),
        print_trials=not quiet,
    )
    counts = ", ".join(f"{n} {state.lower()}" for state, n in sorted(trial_counts(study).items())) or "no trials"
    print(f"study {study.study_name!r} in {hide_password(storage_url)}: {counts}")
    try:
        best = study.best_trial
        params = " ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(best.params.items())
        )
        print(f"best trial {best.number}: validation accuracy {best.value:.2f} % | {params}")
    except ValueError:
        print("no complete trial yet")
    if args.report:
        return _report(args, study)
    return 0


def _check_storage(args: argparse.Namespace, url: str, *, study_name: str | None = None) -> None:
    """A SQLite storage file must be creatable (a new study) or, for the report of ``study_name``,
    exist; checked before any work, so that no empty database file is left behind."""
    # Imported here for start-up time (Optuna loads slowly).
    from gclbt_plugin.tuning.study import STORAGE_ENV, sqlite_file

    path = sqlite_file(url)
    if path is None:
        return
    flag = "--storage"
    if not args.storage:
        flag = f"${STORAGE_ENV}" if os.environ.get(STORAGE_ENV) else "the default --storage"
    if study_name is None:
        check_output_file(path, flag)
    elif not path.is_file():
        raise UsageError(
            f"{flag} {url!r} holds no study named {study_name!r}: the database file {os.fspath(path)!r} "
            "does not exist"
        )


def _check_report_dir(args: argparse.Namespace, study_name: str) -> None:
    check_output_dir(Path(args.output_dir or Path("tuning") / study_name), "--output-dir")


def _export(path: str, study) -> int:
    from gclbt_plugin.tuning.report import best_trial, export_config

    try:
        trial = best_trial(study)
    except ValueError as error:
        raise UsageError(str(error)) from None
    written = export_config(study, path)
    print(f"best configuration of study {study.study_name!r} (trial {trial.number}, validation accuracy "
          f"{trial.value:.2f} %) written to {written} (gclbt train --config {written})")
    return 0


#: The report group's options, by the flag that names them, that only a written report reads.
_REPORT_OPTIONS = {
    "--report-seeds": "report_seeds",
    "--report-splits": "report_splits",
    "--no-retrain": "no_retrain",
    "--output-dir": "output_dir",
    "--no-plots": "no_plots",
}
#: Those that only a report which retrains reads.
_RETRAIN_OPTIONS = ("--report-seeds", "--report-splits")


def _given(args: argparse.Namespace, flags) -> list[str]:
    """``"--flag VALUE"`` for each of ``flags`` set on the command line (their defaults are None / False)."""
    given = []
    for flag in flags:
        value = getattr(args, _REPORT_OPTIONS[flag])
        if value is None or value is False:
            continue
        shown = "" if value is True else " " + (" ".join(map(str, value)) if isinstance(value, list) else str(value))
        given.append(flag + shown)
    return given


def _check_report_options(args: argparse.Namespace) -> None:
    """Reject report options that this command would silently ignore (before any trial runs)."""
    writes_report = not args.export_config and (args.action == "report" or args.report)
    if not writes_report:
        given = _given(args, _REPORT_OPTIONS)
        if given:
            why, remedy = (
                ("--export-config writes only the configuration", "drop them, or report without --export-config")
                if args.export_config
                else ("no report is written", "add --report, or use 'gclbt tune report' on the study")
            )
            raise UsageError(f"{', '.join(given)} would be ignored: {why} ({remedy})")
    elif args.no_retrain:
        given = _given(args, _RETRAIN_OPTIONS)
        if given:
            raise UsageError(f"{', '.join(given)} would be ignored: --no-retrain skips the retraining "
                             "(drop one of them)")


def _report(args: argparse.Namespace, study) -> int:
    # Imported here for start-up time (matplotlib and Optuna load slowly).
    import matplotlib

    matplotlib.use("Agg")
    from gclbt_plugin.tuning.report import report_study

    output_dir = Path(args.output_dir or Path("tuning") / study.study_name)
    # Only the retraining options given: report_study holds their defaults.
    given = {"seeds": args.report_seeds, "num_splits": args.report_splits}
    report = report_study(
        study,
        output_dir,
        **{key: value for key, value in given.items() if value is not None},
        protocol=args.protocol,
        device=args.device,
        data_cache=args.data_cache,
        data_mirror=args.data_mirror,
        plots=not args.no_plots,
        progress=not (args.no_progress or args.quiet),
        retrain=not args.no_retrain,
    )
    print(report.summary())
    print(f"best configuration: {report.config_file} (gclbt train --config {report.config_file})")
    for name, reason in report.skipped_plots.items():
        print(f"plot {name} skipped: {reason}")
    if report.plots:
        print(f"plots: {', '.join(os.fspath(p) for p in report.plots)}")
    print(f"report written to {output_dir / 'report.json'}")
    return 0
