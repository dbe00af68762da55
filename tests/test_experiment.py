"""The experiment pipeline: configuration resolution, sparse-feature choice, reproducibility."""

import pytest
import torch

from gclbt_plugin.augmentors import FeatureMasking
from gclbt_plugin.experiment import _use_sparse, resolve_config, run_experiment

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


def test_use_sparse_auto_follows_density(bag_of_words):
    config = resolve_config("gbt", "Cora")
    assert _use_sparse(bag_of_words, "auto", config) is True
    assert _use_sparse(torch.ones(5, 4), "auto", config) is False


def test_use_sparse_falls_back_to_dense_for_components_without_support(bag_of_words, monkeypatch):
    monkeypatch.setattr(FeatureMasking, "supports_sparse_features", False)
    config = resolve_config("gbt", "Cora")
    assert _use_sparse(bag_of_words, "auto", config) is False
    with pytest.raises(ValueError, match=r"\['FeatureMasking', 'FeatureMasking'\] do not declare"):
        _use_sparse(bag_of_words, True, config)


def test_use_sparse_rejects_unknown_value(bag_of_words):
    with pytest.raises(ValueError, match="sparse_features must be 'auto', True or False, got 'yes'"):
        _use_sparse(bag_of_words, "yes", resolve_config("gbt", "Cora"))


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
