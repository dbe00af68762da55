"""Declared contracts: a plugin component gets the wiring it declares, with no change to training/.

Components are defined here and registered in-process (:func:`gclbt_plugin.registry.register`);
the default registry is rebuilt around each test so no registration leaks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from gclbt_plugin import registry
from gclbt_plugin.encoders import Encoder
from gclbt_plugin.errors import UsageError
from gclbt_plugin.experiment import evaluate_model, prepare_data, resolve_config, run_experiment, train_model
from gclbt_plugin.losses import Loss
from gclbt_plugin.models import BootstrapModel, DualBranchModel
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training import train
from gclbt_plugin.training.minibatch import train_minibatch

OPTIMIZER = {"name": "adam", "lr": 0.01}


class TargetCosineLoss(Loss):
    """A plugin loss regressing a target network's embedding (like BGRL's), declared as such."""

    requires_target_network = True

    def forward(self, h1, h2):
        return (2 - 2 * F.cosine_similarity(h1, h2.detach(), dim=-1)).mean()


class MeanAlignmentLoss(Loss):
    """A plugin loss for a shared encoder: mean squared distance of the two views."""

    def forward(self, h1, h2):
        return (h1 - h2).pow(2).sum(dim=1).mean()


class LinearEncoder(Encoder):
    """One linear map then mean aggregation over in-neighbours (one hop)."""

    def __init__(self, in_channels: int, out_channels: int = 4) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, 1
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, edge_weight=None):
        h = self.lin(x)
        return h + torch.zeros_like(h).index_add_(0, edge_index[1], h[edge_index[0]])


@pytest.fixture(autouse=True)
def fresh_registry():
    registry.default_registry.cache_clear()
    yield
    registry.default_registry.cache_clear()


@pytest.fixture
def graph():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(40, 6, generator=generator)
    edge_index = torch.randint(0, 40, (2, 160), generator=generator)
    y = (x[:, 0] > 0.5).long()
    return Data(x=x, edge_index=edge_index, y=y)


def test_plugin_loss_declaring_a_target_network_gets_the_bootstrap_wiring(graph):
    registry.register("losses", "TargetCosineLoss", TargetCosineLoss)
    config = resolve_config(
        "gbt", None, [{"loss": {"name": "TargetCosineLoss"}, "encoder": {"hidden_channels": 8, "out_channels": 8}}]
    )
    model = build_model(config, graph.num_features)
    assert isinstance(model, BootstrapModel)
    assert isinstance(model.loss_fn, TargetCosineLoss)
    assert model.predictor is not None
    target_before = [p.clone() for p in model.target_encoder.parameters()]
    train(model, graph, epochs=3, optimizer=OPTIMIZER, progress=False)
    # the target network followed the online one by EMA (after_step), with no gradient of its own
    assert any(not torch.equal(p, q) for p, q in zip(model.target_encoder.parameters(), target_before))
    assert all(p.grad is None for p in model.target_encoder.parameters())


def test_plugin_loss_without_a_target_network_gets_a_shared_encoder(graph):
    registry.register("losses", "MeanAlignmentLoss", MeanAlignmentLoss)
    config = resolve_config("gbt", None, [{"loss": {"name": "MeanAlignmentLoss"}}])
    assert isinstance(build_model(config, graph.num_features), DualBranchModel)


def test_component_registered_in_process_trains_by_name(graph):
    registry.register("encoders", "LinearEncoder", LinearEncoder)
    registry.register("losses", "MeanAlignmentLoss", MeanAlignmentLoss)
    overrides = [
        {"encoder": {"name": "LinearEncoder", "out_channels": 3}, "loss": {"name": "MeanAlignmentLoss"}, "epochs": 2}
    ]
    result = run_experiment("gbt", graph, overrides=overrides, num_splits=2, progress=False)
    assert result.dataset == "custom" and result.epochs == 2
    assert result.config["encoder"]["name"] == "LinearEncoder"
    assert 0.0 <= result.test_mean <= 100.0


def test_mini_batch_training_uses_the_declared_loss_step_on_seed_rows(graph):
    seen = []

    class RecordingLoss(MeanAlignmentLoss):
        def forward(self, h1, h2):
            seen.append(h1.size(0))
            return super().forward(h1, h2)

    model = build_model(resolve_config("gbt", None, [{"loss": RecordingLoss()}]), graph.num_features)
    train_minibatch(model, graph, epochs=1, optimizer=OPTIMIZER, batch_size=10, sampler="random-node", progress=False)
    assert seen == [10, 10, 10, 10]


def test_build_model_accepts_instances_in_place_of_names(graph):
    encoder, loss = LinearEncoder(graph.num_features, 5), MeanAlignmentLoss()
    config = resolve_config("gbt", None, [{"encoder": encoder, "loss": loss}])
    model = build_model(config, graph.num_features)
    assert isinstance(model.encoder, LinearEncoder) and isinstance(model.loss_fn, MeanAlignmentLoss)
    # copies: the given objects are never trained in place, and every build starts from their weights
    assert model.encoder is not encoder
    assert torch.equal(model.encoder.lin.weight, encoder.lin.weight)
    assert build_model(config, graph.num_features).encoder is not model.encoder


def test_the_steps_of_an_experiment_can_be_called_one_by_one(graph):
    config = resolve_config("gbt", None, [{"epochs": 2, "encoder": {"hidden_channels": 8, "out_channels": 8}}])
    data = prepare_data(graph, config, num_splits=2, device="cpu")
    torch.manual_seed(0)  # run_experiment's seeding of seed 0: the model, then the augmenters' generator
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, data.num_features, generator=generator)
    trained = train_model(model, data, config, generator=generator, progress=False)
    probe = evaluate_model(model, data, config)
    assert trained.epochs == 2 and len(probe.test_accuracies) == 2
    same = run_experiment("gbt", graph, config=config, num_splits=2, progress=False)
    assert same.runs[0].final_loss == pytest.approx(trained.losses[-1])




def test_readme_python_example_trains_gclbt_with_a_custom_loss_on_a_custom_graph(tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## From Python") :]
    start = section.index("```python\n") + len("```python\n")
    code = section[start : section.index("```\n", start)]
    assert len([line for line in code.splitlines() if line.strip()]) <= 25
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("epochs\": 20", "epochs\": 2"), "README.md", "exec"), {"__name__": "readme"})
    accuracy = float(capsys.readouterr().out.split("test accuracy ")[1].split(" %")[0])
    assert 0.0 <= accuracy <= 100.0


@pytest.mark.parametrize("value", [None, 3, "BarlowTwinsLoss"])
def test_a_section_that_is_neither_a_mapping_nor_an_instance_names_its_key(value):
    with pytest.raises(UsageError, match=r"^loss must be"):
        resolve_config("gbt", None, [{"loss": value}])


def test_heads_of_the_other_wiring_are_errors():
    with pytest.raises(UsageError, match="projector is not used with loss 'BootstrapLoss'"):
        resolve_config("bgrl", "Computers", [{"projector": {"hidden_channels": 64}}])
    with pytest.raises(UsageError, match="predictor is only used with a loss that needs a target network"):
        resolve_config("grace", "Cora", [{"predictor": {"hidden_channels": 64}}])
