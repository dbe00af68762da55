"""``gclbt tune``: studies in SQLite, re-runs, two workers, one-line errors, report and its config file."""

import json
import os
import subprocess
import sys

import optuna
import pytest
import torch
import yaml
from optuna.trial import TrialState

from gclbt_plugin.cli.main import main


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tune_args(shared_datasets_dir, dataset_cache, tmp_path):
    return [
        "tune", "--method", "gclbt", "--dataset", "Cora", "--epochs", "4", "--set", "encoder.hidden_channels=32",
        "--set", "encoder.out_channels=32", "--eval-every", "2", "--storage", f"sqlite:///{tmp_path / 's.db'}",
        "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache), "--no-progress",
    ]


def load(tmp_path, name="gclbt-Cora"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 's.db'}")


def test_cli_tune_rerun_adds_trials_to_the_same_study(tune_args, tmp_path, capsys):
    assert main([*tune_args, "--n-trials", "1"]) == 0
    assert main([*tune_args, "--n-trials", "2"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] trial 0 COMPLETE" in out and "[2/2] trial 1 COMPLETE" in out
    assert [t.state for t in load(tmp_path).trials] == [TrialState.COMPLETE] * 2


def test_cli_tune_reads_storage_from_optuna_storage_variable(tune_args, tmp_path, monkeypatch):
    at = tune_args.index("--storage")
    args = tune_args[:at] + tune_args[at + 2:]
    monkeypatch.setenv("OPTUNA_STORAGE", f"sqlite:///{tmp_path / 's.db'}")
    assert main([*args, "--n-trials", "1", "--study-name", "from-env"]) == 0
    assert len(load(tmp_path, "from-env").trials) == 1


def test_cli_tune_two_workers_share_n_trials(tune_args, tmp_path, cora):
    # ``cora`` fills the dataset cache first: PyG's first-time processing is not safe across processes.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "gclbt_plugin", *tune_args, "--n-trials", "4", "--optuna-seed", str(seed), "-q"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for seed in (0, 1)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    states = [t.state for t in load(tmp_path).trials]
    # MaxTrialsCallback checks between trials (counting the other worker's running one), so the
    # study holds 4 trials; two workers finishing at the same instant may each start one more.
    assert set(states) == {TrialState.COMPLETE} and len(states) in (4, 5)


def test_cli_tune_bad_storage_is_one_line_error(tune_args, capsys):
    at = tune_args.index("--storage")
    tune_args[at + 1] = "nosuchdb://host/db"
    assert main(tune_args) == 1
    err = capsys.readouterr().err
    assert err.startswith("gclbt tune: error: cannot open Optuna storage 'nosuchdb://host/db'")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_tune_unknown_search_space_parameter_is_one_line_error(tune_args, tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text("parameters:\n  loss.lambda: {type: float, low: 0.001, high: 0.1}\n")
    assert main([*tune_args, "--search-space", str(space)]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter 'loss.lambda'" in err and "'loss.lambda_'" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_tune_report_config_reproduces_best_trial_in_gclbt_train(tune_args, tmp_path, capsys):
    assert main([*tune_args, "--n-trials", "2"]) == 0
    out_dir = tmp_path / "report"
    data = tune_args[tune_args.index("--storage"):]
    assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--report-seeds", "0",
                 "--output-dir", str(out_dir), "--no-plots"]) == 0
    result = tmp_path / "train.json"
    assert main(["train", "--config", str(out_dir / "best-config.yaml"), *data[2:], "--output", str(result)]) == 0
    best = load(tmp_path).best_value
    assert json.loads(result.read_text())["val_mean"] == pytest.approx(best, abs=1e-9)
    assert json.loads((out_dir / "report.json").read_text())["best_value"] == best


def test_cli_tune_report_no_retrain_reports_the_study_without_training(tune_args, tmp_path, capsys, monkeypatch):
    assert main([*tune_args, "--n-trials", "2"]) == 0
    from gclbt_plugin.tuning import report as report_module

    def no_training(*args, **kwargs):
        raise AssertionError("--no-retrain retrained the best configuration")

    monkeypatch.setattr(report_module, "retrain_best", no_training)
    out_dir = tmp_path / "report"
    data = tune_args[tune_args.index("--storage"):]
    assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--no-retrain",
                 "--output-dir", str(out_dir), "--no-plots"]) == 0
    written = json.loads((out_dir / "report.json").read_text())
    assert written["best_value"] == load(tmp_path).best_value
    assert written["test_mean"] is None and written["seeds"] == [] and written["result"] == {}
    assert (out_dir / "best-config.yaml").is_file()
    assert "not retrained (no test accuracy)" in capsys.readouterr().out


def test_cli_tune_report_of_missing_study_is_one_line_error(tune_args, capsys):
    data = tune_args[tune_args.index("--storage"):]
    assert main(["tune", "report", "--study-name", "nope", *data]) == 1
    assert "no study named 'nope'" in capsys.readouterr().err


def test_cli_tune_report_export_config_writes_the_best_configuration_without_retraining(tune_args, tmp_path, capsys):
    assert main([*tune_args, "--n-trials", "2"]) == 0
    data = tune_args[tune_args.index("--storage"):]
    exported = tmp_path / "tuned" / "gclbt-Cora.yaml"
    assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--export-config", str(exported)]) == 0
    best = load(tmp_path).best_trial
    document = yaml.safe_load(exported.read_text())
    assert document["sources"][0].endswith(f"best trial {best.number}, validation accuracy {best.value:.2f} %")
    assert not (tmp_path / "tuning").exists()  # no report folder: nothing was retrained
    assert f"written to {exported}" in capsys.readouterr().out


def test_cli_tune_export_config_outside_report_is_a_usage_error(tune_args, tmp_path, capsys):
    assert main([*tune_args, "--export-config", str(tmp_path / "x.yaml")]) == 1
    assert "--export-config is an option of 'gclbt tune report'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--n-trials", "1", "--report-seeds", "0", "1"],
         "--report-seeds 0 1 would be ignored: no report is written (add --report"),
        (["--n-trials", "1", "--no-retrain", "--no-plots"], "--no-retrain, --no-plots would be ignored"),
    ],
)
def test_cli_tune_report_options_without_a_report_are_a_usage_error_before_any_trial(
    tune_args, tmp_path, capsys, extra, message
):
    assert main([*tune_args, *extra]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()  # refused before the study was created


def test_cli_tune_report_export_config_with_report_options_is_a_usage_error(tune_args, tmp_path, capsys):
    data = tune_args[tune_args.index("--storage"):]
    exported = tmp_path / "x.yaml"
    for report_flag in ([], ["--report"]):  # --report does not make --export-config write a report
        assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--export-config", str(exported),
                     *report_flag, "--output-dir", str(tmp_path / "r")]) == 1
        assert (f"--output-dir {tmp_path / 'r'} would be ignored: --export-config writes only the configuration"
                in capsys.readouterr().err)
    assert not exported.exists()


def test_cli_tune_report_no_retrain_with_retraining_options_is_a_usage_error(tune_args, capsys):
    data = tune_args[tune_args.index("--storage"):]
    assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--no-retrain", "--report-splits", "5"]) == 1
    assert "--report-splits 5 would be ignored: --no-retrain skips the retraining" in capsys.readouterr().err


def test_cli_tune_with_report_accepts_the_report_options(tune_args, tmp_path):
    out_dir = tmp_path / "report"
    assert main([*tune_args, "--n-trials", "1", "--report", "--no-retrain", "--no-plots", "--output-dir",
                 str(out_dir)]) == 0
    assert (out_dir / "report.json").is_file() and not list(out_dir.glob("*.png"))


def test_cli_tune_report_retrains_over_the_documented_default_seeds_and_splits(tune_args, tmp_path, monkeypatch):
    assert main([*tune_args, "--n-trials", "1"]) == 0
    from gclbt_plugin.tuning import report as report_module

    asked = {}
    retrain_best = report_module.retrain_best

    def record_then_retrain_briefly(study, *, seeds, num_splits, **kwargs):
        asked.update(seeds=list(seeds), num_splits=num_splits)
        return retrain_best(study, seeds=[0], num_splits=1, **kwargs)

    monkeypatch.setattr(report_module, "retrain_best", record_then_retrain_briefly)
    data = tune_args[tune_args.index("--storage"):]
    assert main(["tune", "report", "--study-name", "gclbt-Cora", *data, "--output-dir", str(tmp_path / "r"),
                 "--no-plots"]) == 0
    assert asked == {"seeds": [0, 1, 2], "num_splits": 20}  # as --help says
