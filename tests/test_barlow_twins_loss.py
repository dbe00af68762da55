import pytest
import torch
from torch import nn

from gclbt_plugin.losses import BarlowTwinsLoss, Loss


def off_diagonal(x):
    # facebookresearch/barlowtwins main.py
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def reference_loss(z1, z2, lambd):
    # facebookresearch/barlowtwins main.py, BarlowTwins.forward, single process
    bn = nn.BatchNorm1d(z1.size(1), affine=False).to(z1.dtype)
    c = bn(z1).T @ bn(z2)
    c.div_(z1.size(0))
    on_diag = torch.diagonal(c).add_(-1).pow_(2).sum()
    off_diag = off_diagonal(c).pow_(2).sum()
    return on_diag + lambd * off_diag


def views(n=32, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    z2 = z1 + 0.5 * torch.randn(n, d, generator=g, dtype=torch.float64)
    return z1, z2


def test_barlow_twins_loss_matches_reference_implementation():
    z1, z2 = views()
    loss = BarlowTwinsLoss(lambda_=0.0051)
    assert torch.allclose(loss(z1, z2), reference_loss(z1, z2, 0.0051))


def test_barlow_twins_loss_default_lambda_is_one_over_width():
    z1, z2 = views(d=16)
    expected = reference_loss(z1, z2, 1.0 / 16)
    assert torch.allclose(BarlowTwinsLoss()(z1, z2), expected)
    # and the default differs from another lambda (the test could not pass with any lambda)
    assert not torch.allclose(BarlowTwinsLoss(lambda_=1.0)(z1, z2), expected)


def test_barlow_twins_loss_default_lambda_follows_width_at_call_time():
    loss = BarlowTwinsLoss()
    for d in (4, 10):
        z1, z2 = views(d=d)
        assert torch.allclose(loss(z1, z2), reference_loss(z1, z2, 1.0 / d))


def test_barlow_twins_loss_gradient_matches_reference():
    z1, z2 = views()
    a1, a2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    b1, b2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    BarlowTwinsLoss(lambda_=0.1)(a1, a2).backward()
    reference_loss(b1, b2, 0.1).backward()
    assert torch.allclose(a1.grad, b1.grad)
    assert torch.allclose(a2.grad, b2.grad)


def test_barlow_twins_loss_float32_matches_reference():
    z1, z2 = (z.float() for z in views())
    assert torch.allclose(BarlowTwinsLoss()(z1, z2), reference_loss(z1, z2, 1.0 / 8), atol=1e-5)


def test_barlow_twins_loss_invariant_to_per_dimension_affine_maps():
    z1, z2 = views()
    g = torch.Generator().manual_seed(1)
    scale = torch.rand(8, generator=g, dtype=torch.float64) * 5 + 0.1
    shift = torch.randn(8, generator=g, dtype=torch.float64) * 10
    loss = BarlowTwinsLoss(lambda_=0.3, eps=1e-12)
    base = loss(z1, z2)
    assert torch.allclose(loss(z1 * scale + shift, z2), base)
    assert torch.allclose(loss(z1, z2 * scale - shift), base)


def test_barlow_twins_loss_is_zero_for_identical_decorrelated_views():
    # Whitened columns (orthogonal, zero mean) give C = I exactly, so the loss is ~0.
    n, d = 16, 4
    g = torch.Generator().manual_seed(2)
    q, _ = torch.linalg.qr(torch.randn(n, d, dtype=torch.float64, generator=g))
    centred = q - q.mean(0)
    q, _ = torch.linalg.qr(centred)
    z = q * n**0.5
    assert BarlowTwinsLoss(eps=1e-12)(z, z).item() < 1e-8


def test_barlow_twins_loss_accepts_pygcl_keywords():
    z1, z2 = views()
    loss = BarlowTwinsLoss()
    assert torch.equal(loss(anchor=z1, sample=z2), loss(z1, z2))


def test_barlow_twins_loss_is_a_loss_without_target_network():
    assert isinstance(BarlowTwinsLoss(), Loss)
    assert BarlowTwinsLoss.requires_target_network is False


@pytest.mark.parametrize("lambda_", [-0.1, float("nan")])
def test_barlow_twins_loss_rejects_bad_lambda(lambda_):
    with pytest.raises(ValueError, match="lambda_"):
        BarlowTwinsLoss(lambda_=lambda_)


@pytest.mark.parametrize("eps", [0.0, -1e-5])
def test_barlow_twins_loss_rejects_non_positive_eps(eps):
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        BarlowTwinsLoss(eps=eps)


def test_barlow_twins_loss_rejects_non_bool_distributed():
    with pytest.raises(TypeError, match="distributed must be True, False or None"):
        BarlowTwinsLoss(distributed="yes")


def test_barlow_twins_loss_rejects_single_node():
    with pytest.raises(ValueError, match="at least 2 nodes.*N=1"):
        BarlowTwinsLoss()(torch.randn(1, 4), torch.randn(1, 4))


def test_barlow_twins_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        BarlowTwinsLoss()(torch.randn(5, 4), torch.randn(5, 3))


def test_barlow_twins_loss_distributed_true_without_group_raises():
    with pytest.raises(RuntimeError, match="init_process_group"):
        BarlowTwinsLoss(distributed=True)(torch.randn(5, 4), torch.randn(5, 4))


def test_barlow_twins_loss_repr_shows_hyper_parameters():
    assert repr(BarlowTwinsLoss(lambda_=0.5)) == (
        "BarlowTwinsLoss(lambda_=0.5, eps=1e-05, distributed=None)"
    )
