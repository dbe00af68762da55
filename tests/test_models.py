"""Contrast models: dual-branch wiring and BGRL's EMA target."""

import math

import pytest
import torch
from torch import nn

from gclbt_plugin.augmentors import EdgeDropping, FeatureMasking, Identity
from gclbt_plugin.losses import BarlowTwinsLoss, BootstrapLoss
from gclbt_plugin.models import BootstrapModel, DualBranchModel, cosine_momentum


class LinearEncoder(nn.Module):
    """Ignores the edges: enough to test the wiring."""

    def __init__(self, in_channels: int = 4, out_channels: int = 3) -> None:
        super().__init__()
        self.out_channels = out_channels
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
    model(x, edge_index).backward()
    assert all(p.grad is None for p in model.target_encoder.parameters())
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_bootstrap_target_is_ema_of_online_encoder(graph):
    x, edge_index = graph
    model = BootstrapModel(LinearEncoder(), Identity(), Identity(), nn.Linear(3, 3), BootstrapLoss(), momentum=0.9)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    target_before = [p.clone() for p in model.target_encoder.parameters()]
    model(x, edge_index).backward()
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
    assert torch.allclose(model(x, edge_index), expected)


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
    model(x, edge_index).backward()
    assert projector.weight.grad is not None


def test_contrast_model_rejects_non_augmentor():
    with pytest.raises(TypeError, match="augmentor2 must be an Augmentor"):
        DualBranchModel(LinearEncoder(), Identity(), lambda *a: a, BarlowTwinsLoss())
