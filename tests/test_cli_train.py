"""``gclbt train`` end to end on Cora from the mirror, and its one-line errors."""

import json

import pytest

from gclbt_plugin.cli.main import main
from gclbt_plugin.cli.options import parse_assignment

TINY = ["--set", "encoder.hidden_channels=16", "--set", "encoder.out_channels=16", "--no-progress"]


@pytest.fixture
def data_options(shared_datasets_dir, dataset_cache):
    return ["--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache)]


def test_cli_train_prints_table_and_writes_json(tmp_path, data_options, capsys):
    output = tmp_path / "result.json"
    code = main(["train", "--method", "gbt", "--dataset", "cora", "--epochs", "2", "--output", str(output),
                 *TINY, *data_options])
    assert code == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "Cora" in printed
    result = json.loads(output.read_text())
    assert result["method"] == "gbt" and result["dataset"] == "Cora" and result["epochs"] == 2
    assert result["config"]["encoder"]["hidden_channels"] == 16
    assert 0 <= result["test_mean"] <= 100


def test_cli_train_config_file_and_set_precedence(tmp_path, data_options):
    config = tmp_path / "config.yaml"
    config.write_text("method: gclbt\ndataset: Cora\nepochs: 3\nloss: {lambda_: 0.5}\nencoder: {hidden_channels: 8}\n")
    output = tmp_path / "result.json"
    code = main(["train", "--config", str(config), "--set", "loss.lambda_=0.25", "--output", str(output),
                 "--set", "encoder.out_channels=8", "--no-progress", *data_options])
    assert code == 0
    result = json.loads(output.read_text())
    assert result["method"] == "gclbt" and result["epochs"] == 3  # from the file
    assert result["config"]["loss"] == {"name": "BarlowTwinsLoss", "lambda_": 0.25}  # --set beats the file
    assert result["config"]["encoder"]["hidden_channels"] == 8


def test_cli_train_unknown_method_is_one_line_error(capsys, data_options):
    code = main(["train", "--method", "nope", "--dataset", "Cora", *data_options])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0] and "gclbt" in err[0]


def test_cli_train_requires_method_and_dataset(capsys):
    assert main(["train", "--dataset", "Cora"]) == 1
    assert "--method and --dataset are required" in capsys.readouterr().err


def test_parse_assignment_builds_nested_override():
    assert parse_assignment("view1.edge.p=0.3") == {"view1": {"edge": {"p": 0.3}}}
    assert parse_assignment("loss.lambda_=null") == {"loss": {"lambda_": None}}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_assignment("epochs")


def test_cli_train_probe_and_feature_switches_reach_the_result(tmp_path, data_options, capsys):
    output = tmp_path / "result.json"
    code = main(["train", "--method", "gbt", "--dataset", "Cora", "--epochs", "2", "--probe", "gca",
                 "--set", "features.normalize=false", "--output", str(output), *TINY, *data_options])
    assert code == 0
    printed = capsys.readouterr().out
    assert "(gca probe)" in printed and "features       raw" in printed
    result = json.loads(output.read_text())
    assert result["probe"] == "gca" and result["config"]["evaluation"] == {"probe": "gca"}
    assert result["features_normalized"] is False and result["config"]["features"] == {"normalize": False}


def test_cli_train_epochs_scale_the_recipe_warmup(tmp_path, data_options):
    output = tmp_path / "result.json"
    assert main(["train", "--method", "bgrl", "--dataset", "Cora", "--epochs", "20", "--output", str(output),
                 *TINY, "--set", "predictor.hidden_channels=8", *data_options]) == 0
    result = json.loads(output.read_text())
    assert result["schedule"] == {"epochs": 20, "warmup_epochs": 2, "cosine": True}  # BGRL: 1000 of 10000


def test_cli_train_unknown_probe_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--method", "gbt", "--dataset", "Cora", "--probe", "dgi"])
    assert "invalid choice: 'dgi'" in capsys.readouterr().err
