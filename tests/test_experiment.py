"""The experiment pipeline: configuration resolution, sparse-feature choice, reproducibility."""

import pytest
import torch
from torch_geometric.data import Data

from gclbt_plugin.augmentors import FeatureMasking
from gclbt_plugin.experiment import (
    PreparedData,
    normalize_features,
    resolve_config,
    run_experiment,
    use_sparse_features,
)
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training.optim import build_scheduler

TINY = {"encoder": {"hidden_channels": 16, "out_channels": 16}, "epochs": 2}


@pytest.fixture
def bag_of_words():
    x = torch.zeros(50, 100)
    x[torch.arange(50), torch.arange(50) % 100] = 1.0  # 1 % density
    return x


def test_resolve_config_applies_overrides_in_order_and_keeps_sources():
    config = resolve_config("gclbt", "Computers", [{"loss": {"lambda_": 0.1}}, {"loss": {"lambda_": 0.2}}])
    assert config["loss"] == {"name": "BarlowTwinsLoss", "lambda_": 0.2}
    assert config["view1"]["edge"]["p"] == 0.6  # GCA's Amazon-Computers drop rate
    assert any("Computers" in source or "amazon" in source.lower() for source in config["sources"])


def test_resolve_config_replaces_a_section_whose_name_changes():
    config = resolve_config("grace", "Cora", [{"loss": {"name": "BarlowTwinsLoss"}}])
    assert config["loss"] == {"name": "BarlowTwinsLoss"}  # GRACE's tau does not leak into the new loss


def _prepared(x):
    return PreparedData("toy", x, torch.tensor([[0], [1]]), None, torch.zeros(x.size(0), dtype=torch.long), 1, [],
                        "random", False)


def test_use_sparse_auto_follows_density(bag_of_words):
    model = build_model(resolve_config("gbt", "Cora"), 100)
    assert use_sparse_features(_prepared(bag_of_words), model, "auto").sparse is True
    assert use_sparse_features(_prepared(torch.ones(5, 100)), model, "auto").sparse is False
    assert use_sparse_features(_prepared(bag_of_words), model, "auto").x.is_sparse


def test_use_sparse_falls_back_to_dense_for_components_without_support(bag_of_words, monkeypatch):
    monkeypatch.setattr(FeatureMasking, "supports_sparse_features", False)
    model = build_model(resolve_config("gbt", "Cora"), 100)
    assert use_sparse_features(_prepared(bag_of_words), model, "auto").sparse is False
    with pytest.raises(ValueError, match=r"view1 Compose\(\[EdgeDropping\(p=0.\d+\), FeatureMasking.*do not declare"):
        use_sparse_features(_prepared(bag_of_words), model, True)


def test_use_sparse_rejects_unknown_value(bag_of_words):
    model = build_model(resolve_config("gbt", "Cora"), 100)
    with pytest.raises(ValueError, match="sparse_features must be 'auto', True or False, got 'yes'"):
        use_sparse_features(_prepared(bag_of_words), model, "yes")


def test_run_experiment_same_seed_same_result(cora):
    first = run_experiment("gclbt", cora, overrides=[TINY], progress=False)
    second = run_experiment("gclbt", cora, overrides=[TINY], progress=False)
    assert first.runs[0].final_loss == second.runs[0].final_loss
    assert first.test_mean == second.test_mean


def test_run_experiment_sparse_and_dense_features_agree(cora):
    sparse = run_experiment("gbt", cora, overrides=[TINY], sparse_features=True, progress=False)
    dense = run_experiment("gbt", cora, overrides=[TINY], sparse_features=False, progress=False)
    assert sparse.sparse_features and not dense.sparse_features
    assert sparse.runs[0].final_loss == pytest.approx(dense.runs[0].final_loss, rel=1e-4)


def test_recipes_declare_feature_row_normalisation_as_their_reference_code():
    for method in ("grace", "gca", "bgrl", "gbt", "gclbt"):
        assert resolve_config(method, "Cora")["features"] == {"normalize": True}


def test_normalize_features_rows_sum_to_one_and_leave_the_input_alone():
    data = Data(x=torch.tensor([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]]), edge_index=torch.zeros(2, 0, dtype=torch.long))
    out = normalize_features(data)
    assert out.x.tolist() == [[0.25, 0.75], [0.0, 0.0], [0.5, 0.5]]  # a zero row stays zero
    assert data.x.tolist() == [[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]]


@pytest.mark.parametrize("normalize", [True, False])
def test_run_experiment_feeds_normalised_features_when_and_only_when_configured(cora, monkeypatch, normalize):
    seen = {}
    original = build_model

    def spy(config, in_channels, generator=None):
        model = original(config, in_channels, generator=generator)
        embed = model.embed

        def recording_embed(x, *args, **kwargs):
            seen["row_sums"] = (x.to_dense() if x.is_sparse else x).sum(1)
            return embed(x, *args, **kwargs)

        model.embed = recording_embed
        return model

    monkeypatch.setattr("gclbt_plugin.experiment.build_model", spy)
    result = run_experiment("gbt", cora, overrides=[TINY, {"features": {"normalize": normalize}}], progress=False)
    assert result.features_normalized is normalize and result.config["features"] == {"normalize": normalize}
    raw = cora.data.x.sum(1)
    expected = torch.where(raw > 0, torch.ones_like(raw), raw) if normalize else raw
    assert torch.allclose(seen["row_sums"], expected)


def test_resolve_config_scales_warmup_with_the_epochs():
    assert resolve_config("bgrl", "Computers")["scheduler"]["warmup_epochs"] == 1000  # of 10000
    config = resolve_config("bgrl", "Computers", [{"epochs": 500}])
    assert (config["epochs"], config["scheduler"]["warmup_epochs"]) == (500, 50)


def test_resolve_config_keeps_an_explicit_warmup_and_rejects_one_as_long_as_the_run():
    config = resolve_config("bgrl", "Computers", [{"epochs": 500, "scheduler": {"warmup_epochs": 20}}])
    assert config["scheduler"]["warmup_epochs"] == 20
    with pytest.raises(ValueError, match=r"scheduler.warmup_epochs \(600\) must be shorter than epochs \(500\)"):
        resolve_config("bgrl", "Computers", [{"epochs": 500}, {"scheduler": {"warmup_epochs": 600}}])


def test_build_scheduler_rejects_warmup_not_shorter_than_the_run():
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match=r"warmup_epochs \(1000\) must be shorter than epochs \(500\)"):
        build_scheduler({"warmup_epochs": 1000, "cosine": True}, optimizer, 500)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"features": {"normalise": True}}, r"unknown key 'features.normalise'; valid keys: \['features.normalize'\]"),
        ({"features": {"normalize": "yes"}}, "features.normalize must be true or false, got 'yes'"),
        ({"evaluation": {"probe": "dgi"}}, r"evaluation.probe must be one of \['bgrl', 'gca'\], got 'dgi'"),
        ({"evaluation": {"solver": "adam"}},
         r"unknown key 'evaluation.solver'; valid keys: \['evaluation.preprocess', 'evaluation.probe'\]"),
    ],
)
def test_resolve_config_rejects_bad_features_and_evaluation_sections(override, message):
    with pytest.raises(ValueError, match=message):
        resolve_config("gbt", "Cora", [override])


def test_run_experiment_reports_each_seed_as_soon_as_it_is_probed(cora, monkeypatch):
    import gclbt_plugin.experiment as experiment

    trained = []
    train_model = experiment.train_model

    def counting_train_model(*args, **kwargs):
        trained.append(1)
        return train_model(*args, **kwargs)

    monkeypatch.setattr(experiment, "train_model", counting_train_model)
    seen = []
    result = run_experiment("gbt", cora, overrides=[TINY], seeds=[3, 1], progress=False,
                            on_run=lambda run: seen.append((run, len(trained))))
    assert [(run.seed, models_trained) for run, models_trained in seen] == [(3, 1), (1, 2)]
    assert [run for run, _ in seen] == result.runs


def test_run_experiment_records_probe_and_schedule(cora):
    result = run_experiment("gbt", cora, overrides=[TINY, {"epochs": 20}, {"evaluation": {"probe": "gca"}}],
                            progress=False)
    assert result.probe == "gca" and result.runs[0].probe["probe"] == "gca"
    assert result.schedule == {"epochs": 20, "warmup_epochs": 2, "cosine": True}  # G-BT's 100 of 1000 epochs


def test_resolve_config_scales_a_complete_schedule_when_a_later_override_changes_the_epochs():
    # a tuned configuration file: warm-up written together with its epochs, then a --max-epochs cap
    tuned = {"epochs": 1000, "scheduler": {"warmup_epochs": 100, "cosine": True}}
    config = resolve_config("gclbt", "Computers", [tuned, {"epochs": 500}])
    assert (config["epochs"], config["scheduler"]["warmup_epochs"]) == (500, 50)


def test_resolve_config_takes_a_bare_warmup_for_the_final_epochs():
    # gclbt train --set scheduler.warmup_epochs=5 --epochs 50: the --set comes first, --epochs last
    config = resolve_config("gclbt", "Computers", [{"scheduler": {"warmup_epochs": 5}}, {"epochs": 50}])
    assert (config["epochs"], config["scheduler"]["warmup_epochs"]) == (50, 5)


def _checkpoint_names(cora, tmp_path, method):
    folder = tmp_path / method
    run_experiment(method, cora, overrides=[TINY], seeds=(0,), num_splits=1, progress=False,
                   checkpoint_dir=folder, checkpoint_every=1)
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("method,changes", [("gclbt", True), ("gbt", False)])
def test_checkpoint_names_change_with_an_augmenter_revision_of_the_run_only(cora, tmp_path, monkeypatch, method,
                                                                             changes):
    # a checkpoint of code whose views were different must not be resumed as this code's
    from gclbt_plugin.augmentors import AdaptiveFeatureMasking

    before = _checkpoint_names(cora, tmp_path / "before", method)
    monkeypatch.setattr(AdaptiveFeatureMasking, "revision", AdaptiveFeatureMasking.revision + 1)
    after = _checkpoint_names(cora, tmp_path / "after", method)
    assert before and after
    assert (before != after) is changes
