"""Render benchmark results: ``results.md``, ``results.csv``, ``results.json`` and PNG plots.

Input is any folder of result JSON files: cell files written by ``gclbt bench`` (under
``cells/``) or files written by ``gclbt train --output`` (``ExperimentResult.to_dict()``, no
memory fields). Each result with a published number for its method and dataset (in
``benchmarks/published.yaml``) is shown beside it with the difference, the published protocol
and the source; the published protocol may differ from ours, so both are shown.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from gclbt_plugin.benchmarking.paired import PairedAccuracies, compare_cells, compare_seeds, pair_accuracies
from gclbt_plugin.benchmarking.runner import plan_cell
from gclbt_plugin.benchmarking.suite import Suite, load_suite
from gclbt_plugin.config import TUNED_SOURCE_PREFIX
from gclbt_plugin.files import write_json_atomic, write_text_atomic

#: Our registry names -> the method display names used as keys of ``published.yaml``.
METHOD_DISPLAY = {"grace": "GRACE", "gca": "GCA", "bgrl": "BGRL", "gbt": "G-BT", "gclbt": "GCL-BT"}

#: Our split protocols in the words of ``published.yaml``'s shorthands.
PROTOCOL_TEXT = {
    "public": "public split",
    "random": "random-10/10/80",
    "wikics": "wikics-public-20",
}

SKIP_FILES = {"suite.json", "results.json"}


def published_path() -> Path:
    """``benchmarks/published.yaml`` of the source checkout (``$GCLBT_PUBLISHED`` overrides it)."""
    env = os.environ.get("GCLBT_PUBLISHED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "benchmarks" / "published.yaml"


def load_published(path: str | os.PathLike | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{display name: {dataset: {mean, std, protocol, source, ...}}}`` from ``published.yaml``.

    A missing file gives ``{}`` (the report then has no published column values).

    Raises:
        ValueError: the file is not valid YAML or not a mapping of mappings.
    """
    path = Path(path) if path is not None else published_path()
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"published numbers file {os.fspath(path)!r} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ValueError(f"published numbers file {os.fspath(path)!r} must map method names to datasets")
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in document.items()}


def published_entry(
    published: dict[str, dict[str, dict[str, Any]]], method: str, dataset: str
) -> dict[str, Any] | None:
    """The published number of our ``method`` on ``dataset``, or ``None``."""
    display = METHOD_DISPLAY.get(method, method)
    entry = published.get(display, {}).get(dataset)
    return entry if isinstance(entry, dict) and "mean" in entry else None


@dataclass
class Row:
    """One result row of the report (one cell or one ``gclbt train`` file)."""

    file: str
    status: str
    method: str
    dataset: str
    variant: str = ""
    test_mean: float | None = None
    test_std: float | None = None
    num_evaluations: int | None = None
    protocol: str | None = None
    probe: str | None = None
    features_normalized: bool | None = None
    epochs: int | None = None
    epochs_requested: int | None = None
    epochs_published: int | None = None
    seconds_per_epoch: float | None = None
    seconds: float | None = None
    peak_rss_mb: float | None = None
    cuda_peak_mb: float | None = None
    memory_scope: str | None = None
    device: str | None = None
    git_commit: str | None = None
    published_mean: float | None = None
    published_std: float | None = None
    published_protocol: str | None = None
    published_source: str | None = None
    difference: float | None = None
    reason: str | None = None
    #: the provenance of a tuned configuration (its ``sources`` line from ``gclbt tune report``)
    tuned_by: str | None = None
    #: the cell file this result was copied from (``gclbt bench --reuse``), as the record names it
    reused_from: str | None = None
    #: the revisions of the cell's augmenters when it ran; ``None``: not recorded (records written
    #: before 2026-12-04), never judged stale
    augmenter_revisions: dict[str, int] | None = None
    #: an augmenter of the cell has another ``revision`` today: the next ``gclbt bench`` run redoes it
    stale: bool = False

    def label(self) -> str:
        return self.method + (f" [{self.variant}]" if self.variant else "") + (" (stale)" if self.stale else "")


@dataclass
class Report:
    """The rows, the files that could not be read and the sources, as rendered."""

    source_dir: str
    rows: list[Row] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    title: str = "Benchmark results"
    description: str = ""
    #: ``row.file -> {(seed, split): test accuracy}`` of every ok row (for the paired comparisons).
    pairs: dict[str, PairedAccuracies] = field(default_factory=dict)
    #: the folder's suite's ``reference_variant``: every other variant is paired with it
    reference_variant: str | None = None

    def ok_rows(self) -> list[Row]:
        return [r for r in self.rows if r.status == "ok"]

    def not_run(self) -> list[Row]:
        return [r for r in self.rows if r.status != "ok"]

    def sources(self) -> list[str]:
        seen: list[str] = []
        for row in self.ok_rows():
            if row.published_source and row.published_source not in seen:
                seen.append(row.published_source)
        return seen


def _result_files(folder: Path) -> list[Path]:
    cells = folder / "cells"
    root = cells if cells.is_dir() else folder
    return sorted(p for p in root.rglob("*.json") if not p.name.startswith(".") and p.name not in SKIP_FILES)


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def row_from_record(record: dict[str, Any], file: str, published: dict[str, Any]) -> Row:
    """A report row from a cell record or an ``ExperimentResult.to_dict()``.

    Raises:
        ValueError: the record has no ``method``/``dataset`` (not a result file).
    """
    if not isinstance(record, dict) or not isinstance(record.get("method"), str) or not isinstance(
        record.get("dataset"), str
    ):
        raise ValueError("not a result record (no method/dataset)")
    status = record.get("status", "ok")
    row = Row(
        file=file,
        status=status,
        method=record["method"],
        dataset=record["dataset"],
        variant=record.get("variant") or "",
        reason=record.get("reason") or (str(record.get("error")).splitlines()[0] if record.get("error") else None),
        epochs_requested=record.get("epochs_requested"),
        epochs_published=record.get("epochs_published"),
        git_commit=record.get("git_commit"),
        augmenter_revisions=record.get("augmenter_revisions") if isinstance(record.get("augmenter_revisions"), dict)
        else None,
    )
    if status != "ok":
        return row
    if _number(record.get("test_mean")) is None:
        raise ValueError("status ok but test_mean is not a finite number")
    row.test_mean = float(record["test_mean"])
    row.test_std = _number(record.get("test_std"))
    row.num_evaluations = record.get("num_evaluations")
    row.protocol = record.get("protocol")
    row.probe = record.get("probe")
    row.features_normalized = record.get("features_normalized")
    row.epochs = record.get("epochs")
    row.seconds_per_epoch = _number(record.get("seconds_per_epoch"))
    row.seconds = _number(record.get("seconds"))
    row.peak_rss_mb = _number(record.get("peak_rss_mb"))
    row.cuda_peak_mb = _number(record.get("cuda_peak_mb"))
    row.memory_scope = record.get("memory_scope")
    row.device = record.get("device")
    sources = (record.get("config") or {}).get("sources") or []
    row.tuned_by = next((s for s in sources if isinstance(s, str) and s.startswith(TUNED_SOURCE_PREFIX)), None)
    reused = record.get("reused_from")
    if isinstance(reused, dict) and reused.get("path"):
        row.reused_from = str(reused["path"])
    # Published numbers belong to the published method: not to ablation variants.
    entry = published_entry(published, row.method, row.dataset) if not row.variant else None
    if entry is not None:
        row.published_mean = _number(entry.get("mean"))
        row.published_std = _number(entry.get("std"))
        row.published_protocol = entry.get("protocol")
        row.published_source = entry.get("source")
        if row.published_mean is not None:
            row.difference = row.test_mean - row.published_mean
    return row


def collect(
    folder: str | os.PathLike, published: dict[str, Any] | None = None, *, title: str | None = None
) -> Report:
    """Read every result JSON under ``folder`` (``folder/cells`` when present) into a :class:`Report`.

    Files that do not parse or are not result records are listed in ``Report.unreadable``.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"results folder {os.fspath(folder)!r} does not exist")
    published = load_published() if published is None else published
    report = Report(source_dir=os.fspath(folder))
    suite_file = folder / "suite.json"
    suite: dict[str, Any] = {}
    if suite_file.is_file():
        try:
            suite = json.loads(suite_file.read_text())
            report.title = f"Benchmark results: suite {suite.get('suite')}"
            report.description = suite.get("description") or ""
        except (OSError, json.JSONDecodeError):
            suite = {}
    if title:
        report.title = title
    for path in _result_files(folder):
        relative = os.fspath(path.relative_to(folder))
        try:
            record = json.loads(path.read_text())
            report.rows.append(row_from_record(record, relative, published))
            if report.rows[-1].status == "ok":
                report.pairs[relative] = pair_accuracies(record)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
            report.unreadable.append((relative, f"{type(error).__name__}: {error}"))
    present = {Path(name).stem for name in [*(row.file for row in report.rows), *(n for n, _ in report.unreadable)]}
    loaded = _folder_suite(suite)
    if loaded is not None:
        _mark_stale(report.rows, loaded)
        report.rows += _missing_cells(loaded, present)
        report.reference_variant = loaded.reference_variant
    order = list(METHOD_DISPLAY)
    report.rows.sort(
        key=lambda r: (r.dataset, order.index(r.method) if r.method in order else len(order), r.method,
                       r.variant, r.epochs or 0, r.file)
    )
    return report


def _folder_suite(suite: dict[str, Any]) -> Suite | None:
    """The suite a results folder was run from (its ``suite.json``), or ``None``.

    Read from the path recorded in ``suite.json`` when that file exists, else looked up by its name
    (the path may be another machine's); a folder without a loadable suite has none.
    """
    path = suite.get("path")
    for reference in (path if path and Path(path).is_file() else None, suite.get("suite")):
        if not reference:
            continue
        try:
            return load_suite(reference)
        except (OSError, ValueError):
            continue
    return None


def _mark_stale(rows: list[Row], suite: Suite) -> None:
    """Mark the ok rows whose cell's augmenters have another ``revision`` today than when it ran.

    Only the revisions are compared (:func:`gclbt_plugin.recipes.build.augmenter_revisions`), not
    the whole fingerprint: cells of one folder may have run with other ``--max-epochs`` or
    ``--probe`` options, which do not make them stale.
    """
    cells = {f"cells/{cell.id}.json": cell for cell in suite.cells}
    for row in rows:
        cell = cells.get(row.file)
        if row.status != "ok" or cell is None or row.augmenter_revisions is None:
            continue
        try:
            revisions = plan_cell(cell)["augmenter_revisions"]
        except (ImportError, LookupError, TypeError, ValueError):
            continue  # a cell today's code cannot plan is reported by the run, not here
        row.stale = revisions != row.augmenter_revisions


def _missing_cells(suite: Suite, present: set[str]) -> list[Row]:
    """Rows for the cells of the folder's suite that have no result file (a partial run leaves them out).

    Unreadable result files count as present (they are listed as unreadable).
    """
    return [
        Row(file=f"cells/{cell.id}.json", status="not run", method=cell.method, dataset=cell.dataset,
            variant=cell.variant, reason="no result file in this folder")
        for cell in suite.cells if cell.id not in present
    ]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "–"
    return f"{mean:.2f} ± {std:.2f}" if std is not None else f"{mean:.2f}"


def _epochs_text(row: Row) -> str:
    text = str(row.epochs) if row.epochs is not None else "–"
    if row.epochs_requested is not None and row.epochs is not None and row.epochs < row.epochs_requested:
        text += f" of {row.epochs_requested}"
    if row.epochs_published is not None:
        text += f" (publ. {row.epochs_published})"
    return text


def _our_protocol(row: Row) -> str:
    text = PROTOCOL_TEXT.get(row.protocol or "", row.protocol or "–")
    text = f"{text}, {row.num_evaluations} evals" if row.num_evaluations else text
    if row.probe:
        text += f", {row.probe} probe"
    if row.features_normalized is not None:
        text += ", X rows normalised" if row.features_normalized else ", raw X"
    return text


def render_markdown(report: Report, plots: Iterable[str] = ()) -> str:
    """``results.md``: one table per dataset, then cells not run, unreadable files, sources, plots."""
    sources = report.sources()
    lines = [f"# {report.title}", ""]
    if report.description:
        lines += [report.description, ""]
    ok = report.ok_rows()
    devices = sorted({r.device for r in ok if r.device})
    commits = sorted({r.git_commit for r in ok if r.git_commit})
    lines += [
        f"Generated {datetime.now(timezone.utc).isoformat(timespec='seconds')} from {len(report.rows)} result "
        f"files in `{report.source_dir}`; device(s): {', '.join(devices) or '–'}"
        + (f"; commit(s): {', '.join(c[:12] + ('+dirty' if c.endswith('+dirty') else '') for c in commits)}"
           if commits else "") + ".",
        "",
        "Accuracy: linear-probe test accuracy in %, mean ± std over every (seed, split) pair; the probe "
        "protocol (`bgrl`: L2 rows, logistic regression converged for C = 2^-10..2^10 chosen on validation; "
        "`gca`: raw embeddings, Adam logistic regression, test at the best-validation epoch) and whether the "
        "node features were row-normalised are named in 'our protocol'. "
        "Epochs: run (`of N`: capped by `--max-epochs`, N requested; `publ.`: the recipe's published "
        "epochs). **The published protocol may differ from ours** (e.g. GRACE's random 1:9 splits vs "
        "our public Planetoid split), so Δ = ours − published is indicative only; both protocols are shown. "
        "Published numbers are only shown for a method's published configuration (not for ablation variants).",
        "",
    ]
    if any(r.memory_scope in ("shared", "reset") for r in ok):
        lines += [
            "Some cells ran in one process (`--no-isolate`): their peak RSS includes memory held from "
            "earlier cells (scope `reset`) or is the process's maximum so far (scope `shared`).",
            "",
        ]
    if ok and all(r.peak_rss_mb is None for r in ok):
        lines += ["These results carry no memory figures (files of `gclbt train --output`).", ""]
    for dataset in sorted({r.dataset for r in ok}):
        lines += [f"## {dataset}", ""]
        lines.append(
            "| method | ours (%) | our protocol | epochs | published (%) | Δ | published protocol | source "
            "| s/epoch | total s | peak RSS (MiB) | device |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in (r for r in ok if r.dataset == dataset):
            ref = f"[{sources.index(row.published_source) + 1}]" if row.published_source else "–"
            memory = _fmt(row.peak_rss_mb, 0)
            if row.cuda_peak_mb is not None:
                memory += f" (CUDA {row.cuda_peak_mb:.0f})"
            diff = "–" if row.difference is None else f"{row.difference:+.2f}"
            lines.append(
                f"| {row.label()} | {_pm(row.test_mean, row.test_std)} | {_our_protocol(row)} | {_epochs_text(row)} "
                f"| {_pm(row.published_mean, row.published_std)} | {diff} | {row.published_protocol or '–'} | {ref} "
                f"| {_fmt(row.seconds_per_epoch, 3)} | {_fmt(row.seconds, 1)} | {memory} | {row.device or '–'} |"
            )
        lines.append("")
    lines += _paired_section(report)
    lines += _tuned_section(report)
    lines += _stale_section(report)
    lines += _reused_section(report)
    not_run = report.not_run()
    if not_run:
        lines += ["## Cells not run", "", "| cell | status | reason |", "|---|---|---|"]
        for row in not_run:
            reason = (row.reason or "").replace("|", "\\|")
            lines.append(f"| {row.label()} / {row.dataset} | {row.status} | {reason} |")
        lines.append("")
    if report.unreadable:
        lines += ["## Unreadable files", ""]
        lines += [f"- `{name}`: {why}" for name, why in report.unreadable]
        lines.append("")
    if sources:
        lines += ["## Sources of the published numbers", ""]
        lines += [f"{i}. {source}" for i, source in enumerate(sources, 1)]
        lines.append("")
    plots = list(plots)
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{Path(p).stem}]({Path(p).name})" for p in plots]
        lines.append("")
    return "\n".join(lines)


#: The methods compared in results.md, (first, second): each cell of ``first`` against the cell of
#: ``second`` with the same dataset and variant.
PAIRED_COMPARISONS = (("gclbt", "gbt"),)


def _variant_base(variant: str, variants: set[str]) -> str | None:
    """The variant that ``variant`` refines: its longest proper ``-``-prefix among ``variants``
    (``"tuned-pagerank" -> "tuned"``), or ``None``."""
    parts = variant.split("-")
    for end in range(len(parts) - 1, 0, -1):
        if "-".join(parts[:end]) in variants:
            return "-".join(parts[:end])
    return None


def _paired_rows(report: Report) -> list[tuple[Row, Row]]:
    """The ``(a, b)`` cells compared: each ``first`` cell against ``second``'s cell of its dataset and
    variant; a derived ``first`` variant (``tuned-pagerank``) also against both methods' cells of its
    base variant (``tuned``), so a GCA-BT centrality is read against G-BT and against GCL-BT's own
    default; and each method's top-level variant (``tuned``) against its own plain cell (the recipe),
    so a tuned configuration is read against the recipe it replaces. Where a folder holds two cells of
    one (method, dataset, variant) (e.g. two epoch budgets), only the first in report order takes part,
    so that every row of the table names one cell. When the folder's suite names a
    ``reference_variant`` (an ablation's control), every cell of another variant is also paired with
    the cell of its method and dataset in that variant."""
    ok = report.ok_rows()
    index: dict[tuple[str, str, str], Row] = {}
    for row in ok:
        index.setdefault((row.method, row.dataset, row.variant), row)
    pairs: list[tuple[Row, Row]] = []
    for first, second in PAIRED_COMPARISONS:
        # the variants of the two methods per dataset, among which a derived variant's base is looked up
        variants: dict[str, set[str]] = {}
        for m, d, v in index:
            if m in (first, second):
                variants.setdefault(d, set()).add(v)
        for a in sorted((r for r in ok if r.method == first), key=lambda r: (r.dataset, r.variant)):
            if index[(first, a.dataset, a.variant)] is not a:
                continue
            base = _variant_base(a.variant, variants[a.dataset])
            partners = [(second, a.variant)] + ([(second, base), (first, base)] if base is not None else [])
            pairs += [(a, index[(m, a.dataset, v)]) for m, v in partners if (m, a.dataset, v) in index]
        for method in (first, second):
            for (m, dataset, variant), a in sorted(index.items()):
                plain = index.get((method, dataset, ""))
                if m == method and variant and plain is not None and _variant_base(variant, variants[dataset]) is None:
                    pairs.append((a, plain))
    reference = report.reference_variant
    if reference is not None:
        for (method, dataset, variant), a in sorted(index.items()):
            control = index.get((method, dataset, reference))
            if variant != reference and control is not None and (a, control) not in pairs:
                pairs.append((a, control))
    return sorted(pairs, key=lambda pair: pair[0].dataset)  # stable: a dataset's rows together, in this order


def _interval(result) -> str:
    if result is None:
        return "— | — | —"
    return f"{result.mean:+.2f} | [{result.ci_low:+.2f}, {result.ci_high:+.2f}] | {result.p_value:.3g}"


def _paired_section(report: Report) -> list[str]:
    """``GCL-BT − G-BT``, derived variants against their base and variants against the recipe (see
    :func:`_paired_rows`), over the pairs both cells hold."""
    lines: list[str] = []
    for a, b in _paired_rows(report):
        first, second = report.pairs.get(a.file, {}), report.pairs.get(b.file, {})
        by_pair = compare_cells(first, second)
        if by_pair is None:
            continue
        by_seed = compare_seeds(first, second)
        if not lines:
            lines += [
                "## Paired comparisons",
                "",
                "Test accuracy difference (points), Student's paired t-test (scipy `ttest_rel`) and the 95 % "
                "interval of the mean difference, twice: over the (model seed, split) pairs both cells hold, "
                "and over the seeds (each seed's mean over those splits; needs 2 seeds). On random-split "
                "datasets the splits of a seed share its trained model, so the per-seed test is the one over "
                "independently trained models and the per-pair interval speaks only for these models and "
                "splits; with one split per seed (a public split) the two coincide. The p-values are per "
                "comparison, not corrected for the several comparisons of a dataset.",
                "",
                "| dataset | comparison | pairs | mean difference | 95 % interval | p | seeds | per-seed difference "
                "| 95 % interval | p |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
        seeds = by_seed.n if by_seed else len({seed for seed, _ in set(first) & set(second)})
        lines.append(
            f"| {a.dataset} | {a.label()} − {b.label()} | {by_pair.n} | {_interval(by_pair)} | {seeds} | "
            f"{_interval(by_seed)} |"
        )
    return [*lines, ""] if lines else []


def _rows_section(
    title: str, intro: str, rows: list[Row], columns: dict[str, Callable[[Row], str]]
) -> list[str]:
    """A report section listing ``rows``: ``## title``, ``intro`` and a table of ``dataset``,
    ``method`` and ``columns`` (header -> cell text); nothing when there are no rows."""
    if not rows:
        return []
    headers = ["dataset", "method", *columns]
    lines = [f"## {title}", ""] + ([intro, ""] if intro else [])
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join([r.dataset, r.label(), *(cell(r) for cell in columns.values())]) + " |" for r in rows]
    return [*lines, ""]


def _tuned_section(report: Report) -> list[str]:
    """Where every tuned cell's configuration comes from: study, trials and the validation accuracy that chose it."""
    rows = [r for r in report.ok_rows() if r.tuned_by]
    return _rows_section("Tuned configurations", "", rows, {"provenance": lambda r: str(r.tuned_by)})


def _stale_section(report: Report) -> list[str]:
    """Cells trained by code that no longer gives their configuration's result (marked ``(stale)``)."""
    intro = (
        "An augmenter of these cells changed its views since they ran (its `revision`): their numbers "
        "describe the commit that trained them, and the next run of the suite into this folder trains them "
        "again."
    )
    return _rows_section("Stale cells", intro, [r for r in report.ok_rows() if r.stale], {
        "file": lambda r: f"`{r.file}`", "commit": lambda r: (r.git_commit or "–")[:12],
    })


def _reused_section(report: Report) -> list[str]:
    """Cells whose result was copied from another suite's cell of the same fingerprint (not run again)."""
    intro = (
        "Same configuration, seeds, splits and probe as a finished cell of another suite (`gclbt bench --reuse`): "
        "its result is copied, not recomputed."
    )
    rows = [r for r in report.ok_rows() if r.reused_from]
    return _rows_section("Reused cells", intro, rows, {"copied from": lambda r: f"`{r.reused_from}`"})


CSV_FIELDS = [f for f in Row.__dataclass_fields__]


def write_csv(report: Report, path: str | os.PathLike) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(row).items()})
    write_text_atomic(buffer.getvalue(), path)


def _grouped(rows: list[Row]) -> tuple[list[str], list[str]]:
    datasets = sorted({r.dataset for r in rows})
    labels: list[str] = []
    for row in rows:
        if row.label() not in labels:
            labels.append(row.label())
    return datasets, labels


def _bar_plot(rows: list[Row], value, path: Path, ylabel: str, title: str, *, log: bool = False, error=None,
              marker=None, zoom: bool = False) -> None:
    """Grouped bars, one group per dataset; ``zoom`` starts the y-axis just below the lowest bar
    (accuracies differ by a few points, which bars from 0 would hide)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets, labels = _grouped(rows)
    width = 0.8 / max(1, len(labels))
    # tab10 repeats after ten labels (the ablation has twelve variants per dataset).
    colours = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20").colors
    colours = colours if len(labels) <= 10 else colours[::2] + colours[1::2]  # tab20 pairs shades of a hue
    lowest = math.inf
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(datasets) * max(1, len(labels)) ** 0.5), 4.0))
    for i, label in enumerate(labels):
        xs, ys, errs, marks = [], [], [], []
        for j, dataset in enumerate(datasets):
            match = [r for r in rows if r.dataset == dataset and r.label() == label and value(r) is not None]
            if not match:
                continue
            row = match[-1]
            xs.append(j + (i - (len(labels) - 1) / 2) * width)
            ys.append(value(row))
            errs.append((error(row) or 0.0) if error else 0.0)
            marks.append(marker(row) if marker else None)
        if not xs:
            continue
        ax.bar(xs, ys, width, yerr=errs if error else None, capsize=2, label=label,
               color=colours[i % len(colours)])
        lowest = min([lowest, *(y - e for y, e in zip(ys, errs)), *(m for m in marks if m is not None)])
        published = [(x, m) for x, m in zip(xs, marks) if m is not None]
        if published:
            ax.scatter([x for x, _ in published], [m for _, m in published], marker="D", color="black", s=14,
                       zorder=3, label="published" if i == 0 else None)
    ax.set_xticks(range(len(datasets)), datasets)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    elif zoom and math.isfinite(lowest):
        ax.set_ylim(bottom=max(0.0, 5 * math.floor(lowest / 5) - 5))
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_plots(report: Report, out_dir: str | os.PathLike) -> list[str]:
    """Accuracy (error bars; published as diamonds), time per epoch and peak memory PNGs."""
    out = Path(out_dir)
    rows = report.ok_rows()
    written: list[str] = []
    if not rows:
        return written
    _bar_plot(rows, lambda r: r.test_mean, out / "accuracy.png", "test accuracy (%)",
              "Linear-probe accuracy (mean ± std); ◆ published", error=lambda r: r.test_std,
              marker=lambda r: r.published_mean, zoom=True)
    written.append(os.fspath(out / "accuracy.png"))
    _bar_plot(rows, lambda r: r.seconds_per_epoch, out / "time_per_epoch.png", "seconds per epoch",
              "Training time per epoch", log=True)
    written.append(os.fspath(out / "time_per_epoch.png"))
    if any(r.peak_rss_mb is not None for r in rows):
        _bar_plot(rows, lambda r: r.cuda_peak_mb if r.cuda_peak_mb is not None else r.peak_rss_mb,
                  out / "memory.png", "MiB", "Peak memory (CUDA allocated on GPU, else process RSS)")
        written.append(os.fspath(out / "memory.png"))
    return written


def write_report(
    folder: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    published: str | os.PathLike | None = None,
    plots: bool = True,
    title: str | None = None,
) -> Report:
    """Collect ``folder``'s results and write results.md / .csv / .json (and PNGs) into ``out_dir``.

    Args:
        folder (path): a ``gclbt bench`` output folder or a folder of ``gclbt train`` JSON files.
        out_dir (path, optional): where to write (default: ``folder``).
        published (path, optional): published numbers YAML (default: ``benchmarks/published.yaml``).
        plots (bool): write the PNG plots. (default: ``True``)
        title (str, optional): the report's heading.
    """
    report = collect(folder, load_published(published), title=title)
    out = Path(out_dir) if out_dir is not None else Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = write_plots(report, out) if plots else []
    write_text_atomic(render_markdown(report, written), out / "results.md")
    write_csv(report, out / "results.csv")
    document = {
        "title": report.title,
        "source_dir": report.source_dir,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rows": [asdict(r) for r in report.rows],
        "unreadable": [{"file": f, "error": e} for f, e in report.unreadable],
        "sources": report.sources(),
    }
    write_json_atomic(document, out / "results.json")
    return report
