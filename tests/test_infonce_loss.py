import math

import pytest
import torch

from gclbt_plugin.losses import InfoNCELoss, Loss
from gclbt_plugin.losses.infonce import fused_is_exact


def naive_grace_loss(h1, h2, tau):
    # GRACE (Zhu et al. 2020), eq. (1) and (2), one node at a time with explicit sums.
    n = h1.size(0)

    def cos(a, b):
        return (a @ b) / (a.norm() * b.norm())

    def ell(u, v, i):
        positive = torch.exp(cos(u[i], v[i]) / tau)
        inter = sum(torch.exp(cos(u[i], v[k]) / tau) for k in range(n) if k != i)
        intra = sum(torch.exp(cos(u[i], u[k]) / tau) for k in range(n) if k != i)
        return -torch.log(positive / (positive + inter + intra))

    return sum(ell(h1, h2, i) + ell(h2, h1, i) for i in range(n)) / (2 * n)


def views(n=10, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    h1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    h2 = h1 + 0.7 * torch.randn(n, d, generator=g, dtype=torch.float64)
    return h1, h2


@pytest.mark.parametrize("tau", [0.2, 0.5, 1.0])
def test_infonce_loss_matches_naive_grace_formula(tau):
    h1, h2 = views()
    assert torch.allclose(InfoNCELoss(tau=tau)(h1, h2), naive_grace_loss(h1, h2, tau))


def test_infonce_loss_gradient_matches_naive_grace_formula():
    h1, h2 = views()
    a1, a2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    InfoNCELoss(tau=0.5)(a1, a2).backward()
    naive_grace_loss(b1, b2, 0.5).backward()
    assert torch.allclose(a1.grad, b1.grad)
    assert torch.allclose(a2.grad, b2.grad)


def test_infonce_loss_chunked_equals_unchunked_value_and_gradient():
    h1, h2 = views(n=10)
    a1, a2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    full = InfoNCELoss(tau=0.4)(a1, a2)
    chunked = InfoNCELoss(tau=0.4, batch_size=3)(b1, b2)
    assert torch.allclose(full, chunked)
    full.backward()
    chunked.backward()
    assert torch.allclose(a1.grad, b1.grad)
    assert torch.allclose(a2.grad, b2.grad)


def test_infonce_loss_chunked_without_grad_equals_unchunked():
    h1, h2 = views(n=10)
    with torch.no_grad():
        assert torch.allclose(InfoNCELoss(batch_size=4)(h1, h2), InfoNCELoss()(h1, h2))


def test_infonce_loss_is_stable_for_small_tau():
    h1, h2 = views()
    value = InfoNCELoss(tau=1e-3)(h1.float(), h2.float())
    assert torch.isfinite(value)


def test_infonce_loss_identical_orthogonal_views_reach_analytic_value():
    # u_i = v_i = e_i: theta(u_i, v_i) = 1 and all other similarities are 0, so
    # l = -log(e^{1/tau} / (e^{1/tau} + 2(N - 1))).
    n, tau = 5, 0.5
    eye = torch.eye(n, dtype=torch.float64)
    expected = -math.log(math.exp(1 / tau) / (math.exp(1 / tau) + 2 * (n - 1)))
    assert InfoNCELoss(tau=tau)(eye, eye).item() == pytest.approx(expected, rel=1e-12)


def test_infonce_loss_accepts_pygcl_keywords():
    h1, h2 = views()
    loss = InfoNCELoss()
    assert torch.equal(loss(anchor=h1, sample=h2), loss(h1, h2))


def test_infonce_loss_is_a_loss_without_target_network():
    assert isinstance(InfoNCELoss(), Loss)
    assert InfoNCELoss.requires_target_network is False


@pytest.mark.parametrize("tau", [0.0, -0.5, float("inf")])
def test_infonce_loss_rejects_non_positive_tau(tau):
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        InfoNCELoss(tau=tau)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_infonce_loss_rejects_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer or None"):
        InfoNCELoss(batch_size=batch_size)


def test_infonce_loss_repr_shows_hyper_parameters():
    assert repr(InfoNCELoss(tau=0.2, batch_size=64)) == "InfoNCELoss(tau=0.2, batch_size=64)"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch_size", [None, 3, 4, 10, 16])
def test_infonce_loss_value_and_gradient_equal_naive_formula_full_and_chunked(dtype, batch_size):
    h1, h2 = views(n=10, seed=3)
    a1, a2 = h1.to(dtype, copy=True).requires_grad_(), h2.to(dtype, copy=True).requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()  # float64 reference
    value = InfoNCELoss(tau=0.3, batch_size=batch_size)(a1, a2)
    reference = naive_grace_loss(b1, b2, 0.3)
    value.backward()
    reference.backward()
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}
    assert value.dtype == dtype
    assert torch.allclose(value.double(), reference, **tolerance)
    assert torch.allclose(a1.grad.double(), b1.grad, **tolerance)
    assert torch.allclose(a2.grad.double(), b2.grad, **tolerance)


@pytest.mark.parametrize(
    ("dtype", "tau", "fused"),
    [
        (torch.float32, 0.0135, True),  # 1/tau = 74: e^{+-74} is a normal float32, the unshifted sums stay finite
        (torch.float32, 0.01, False),  # 1/tau = 100: e^{-100} underflows float32, per-row log-sum-exp
        (torch.float64, 0.002, True),  # 1/tau = 500 within float64's range
    ],
)
def test_infonce_loss_at_the_edges_of_the_fused_range_matches_naive_formula(dtype, tau, fused):
    h1, h2 = views(n=6)
    assert fused_is_exact(tau, dtype, 6) is fused
    a1, a2 = h1.to(dtype, copy=True).requires_grad_(), h2.to(dtype, copy=True).requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()  # float64 reference
    value, reference = InfoNCELoss(tau=tau)(a1, a2), naive_grace_loss(b1, b2, tau)
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-10, "atol": 1e-12}
    assert torch.isfinite(value) and torch.allclose(value.double(), reference, **tolerance)
    value.backward()
    reference.backward()
    assert torch.allclose(a1.grad.double(), b1.grad, **tolerance)
    assert torch.allclose(a2.grad.double(), b2.grad, **tolerance)


def test_fused_range_also_bounds_the_sums_of_unshifted_terms():
    # float16: e^{1/tau} for tau = 0.25 is 54.6, fine alone, but 2N of them overflow 65504 beyond ~600 nodes
    assert fused_is_exact(0.25, torch.float16, 100)
    assert not fused_is_exact(0.25, torch.float16, 2000)


@pytest.mark.parametrize("batch_size", [None, 4])
def test_infonce_loss_reuses_its_buffers_from_step_to_step(batch_size):
    # no N x N (or batch_size x N) allocation per step: the second step uses the first step's buffers
    h1, h2 = views(n=10)
    loss = InfoNCELoss(tau=0.5, batch_size=batch_size)
    pointers = []
    for _ in range(3):
        a1, a2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
        loss(a1, a2).backward()
        pointers.append([b.data_ptr() for b in loss._workspace._free])
    assert pointers[0] == pointers[1] == pointers[2]


def test_infonce_loss_two_forward_passes_in_flight_get_separate_buffers():
    h1, h2 = views(n=8)
    loss = InfoNCELoss(tau=0.5)
    a = [t.clone().requires_grad_() for t in (h1, h2)]
    b = [t.clone().requires_grad_() for t in (h2, h1)]
    first, second = loss(*a), loss(*b)  # both hold their exponentials until backward
    (first + second).backward()
    c = [t.clone().requires_grad_() for t in (h1, h2)]
    d = [t.clone().requires_grad_() for t in (h2, h1)]
    (naive_grace_loss(*c, 0.5) + naive_grace_loss(*d, 0.5)).backward()
    assert torch.allclose(a[0].grad, c[0].grad) and torch.allclose(b[1].grad, d[1].grad)


@pytest.mark.parametrize("batch_size", [None, 3])
def test_infonce_loss_gradient_scales_with_the_upstream_gradient(batch_size):
    # the chunked loss computes its gradient in the forward pass; backward must still apply grad_output
    h1, h2 = views(n=10, seed=5)
    a1, a2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    (-2.5 * InfoNCELoss(tau=0.5, batch_size=batch_size)(a1, a2)).backward()
    (-2.5 * naive_grace_loss(b1, b2, 0.5)).backward()
    assert torch.allclose(a1.grad, b1.grad) and torch.allclose(a2.grad, b2.grad)


def test_infonce_loss_chunked_backward_twice_with_retained_graph_doubles_the_gradient():
    h1, h2 = views(n=10, seed=6)
    a1, a2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    b1, b2 = h1.clone().requires_grad_(), h2.clone().requires_grad_()
    value = InfoNCELoss(tau=0.5, batch_size=4)(a1, a2)
    value.backward(retain_graph=True)
    value.backward()
    (2 * naive_grace_loss(b1, b2, 0.5)).backward()
    assert torch.allclose(a1.grad, b1.grad) and torch.allclose(a2.grad, b2.grad)


@pytest.mark.parametrize("batch_size", [None, 4])
def test_infonce_loss_without_grad_gives_its_buffers_back_at_once(batch_size):
    # evaluation under no_grad keeps no [rows, N] buffer reserved for a backward pass that never comes
    h1, h2 = views(n=10)
    loss = InfoNCELoss(tau=0.5, batch_size=batch_size)
    with torch.no_grad():
        loss(h1.clone().requires_grad_(), h2.clone().requires_grad_())
    assert loss._workspace._free is not None
