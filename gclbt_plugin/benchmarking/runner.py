"""Run a suite's cells resumably: one JSON file per finished cell, written atomically.

Layout of an output folder::

    OUT/cells/<cell id>.json   # one record per cell (see gclbt_plugin.benchmarking.cell)
    OUT/logs/<cell id>.log     # the cell process's stderr (isolated runs)
    OUT/suite.json             # the suite's name, description and cell ids of the last run
    OUT/checkpoints/<cell id>/<fingerprint>/  # training checkpoints of an unfinished cell's plan
                                              # (a finished one's final ones with keep_checkpoints)

Re-running skips every cell whose file parses, has status ``ok``, holds the expected keys and
carries the fingerprint of the current plan; anything else (a missing file, a partial or
corrupt one, a ``failed`` or ``skipped`` record, a stale fingerprint) is redone. A redone cell
resumes its training from its checkpoints (``OUT/checkpoints/<cell id>/<fingerprint>/``: each seed
saved every :data:`CHECKPOINT_MINUTES` minutes of training and when it ends), so an interrupted run
loses at most those minutes plus the epoch in progress, and a cell longer than one sitting finishes
over several. Ctrl-C lets the cell process save at the end of its epoch first (a second Ctrl-C
stops it at once). Checkpoints of another plan (configuration, seeds, probe, device) are never
resumed, and a finished cell's are removed -- unless ``keep_checkpoints`` is set: then its final
checkpoints stay, so that its models can be rebuilt and probed again
(:func:`gclbt_plugin.benchmarking.kept_models.cell_models`). Resumed training gives the uninterrupted result
(:func:`gclbt_plugin.training.train`). The record's ``runs[].resumed_from`` names the epoch each
seed resumed from, ``seconds`` / ``seconds_per_epoch`` include the restored epochs' training time
as their checkpoints recorded it (``wall_seconds`` and the peak memory are the last process's),
and ``git_commits`` lists the commit of every process that trained the cell.

A cell may also be taken from another suite's output folder (``reuse``): the fingerprint hashes
everything that decides a result, so a trusted record with the same fingerprint *is* this cell's
result (e.g. an ablation's ``degree`` cell and the comparison's untuned GCL-BT cell). It is
copied with this cell's identity and a ``reused_from`` entry naming the file it came from.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gclbt_plugin._progress import progress_bar
from gclbt_plugin.benchmarking.cell import failed_record, run_planned_cell, skipped_record
from gclbt_plugin.benchmarking.suite import Cell, Suite
from gclbt_plugin.config import config_fingerprint, resolve_config
from gclbt_plugin.data import available_offline
from gclbt_plugin.experiment import epoch_time_text
from gclbt_plugin.files import write_json_atomic
from gclbt_plugin.recipes.build import augmenter_revisions, revision_fingerprint_parts
from gclbt_plugin.training.checkpoint import previous_path

#: Minutes of training between two checkpoints of a cell's seed (:func:`checkpoint_dir`).
CHECKPOINT_MINUTES = 5.0
#: Seconds an interrupted (Ctrl-C) cell process gets to finish its epoch and save a checkpoint.
INTERRUPT_GRACE_SECONDS = 300.0

#: Keys a finished (status ``ok``) cell file must hold to be trusted.
REQUIRED_KEYS = (
    "status", "method", "dataset", "fingerprint", "test_mean", "test_std", "val_mean", "num_evaluations",
    "epochs", "seconds", "seconds_per_epoch", "peak_rss_mb", "device", "config", "runs", "probe",
    "features_normalized", "schedule",
)


class NotASuiteFolderError(FileNotFoundError):
    """A folder given as another suite's output has no ``cells`` subfolder."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = os.fspath(folder)
        super().__init__(f"{self.folder!r} holds no cells/ folder (not the --out of a suite run)")


@dataclass
class CellOutcome:
    """What happened to one cell in :func:`run_suite`.

    Attributes:
        cell: the suite cell.
        action: ``"cached"`` (a valid file existed), ``"reused"`` (copied from a ``reuse``
            folder), ``"ran"`` or ``"skipped"`` (not attempted, e.g. dataset unavailable offline).
        status: the record's status: ``ok``, ``skipped`` or ``failed``.
        path: the cell's JSON file.
        record: the cell's record.
        redo_reason: why an existing file was not trusted (``None`` when there was none).
    """

    cell: Cell
    action: str
    status: str
    path: Path
    record: dict[str, Any]
    redo_reason: str | None = None


def cell_path(out_dir: str | os.PathLike, cell: Cell) -> Path:
    return Path(out_dir) / "cells" / f"{cell.id}.json"


def checkpoint_dir(out_dir: str | os.PathLike, cell: Cell, fingerprint: str) -> Path:
    """Where the seeds of a cell's plan (its ``fingerprint``) keep their training checkpoints until
    the cell is finished: another plan of the same cell (another device, seeds, probe) never
    resumes them, and removing them leaves the others alone."""
    return Path(out_dir) / "checkpoints" / cell.id / fingerprint


def remove_checkpoints(out_dir: str | os.PathLike, cell: Cell, fingerprint: str) -> None:
    """Remove a finished plan's checkpoints (and the cell's and ``checkpoints`` folders once empty)."""
    folder = checkpoint_dir(out_dir, cell, fingerprint)
    shutil.rmtree(folder, ignore_errors=True)
    for parent in (folder.parent, folder.parent.parent):
        try:
            parent.rmdir()
        except OSError:  # not empty (another plan's checkpoints) or already gone
            break


def settle_checkpoints(out_dir: str | os.PathLike, cell: Cell, fingerprint: str, *, keep: bool) -> None:
    """What a finished plan leaves of its checkpoints: nothing, or with ``keep`` each seed's final
    checkpoint only -- its ``<file>.prev`` (the fallback of :func:`gclbt_plugin.training.checkpoint.atomic_save`
    while training could still be killed, an earlier epoch's weights) is removed, halving the disk."""
    if not keep:
        remove_checkpoints(out_dir, cell, fingerprint)
        return
    folder = checkpoint_dir(out_dir, cell, fingerprint)
    for final in folder.glob("*.pt"):
        previous_path(final).unlink(missing_ok=True)


def plan_cell(
    cell: Cell,
    *,
    max_epochs: int | None = None,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    threads: int | None = None,
    probe: str | None = None,
) -> dict[str, Any]:
    """Resolve a cell's full configuration and epoch budget; the plan a cell process runs.

    Epochs: the cell's ``epochs``, else the recipe's published epochs for the dataset, capped at
    ``max_epochs`` (CPU runs). A run shorter than the recipe's scales the scheduler's warm-up by
    the same factor (:func:`gclbt_plugin.config.resolve_config`), so warm-up keeps its share
    of the run. ``probe`` (``bgrl`` / ``gca``) replaces the cell's probe protocol.

    The fingerprint hashes everything that decides the result (configuration, seeds, splits,
    protocol, device, and the revisions of augmenters whose code changed their views:
    :func:`gclbt_plugin.recipes.build.augmenter_revisions`), not the data paths or thread count.

    Raises:
        ValueError: ``max_epochs`` is not a positive integer; errors of
            :func:`gclbt_plugin.config.resolve_config`.
    """
    if max_epochs is not None and (not isinstance(max_epochs, int) or max_epochs <= 0):
        raise ValueError(f"max_epochs must be a positive integer or None, got {max_epochs!r}")
    published = int(resolve_config(cell.method, cell.dataset)["epochs"])
    overrides = [cell.overrides] + ([{"evaluation": {"probe": probe}}] if probe is not None else [])
    requested = cell.epochs or int(resolve_config(cell.method, cell.dataset, overrides).get("epochs", published))
    run = min(requested, max_epochs) if max_epochs else requested
    # resolve_config scales the recipe's warm-up with the epochs actually run
    config = resolve_config(cell.method, cell.dataset, [*overrides, {"epochs": run}])
    cell_dict = cell.to_dict()
    revisions = augmenter_revisions(config)
    fingerprint = config_fingerprint(
        config, cell.method, cell.dataset, list(cell.seeds), cell.num_splits, cell.protocol, device,
        *revision_fingerprint_parts(revisions),
    )
    return {
        "cell": cell_dict,
        "config": config,
        "epochs_requested": requested,
        "epochs_published": published,
        "max_epochs": max_epochs,
        "device": device,
        "data_cache": os.fspath(data_cache) if data_cache is not None else None,
        "data_mirror": os.fspath(data_mirror) if data_mirror is not None else None,
        "threads": threads,
        "fingerprint": fingerprint,
        "augmenter_revisions": revisions,
    }


def check_record(record: Any, fingerprint: str | None = None) -> str | None:
    """Why a cell record cannot be trusted as finished, or ``None`` when it can."""
    if not isinstance(record, dict):
        return f"not a JSON object ({type(record).__name__})"
    status = record.get("status")
    if status != "ok":
        return f"status {status!r}" + (f": {record.get('reason') or record.get('error')}" if status else "")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        return f"missing keys {missing}"
    if fingerprint is not None and record["fingerprint"] != fingerprint:
        return "written by another configuration (fingerprint differs)"
    for key in ("test_mean", "seconds_per_epoch", "peak_rss_mb"):
        value = record[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return f"{key} is not a finite number: {value!r}"
    return None


def read_cell_file(path: str | os.PathLike, fingerprint: str | None = None) -> tuple[dict[str, Any] | None, str]:
    """``(record, "")`` for a trusted finished cell file, else ``(None, why not)``."""
    path = Path(path)
    if not path.is_file():
        return None, "no file"
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, f"unreadable ({type(error).__name__}: {error})"
    problem = check_record(record, fingerprint)
    return (None, problem) if problem else (record, "")


def index_finished_cells(
    folders: Iterable[str | os.PathLike],
) -> tuple[dict[str, tuple[Path, dict[str, Any]]], list[tuple[Path, str]]]:
    """Trusted finished cell records of other suites' output folders, by fingerprint.

    Reads ``FOLDER/cells/*.json`` of each folder in order; the first folder holding a fingerprint
    wins. Note that the fingerprint names the configuration, seeds, splits, protocol and device
    string (``auto`` and ``cpu`` differ), not the package version: a record is reused across code
    changes exactly as a cached cell of the same folder is.

    Returns:
        ``(index, untrusted)``: fingerprint -> (file, record), and the files left out with why
        (:func:`check_record`).

    Raises:
        NotASuiteFolderError: a folder has no ``cells`` subfolder (not a suite's output folder).
    """
    index: dict[str, tuple[Path, dict[str, Any]]] = {}
    untrusted: list[tuple[Path, str]] = []
    for folder in folders:
        cells = Path(folder) / "cells"
        if not cells.is_dir():
            raise NotASuiteFolderError(folder)
        for path in sorted(cells.glob("*.json")):
            record, problem = read_cell_file(path)
            if record is None:
                untrusted.append((path, problem))
            else:
                index.setdefault(record["fingerprint"], (path, record))
    return index, untrusted


def reused_record(plan: dict[str, Any], source: Path, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` (same fingerprint as ``plan``) as the result of the plan's cell, with its origin.

    The cell's identity and epoch request come from the plan (a capped run and a cell asking for
    those epochs share a fingerprint); what describes the run that produced the numbers (commit,
    packages, host, time, memory) stays the source's. ``reused_from`` names the file that was
    trained (the first one, when the source was itself reused).
    """
    cell = plan["cell"]
    source_cell = record.get("cell")
    origin = record.get("reused_from") or {
        "path": os.fspath(source),
        "cell": source_cell.get("id") if isinstance(source_cell, dict) else None,
    }
    return {
        **record,
        "method": cell["method"],
        "dataset": cell["dataset"],
        "variant": cell.get("variant", ""),
        "cell": cell,
        "epochs_requested": plan["epochs_requested"],
        "epochs_published": plan["epochs_published"],
        "max_epochs": plan["max_epochs"],
        "reused_from": origin,
    }


def _run_isolated(plan: dict[str, Any], path: Path, log_path: Path, timeout: float | None) -> dict[str, Any]:
    """Run the plan in a child process; a crash, kill or timeout becomes a ``failed`` record."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if plan.get("threads"):
        env.setdefault("OMP_NUM_THREADS", str(plan["threads"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gclbt_plugin.benchmarking.cell", os.fspath(path)],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
        )
        try:
            process.communicate(json.dumps(plan), timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return failed_record(plan, f"timed out after {timeout:g} s (--cell-timeout); the process was killed")
        except KeyboardInterrupt:
            wait_for_interrupted_cell(process, INTERRUPT_GRACE_SECONDS)
            raise
        except BaseException:
            process.kill()
            process.wait()
            raise
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        record = None
    if isinstance(record, dict) and record.get("fingerprint") == plan["fingerprint"]:
        return record
    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:] if log_path.is_file() else []
    how = f"killed by signal {-process.returncode}" if process.returncode < 0 else f"exit code {process.returncode}"
    return failed_record(plan, f"cell process ended without a result ({how}): " + " | ".join(tail))


def wait_for_interrupted_cell(process: subprocess.Popen, grace: float) -> None:
    """After Ctrl-C: give the cell process (it shares the terminal's SIGINT) up to ``grace``
    seconds to finish its epoch and save a checkpoint; kill it after that or on a second Ctrl-C."""
    print(f"interrupted: the cell saves a checkpoint at the end of its epoch (up to {grace:g} s; "
          "Ctrl-C again to stop it now)", file=sys.stderr, flush=True)
    try:
        process.wait(timeout=grace)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        process.wait()


def summary_line(record: dict[str, Any]) -> str:
    """One line per cell: accuracy, epochs, time and memory, or why it did not run."""
    name = f"{record['method']} / {record['dataset']}" + (f" [{record['variant']}]" if record.get("variant") else "")
    status = record.get("status")
    if status == "skipped":
        return f"SKIP {name}: {record.get('reason')}"
    if status == "failed":
        return f"FAIL {name}: {str(record.get('error', '')).splitlines()[0]}"
    memory = f"peak RSS {record['peak_rss_mb']:.0f} MiB"
    if record.get("cuda_peak_mb") is not None:
        memory += f", CUDA {record['cuda_peak_mb']:.0f} MiB"
    requested = record.get("epochs_requested", record["epochs"])
    capped = "" if record["epochs"] == requested else f" of {requested}"
    return (
        f"ok   {name}: test {record['test_mean']:.2f} ± {record['test_std']:.2f} % "
        f"({record['num_evaluations']} evals), {record['epochs']} epochs{capped}, "
        f"{epoch_time_text(record['seconds_per_epoch'])}, {record['seconds']:.1f} s, {memory} on {record['device']}"
    )


def run_suite(
    suite: Suite,
    out_dir: str | os.PathLike,
    *,
    max_epochs: int | None = None,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    offline: bool = False,
    isolate: bool = True,
    cell_timeout: float | None = None,
    threads: int | None = None,
    only: Iterable[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = print,
    probe: str | None = None,
    reuse: Iterable[str | os.PathLike] = (),
    keep_checkpoints: bool = False,
) -> list[CellOutcome]:
    """Run every cell of ``suite`` that has no trusted result in ``out_dir`` yet.

    Args:
        suite (Suite): from :func:`gclbt_plugin.benchmarking.suite.load_suite`.
        out_dir (path): results folder (created); see the module docstring for its layout.
        max_epochs (int, optional): cap every cell's epochs (recorded as the epochs run).
        device (str): ``auto``, ``cpu``, ``cuda`` or ``cuda:i``. (default: ``auto``)
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.
        offline (bool): skip cells whose dataset is not in the cache or mirror instead of
            trying to download it. (default: ``False``)
        isolate (bool): one child process per cell, so the peak memory is the cell's and a
            crash loses one cell; ``False`` runs cells in this process (faster start, shared
            memory peak). (default: ``True``)
        cell_timeout (float, optional): seconds before an isolated cell is killed (recorded as
            failed, redone next time).
        threads (int, optional): torch threads per cell.
        only (iterable of str, optional): run only these cells (:meth:`Suite.select`: id contains
            a text, or equals ``ID`` given as ``=ID``).
        progress (bool): a progress bar over cells. (default: ``True``)
        log (callable, optional): receives one summary line per cell. (default: ``print``)
        probe (str, optional): the linear probe of every cell (``bgrl`` / ``gca``); ``None``: the
            cells' own (the package default unless a cell's overrides name one).
        reuse (iterable of paths): other suites' output folders; a cell without a result here
            whose fingerprint matches a finished cell there is copied instead of run
            (:func:`reused_record`).
        keep_checkpoints (bool): keep a finished cell's final checkpoints (one per seed, under
            ``OUT/checkpoints/<cell id>/``) instead of removing them. (default: ``False``)

    Returns:
        list of CellOutcome, in suite order.
    """
    if cell_timeout is not None and cell_timeout <= 0:
        raise ValueError(f"cell_timeout must be positive seconds or None, got {cell_timeout!r}")
    out = Path(out_dir)
    reuse = list(reuse)
    reusable, untrusted = index_finished_cells(reuse)
    cells = suite.select(only)
    write_json_atomic(
        {"suite": suite.name, "description": suite.description,
         "path": os.fspath(suite.path) if suite.path else None, "cells": [c.id for c in cells],
         "max_epochs": max_epochs, "device": device, "probe": probe},
        out / "suite.json",
    )
    outcomes: list[CellOutcome] = []
    bar = progress_bar(cells, desc=f"bench {suite.name}", unit="cell", disable=not progress)
    say = (lambda text: bar.write(text) if progress else log(text)) if log else (lambda text: None)
    if reuse:
        say(f"reuse: {len(reusable)} finished cells in {', '.join(map(os.fspath, reuse))}"
            + (f"; not trusted: {'; '.join(f'{p.name} ({why})' for p, why in untrusted)}" if untrusted else ""))
    for cell in bar:
        bar.set_postfix_str(cell.id, refresh=False)
        plan = plan_cell(
            cell, max_epochs=max_epochs, device=device, data_cache=data_cache, data_mirror=data_mirror,
            threads=threads, probe=probe,
        )
        path = cell_path(out, cell)
        record, problem = read_cell_file(path, plan["fingerprint"])
        if record is not None:
            # left by a run stopped before its clean-up
            settle_checkpoints(out, cell, plan["fingerprint"], keep=keep_checkpoints)
            outcomes.append(CellOutcome(cell, "cached", "ok", path, record))
            say(f"[cached] {summary_line(record)}")
            continue
        redo = None if problem == "no file" else problem
        if plan["fingerprint"] in reusable:
            source, found = reusable[plan["fingerprint"]]
            record = reused_record(plan, source, found)
            write_json_atomic(record, path)
            # of an interrupted run of this cell: not the models of the reused record, so never kept
            remove_checkpoints(out, cell, plan["fingerprint"])
            outcomes.append(CellOutcome(cell, "reused", "ok", path, record, redo))
            say(("[redo: " + redo + "] " if redo else "") + f"[reused {source}] {summary_line(record)}")
            continue
        if offline and not available_offline(cell.dataset, data_cache, data_mirror):
            record = skipped_record(plan, f"dataset {cell.dataset!r} is not in the cache or the mirror (offline run)")
            action = "skipped"
        else:
            plan["checkpoint_dir"] = os.fspath(checkpoint_dir(out, cell, plan["fingerprint"]))
            plan["checkpoint_minutes"] = CHECKPOINT_MINUTES
            started = time.perf_counter()
            if isolate:
                record = _run_isolated(plan, path, out / "logs" / f"{cell.id}.log", cell_timeout)
            else:
                record = run_planned_cell(plan, memory_scope="shared")
            record.setdefault("wall_seconds", time.perf_counter() - started)
            action = "ran"
        write_json_atomic(record, path)
        if record["status"] == "ok":  # a failed cell keeps them all: the next run resumes
            settle_checkpoints(out, cell, plan["fingerprint"], keep=keep_checkpoints)
        outcomes.append(CellOutcome(cell, action, record["status"], path, record, redo))
        say(("[redo: " + redo + "] " if redo else "") + summary_line(record))
    bar.close()
    return outcomes
