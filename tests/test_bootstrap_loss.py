import pytest
import torch

from gclbt_plugin.losses import BootstrapLoss, Loss


def pair(n=7, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randn(
        n, d, generator=g, dtype=torch.float64
    )


def test_bootstrap_loss_matches_two_minus_two_cosine():
    prediction, target = pair()
    expected = sum(
        2 - 2 * (p @ t) / (p.norm() * t.norm()) for p, t in zip(prediction, target)
    ) / prediction.size(0)
    assert torch.allclose(BootstrapLoss()(prediction, target), expected)


def test_bootstrap_loss_is_zero_for_parallel_vectors():
    prediction, _ = pair()
    assert BootstrapLoss()(prediction, 3.0 * prediction).item() == pytest.approx(0.0, abs=1e-12)


def test_bootstrap_loss_is_four_for_opposite_vectors():
    prediction, _ = pair()
    assert BootstrapLoss()(prediction, -prediction).item() == pytest.approx(4.0)


def test_bootstrap_loss_does_not_propagate_gradient_to_target():
    prediction, target = pair()
    prediction.requires_grad_()
    target.requires_grad_()
    BootstrapLoss()(prediction, target).backward()
    assert target.grad is None
    assert prediction.grad is not None and prediction.grad.abs().sum() > 0


def test_bootstrap_loss_prediction_gradient_matches_autograd_of_formula():
    prediction, target = pair()
    a = prediction.clone().requires_grad_()
    b = prediction.clone().requires_grad_()
    BootstrapLoss()(a, target).backward()
    reference = (2 - 2 * (b * target).sum(1) / (b.norm(dim=1) * target.norm(dim=1))).mean()
    reference.backward()
    assert torch.allclose(a.grad, b.grad)


def test_bootstrap_loss_accepts_pygcl_keywords():
    prediction, target = pair()
    loss = BootstrapLoss()
    assert torch.equal(loss(anchor=prediction, sample=target), loss(prediction, target))


def test_bootstrap_loss_requires_target_network():
    assert isinstance(BootstrapLoss(), Loss)
    assert BootstrapLoss.requires_target_network is True


def test_bootstrap_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        BootstrapLoss()(torch.randn(4, 3), torch.randn(5, 3))
