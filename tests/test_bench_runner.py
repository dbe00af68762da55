"""The resumable suite runner: one file per cell, skip finished cells, redo broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gclbt_plugin.benchmarking.cell import run_planned_cell
from gclbt_plugin.benchmarking.runner import check_record, plan_cell, run_suite
from gclbt_plugin.benchmarking.suite import Cell, parse_suite
from gclbt_plugin.cli.main import main
from gclbt_plugin.data import DatasetUnavailableError

# no head sections: a predictor is accepted only by the method that has one (bgrl), and the suite mixes methods
TINY = {"encoder": {"hidden_channels": 8, "out_channels": 8}}


def _tiny_suite(methods=("gbt", "bgrl"), datasets=("Cora",), overrides=TINY):
    document = {
        "name": "tiny",
        "defaults": {"seeds": [0], "epochs": 1, "overrides": overrides},
        "blocks": [{"methods": list(methods), "datasets": list(datasets)}],
    }
    return parse_suite(document)


@pytest.fixture
def run(shared_datasets_dir: Path, dataset_cache: Path):
    def go(suite, out, **kwargs):
        kwargs.setdefault("isolate", False)
        kwargs.setdefault("threads", 1)
        return run_suite(
            suite, out, data_mirror=shared_datasets_dir, data_cache=dataset_cache, progress=False, log=None, **kwargs
        )

    return go


def test_run_suite_writes_a_trusted_file_per_cell(run, tmp_path: Path):
    outcomes = run(_tiny_suite(), tmp_path)
    files = sorted(p.name for p in (tmp_path / "cells").glob("*.json"))
    records = [json.loads((tmp_path / "cells" / name).read_text()) for name in files]
    assert files == ["bgrl-Cora.json", "gbt-Cora.json"]
    assert [check_record(r) for r in records] == [None, None]
    assert [o.action for o in outcomes] == ["ran", "ran"]


def test_run_suite_rerun_skips_finished_cells(run, tmp_path: Path):
    suite = _tiny_suite()
    run(suite, tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "cells").glob("*.json")}
    outcomes = run(suite, tmp_path)
    assert [o.action for o in outcomes] == ["cached", "cached"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "cells").glob("*.json")} == before


def test_run_suite_redoes_a_corrupt_cell_file_only(run, tmp_path: Path):
    suite = _tiny_suite()
    run(suite, tmp_path)
    corrupt = tmp_path / "cells" / "gbt-Cora.json"
    corrupt.write_text(corrupt.read_text()[:200])  # a partial write
    outcomes = run(suite, tmp_path)
    assert [(o.cell.id, o.action) for o in outcomes] == [("gbt-Cora", "ran"), ("bgrl-Cora", "cached")]
    assert "unreadable" in outcomes[0].redo_reason
    assert check_record(json.loads(corrupt.read_text())) is None


def test_run_suite_does_not_trust_a_file_of_another_configuration(run, tmp_path: Path):
    run(_tiny_suite(methods=["gbt"]), tmp_path)
    changed = _tiny_suite(methods=["gbt"], overrides={**TINY, "loss": {"lambda_": 0.05}})
    (outcome,) = run(changed, tmp_path)
    assert (outcome.action, outcome.redo_reason) == ("ran", "written by another configuration (fingerprint differs)")


def test_run_suite_redoes_only_the_cell_whose_process_was_killed(run, tmp_path: Path):
    suite = _tiny_suite()
    run(suite, tmp_path)
    (tmp_path / "cells" / "gbt-Cora.json").unlink()
    # The cell process is killed long before it can finish (Python and torch take longer to start).
    (killed,) = run(suite, tmp_path, only=["gbt-"], isolate=True, cell_timeout=0.05)
    assert (killed.status, killed.record["error"].split(" (")[0]) == ("failed", "timed out after 0.05 s")
    outcomes = run(suite, tmp_path)
    assert [(o.cell.id, o.action, o.status) for o in outcomes] == [
        ("gbt-Cora", "ran", "ok"),
        ("bgrl-Cora", "cached", "ok"),
    ]


def test_run_suite_isolated_cell_records_its_own_peak_memory(run, tmp_path: Path):
    (outcome,) = run(_tiny_suite(methods=["gbt"]), tmp_path, isolate=True)
    record = outcome.record
    assert (record["status"], record["memory_scope"]) == ("ok", "process")
    assert record["peak_rss_mb"] >= record["rss_before_data_mb"] > 0


def test_isolated_cell_logs_a_line_per_finished_seed_in_percent(run, tmp_path: Path):
    suite = parse_suite({"defaults": {"seeds": [2, 0], "epochs": 1, "overrides": TINY},
                         "blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}]})
    (outcome,) = run(suite, tmp_path, isolate=True)
    lines = [line for line in (tmp_path / "logs" / "gbt-Cora.log").read_text().splitlines() if " seed " in line]
    assert [line.split(" ")[1:4] for line in lines] == [["seed", "2", "(1/2):"], ["seed", "0", "(2/2):"]]
    # one public split per seed: the record's mean (in %) is the mean of the two logged accuracies
    logged = [float(line.split("test ")[1].split(" %")[0]) for line in lines]
    assert sum(logged) / 2 == pytest.approx(outcome.record["test_mean"], abs=0.01)


def test_run_suite_skips_unavailable_dataset_and_runs_the_rest(shared_datasets_dir: Path, tmp_path: Path):
    suite = _tiny_suite(methods=["gbt"], datasets=["PubMed", "Cora"])  # the mirror has no PubMed
    outcomes = run_suite(
        suite, tmp_path / "out", data_mirror=shared_datasets_dir, data_cache=tmp_path / "cache",
        offline=True, isolate=False, threads=1, progress=False, log=None,
    )
    assert [(o.cell.id, o.status) for o in outcomes] == [("gbt-PubMed", "skipped"), ("gbt-Cora", "ok")]
    assert "'PubMed' is not in the cache or the mirror" in outcomes[0].record["reason"]


def test_run_suite_redoes_a_skipped_cell(run, tmp_path: Path, shared_datasets_dir: Path):
    suite = _tiny_suite(methods=["gbt"])
    run_suite(suite, tmp_path, data_mirror=tmp_path / "empty", data_cache=tmp_path / "cache",
              offline=True, isolate=False, threads=1, progress=False, log=None)
    (outcome,) = run(suite, tmp_path)
    assert (outcome.action, outcome.status) == ("ran", "ok")


def test_run_planned_cell_records_an_unavailable_dataset_as_skipped(monkeypatch):
    def unavailable(*args, **kwargs):
        raise DatasetUnavailableError("dataset 'Cora' is not available: offline\nmore", name="Cora",
                                      cache_path=Path("c"), mirror_path=None)

    monkeypatch.setattr("gclbt_plugin.benchmarking.cell.load_dataset", unavailable)
    record = run_planned_cell(plan_cell(Cell(id="gbt-Cora", method="gbt", dataset="Cora", epochs=1), threads=1))
    assert (record["status"], record["reason"]) == ("skipped", "dataset 'Cora' is not available: offline")


def test_run_suite_records_a_failing_cell_and_runs_the_rest(run, tmp_path: Path):
    document = {
        "defaults": {"seeds": [0], "epochs": 1, "overrides": TINY},
        "blocks": [
            {"methods": ["gbt"], "datasets": ["Cora"], "name": "broken", "overrides": {"optimizer": {"lr": -1.0}}},
            {"methods": ["gbt"], "datasets": ["Cora"]},
        ],
    }
    outcomes = run(parse_suite(document), tmp_path)
    assert [(o.cell.id, o.status) for o in outcomes] == [("gbt-Cora-broken", "failed"), ("gbt-Cora", "ok")]
    assert outcomes[0].record["error"].startswith("ValueError")


def _ablation_like_suite():
    # the same gbt configuration as _tiny_suite's gbt-Cora cell, reached through an axis (another id and
    # variant), plus a cell that differs in its seeds
    document = {
        "name": "tiny-axis",
        "defaults": {"seeds": [0], "epochs": 1, "overrides": TINY},
        "blocks": [
            {"methods": ["gbt"], "datasets": ["Cora"],
             "axes": {"hidden": {"same": {"encoder": {"hidden_channels": 8}}}}},
            {"methods": ["gbt"], "datasets": ["Cora"], "name": "seed1", "seeds": [1]},
        ],
    }
    return parse_suite(document)


def test_run_suite_reuses_a_finished_cell_of_the_same_fingerprint_and_runs_the_rest(run, tmp_path: Path):
    run(_tiny_suite(methods=["gbt"]), tmp_path / "first")
    source = json.loads((tmp_path / "first" / "cells" / "gbt-Cora.json").read_text())
    outcomes = run(_ablation_like_suite(), tmp_path / "second", reuse=[tmp_path / "first"])
    assert [(o.cell.id, o.action) for o in outcomes] == [("gbt-Cora-same", "reused"), ("gbt-Cora-seed1", "ran")]
    written = json.loads((tmp_path / "second" / "cells" / "gbt-Cora-same.json").read_text())
    assert written["reused_from"] == {"path": str(tmp_path / "first" / "cells" / "gbt-Cora.json"), "cell": "gbt-Cora"}
    assert (written["variant"], written["cell"]["id"]) == ("same", "gbt-Cora-same")
    identity = {"variant", "cell", "reused_from"}
    assert {k: v for k, v in written.items() if k not in identity} == {
        k: v for k, v in source.items() if k not in identity
    }
    assert check_record(written, outcomes[0].record["fingerprint"]) is None


def test_report_lists_a_reused_cell_with_its_source(run, tmp_path: Path):
    from gclbt_plugin.benchmarking.report import write_report

    run(_tiny_suite(methods=["gbt"]), tmp_path / "first")
    run(_ablation_like_suite(), tmp_path / "second", reuse=[tmp_path / "first"], only=["same"])
    report = write_report(tmp_path / "second", tmp_path / "second", plots=False)
    source = str(tmp_path / "first" / "cells" / "gbt-Cora.json")
    assert [(r.label(), r.reused_from) for r in report.rows] == [("gbt [same]", source)]
    assert f"| Cora | gbt [same] | `{source}` |" in (tmp_path / "second" / "results.md").read_text()


def test_reused_cell_keeps_its_own_epoch_request(run, tmp_path: Path):
    # a run capped at 1 of 2 epochs and a cell asking for 1 epoch train the same configuration
    def suite(epochs):
        return parse_suite({"defaults": {"seeds": [0], "epochs": epochs, "overrides": TINY},
                            "blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}]})

    run(suite(2), tmp_path / "capped", max_epochs=1)
    (outcome,) = run(suite(1), tmp_path / "asked", reuse=[tmp_path / "capped"])
    assert outcome.action == "reused"
    assert (outcome.record["epochs"], outcome.record["epochs_requested"], outcome.record["max_epochs"]) == (1, 1, None)


def test_a_copy_of_a_reused_cell_names_the_trained_file(run, tmp_path: Path):
    run(_tiny_suite(methods=["gbt"]), tmp_path / "first")
    run(_ablation_like_suite(), tmp_path / "second", reuse=[tmp_path / "first"], only=["same"])
    (outcome,) = run(_tiny_suite(methods=["gbt"]), tmp_path / "third", reuse=[tmp_path / "second"])
    assert outcome.record["reused_from"] == {"path": str(tmp_path / "first" / "cells" / "gbt-Cora.json"),
                                             "cell": "gbt-Cora"}


def test_run_suite_prefers_its_own_finished_cell_to_a_reusable_one(run, tmp_path: Path):
    run(_tiny_suite(methods=["gbt"]), tmp_path / "first")
    run(_tiny_suite(methods=["gbt"]), tmp_path / "second")
    before = (tmp_path / "second" / "cells" / "gbt-Cora.json").read_bytes()
    (outcome,) = run(_tiny_suite(methods=["gbt"]), tmp_path / "second", reuse=[tmp_path / "first"])
    assert outcome.action == "cached"
    assert (tmp_path / "second" / "cells" / "gbt-Cora.json").read_bytes() == before


def test_run_suite_does_not_reuse_an_untrusted_file(run, tmp_path: Path):
    run(_tiny_suite(methods=["gbt"]), tmp_path / "first")
    broken = tmp_path / "first" / "cells" / "gbt-Cora.json"
    broken.write_text(json.dumps({**json.loads(broken.read_text()), "status": "failed"}))
    (outcome,) = run(_tiny_suite(methods=["gbt"]), tmp_path / "second", reuse=[tmp_path / "first"])
    assert outcome.action == "ran"


def test_bench_cli_reuse_of_a_folder_without_cells_is_a_usage_error(tmp_path: Path, capsys):
    code = main(["bench", "smoke", "--out", str(tmp_path / "out"), "--reuse", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err == f"gclbt bench: error: --reuse {str(tmp_path)!r}: no cells/ folder there; give the --out folder " \
        "of an earlier suite run"
    assert not (tmp_path / "out" / "suite.json").exists()
    assert not (tmp_path / "out" / "cells").exists()


def test_check_record_rejects_a_stale_fingerprint():
    record = {key: 1.0 for key in ("test_mean", "test_std", "val_mean", "seconds", "seconds_per_epoch", "peak_rss_mb")}
    record.update(status="ok", method="gbt", dataset="Cora", fingerprint="old", num_evaluations=1, epochs=1,
                  device="cpu", config={}, runs=[], probe="bgrl", features_normalized=True, schedule={})
    assert check_record(record, "old") is None
    assert check_record(record, "new") == "written by another configuration (fingerprint differs)"


def test_check_record_does_not_trust_a_record_without_its_probe():
    # records written before the probe was recorded are redone, not mixed into new reports
    record = {key: 1.0 for key in ("test_mean", "test_std", "val_mean", "seconds", "seconds_per_epoch", "peak_rss_mb")}
    record.update(status="ok", method="gbt", dataset="Cora", fingerprint="f", num_evaluations=1, epochs=1,
                  device="cpu", config={}, runs=[])
    assert check_record(record, "f") == "missing keys ['probe', 'features_normalized', 'schedule']"


def test_plan_cell_scales_the_warmup_of_a_capped_run():
    plan = plan_cell(Cell(id="bgrl-Computers", method="bgrl", dataset="Computers"), max_epochs=300)
    assert (plan["config"]["epochs"], plan["epochs_requested"], plan["epochs_published"]) == (300, 10000, 10000)
    assert plan["config"]["scheduler"] == {"warmup_epochs": 30, "cosine": True}  # 1000 of 10000 -> 30 of 300


def test_plan_cell_scales_the_warmup_of_a_cell_with_its_own_epochs():
    plan = plan_cell(Cell(id="bgrl-Computers", method="bgrl", dataset="Computers", epochs=500))
    assert plan["config"]["scheduler"]["warmup_epochs"] == 50


def test_plan_cell_probe_replaces_the_cells_probe_and_changes_the_fingerprint():
    cell = Cell(id="gbt-Cora", method="gbt", dataset="Cora", epochs=1)
    default, gca = plan_cell(cell), plan_cell(cell, probe="gca")
    assert default["config"]["evaluation"] == {"probe": "bgrl"}
    assert gca["config"]["evaluation"] == {"probe": "gca"}
    assert default["fingerprint"] != gca["fingerprint"]


def test_run_suite_records_probe_features_and_schedule(run, tmp_path: Path):
    [outcome] = run(_tiny_suite(methods=("gbt",)), tmp_path, probe="gca")
    record = json.loads(outcome.path.read_text())
    assert record["probe"] == "gca" and record["runs"][0]["probe"]["probe"] == "gca"
    assert record["features_normalized"] is True
    assert record["schedule"] == {"epochs": 1, "warmup_epochs": 0, "cosine": True}  # G-BT's 100 of 1000 -> 0 of 1
    assert json.loads((tmp_path / "suite.json").read_text())["probe"] == "gca"


def test_bench_cli_unknown_suite_is_a_one_line_error(tmp_path: Path, capsys):
    code = main(["bench", "no-such-suite", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("gclbt bench: error: suite 'no-such-suite'")


def test_bench_cli_list_prints_every_cell(capsys):
    assert main(["bench", "smoke", "--list"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "10 cells"


def test_cell_module_runs_as_main_without_being_imported_twice():
    # runpy warns (RuntimeWarning) when the package import already loaded the module it is about to run.
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "gclbt_plugin.benchmarking.cell"],
        capture_output=True, text=True, timeout=120,
    )
    assert (completed.returncode, "RuntimeWarning" in completed.stderr) == (2, False)
    assert "usage: python -m gclbt_plugin.benchmarking.cell" in completed.stderr


def test_git_commit_dirty_flag_looks_only_at_the_package_code(monkeypatch):
    import subprocess

    from gclbt_plugin.benchmarking import cell

    def fake_run(command, **kwargs):
        if command[:2] == ["git", "rev-parse"]:
            return subprocess.CompletedProcess(command, 0, stdout="abc123\n")
        # A modified result file outside the pathspec is not reported by git for this command.
        changed = "" if command[-2:] == ["gclbt_plugin", "pyproject.toml"] else " M benchmarks/results/x.json\n"
        return subprocess.CompletedProcess(command, 0, stdout=changed)

    monkeypatch.setattr(cell.subprocess, "run", fake_run)
    assert cell.git_commit() == "abc123"


def test_fingerprint_changes_with_an_augmenter_revision_of_the_cell_only(monkeypatch):
    # A cell trained before an augmenter's views changed must not count as finished after it.
    from gclbt_plugin.augmentors import AdaptiveFeatureMasking

    cells = _tiny_suite(methods=["gbt", "gclbt"]).cells
    before = [plan_cell(cell)["fingerprint"] for cell in cells]
    monkeypatch.setattr(AdaptiveFeatureMasking, "revision", AdaptiveFeatureMasking.revision + 1)
    after = [plan_cell(cell)["fingerprint"] for cell in cells]
    assert [cell.method for cell in cells] == ["gbt", "gclbt"]
    assert after[0] == before[0]
    assert after[1] != before[1]


def test_report_marks_a_cell_stale_once_its_augmenters_revision_changes(run, tmp_path: Path, monkeypatch):
    import yaml

    from gclbt_plugin.augmentors import AdaptiveFeatureMasking
    from gclbt_plugin.benchmarking.report import write_report
    from gclbt_plugin.benchmarking.suite import load_suite

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "defaults": {"seeds": [0], "epochs": 1, "overrides": TINY},
        "blocks": [{"methods": ["gbt", "gclbt"], "datasets": ["Cora"]}],
    }))
    run(load_suite(path), tmp_path / "out")
    fresh = write_report(tmp_path / "out", tmp_path / "out", plots=False)
    assert [(r.method, r.stale) for r in fresh.rows] == [("gbt", False), ("gclbt", False)]
    monkeypatch.setattr(AdaptiveFeatureMasking, "revision", AdaptiveFeatureMasking.revision + 1)
    later = write_report(tmp_path / "out", tmp_path / "out", plots=False)
    assert [(r.method, r.stale) for r in later.rows] == [("gbt", False), ("gclbt", True)]
    assert "## Stale cells" in (tmp_path / "out" / "results.md").read_text()


def test_a_cell_records_the_commit_it_started_on(run, tmp_path: Path, monkeypatch):
    # a commit made while a long cell trains must not be credited with its result
    from gclbt_plugin.benchmarking import cell

    head = {"commit": "started-on"}
    train = cell.run_experiment

    def train_then_commit(*args, **kwargs):
        result = train(*args, **kwargs)
        head["commit"] = "committed-later"
        return result

    monkeypatch.setattr(cell, "run_experiment", train_then_commit)
    monkeypatch.setattr(cell, "git_commit", lambda: head["commit"])
    run(_tiny_suite(methods=("gbt",)), tmp_path)
    assert json.loads((tmp_path / "cells" / "gbt-Cora.json").read_text())["git_commit"] == "started-on"


def test_select_takes_substrings_and_exact_ids_written_with_an_equals_sign():
    suite = parse_suite({
        "name": "s", "defaults": {"seeds": [0]},
        "blocks": [{"methods": ["gclbt"], "datasets": ["CS"]},
                   {"methods": ["gclbt"], "datasets": ["CS"], "name": "tuned"},
                   {"methods": ["gbt"], "datasets": ["Cora"]}],
    })
    ids = [c.id for c in suite.cells]
    assert ids == ["gclbt-CS", "gclbt-CS-tuned", "gbt-Cora"]
    assert [c.id for c in suite.select(["gclbt-CS"])] == ["gclbt-CS", "gclbt-CS-tuned"]
    assert [c.id for c in suite.select(["=gclbt-CS"])] == ["gclbt-CS"]
    assert [c.id for c in suite.select(["=gclbt-CS", "Cora"])] == ["gclbt-CS", "gbt-Cora"]
    assert [c.id for c in suite.select([])] == ids



def _two_seed_suite(epochs=3):
    return parse_suite({"defaults": {"seeds": [0, 1], "epochs": epochs, "overrides": TINY},
                        "blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}]})


def _interrupt_in_the_second_probe(run, out: Path, epochs: int, monkeypatch) -> None:
    """Run the two-seed cell until both seeds are trained (and checkpointed), then Ctrl-C it."""
    from gclbt_plugin import experiment

    probe, calls = experiment.evaluate_model, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return probe(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(experiment, "evaluate_model", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run(_two_seed_suite(epochs), out)
    assert not (out / "cells" / "gbt-Cora.json").exists()


def test_an_interrupted_cell_resumes_from_its_checkpoints_and_gives_the_uninterrupted_result(
    run, tmp_path: Path, monkeypatch
):
    (fresh,) = run(_two_seed_suite(), tmp_path / "fresh")
    _interrupt_in_the_second_probe(run, tmp_path / "resumed", 3, monkeypatch)
    checkpoints = tmp_path / "resumed" / "checkpoints" / "gbt-Cora"
    assert len(list(checkpoints.rglob("*seed0-*.pt"))) == len(list(checkpoints.rglob("*seed1-*.pt"))) == 1

    (resumed,) = run(_two_seed_suite(), tmp_path / "resumed", isolate=True)
    assert resumed.status == "ok"
    assert [r["resumed_from"] for r in resumed.record["runs"]] == [3, 3]  # no epoch trained again
    assert [r["resumed_from"] for r in fresh.record["runs"]] == [0, 0]
    assert [r["probe"]["test_accuracies"] for r in resumed.record["runs"]] == [
        r["probe"]["test_accuracies"] for r in fresh.record["runs"]
    ]
    log = (tmp_path / "resumed" / "logs" / "gbt-Cora.log").read_text()
    assert log.count("(resumed from epoch 3)") == 2
    assert not (tmp_path / "resumed" / "checkpoints").exists()  # removed once the cell is finished
    assert not (tmp_path / "fresh" / "checkpoints").exists()


def test_a_cell_of_another_configuration_neither_resumes_nor_removes_old_checkpoints(run, tmp_path: Path, monkeypatch):
    _interrupt_in_the_second_probe(run, tmp_path, 2, monkeypatch)
    old = sorted((tmp_path / "checkpoints" / "gbt-Cora").rglob("*.pt"))
    assert len(old) == 2  # seeds 0 and 1 of the 2-epoch plan
    (changed,) = run(_two_seed_suite(epochs=3), tmp_path)
    assert changed.status == "ok"
    assert [r["resumed_from"] for r in changed.record["runs"]] == [0, 0]
    # only the finished plan's checkpoints go: another run of the old plan may still be using its own
    assert sorted((tmp_path / "checkpoints" / "gbt-Cora").rglob("*.pt")) == old


def test_training_commits_lists_each_process_that_ran_a_cell_once(tmp_path: Path):
    from gclbt_plugin.benchmarking.cell import training_commits

    assert training_commits(None, "a") == ["a"]
    assert [training_commits(tmp_path, c) for c in ("a", "a", "b")] == [["a"], ["a"], ["a", "b"]]


@pytest.mark.parametrize("saves", [True, False])
def test_an_interrupted_cell_process_gets_time_to_save_else_it_is_killed(tmp_path: Path, saves):
    import signal
    import subprocess
    import sys
    import time

    from gclbt_plugin.benchmarking.runner import wait_for_interrupted_cell

    # a stand-in for a training cell: on SIGINT it finishes its "epoch" (0.5 s) and saves; or it
    # ignores SIGINT and would run for a minute
    child = f"""
import signal, sys, time
stop = []
signal.signal(signal.SIGINT, (lambda *a: stop.append(1)) if {saves} else signal.SIG_IGN)
print("ready", flush=True)
for _ in range(600):
    if stop:
        time.sleep(0.5)
        open({str(tmp_path / "saved")!r}, "w").close()
        sys.exit(130)
    time.sleep(0.1)
"""
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGINT)  # what the terminal's Ctrl-C sends the whole process group
    started = time.monotonic()
    wait_for_interrupted_cell(process, grace=20.0 if saves else 1.0)
    assert process.poll() is not None and time.monotonic() - started < 15
    assert (tmp_path / "saved").exists() == saves
    assert process.returncode == (130 if saves else -signal.SIGKILL)


def test_keep_checkpoints_leaves_each_seeds_final_checkpoint_and_they_reproduce_the_record(
    run, tmp_path: Path, shared_datasets_dir: Path, dataset_cache: Path
):
    from gclbt_plugin.benchmarking.kept_models import cell_models
    from gclbt_plugin.experiment import evaluate_model

    (outcome,) = run(_two_seed_suite(), tmp_path, keep_checkpoints=True)
    assert outcome.status == "ok"
    folder = tmp_path / "checkpoints" / "gbt-Cora"
    assert len(list(folder.rglob("*.pt"))) == 2  # one per seed
    rebuilt = list(cell_models(outcome.record, folder, data_cache=dataset_cache, data_mirror=shared_datasets_dir))
    assert [run_["seed"] for run_, _, _ in rebuilt] == [0, 1]
    for run_, model, data in rebuilt:  # the kept weights give the record's probe, split for split
        probe = evaluate_model(model, data, outcome.record["config"])
        assert probe.test_accuracies == pytest.approx(run_["probe"]["test_accuracies"], abs=1e-9)
    (again,) = run(_two_seed_suite(), tmp_path, keep_checkpoints=True)
    assert again.action == "cached" and len(list(folder.rglob("*.pt"))) == 2  # a cached cell keeps them too


def test_keep_checkpoints_removes_the_earlier_epochs_fallback_files(run, tmp_path: Path):
    from gclbt_plugin.training.checkpoint import previous_path

    (outcome,) = run(_two_seed_suite(), tmp_path, keep_checkpoints=True)
    finals = sorted((tmp_path / "checkpoints" / "gbt-Cora").rglob("*.pt"))
    for final in finals:  # as a run checkpointed more than once leaves them (atomic_save's fallback)
        previous_path(final).write_bytes(final.read_bytes())
    (again,) = run(_two_seed_suite(), tmp_path, keep_checkpoints=True)
    assert again.action == "cached"
    assert sorted((tmp_path / "checkpoints" / "gbt-Cora").rglob("*.pt*")) == finals


def test_cell_models_refuses_a_checkpoint_of_another_epoch_and_a_missing_seed(
    run, tmp_path: Path, shared_datasets_dir: Path, dataset_cache: Path
):
    from functools import partial

    from gclbt_plugin.benchmarking.kept_models import cell_models

    cell_models = partial(cell_models, data_cache=dataset_cache, data_mirror=shared_datasets_dir)
    (outcome,) = run(_two_seed_suite(), tmp_path, keep_checkpoints=True)
    folder = tmp_path / "checkpoints" / "gbt-Cora"
    longer = json.loads(json.dumps(outcome.record))
    longer["runs"][0]["epochs"] = 30
    with pytest.raises(ValueError, match="stopped at epoch 3.*trained 30 epochs"):
        next(cell_models(longer, folder))
    three_seeds = json.loads(json.dumps(outcome.record))
    three_seeds["runs"].append({**three_seeds["runs"][1], "seed": 2})
    with pytest.raises(FileNotFoundError, match="one checkpoint of seed 2"):
        next(cell_models(three_seeds, folder))
    with pytest.raises(ValueError, match="status is 'failed'"):
        next(cell_models({**outcome.record, "status": "failed"}, folder))


def test_bench_cli_keep_checkpoints_keeps_them(tmp_path: Path, shared_datasets_dir: Path, dataset_cache: Path):
    import yaml

    suite = tmp_path / "one.yaml"
    suite.write_text(yaml.safe_dump({"name": "one", "defaults": {"seeds": [0], "epochs": 2, "overrides": TINY},
                                     "blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}]}))
    common = ["--no-isolate", "--no-plots", "--no-progress", "--threads", "1",
              "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache)]
    assert main(["bench", str(suite), "--out", str(tmp_path / "kept"), "--keep-checkpoints", *common]) == 0
    assert main(["bench", str(suite), "--out", str(tmp_path / "removed"), *common]) == 0
    assert len(list((tmp_path / "kept" / "checkpoints" / "gbt-Cora").rglob("*.pt"))) == 1
    assert not (tmp_path / "removed" / "checkpoints").exists()
