"""The typed run configuration: unknown keys at every level, one merge rule, --print-config."""

from pathlib import Path

import pytest
import yaml

from gclbt_plugin.cli.main import main
from gclbt_plugin.config import (
    DEFAULT_EPOCHS,
    RunConfig,
    merge_config,
    parse_assignment,
    resolve_config,
    split_path,
)
from gclbt_plugin.errors import UsageError
from gclbt_plugin.tuning.search_space import apply_params


@pytest.mark.parametrize(
    ("assignment", "key"),
    [
        ("epoch=5", "epoch"),
        ("scheduler.warmup=5", "scheduler.warmup"),
        ("features.normalise=true", "features.normalise"),
        ("evaluation.solver=adam", "evaluation.solver"),
        ("optimizer.learning_rate=0.1", "optimizer.learning_rate"),
        ("loss.taux=0.5", "loss.taux"),
        ("encoder.hiden_channels=8", "encoder.hiden_channels"),
        ("projector.widht=8", "projector.widht"),
        ("view1.edges={name: EdgeDropping}", "view1.edges"),
        ("view2.feature.q=0.1", "view2.feature.q"),
    ],
)
def test_config_unknown_key_at_every_level_is_named_with_the_valid_ones(assignment, key):
    with pytest.raises(UsageError, match=rf"^unknown key '{key}'; valid keys: \[") as raised:
        resolve_config("grace", "Cora", [parse_assignment(assignment)])
    assert "\n" not in str(raised.value)


def test_config_unknown_top_level_key_lists_epochs():
    with pytest.raises(UsageError, match=r"unknown key 'epoch'; valid keys: \[.*'epochs'"):
        resolve_config("gbt", "Cora", [{"epoch": 5}])


def test_config_component_keyword_error_lists_the_constructor_keywords():
    with pytest.raises(UsageError, match=r"unknown key 'view1\.edge\.q'; valid keys: \[.*'view1\.edge\.p'"):
        resolve_config("grace", "Cora", [{"view1": {"edge": {"q": 0.1}}}])


def test_config_momentum_without_target_network_is_an_error():
    with pytest.raises(UsageError, match=r"momentum \(0\.9\) is only used with a loss that needs a target network"):
        resolve_config("grace", "Cora", [{"momentum": 0.9}])
    assert resolve_config("bgrl", "Cora", [{"momentum": 0.9}])["momentum"] == 0.9


def test_config_momentum_null_is_allowed_for_any_loss():
    config = resolve_config("bgrl", "Cora", [{"loss": {"name": "InfoNCELoss"}, "momentum": None, "predictor": None}])
    assert config["loss"] == {"name": "InfoNCELoss"}


def test_config_unknown_component_name_names_its_key():
    with pytest.raises(LookupError, match=r"^loss: unknown loss 'NoSuchLoss'"):
        resolve_config("grace", "Cora", [{"loss": {"name": "NoSuchLoss"}}])


def test_config_epochs_default_is_the_one_constant():
    document = {"defaults": {k: v for k, v in resolve_config("grace").items() if k not in ("epochs", "sources")}}
    from gclbt_plugin import registry
    from gclbt_plugin.recipes.recipe import Recipe

    registry.register("methods", "no-epochs", Recipe("no-epochs", "", "", config=document), replace=True)
    assert resolve_config("no-epochs")["epochs"] == DEFAULT_EPOCHS == 100


def test_config_round_trips_every_builtin_recipe():
    for method in ("grace", "gca", "bgrl", "gbt", "gclbt"):
        for dataset in (None, "Cora", "Computers", "WikiCS"):
            config = resolve_config(method, dataset)
            assert RunConfig.from_dict(config).to_dict() == config


TUNED = Path(__file__).parents[1] / "benchmarks" / "compare" / "tuned"


@pytest.mark.parametrize("method", ["gbt", "gclbt"])
@pytest.mark.parametrize("dataset", ["Cora", "CiteSeer"])
def test_planetoid_recipes_are_the_configurations_their_studies_chose(method, dataset):
    """The recipe data for Planetoid is the study's exported best configuration, and cites the study."""
    document = yaml.safe_load((TUNED / f"{method}-{dataset}.yaml").read_text())
    assert (document.pop("method"), document.pop("dataset")) == (method, dataset)
    provenance = document.pop("sources")[0]
    recipe = resolve_config(method, dataset)
    assert recipe["sources"][-1].startswith(provenance + ";")
    assert {k: v for k, v in recipe.items() if k != "sources"} == document


def test_merge_config_keeps_keywords_the_new_component_accepts():
    base = {"view1": {"edge": {"name": "AdaptiveEdgeDropping", "p": 0.2, "centrality": "degree"}}}
    merged = merge_config(base, {"view1": {"edge": {"name": "EdgeDropping"}}})
    assert merged["view1"]["edge"] == {"name": "EdgeDropping", "p": 0.2}
    assert base["view1"]["edge"]["p"] == 0.2  # the input is not modified


def test_merge_config_keeps_an_explicit_keyword_for_validation_to_report():
    merged = merge_config({"loss": {"name": "BarlowTwinsLoss"}}, {"loss": {"name": "InfoNCELoss", "lambda_": 1}})
    assert merged["loss"] == {"name": "InfoNCELoss", "lambda_": 1}


def test_set_and_tuning_give_the_same_merged_config():
    assignments = {"view1.edge.name": "EdgeDropping", "view2.feature.p": 0.25, "loss.tau": 0.7, "epochs": 30}
    with_set = resolve_config("gca", "Cora", [parse_assignment(f"{k}={v}") for k, v in assignments.items()])
    tuned = apply_params(resolve_config("gca", "Cora"), assignments)
    assert with_set == tuned
    assert with_set["view1"]["edge"] == {"name": "EdgeDropping", "p": 0.2}  # GCA's p kept, centrality dropped


def test_set_and_tuning_agree_when_the_loss_changes():
    assignments = {"loss.name": "InfoNCELoss", "loss.tau": 0.3}
    with_set = resolve_config("gclbt", "Computers", [parse_assignment(f"{k}={v}") for k, v in assignments.items()])
    assert with_set == apply_params(resolve_config("gclbt", "Computers"), assignments)
    assert with_set["loss"] == {"name": "InfoNCELoss", "tau": 0.3}


def test_set_order_does_not_matter_for_a_name_change():
    name, tau = parse_assignment("loss.name=InfoNCELoss"), parse_assignment("loss.tau=0.3")
    assert resolve_config("gclbt", "Cora", [name, tau]) == resolve_config("gclbt", "Cora", [tau, name])


def test_split_path_is_the_one_dotted_path_parser():
    assert split_path("view1.edge.p") == ["view1", "edge", "p"]
    with pytest.raises(UsageError, match="no empty part"):
        split_path("loss..tau")
    with pytest.raises(UsageError, match="no empty part"):
        parse_assignment("loss..tau=1")


def test_cli_train_unknown_set_key_is_one_line_error_before_loading_data(capsys, tmp_path):
    code = main(["train", "--method", "gbt", "--dataset", "Cora", "--set", "epoch=5",
                 "--data-cache", str(tmp_path / "cache"), "--output", str(tmp_path / "r.json")])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown key 'epoch'; valid keys:" in err[0]
    assert not (tmp_path / "cache").exists()


def test_cli_train_print_config_prints_resolved_yaml_without_loading_data(capsys, tmp_path):
    code = main(["train", "--method", "bgrl", "--dataset", "Computers", "--epochs", "500",
                 "--set", "view1.edge.p=0.3", "--print-config", "--data-cache", str(tmp_path / "cache")])
    assert code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == resolve_config("bgrl", "Computers", [{"view1": {"edge": {"p": 0.3}}}, {"epochs": 500}])
    assert printed["scheduler"]["warmup_epochs"] == 50 and printed["view1"]["edge"]["p"] == 0.3
    assert not (tmp_path / "cache").exists()


def test_cli_train_print_config_output_is_readable_by_config(capsys, tmp_path):
    assert main(["train", "--method", "gca", "--dataset", "Cora", "--print-config"]) == 0
    path = tmp_path / "config.yaml"
    path.write_text(capsys.readouterr().out)
    assert main(["train", "--method", "gca", "--dataset", "Cora", "--config", str(path), "--print-config"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == resolve_config("gca", "Cora")


def test_cli_train_print_config_error_is_one_line(capsys):
    assert main(["train", "--method", "grace", "--dataset", "Cora", "--set", "momentum=0.9", "--print-config"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gclbt train: error: momentum (0.9)")


def test_cli_tune_help_has_no_optuna_sampler_under_sampler(capsys):
    with pytest.raises(SystemExit):
        main(["tune", "--help"])
    text = capsys.readouterr().out
    assert "--optuna-sampler" in text and "--optuna-seed" in text
    assert "--sampler " not in text and "--sampler\n" not in text and "--seed " not in text


def test_cli_tune_rejects_the_old_sampler_flag(capsys):
    with pytest.raises(SystemExit):
        main(["tune", "--method", "gclbt", "--dataset", "Cora", "--sampler=tpe"])
    assert "unrecognized arguments: --sampler" in capsys.readouterr().err


def test_augmenter_revisions_name_the_adaptive_slots_of_a_recipe():
    from gclbt_plugin.augmentors import AdaptiveEdgeDropping, AdaptiveFeatureMasking
    from gclbt_plugin.recipes.build import augmenter_revisions

    assert augmenter_revisions(resolve_config("gbt", "Cora")) == {}
    assert augmenter_revisions(resolve_config("gclbt", "Cora")) == {
        "view1.edge": AdaptiveEdgeDropping.revision, "view1.feature": AdaptiveFeatureMasking.revision,
        "view2.edge": AdaptiveEdgeDropping.revision, "view2.feature": AdaptiveFeatureMasking.revision,
    }


def test_a_ready_compose_of_adaptive_augmenters_counts_their_revision():
    from gclbt_plugin.augmentors import AdaptiveFeatureMasking, Compose, EdgeDropping
    from gclbt_plugin.recipes.build import augmenter_revisions

    config = resolve_config("gbt", "Cora", [{"view1": {"feature": None}}])
    config["view1"]["edge"] = Compose([EdgeDropping(p=0.2), AdaptiveFeatureMasking(p=0.3)])
    assert augmenter_revisions(config) == {"view1.edge": AdaptiveFeatureMasking.revision}
