"""Bad input to ``gclbt``: exit code 1 and one line naming the flag or key, before any work, with
nothing half-written; and what a run does when writing its result, a checkpoint or a signal
gets in the way."""

from __future__ import annotations

import errno
import json
import os
import signal
import warnings

import pytest

import gclbt_plugin.cli.train_command as train_command
from gclbt_plugin.cli.main import main
from gclbt_plugin.models.base import ContrastModel

TINY = ["--epochs", "2", "--set", "encoder.hidden_channels=8", "--set", "encoder.out_channels=8", "--no-progress"]


@pytest.fixture
def data_options(shared_datasets_dir, dataset_cache, cora):
    return ["--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache)]


@pytest.fixture
def a_file(tmp_path):
    """A regular file: nothing can be created below it (whoever runs the tests, root included)."""
    path = tmp_path / "a-file"
    path.write_text("")
    return path


def one_line_error(capsys, *expected: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


def train(*args: str) -> list[str]:
    return ["train", "--method", "gbt", "--dataset", "Cora", *TINY, *args]


def test_train_unwritable_output_fails_before_training(tmp_path, a_file, shared_datasets_dir, capsys):
    cache = tmp_path / "fresh-cache"
    code = main(train("--output", str(a_file / "x.json"), "--data-mirror", str(shared_datasets_dir),
                      "--data-cache", str(cache)))
    assert code == 1
    one_line_error(capsys, "gclbt train: error: --output", str(a_file / "x.json"), "is a file, not a folder")
    assert not cache.exists()  # not even the dataset was loaded


def test_train_output_that_is_a_folder_is_refused(tmp_path, data_options, capsys):
    assert main(train("--output", str(tmp_path), *data_options)) == 1
    one_line_error(capsys, f"--output '{tmp_path}' is a folder")


def test_train_unwritable_checkpoint_dir_fails_before_training(tmp_path, a_file, data_options, capsys):
    assert main(train("--checkpoint-dir", str(a_file / "ckpt"), "--output", str(tmp_path / "r.json"),
                      *data_options)) == 1
    one_line_error(capsys, "--checkpoint-dir", "is a file, not a folder")
    assert not (tmp_path / "r.json").exists()


def test_train_unwritable_data_cache_fails_before_loading(tmp_path, a_file, shared_datasets_dir, capsys):
    assert main(train("--data-mirror", str(shared_datasets_dir), "--data-cache", str(a_file / "cache"),
                      "--output", str(tmp_path / "r.json"))) == 1
    one_line_error(capsys, "--data-cache", "is a file, not a folder")


def test_train_result_write_failure_prints_accuracy_and_names_the_fallback(tmp_path, data_options, capsys,
                                                                            monkeypatch):
    output = tmp_path / "out" / "r.json"
    real = train_command.write_json_atomic

    def disk_full_for_output(obj, path):
        if os.fspath(path) == os.fspath(output):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(obj, path)

    monkeypatch.setattr(train_command, "write_json_atomic", disk_full_for_output)
    monkeypatch.chdir(tmp_path)
    assert main(train("--output", str(output), *data_options)) == 1
    captured = capsys.readouterr()
    assert "test accuracy" in captured.out
    err = captured.err
    assert err.count("\n") == 1 and "No space left on device" in err and f"--output '{output}'" in err
    [fallback] = tmp_path.glob("r-*.json")
    assert f"the result was saved to {fallback} instead" in err
    assert json.loads(fallback.read_text())["dataset"] == "Cora"
    assert not output.exists()


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("view1.edge.p=1.5", "error: view1.edge.p must be in [0, 1], got 1.5"),
        ("optimizer.learning_rate=0.1",
         "error: unknown key 'optimizer.learning_rate'; valid keys: ['optimizer.amsgrad'"),
        ("encoder.hidden_channels=0", "error: encoder.hidden_channels must be a positive integer, got 0"),
        ("loss.lambda_=-1", "error: loss.lambda_ must be"),
        ("view2.feature.name=Nope", "error: view2.feature: unknown augmentor 'Nope'"),
        ("scheduler.warmup_epochs=abc", "error: scheduler.warmup_epochs must be an integer >= 0, got 'abc'"),
    ],
)
def test_train_bad_configuration_value_names_its_key(tmp_path, a_file, shared_datasets_dir, capsys, assignment,
                                                     message):
    cache = tmp_path / "fresh-cache"
    code = main(train("--set", assignment, "--output", str(tmp_path / "r.json"),
                      "--data-mirror", str(shared_datasets_dir), "--data-cache", str(cache)))
    assert code == 1
    one_line_error(capsys, message)
    assert not cache.exists() and not (tmp_path / "r.json").exists()


def test_train_unknown_optimizer_key_lists_the_accepted_keys(tmp_path, data_options, capsys):
    assert main(train("--set", "optimizer.learning_rate=0.1", "--output", str(tmp_path / "r.json"),
                      *data_options)) == 1
    one_line_error(capsys, "valid keys: [", "'optimizer.lr'", "'optimizer.weight_decay'", "'optimizer.betas'")


def test_train_unknown_dataset_names_the_flag(tmp_path, capsys):
    assert main(["train", "--method", "gbt", "--dataset", "NoSuchSet", "--output", str(tmp_path / "r.json")]) == 1
    one_line_error(capsys, "error: --dataset must be one of ['Cora'", "got 'NoSuchSet'")


def test_train_missing_mirror_is_a_warning_naming_the_flag(tmp_path, dataset_cache, cora, capsys):
    assert main(train("--data-mirror", str(tmp_path / "nonexistent"), "--data-cache", str(dataset_cache),
                      "--output", str(tmp_path / "r.json"))) == 0
    err = capsys.readouterr().err
    assert f"gclbt train: warning: --data-mirror '{tmp_path / 'nonexistent'}' is not a folder and is ignored" in err


def test_warnings_are_one_line_without_the_source_line(tmp_path, data_options, capsys, monkeypatch):
    real = train_command.check_data_options

    def warn_then_check(args):
        warnings.warn("something to know\nsecond line", UserWarning, stacklevel=1)
        real(args)

    monkeypatch.setattr(train_command, "check_data_options", warn_then_check)
    assert main(train("--output", str(tmp_path / "r.json"), *data_options)) == 0
    err = capsys.readouterr().err
    assert err == "gclbt train: warning: something to know\n"


def test_train_corrupt_checkpoint_is_one_warning_naming_the_file(tmp_path, data_options, capsys):
    args = train("--checkpoint-dir", str(tmp_path / "ckpt"), "--checkpoint-every", "1", "--output",
                 str(tmp_path / "r.json"), *data_options)
    assert main(args) == 0
    [checkpoint] = (tmp_path / "ckpt").glob("*.pt")
    for path in (checkpoint, checkpoint.with_name(checkpoint.name + ".prev")):
        path.write_bytes(path.read_bytes()[:100])
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "Traceback" not in "".join(err)
    assert err[0].startswith(f"gclbt train: warning: checkpoint {checkpoint} is unreadable (")
    assert err[1].endswith("; starting from scratch")


def test_train_rerun_of_a_finished_checkpoint_writes_valid_json_without_nan(tmp_path, data_options, capsys):
    output = tmp_path / "r.json"
    args = train("--checkpoint-dir", str(tmp_path / "ckpt"), "--output", str(output), *data_options)
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "resumed from epoch 2 of" in captured.err and "nan" not in captured.out.lower()

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    result = json.loads(output.read_text(), parse_constant=refuse)
    (run,) = result["runs"]
    assert (run["resumed_from"], run["timed_epochs"]) == (2, 2)  # no epoch trained, both timed by the checkpoint
    assert result["seconds_per_epoch"] == pytest.approx(run["seconds"] / 2) and run["seconds"] > 0


def test_train_sigterm_saves_a_checkpoint_and_the_rerun_resumes(tmp_path, data_options, capsys, monkeypatch):
    sent = []

    def terminate_halfway(self, progress):
        if progress >= 0.5 and not sent:
            sent.append(progress)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(ContrastModel, "after_step", terminate_halfway)
    args = ["train", "--method", "gbt", "--dataset", "Cora", "--epochs", "4", *TINY[2:],
            "--checkpoint-dir", str(tmp_path / "ckpt"), "--output", str(tmp_path / "r.json"), *data_options]
    assert main(args) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "gclbt train: interrupted by SIGTERM after epoch 2 of 4; checkpoint saved to" in err
    assert not (tmp_path / "r.json").exists()
    assert main(args) == 0
    assert "resumed from epoch 2 of" in capsys.readouterr().err


def test_train_checkpoint_every_must_be_positive(tmp_path, capsys):
    assert main(train("--checkpoint-every", "0", "--output", str(tmp_path / "r.json"))) == 1
    one_line_error(capsys, "--checkpoint-every must be a positive integer, got 0")


def tune(tmp_path, *args: str) -> list[str]:
    return ["tune", "--method", "gbt", "--dataset", "Cora", *TINY, *args]


def test_tune_zero_trials_is_refused_without_creating_a_database(tmp_path, data_options, capsys):
    database = tmp_path / "s.db"
    assert main(tune(tmp_path, "--n-trials", "0", "--storage", f"sqlite:///{database}", *data_options)) == 1
    one_line_error(capsys, "--n-trials must be a positive integer, got 0")
    assert not database.exists()


def test_tune_unwritable_storage_fails_before_any_trial(tmp_path, a_file, data_options, capsys):
    assert main(tune(tmp_path, "--n-trials", "1", "--storage", f"sqlite:///{a_file / 's.db'}", *data_options)) == 1
    one_line_error(capsys, "--storage", "is a file, not a folder")


def test_tune_report_unwritable_output_dir_fails_before_any_trial(tmp_path, a_file, data_options, capsys):
    database = tmp_path / "s.db"
    assert main(tune(tmp_path, "--n-trials", "1", "--storage", f"sqlite:///{database}", "--report",
                     "--output-dir", str(a_file / "report"), *data_options)) == 1
    one_line_error(capsys, "--output-dir", "is a file, not a folder")
    assert not database.exists()


def test_tune_report_of_a_missing_database_creates_none(tmp_path, capsys):
    database = tmp_path / "s.db"
    assert main(["tune", "report", "--study-name", "x", "--storage", f"sqlite:///{database}"]) == 1
    one_line_error(capsys, "no study named 'x'")
    assert not database.exists()


def test_bench_unwritable_out_fails_before_any_cell(a_file, capsys):
    assert main(["bench", "quick", "--out", str(a_file / "bench")]) == 1
    one_line_error(capsys, "gclbt bench: error: --out", "is a file, not a folder")
