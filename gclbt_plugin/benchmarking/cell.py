"""Run one planned benchmark cell and describe it as a JSON record.

The runner starts ``python -m gclbt_plugin.benchmarking.cell OUT_FILE`` with the cell's plan
(see :func:`gclbt_plugin.benchmarking.runner.plan_cell`) as JSON on stdin, one process per cell,
so that the peak resident memory of the process *is* the cell's peak memory and a crash or an
out-of-memory kill loses that cell only. The record is ``ExperimentResult.to_dict()`` plus:

* ``status``: ``"ok"``, ``"skipped"`` (dataset unavailable; ``reason`` says why) or ``"failed"``
  (``error`` holds the message and the end of the traceback);
* ``cell`` (the suite cell), ``fingerprint`` (of the plan; a file with another one is stale),
  ``augmenter_revisions`` (of its augmenters, see :func:`gclbt_plugin.recipes.build.augmenter_revisions`),
  ``epochs_requested`` / ``epochs_published`` / ``max_epochs`` (``epochs`` is what actually ran);
* ``peak_rss_mb`` (peak resident set of the process, see :func:`peak_rss_mb`), ``rss_before_data_mb``
  (after imports, before loading data), ``cuda_peak_mb`` (``torch.cuda.max_memory_allocated``,
  ``None`` on CPU), ``memory_scope`` (``"process"``: one process per cell; ``"reset"``: cells ran
  in one process and the peak was reset before this one, so it includes memory still held from
  earlier cells; ``"shared"``: no reset possible, the process's maximum so far);
* ``wall_seconds``, ``finished_at``, ``git_commit``, ``packages``.

A plan with a ``checkpoint_dir`` (the runner gives each cell one) checkpoints every seed's training
there (``checkpoint_minutes`` apart and when the seed ends), and a cell started again resumes from
them; ``runs[].resumed_from`` in the record says from which epoch, ``git_commits`` (kept in the
folder's ``commits.json``) the commit of every process that ran the cell, the first of which is
its ``git_commit``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from gclbt_plugin.data import DatasetUnavailableError, load_dataset
from gclbt_plugin.experiment import RunRecord, run_experiment
from gclbt_plugin.files import write_json_atomic

STATUSES = ("ok", "skipped", "failed")
PACKAGES = ("gclbt-plugin", "torch", "torch-geometric", "numpy", "scipy", "optuna")


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status`` (the high-water mark of this process image; unlike
    ``ru_maxrss`` it is not inherited from the parent across ``fork``/``exec``, and
    :func:`reset_peak_rss` can reset it). Elsewhere: ``getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # macOS: bytes, Linux: KiB


def reset_peak_rss() -> bool:
    """Reset the peak RSS to the current RSS (Linux ``/proc/self/clear_refs``); whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that decide a benchmark's numbers."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit() -> str | None:
    """``HEAD`` of the source checkout, ``None`` outside git.

    ``+dirty`` marks uncommitted changes to the package's code (``gclbt_plugin/``, ``pyproject.toml``);
    result files that a running benchmark writes into the checkout do not count.
    """
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "gclbt_plugin", "pyproject.toml"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def _base_record(plan: dict[str, Any], status: str, commits: list[str | None] | None = None) -> dict[str, Any]:
    """The fields of every record; ``commits``: those of every process that ran the cell, the first
    being the code's commit when it started (default: the commit now)."""
    cell = plan["cell"]
    commits = commits or [git_commit()]
    return {
        "status": status,
        "method": cell["method"],
        "dataset": cell["dataset"],
        "variant": cell.get("variant", ""),
        "cell": cell,
        "fingerprint": plan["fingerprint"],
        "augmenter_revisions": plan["augmenter_revisions"],
        "epochs_requested": plan["epochs_requested"],
        "epochs_published": plan["epochs_published"],
        "max_epochs": plan["max_epochs"],
        "git_commit": commits[0],
        "git_commits": commits,
        "packages": package_versions(),
        "host": {"machine": platform.machine(), "cpu_count": os.cpu_count()},
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def skipped_record(plan: dict[str, Any], reason: str) -> dict[str, Any]:
    """The record of a cell that could not run (e.g. its dataset is unavailable)."""
    return {**_base_record(plan, "skipped"), "reason": reason}


def failed_record(plan: dict[str, Any], error: str) -> dict[str, Any]:
    """The record of a cell whose run raised, crashed, was killed or timed out."""
    return {**_base_record(plan, "failed"), "error": error}


def run_planned_cell(
    plan: dict[str, Any], *, memory_scope: str = "process", on_run: Callable[[RunRecord], None] | None = None
) -> dict[str, Any]:
    """Run one planned cell in this process and return its record (never raises for the cell's errors).

    Args:
        plan (dict): from :func:`gclbt_plugin.benchmarking.runner.plan_cell`.
        memory_scope (str): ``"process"`` when this process runs only this cell, ``"shared"``
            otherwise (the peak is then reset first where Linux allows, scope ``"reset"``).
            (default: ``"process"``)
        on_run (callable, optional): called with each seed's record as soon as it is finished
            (see :func:`gclbt_plugin.experiment.run_experiment`).

    The plan's ``threads`` (torch threads) apply during the cell only.
    """
    import torch

    previous_threads = torch.get_num_threads()
    if plan.get("threads"):
        torch.set_num_threads(int(plan["threads"]))
    try:
        return _run(plan, memory_scope, on_run)
    finally:
        torch.set_num_threads(previous_threads)


def training_commits(folder: str | os.PathLike | None, commit: str | None) -> list[str | None]:
    """The commits of every process that ran a cell, this one's (``commit``) last: kept in
    ``commits.json`` of its checkpoint ``folder`` (``[commit]`` without one)."""
    if folder is None:
        return [commit]
    path = Path(folder) / "commits.json"
    try:
        commits = json.loads(path.read_text())
    except (OSError, ValueError):
        commits = []
    if not isinstance(commits, list):
        commits = []
    if not commits or commits[-1] != commit:
        commits.append(commit)
        write_json_atomic(commits, path)
    return commits


def _run(plan: dict[str, Any], memory_scope: str, on_run: Callable[[RunRecord], None] | None) -> dict[str, Any]:
    started = time.perf_counter()
    # the code this process imported, not a commit made while the cell ran; a resumed cell's first
    commits = training_commits(plan.get("checkpoint_dir"), git_commit())
    if memory_scope != "process" and reset_peak_rss():
        memory_scope = "reset"
    rss_before = peak_rss_mb()
    cell = plan["cell"]
    try:
        loaded = load_dataset(cell["dataset"], plan.get("data_cache"), plan.get("data_mirror"))
    except DatasetUnavailableError as error:
        return skipped_record(plan, str(error).splitlines()[0])
    try:
        cuda = torch.cuda.is_available() and plan.get("device", "auto") != "cpu"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        result = run_experiment(
            cell["method"],
            loaded,
            config=plan["config"],
            seeds=cell["seeds"],
            protocol=cell.get("protocol"),
            num_splits=cell["num_splits"],
            device=plan.get("device", "auto"),
            progress=False,
            on_run=on_run,
            # checkpoints only at the end of a seed and every checkpoint_minutes of training
            checkpoint_dir=plan.get("checkpoint_dir"),
            checkpoint_every=int(plan["config"]["epochs"]),
            checkpoint_minutes=plan.get("checkpoint_minutes"),
        )
    except Exception as error:  # noqa: BLE001 - any failure of the cell is recorded, the suite goes on
        tail = "".join(traceback.format_exception(error)[-3:]).strip()
        return failed_record(plan, f"{type(error).__name__}: {error}\n{tail}")
    record = _base_record(plan, "ok", commits)
    record.update(result.to_dict())
    record["status"] = "ok"
    record["variant"] = cell.get("variant", "")
    record.update(
        {
            "peak_rss_mb": peak_rss_mb(),
            "rss_before_data_mb": rss_before,
            "cuda_peak_mb": torch.cuda.max_memory_allocated() / 2**20 if result.device.startswith("cuda") else None,
            "memory_scope": memory_scope,
            "wall_seconds": time.perf_counter() - started,
        }
    )
    return record


def main(argv: list[str] | None = None) -> int:
    """``python -m gclbt_plugin.benchmarking.cell OUT_FILE`` with the plan as JSON on stdin."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m gclbt_plugin.benchmarking.cell OUT_FILE < plan.json", file=sys.stderr)
        return 2
    plan = json.load(sys.stdin)
    total = len(plan["cell"]["seeds"])
    finished: list[int] = []

    def report_seed(run: RunRecord) -> None:
        # one line per finished seed in the cell's log (OUT/logs/<cell>.log): how far a long cell is;
        # the probe holds fractions, the records percent
        finished.append(run.seed)
        try:
            accuracy = f"test {100 * run.probe['test_mean']:.2f} % over {run.probe['num_splits']} split(s)"
        except (KeyError, TypeError) as error:  # a progress line never fails a trained cell
            accuracy = f"no test accuracy ({type(error).__name__}: {error})"
        print(
            f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} seed {run.seed} ({len(finished)}/{total}): "
            f"{run.epochs} epochs in {run.seconds:.0f} s"
            + (f" (resumed from epoch {run.resumed_from})" if run.resumed_from else "") + f", {accuracy}",
            file=sys.stderr, flush=True,
        )

    record = run_planned_cell(plan, memory_scope="process", on_run=report_seed)
    write_json_atomic(record, argv[0])
    return 0 if record["status"] != "failed" else 1


if __name__ == "__main__":  # pragma: no cover - exercised through the runner's subprocess
    sys.exit(main())
