"""Search spaces: defaults derived from the resolved configuration, files, validation, conditional draws."""

import math

import optuna
import pytest

from gclbt_plugin.experiment import resolve_config
from gclbt_plugin.registry import UnknownPluginError
from gclbt_plugin.tuning.search_space import (
    Parameter,
    apply_params,
    default_search_space,
    load_search_space,
    suggest_params,
)

DROP_RATES = ["view1.edge.p", "view1.feature.p", "view2.edge.p", "view2.feature.p"]


@pytest.fixture
def gclbt_config():
    return resolve_config("gclbt", "Computers")  # encoder out_channels 128, Barlow Twins, no projector


def test_default_search_space_gclbt_is_drop_rates_and_lambda(gclbt_config):
    assert sorted(default_search_space(gclbt_config)) == sorted([*DROP_RATES, "loss.lambda_"])


def test_default_search_space_lambda_is_log_scale_around_one_over_d(gclbt_config):
    lambda_ = default_search_space(gclbt_config)["loss.lambda_"]
    assert (lambda_.type, lambda_.log) == ("float", True)
    assert math.isclose(lambda_.low, 0.1 / 128) and math.isclose(lambda_.high, 10 / 128)


def test_default_search_space_lambda_uses_projector_dimension(gclbt_config):
    config = resolve_config("gclbt", "Computers", [{"projector": {"hidden_channels": 64, "out_channels": 64}}])
    assert math.isclose(default_search_space(config)["loss.lambda_"].high, 10 / 64)


def test_default_search_space_infonce_searches_tau():
    assert sorted(default_search_space(resolve_config("grace", "Cora"))) == sorted([*DROP_RATES, "loss.tau"])


def test_default_search_space_bootstrap_searches_momentum():
    assert sorted(default_search_space(resolve_config("bgrl", "Computers"))) == sorted([*DROP_RATES, "momentum"])


def test_default_search_space_follows_the_configured_loss_not_the_method_name():
    config = resolve_config("gclbt", "Cora", [{"loss": {"name": "InfoNCELoss", "tau": 0.5}}])
    assert "loss.tau" in default_search_space(config) and "loss.lambda_" not in default_search_space(config)


def test_default_search_space_skips_a_view_without_drop_rate(gclbt_config):
    config = resolve_config("gclbt", "Cora", [{"view2": {"feature": None}}])
    assert "view2.feature.p" not in default_search_space(config)


def test_load_search_space_without_file_is_the_default_space(gclbt_config):
    assert load_search_space(None, gclbt_config) == default_search_space(gclbt_config)


def test_load_search_space_narrows_a_default_parameter_keeping_its_type(gclbt_config):
    space = load_search_space({"parameters": {"view1.edge.p": {"high": 0.4}}}, gclbt_config)
    assert space["view1.edge.p"] == Parameter("view1.edge.p", "float", 0.0, 0.4)


def test_load_search_space_null_removes_a_parameter(gclbt_config):
    space = load_search_space({"parameters": {"loss.lambda_": None}}, gclbt_config)
    assert sorted(space) == DROP_RATES


def test_load_search_space_use_defaults_false_keeps_only_the_file(gclbt_config):
    document = {"use_defaults": False, "parameters": {"encoder.hidden_channels": [128, 256]}}
    assert load_search_space(document, gclbt_config) == {
        "encoder.hidden_channels": Parameter("encoder.hidden_channels", "categorical", choices=(128, 256))
    }


def test_load_search_space_reads_yaml_file_with_exponent_without_dot(gclbt_config, tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("parameters:\n  optimizer.lr: {type: float, low: 1e-5, high: 1e-2, log: true}\n")
    assert load_search_space(path, gclbt_config)["optimizer.lr"] == Parameter(
        "optimizer.lr", "float", 1e-5, 1e-2, log=True
    )


def test_load_search_space_rejects_unknown_name_listing_valid_ones(gclbt_config):
    with pytest.raises(ValueError, match=r"unknown parameter 'view1\.edge\.q'.*valid names: .*'view1\.edge\.p'"):
        load_search_space({"parameters": {"view1.edge.q": {"type": "float", "low": 0, "high": 1}}}, gclbt_config)


def test_load_search_space_accepts_constructor_keyword_absent_from_config(gclbt_config):
    space = load_search_space({"parameters": {"view1.edge.aggregation": ["sink", "mean"]}}, gclbt_config)
    assert space["view1.edge.aggregation"].choices == ("sink", "mean")


def test_load_search_space_accepts_keyword_of_a_searched_component(gclbt_config):
    document = {
        "parameters": {
            "loss.name": {"type": "categorical", "choices": ["BarlowTwinsLoss", "InfoNCELoss"]},
            "loss.tau": {"type": "float", "low": 0.1, "high": 1.0},
        }
    }
    assert "loss.tau" in load_search_space(document, gclbt_config)


def test_load_search_space_rejects_keyword_of_an_unsearched_component(gclbt_config):
    with pytest.raises(ValueError, match="unknown parameter 'loss.tau'"):
        load_search_space({"parameters": {"loss.tau": {"type": "float", "low": 0.1, "high": 1.0}}}, gclbt_config)


def test_load_search_space_rejects_unregistered_component_choice(gclbt_config):
    with pytest.raises(UnknownPluginError, match="NoSuchLoss"):
        load_search_space({"parameters": {"loss.name": ["BarlowTwinsLoss", "NoSuchLoss"]}}, gclbt_config)


def test_load_search_space_rejects_scalar_spec(gclbt_config):
    with pytest.raises(ValueError, match="--set"):
        load_search_space({"parameters": {"optimizer.lr": 0.001}}, gclbt_config)


def test_load_search_space_rejects_unknown_spec_key(gclbt_config):
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['edge'\]"):
        load_search_space({"parameters": {"view1": {"edge": {"p": 0.1}}}}, gclbt_config)


def test_load_search_space_rejects_missing_file(gclbt_config, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        load_search_space(tmp_path / "missing.yaml", gclbt_config)


def test_parameter_rejects_log_scale_from_zero():
    with pytest.raises(ValueError, match="log=true needs low > 0"):
        Parameter("optimizer.lr", "float", 0.0, 1.0, log=True)


def test_parameter_rejects_empty_range():
    with pytest.raises(ValueError, match="low <= high"):
        Parameter("view1.edge.p", "float", 0.5, 0.1)


def test_apply_params_sets_dotted_paths(gclbt_config):
    config = apply_params(gclbt_config, {"view1.edge.p": 0.25, "loss.lambda_": 0.01})
    assert (config["view1"]["edge"]["p"], config["loss"]["lambda_"]) == (0.25, 0.01)
    assert gclbt_config["view1"]["edge"]["p"] == 0.6  # the input is not modified


def test_apply_params_switching_component_keeps_only_accepted_keywords(gclbt_config):
    config = apply_params(gclbt_config, {"view1.edge.name": "EdgeDropping"})
    assert config["view1"]["edge"] == {"name": "EdgeDropping", "p": 0.6}


def test_apply_params_skips_keyword_of_the_unchosen_component(gclbt_config):
    config = apply_params(gclbt_config, {"loss.name": "InfoNCELoss", "loss.lambda_": 0.01})
    assert config["loss"] == {"name": "InfoNCELoss"}


def test_suggest_params_draws_keyword_only_for_the_chosen_component(gclbt_config):
    tau = {"type": "float", "low": 0.1, "high": 1.0}
    document = {"use_defaults": False, "parameters": {"loss.name": ["BarlowTwinsLoss", "InfoNCELoss"], "loss.tau": tau}}
    space = load_search_space(document, gclbt_config)
    fixed = optuna.trial.FixedTrial
    barlow = suggest_params(fixed({"loss.name": "BarlowTwinsLoss"}), space, gclbt_config)
    infonce = suggest_params(fixed({"loss.name": "InfoNCELoss", "loss.tau": 0.3}), space, gclbt_config)
    assert barlow == {"loss.name": "BarlowTwinsLoss"}
    assert infonce == {"loss.name": "InfoNCELoss", "loss.tau": 0.3}


def test_apply_params_scales_the_warmup_with_a_searched_budget():
    # as --epochs does: gclbt's recipe warms up 100 of 1000 epochs, so a 300-epoch trial warms up 30
    config = resolve_config("gclbt", "Computers")
    assert (config["epochs"], config["scheduler"]["warmup_epochs"]) == (1000, 100)
    trial = apply_params(config, {"epochs": 300})
    assert (trial["epochs"], trial["scheduler"]["warmup_epochs"]) == (300, 30)
    assert trial["scheduler"]["warmup_epochs"] == resolve_config("gclbt", "Computers", [{"epochs": 300}])["scheduler"][
        "warmup_epochs"
    ]
    # a searched warm-up is taken as drawn
    assert apply_params(config, {"epochs": 300, "scheduler.warmup_epochs": 5})["scheduler"]["warmup_epochs"] == 5
