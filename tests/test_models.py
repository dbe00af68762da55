"""Contrast models: dual-branch wiring and BGRL's EMA target."""

import math

import pytest
import torch
from torch import nn

from gclbt_plugin.augmentors import EdgeDropping, FeatureMasking, Identity
from gclbt_plugin.encoders import Encoder
from gclbt_plugin.losses import BarlowTwinsLoss, BootstrapLoss
from gclbt_plugin.models import BootstrapModel, DualBranchModel, cosine_momentum


class LinearEncoder(Encoder):
    """Ignores the edges: enough to test the wiring."""

    def __init__(self, in_channels: int = 4, out_channels: int = 3) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, 1
        self.lin = nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, edge_weight=None):
        return self.lin(x)


@pytest.fixture
def graph():
    torch.manual_seed(0)
    x = torch.randn(8, 4)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 0]])
    return x, edge_index


def test_cosine_momentum_goes_from_base_to_one():
    assert cosine_momentum(0.99, 0.0) == pytest.approx(0.99)
    assert cosine_momentum(0.99, 1.0) == pytest.approx(1.0)
    # Thakoor et al. 2022: tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2
    assert cosine_momentum(0.9, 0.25) == pytest.approx(1 - 0.1 * (math.cos(math.pi / 4) + 1) / 2)


def test_bootstrap_target_starts_as_copy_and_receives_no_gradient(graph):
    x, edge_index = graph
    model = BootstrapModel(LinearEncoder(), Identity(), Identity(), nn.Linear(3, 3), BootstrapLoss())
    for online, target in zip(model.encoder.parameters(), model.target_encoder.parameters()):
        assert torch.equal(online, target)
        assert online.data_ptr() != target.data_ptr()
    model.loss(model(x, edge_index)).backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_bootstrap_target_is_ema_of_online_encoder(graph):
    x, edge_index = graph
    model = BootstrapModel(LinearEncoder(), Identity(), Identity(), nn.Linear(3, 3), BootstrapLoss(), momentum=0.9)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    target_before = [p.clone() for p in model.target_encoder.parameters()]
    model.loss(model(x, edge_index)).backward()
    optimizer.step()
    online_after = [p.clone() for p in model.encoder.parameters()]
    model.after_step(progress=0.5)
    tau = cosine_momentum(0.9, 0.5)
    for target, old, online in zip(model.target_encoder.parameters(), target_before, online_after):
        assert torch.allclose(target, tau * old + (1 - tau) * online)
        assert not torch.equal(target, online)


def test_bootstrap_loss_is_symmetric_over_views(graph):
    x, edge_index = graph
    model = BootstrapModel(LinearEncoder(), Identity(), Identity(), nn.Linear(3, 3), BootstrapLoss())
    q = model.predictor(model.encoder(x, edge_index))
    y = model.target_encoder(x, edge_index)
    expected = (2 - 2 * nn.functional.cosine_similarity(q, y, dim=-1)).mean()
    assert torch.allclose(model.loss(model(x, edge_index)), expected)


def test_dual_branch_embed_skips_projector_and_augmentation(graph):
    x, edge_index = graph
    encoder = LinearEncoder()
    model = DualBranchModel(
        encoder, EdgeDropping(0.5), FeatureMasking(0.5), BarlowTwinsLoss(), projector=nn.Linear(3, 2)
    )
    assert torch.equal(model.embed(x, edge_index), encoder(x, edge_index).detach())


def test_dual_branch_uses_projector_for_the_loss(graph):
    x, edge_index = graph
    projector = nn.Linear(3, 2)
    model = DualBranchModel(LinearEncoder(), Identity(), Identity(), BarlowTwinsLoss(), projector=projector)
    model.loss(model(x, edge_index)).backward()
    assert projector.weight.grad is not None


def test_contrast_model_rejects_non_augmentor():
    with pytest.raises(TypeError, match="augmentor2 must be an Augmentor"):
        DualBranchModel(LinearEncoder(), Identity(), lambda *a: a, BarlowTwinsLoss())


def test_dual_branch_forward_returns_the_two_views_embeddings(graph):
    x, edge_index = graph
    model = DualBranchModel(LinearEncoder(), Identity(), Identity(), BarlowTwinsLoss(), projector=nn.Linear(3, 2))
    h1, h2 = model(x, edge_index)
    expected = model.projector(model.encoder(x, edge_index))
    assert h1.shape == h2.shape == (8, 2)
    assert torch.allclose(h1, expected) and torch.allclose(h2, expected)


def test_bootstrap_forward_returns_predictions_and_targets(graph):
    x, edge_index = graph
    model = BootstrapModel(LinearEncoder(), Identity(), Identity(), nn.Linear(3, 3), BootstrapLoss())
    q1, q2, y1, y2 = model(x, edge_index)
    assert torch.allclose(q1, model.predictor(model.encoder(x, edge_index)))
    assert torch.allclose(y2, model.target_encoder(x, edge_index))
    assert not y1.requires_grad and not y2.requires_grad


@pytest.mark.parametrize("rows", [5, torch.tensor([6, 1, 3])])
def test_loss_on_rows_equals_the_loss_of_those_rows(graph, rows):
    x, edge_index = graph
    loss = BarlowTwinsLoss()
    model = DualBranchModel(LinearEncoder(), Identity(), FeatureMasking(0.5), loss)
    h1, h2 = model(x, edge_index)
    index = torch.arange(5) if isinstance(rows, int) else rows
    assert torch.allclose(model.loss((h1, h2), rows), loss(h1[index], h2[index]))


def test_bootstrap_loss_on_rows_pairs_each_prediction_with_the_other_views_target(graph):
    x, edge_index = graph
    loss = BootstrapLoss()
    model = BootstrapModel(LinearEncoder(), Identity(), FeatureMasking(0.5), nn.Linear(3, 3), loss)
    q1, q2, y1, y2 = model(x, edge_index)
    expected = 0.5 * (loss(q1[:4], y2[:4]) + loss(q2[:4], y1[:4]))
    assert torch.allclose(model.loss((q1, q2, y1, y2), rows=4), expected)


def test_contrast_model_rejects_an_encoder_without_the_contract():
    with pytest.raises(TypeError, match="encoder must be a gclbt_plugin.encoders.Encoder"):
        DualBranchModel(nn.Linear(4, 3), Identity(), Identity(), BarlowTwinsLoss())


def test_contrast_model_rejects_a_loss_that_is_not_a_loss():
    with pytest.raises(TypeError, match="loss must be a gclbt_plugin.losses.Loss"):
        DualBranchModel(LinearEncoder(), Identity(), Identity(), nn.MSELoss())


def test_loss_reduces_over_ranks_is_asked_of_the_loss():
    model = DualBranchModel(LinearEncoder(), Identity(), Identity(), BarlowTwinsLoss())
    assert model.loss_reduces_over_ranks() is False  # no process group


def test_sparse_features_need_every_component_to_accept_them():
    class DenseOnly(Identity):
        supports_sparse_features = False

    assert LinearEncoder.supports_sparse_features is False
    model = DualBranchModel(LinearEncoder(), Identity(), Identity(), BarlowTwinsLoss())
    assert model.supports_sparse_features is False
    model.encoder.supports_sparse_features = True
    assert model.supports_sparse_features is True
    model.augmentor2 = DenseOnly()
    assert model.supports_sparse_features is False
