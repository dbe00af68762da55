"""``gclbt bench``: run a benchmark suite resumably, render reports, run the scaling benchmark.

Three forms::

    gclbt bench SUITE --out DIR [--max-epochs N] ...   # SUITE: a name under benchmarks/suites or a path
    gclbt bench report DIR [--out DIR]                  # render any folder of result JSON files
    gclbt bench scaling --out DIR [--sizes N ...]       # synthetic SBM scaling benchmark
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gclbt_plugin.cli.options import add_data_options, add_device_option, add_probe_option, check_data_options
from gclbt_plugin.errors import UsageError
from gclbt_plugin.files import check_output_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run a benchmark suite, render a report or run the scaling benchmark",
        description="gclbt bench SUITE --out DIR: run every cell (method x dataset x variant) of a suite, "
        "one process per cell, writing each finished cell at once (re-running skips finished cells and "
        "redoes broken ones), then write results.md/.csv/.json and plots. "
        "gclbt bench report DIR: render a folder of results (bench cells or gclbt train --output files). "
        "gclbt bench scaling --out DIR: time and memory on synthetic SBM graphs of growing size.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("suite", metavar="SUITE", help="suite name (benchmarks/suites/<name>.yaml) or path; "
                        "or 'report' or 'scaling'")
    parser.add_argument("path", nargs="?", metavar="DIR", help="with 'report': the results folder")
    parser.add_argument("--out", metavar="DIR", help="output folder (report: default the results folder)")
    parser.add_argument("--max-epochs", type=int, metavar="N",
                        help="cap every cell's epochs (CPU runs); the epochs run are recorded per cell")
    add_probe_option(parser)
    parser.add_argument("--only", action="append", metavar="TEXT", help="run (or --list) only cells whose id "
                        "contains TEXT, or whose id is ID with =ID (repeatable)")
    parser.add_argument("--reuse", action="append", metavar="DIR", default=[],
                        help="another suite's --out folder: a cell with no result here whose configuration, seeds, "
                        "splits, probe and --device match a finished cell there (same fingerprint) is copied, not "
                        "run; the copy names its source under reused_from (repeatable)")
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="keep each finished cell's final checkpoints (OUT/checkpoints/<cell id>/, one per seed) "
                        "so that its models can be probed again (benchmarks/probe_check.py --cell); by default "
                        "they are removed")
    parser.add_argument("--list", action="store_true", help="list the suite's cells and exit")
    parser.add_argument("--offline", action="store_true",
                        help="skip cells whose dataset is not in the cache or mirror instead of downloading")
    parser.add_argument("--no-isolate", action="store_true",
                        help="run cells in this process (faster start; peak memory is then not per cell)")
    parser.add_argument("--cell-timeout", type=float, metavar="SECONDS", help="kill a cell after this long")
    parser.add_argument("--threads", type=int, metavar="N", help="torch threads per cell / point")
    parser.add_argument("--published", metavar="FILE", help="published numbers (default: benchmarks/published.yaml)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    scaling = parser.add_argument_group("scaling")
    scaling.add_argument("--sizes", type=int, nargs="+", metavar="N", help="node counts (default: 1e3 .. 1e6)")
    scaling.add_argument("--methods", nargs="+", metavar="VARIANT",
                         help="grace, grace-chunked, bgrl, gbt, gclbt (default: all)")
    scaling.add_argument("--epochs", type=int, default=3, help="timed epochs per point (default: 3)")
    scaling.add_argument("--max-epoch-seconds", type=float, default=60.0,
                         help="skip sizes whose extrapolated epoch time exceeds this (default: 60)")
    scaling.add_argument("--memory-limit-mb", type=float,
                         help="skip sizes whose extrapolated peak memory exceeds this (default: half the free RAM)")
    add_device_option(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.suite == "report":
        return _report(args)
    if args.suite == "scaling":
        return _scaling(args)
    return _suite(args)


def _report(args: argparse.Namespace) -> int:
    from gclbt_plugin.benchmarking.report import write_report
    if not args.path:
        raise UsageError("bench report needs the results folder: gclbt bench report DIR [--out DIR]")
    if not Path(args.path).is_dir():
        raise UsageError(f"results folder {args.path!r} does not exist")
    out = check_output_dir(args.out or args.path, "--out" if args.out else "the results folder")
    report = write_report(args.path, out, published=args.published, plots=not args.no_plots)
    print(f"{len(report.ok_rows())} results, {len(report.not_run())} not run, {len(report.unreadable)} unreadable "
          f"files; report written to {out / 'results.md'}")
    return 0


def _scaling(args: argparse.Namespace) -> int:
    from gclbt_plugin.benchmarking.scaling import DEFAULT_SIZES, VARIANTS, run_scaling, write_scaling_report
    if not args.out:
        raise UsageError("bench scaling needs --out DIR")
    check_output_dir(args.out, "--out")
    methods = args.methods or list(VARIANTS)
    unknown = [m for m in methods if m not in VARIANTS]
    if unknown:
        raise UsageError(f"--methods must be among {list(VARIANTS)}, got {unknown}")
    records = run_scaling(
        args.out,
        sizes=args.sizes or DEFAULT_SIZES,
        variants=methods,
        epochs=args.epochs,
        device=args.device,
        threads=args.threads,
        max_epoch_seconds=args.max_epoch_seconds,
        memory_limit_mb=args.memory_limit_mb,
        isolate=not args.no_isolate,
    )
    write_scaling_report(records, args.out)
    print(f"scaling report written to {Path(args.out) / 'scaling.md'}")
    return 0


def _suite(args: argparse.Namespace) -> int:
    from gclbt_plugin.benchmarking.report import write_report
    from gclbt_plugin.benchmarking.runner import NotASuiteFolderError, run_suite
    from gclbt_plugin.benchmarking.suite import load_suite
    if args.path:
        raise UsageError(f"unexpected argument {args.path!r}; did you mean --out {args.path}?")
    if args.max_epochs is not None and args.max_epochs <= 0:
        raise UsageError(f"--max-epochs must be a positive integer, got {args.max_epochs}")
    suite = load_suite(args.suite)
    if args.list:
        cells = suite.select(args.only)
        for cell in cells:
            epochs = cell.epochs or "published"
            print(f"{cell.id}: seeds {list(cell.seeds)}, epochs {epochs}, splits {cell.num_splits}")
        print(f"{len(cells)} cells")
        return 0
    if not args.out:
        raise UsageError("--out DIR is required (where cell results and the report go)")
    check_output_dir(args.out, "--out")
    check_data_options(args)
    try:
        outcomes = run_suite(
            suite,
            args.out,
            max_epochs=args.max_epochs,
            device=args.device,
            data_cache=args.data_cache,
            data_mirror=args.data_mirror,
            offline=args.offline,
            isolate=not args.no_isolate,
            cell_timeout=args.cell_timeout,
            threads=args.threads,
            only=args.only,
            progress=not args.no_progress,
            probe=args.probe,
            reuse=args.reuse,
            keep_checkpoints=args.keep_checkpoints,
        )
    except NotASuiteFolderError as error:  # raised before any cell runs or anything is written
        raise UsageError(
            f"--reuse {error.folder!r}: no cells/ folder there; give the --out folder of an earlier suite run"
        ) from None
    write_report(args.out, args.out, published=args.published, plots=not args.no_plots)
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "skipped", "failed")}
    cached = sum(o.action == "cached" for o in outcomes)
    reused = sum(o.action == "reused" for o in outcomes)
    print(f"{len(outcomes)} cells: {counts['ok']} ok ({cached} from earlier runs, {reused} reused), "
          f"{counts['skipped']} skipped, {counts['failed']} failed; report: {Path(args.out) / 'results.md'}")
    return 1 if counts["failed"] else 0
