import pytest
import torch
from torch import nn
from torch_geometric.nn import MLP as PyGMLP
from torch_geometric.nn.norm import BatchNorm

from gclbt_plugin.encoders import GCN, MLP, Encoder
from gclbt_plugin.encoders.gcn import sparse_linear

# A 4-node undirected path 0-1-2-3 plus the chord 0-2, both directions, no self-loops.
EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 2, 3, 0, 2], [1, 0, 2, 1, 3, 2, 2, 0]])
EDGE_WEIGHT = torch.tensor([1.0, 1.0, 2.0, 2.0, 0.5, 0.5, 3.0, 3.0])


def features(n=4, f=6, seed=0, density=0.4):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, f, generator=g)
    return x * (torch.rand(n, f, generator=g) < density)


def dense_gcn_layer(x, conv, edge_index, edge_weight=None):
    # Kipf & Welling: D^-1/2 (A + I) D^-1/2 X W + b with a dense adjacency.
    n = x.size(0)
    a = torch.zeros(n, n)
    weight = torch.ones(edge_index.size(1)) if edge_weight is None else edge_weight
    for (source, target), w in zip(edge_index.t().tolist(), weight.tolist()):
        a[target, source] += w
    a_hat = a + torch.eye(n)
    d = a_hat.sum(1).pow(-0.5)
    return d[:, None] * a_hat * d[None, :] @ (x @ conv.lin.weight.t()) + conv.bias


def test_gcn_output_shape_defaults_to_hidden_width():
    torch.manual_seed(0)
    assert GCN(6, hidden_channels=8)(features(), EDGE_INDEX).shape == (4, 8)


def test_gcn_output_shape_with_out_channels_and_three_layers():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=8, out_channels=3, num_layers=3)
    assert [conv.out_channels for conv in encoder.convs] == [8, 8, 3]
    assert encoder(features(), EDGE_INDEX).shape == (4, 3)


def test_gcn_single_layer_matches_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, act=None)
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX)
    assert torch.allclose(encoder(x, EDGE_INDEX), expected, atol=1e-6)


def test_gcn_single_layer_matches_dense_formula_with_edge_weight():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, act=None)
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX, EDGE_WEIGHT)
    assert torch.allclose(encoder(x, EDGE_INDEX, EDGE_WEIGHT), expected, atol=1e-6)


def test_gcn_two_layers_apply_activation_after_each_layer():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2, act="relu")
    x = features()
    hidden = torch.relu(dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX))
    expected = torch.relu(dense_gcn_layer(hidden, encoder.convs[1], EDGE_INDEX))
    assert torch.allclose(encoder(x, EDGE_INDEX), expected, atol=1e-6)


def test_gcn_edge_weight_changes_output():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5)
    x = features()
    assert not torch.allclose(encoder(x, EDGE_INDEX), encoder(x, EDGE_INDEX, EDGE_WEIGHT))


@pytest.mark.parametrize("norm", [None, "batch_norm"])
def test_gcn_sparse_input_equals_dense_input(norm):
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2, norm=norm)
    x = features()
    dense = encoder(x, EDGE_INDEX, EDGE_WEIGHT)
    sparse = encoder(x.to_sparse(), EDGE_INDEX, EDGE_WEIGHT)
    assert torch.allclose(sparse, dense, atol=1e-6)


def test_gcn_sparse_input_gives_same_weight_gradient():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2)
    x = features()
    encoder(x, EDGE_INDEX).sum().backward()
    dense_grad = encoder.convs[0].lin.weight.grad.clone()
    encoder.zero_grad()
    encoder(x.to_sparse(), EDGE_INDEX).sum().backward()
    assert torch.allclose(encoder.convs[0].lin.weight.grad, dense_grad, atol=1e-6)


def test_gcn_batch_norm_layers_follow_each_convolution():
    encoder = GCN(6, hidden_channels=5, num_layers=2, norm="batch_norm", norm_kwargs={"momentum": 0.01})
    assert all(isinstance(norm, BatchNorm) for norm in encoder.norms)
    assert all(isinstance(norm.module, nn.BatchNorm1d) for norm in encoder.norms)
    assert all(norm.module.momentum == 0.01 for norm in encoder.norms)


def test_gcn_batch_norm_is_torch_batch_norm_after_the_convolution():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, act=None, norm="batch_norm")
    x = features()
    reference = nn.BatchNorm1d(5)  # training mode: batch statistics, weight 1, bias 0
    expected = reference(dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX))
    assert torch.allclose(encoder(x, EDGE_INDEX), expected, atol=1e-5)


def test_gcn_norm_instance_is_copied_per_layer():
    encoder = GCN(6, hidden_channels=5, num_layers=2, norm=nn.LayerNorm(5))
    assert isinstance(encoder.norms[0], nn.LayerNorm) and encoder.norms[0] is not encoder.norms[1]


def test_gcn_prelu_has_one_slope_per_layer():
    encoder = GCN(6, hidden_channels=5, num_layers=3, act="prelu")
    slopes = [act.weight for act in encoder.activations]
    assert [type(act) for act in encoder.activations] == [nn.PReLU] * 3
    assert len({slope.data_ptr() for slope in slopes}) == 3
    assert [slope.tolist() for slope in slopes] == [[0.25]] * 3


def test_gcn_act_kwargs_reach_the_activation():
    encoder = GCN(6, hidden_channels=5, act="leaky_relu", act_kwargs={"negative_slope": 0.3})
    assert all(isinstance(act, nn.LeakyReLU) and act.negative_slope == 0.3 for act in encoder.activations)


def test_gcn_is_an_encoder_declaring_its_contract():
    encoder = GCN(6, hidden_channels=8, out_channels=3, num_layers=3)
    assert isinstance(encoder, Encoder)
    assert (encoder.in_channels, encoder.out_channels, encoder.num_layers) == (6, 3, 3)
    assert GCN.supports_sparse_features is True and Encoder.supports_sparse_features is False


def test_gcn_layer_norm_normalises_each_row():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, act=None, norm="layer_norm", norm_kwargs={"mode": "node"})
    out = encoder(features(), EDGE_INDEX)
    assert torch.allclose(out.mean(1), torch.zeros(4), atol=1e-5)


def test_gcn_layer_norm_default_mode_normalises_the_whole_graph():
    # PyG's LayerNorm defaults to mode="graph": one mean and deviation over all nodes and features.
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, act=None, norm="layer_norm")
    out = encoder(features(), EDGE_INDEX)
    assert torch.allclose(out.mean(), torch.tensor(0.0), atol=1e-5)
    assert not torch.allclose(out.mean(1), torch.zeros(4), atol=1e-3)


def test_gcn_cached_reuses_first_normalised_adjacency():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, cached=True)
    x = features()
    first = encoder(x, EDGE_INDEX)
    # A different graph is ignored while the cache holds the first one.
    assert torch.equal(encoder(x, EDGE_INDEX[:, :2]), first)
    encoder.reset_parameters()
    assert encoder._cache is None


def test_gcn_reset_parameters_reinitialises_weights():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5)
    with torch.no_grad():
        for parameter in encoder.parameters():
            parameter.fill_(7.0)
    encoder.reset_parameters()
    assert not torch.all(encoder.convs[0].lin.weight == 7.0)
    assert torch.all(encoder.convs[0].bias == 0.0)
    assert torch.all(encoder.activations[0].weight == 0.25)


def test_gcn_dropout_only_in_training_mode():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=16, dropout=0.5).eval()
    x = features()
    assert torch.equal(encoder(x, EDGE_INDEX), encoder(x, EDGE_INDEX))
    encoder.train()
    torch.manual_seed(1)
    first = encoder(x, EDGE_INDEX)
    torch.manual_seed(2)
    assert not torch.allclose(first, encoder(x, EDGE_INDEX))


def test_gcn_rejects_unknown_activation():
    with pytest.raises(ValueError, match="act must be a name PyG resolves, got 'gelux'"):
        GCN(6, act="gelux")


def test_gcn_rejects_unknown_norm():
    with pytest.raises(ValueError, match="norm must be a name PyG resolves, got 'batchnorm2'"):
        GCN(6, norm="batchnorm2")


def test_gcn_rejects_activation_of_another_type():
    with pytest.raises(TypeError, match=r"act must be a name \(str\), a torch.nn.Module instance or None, got 3"):
        GCN(6, act=3)


def test_gcn_rejects_norm_kwargs_without_a_norm_name():
    # The old layer_norm/batch_norm pair could clash; one norm keyword cannot, but stray kwargs can.
    with pytest.raises(ValueError, match=r"norm_kwargs=\{'momentum': 0.01\} is only used with a norm name"):
        GCN(6, norm=None, norm_kwargs={"momentum": 0.01})


@pytest.mark.parametrize(
    ("old", "value"),
    [("activation", "prelu"), ("batch_norm", True), ("layer_norm", True), ("batch_norm_momentum", 0.01)],
)
def test_gcn_old_keywords_are_gone(old, value):
    # The registry names the replacement (tests/test_registry.py); the constructor just refuses them.
    with pytest.raises(TypeError, match=old):
        GCN(6, **{old: value})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_layers": 0}, "num_layers must be a positive integer, got 0"),
        ({"hidden_channels": -1}, "hidden_channels must be a positive integer, got -1"),
        ({"dropout": 1.5}, r"dropout must be in \[0, 1\], got 1.5"),
    ],
)
def test_gcn_rejects_bad_hyper_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GCN(6, **kwargs)


def test_gcn_rejects_wrong_feature_width():
    with pytest.raises(ValueError, match=r"in_channels=6.*\[4, 5\]"):
        GCN(6, hidden_channels=4)(torch.rand(4, 5), EDGE_INDEX)


def test_mlp_output_shape():
    torch.manual_seed(0)
    assert MLP(6, 16, 3)(torch.rand(10, 6)).shape == (10, 3)


def test_mlp_grace_projection_head_matches_linear_elu_linear():
    torch.manual_seed(0)
    head = MLP(6, 8, 6, act="elu")
    first, second = head.lins
    x = torch.rand(5, 6)
    expected = second(nn.functional.elu(first(x)))
    assert torch.allclose(head(x), expected)


def test_mlp_grace_projection_head_equals_explicit_formula():
    torch.manual_seed(0)
    head = MLP(6, 8, 6, act="elu")
    (w1, b1), (w2, b2) = [(lin.weight, lin.bias) for lin in head.lins]
    x = torch.rand(5, 6)
    assert torch.allclose(head(x), nn.functional.elu(x @ w1.t() + b1) @ w2.t() + b2, atol=1e-6)


def test_mlp_bgrl_predictor_layout_is_linear_batchnorm_prelu_linear():
    predictor = MLP(6, 8, 6, norm="batch_norm")
    layers = [predictor.lins[0], predictor.norms[0].module, predictor.acts[0], predictor.lins[1]]
    assert [type(layer).__name__ for layer in layers] == ["Linear", "BatchNorm1d", "PReLU", "Linear"]
    assert (len(predictor.norms), len(predictor.acts)) == (1, 1)


def test_mlp_bgrl_code_predictor_is_linear_prelu_linear():
    # nerdslab/bgrl bgrl/predictors.py: Linear(rep, hidden) -> PReLU(1) -> Linear(hidden, rep).
    torch.manual_seed(0)
    predictor = MLP(4, 8, 4)
    x = torch.randn(5, 4)
    first, second = predictor.lins
    expected = second(nn.functional.prelu(first(x), torch.tensor([0.25])))
    assert isinstance(predictor.norms[0], nn.Identity)
    assert torch.allclose(predictor(x), expected, atol=1e-6)


def test_mlp_single_layer_is_linear():
    head = MLP(6, 8, 3, num_layers=1)
    assert (len(head.lins), len(head.norms), len(head.acts)) == (1, 0, 0)
    assert head.lins[0].out_channels == 3


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="act must be a name PyG resolves, got 'swish2'"):
        MLP(6, 8, 3, act="swish2")


def test_mlp_rejects_activation_that_is_not_a_module():
    # PyG resolves "swish" to a plain function; heads need a module per layer.
    with pytest.raises(ValueError, match="act must name a torch.nn.Module class, got 'swish'"):
        MLP(6, 8, 3, act="swish")


def test_mlp_is_a_pyg_mlp_with_one_activation_per_hidden_layer():
    head = MLP(6, 8, 3, num_layers=3, act="prelu")
    assert isinstance(head, PyGMLP)
    assert (head.in_channels, head.out_channels, head.num_layers) == (6, 3, 3)
    assert head.acts[0] is not head.acts[1]
    assert sorted(name for name, _ in head.named_parameters() if name.startswith("acts")) == [
        "acts.0.weight",
        "acts.1.weight",
    ]


def test_mlp_last_layer_is_plain_even_with_dropout():
    torch.manual_seed(0)
    head = MLP(6, 8, 3, act=None, dropout=0.5).eval()
    x = torch.rand(5, 6)
    assert head.dropout == [0.5, 0.0]
    assert torch.allclose(head(x), head.lins[1](head.lins[0](x)))


def test_mlp_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"in_channels=6.*\[5, 4\]"):
        MLP(6, 8, 3)(torch.rand(5, 4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_layers": 0}, "num_layers must be a positive integer, got 0"),
        ({"hidden_channels": 0}, "hidden_channels must be a positive integer, got 0"),
        ({"dropout": -0.1}, r"dropout must be in \[0, 1\], got -0.1"),
    ],
)
def test_mlp_rejects_bad_hyper_parameters(kwargs, match):
    arguments = {"in_channels": 6, "hidden_channels": 8, "out_channels": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        MLP(**arguments)


def test_gcn_sparse_input_uses_sparse_dense_product(monkeypatch):
    calls = []
    sparse_mm = torch.sparse.mm

    def spy(a, b):
        calls.append(a.layout)
        return sparse_mm(a, b)

    monkeypatch.setattr(torch.sparse, "mm", spy)
    torch.manual_seed(0)
    GCN(6, hidden_channels=5)(features().to_sparse(), EDGE_INDEX)
    # Once for X W with the sparse features; propagation's products use the CSR adjacency.
    assert calls.count(torch.sparse_coo) == 1
    assert set(calls) == {torch.sparse_coo, torch.sparse_csr}


def test_gcn_sparse_input_multiplies_a_contiguous_weight(monkeypatch):
    # torch's COO kernel reads one row of the dense factor per non-zero: a transposed (strided)
    # weight made X W 3-8x slower on CPU (benchmarks/method_bound.py).
    layouts = []
    sparse_mm = torch.sparse.mm

    def spy(a, b):
        if a.layout == torch.sparse_coo:
            layouts.append(b.is_contiguous())
        return sparse_mm(a, b)

    monkeypatch.setattr(torch.sparse, "mm", spy)
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5)
    encoder(features().to_sparse(), EDGE_INDEX)
    encoder.layerwise_inference(features().to_sparse(), EDGE_INDEX)
    assert layouts == [True, True]


def test_sparse_linear_is_bit_identical_to_the_transposed_product():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(40, 30, generator=g) * (torch.rand(40, 30, generator=g) < 0.2)).to_sparse()
    weight = torch.randn(7, 30, generator=g, requires_grad=True)
    grad = torch.randn(40, 7, generator=g)
    reference = torch.sparse.mm(x, weight.t())
    (expected_grad,) = torch.autograd.grad(reference, weight, grad)
    out = sparse_linear(x, weight)
    (weight_grad,) = torch.autograd.grad(out, weight, grad)
    assert torch.equal(out, reference)
    assert torch.equal(weight_grad, expected_grad)


def test_gcn_float64_features_with_float32_edge_weight_give_float64():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, act=None).double()
    x = features().double()
    out = encoder(x, EDGE_INDEX, EDGE_WEIGHT)
    assert out.dtype == torch.float64
    reference = dense_gcn_layer(x.float(), encoder.float().convs[0], EDGE_INDEX, EDGE_WEIGHT)
    assert torch.allclose(out.float(), reference, atol=1e-5)


def test_gcn_with_a_filled_cache_can_be_deep_copied():
    import copy

    encoder = GCN(6, hidden_channels=3, cached=True)
    expected = encoder(features(), EDGE_INDEX)
    clone = copy.deepcopy(encoder)
    assert torch.allclose(clone(features(), EDGE_INDEX), expected)


def differentiable_dense_gcn_layer(x, conv, edge_index, edge_weight):
    # The dense formula again, built with index_put so that gradients reach edge_weight.
    n = x.size(0)
    a = torch.zeros(n, n).index_put((edge_index[1], edge_index[0]), edge_weight, accumulate=True)
    a_hat = a + torch.eye(n)
    d = a_hat.sum(1).pow(-0.5)
    return d[:, None] * a_hat * d[None, :] @ (x @ conv.lin.weight.t()) + conv.bias


def test_gcn_input_gradient_matches_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, act=None)
    x = features().requires_grad_()
    encoder(x, EDGE_INDEX, EDGE_WEIGHT).pow(2).sum().backward()
    reference = features().requires_grad_()
    differentiable_dense_gcn_layer(reference, encoder.convs[0], EDGE_INDEX, EDGE_WEIGHT).pow(2).sum().backward()
    assert torch.allclose(x.grad, reference.grad, atol=1e-5)


def test_gcn_edge_weight_gradient_matches_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, act=None)
    weight = EDGE_WEIGHT.clone().requires_grad_()
    encoder(features(), EDGE_INDEX, weight).pow(2).sum().backward()
    reference = EDGE_WEIGHT.clone().requires_grad_()
    differentiable_dense_gcn_layer(features(), encoder.convs[0], EDGE_INDEX, reference).pow(2).sum().backward()
    assert weight.grad is not None
    assert torch.allclose(weight.grad, reference.grad, atol=1e-5)


def test_gcn_sums_duplicate_edges_like_the_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, act=None)
    duplicated = torch.cat([EDGE_INDEX, EDGE_INDEX[:, :3]], dim=1)
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], duplicated)
    assert torch.allclose(encoder(x, duplicated), expected, atol=1e-5)


def test_gcn_plain_last_has_no_norm_or_activation_after_last_layer():
    torch.manual_seed(0)
    x = torch.randn(6, 4)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])
    encoder = GCN(4, 8, out_channels=3, num_layers=2, act="relu", norm="batch_norm", plain_last=True)
    out = encoder(x, edge_index)
    hidden = encoder.activations[0](encoder.norms[0](encoder.convs[0](x, *gcn_edges(edge_index, 6))))
    expected = encoder.convs[1](hidden, *gcn_edges(edge_index, 6))
    assert torch.allclose(out, expected, atol=1e-6)
    assert (out < 0).any()  # no ReLU after the last layer


def gcn_edges(edge_index, num_nodes):
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    return gcn_norm(edge_index, None, num_nodes, add_self_loops=True)


class Doubling(Encoder):
    """Doubles the features in eval mode only: shows which mode layerwise_inference uses."""

    def __init__(self) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = 6, 6, 1

    def forward(self, x, edge_index, edge_weight=None):
        return x * (1.0 if self.training else 2.0)


def test_encoder_default_layerwise_inference_is_eval_forward_without_grad():
    encoder = Doubling().train()
    x = features().requires_grad_()
    out = encoder.layerwise_inference(x, EDGE_INDEX)
    assert torch.equal(out, 2 * x.detach())
    assert not out.requires_grad
    assert encoder.training


def test_encoder_default_layerwise_inference_restores_eval_mode():
    encoder = Doubling().eval()
    encoder.layerwise_inference(features(), EDGE_INDEX)
    assert not encoder.training


def test_encoder_default_layerwise_inference_rejects_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size must be a positive integer, got 0"):
        Doubling().layerwise_inference(features(), EDGE_INDEX, chunk_size=0)


def test_encoder_without_forward_cannot_be_built():
    class NoForward(Encoder):
        pass

    with pytest.raises(TypeError, match="abstract"):
        NoForward()


def test_gcn_layerwise_inference_with_graph_layer_norm_equals_eval_forward():
    # Graph-mode LayerNorm mixes rows, so it must not be applied chunk by chunk.
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2, norm="layer_norm").eval()
    x = features()
    expected = encoder(x, EDGE_INDEX)
    assert torch.allclose(encoder.layerwise_inference(x, EDGE_INDEX, chunk_size=1), expected, atol=1e-5)


def test_mlp_initialises_like_the_nn_linear_stack_for_the_same_seed():
    # Results measured before the move to torch_geometric.nn.MLP stay reproducible seed for seed.
    torch.manual_seed(0)
    reference = [torch.nn.Linear(8, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 4)]
    after_reference = torch.rand(3)
    torch.manual_seed(0)
    head = MLP(8, 16, 4, num_layers=3)
    for lin, ref in zip(head.lins, reference, strict=True):
        assert torch.equal(lin.weight, ref.weight) and torch.equal(lin.bias, ref.bias)
    assert torch.equal(torch.rand(3), after_reference)  # the global generator advanced by the same draws


def test_gcn_norm_kwargs_with_an_unknown_keyword_lists_the_accepted_ones():
    expected = r"norm_kwargs \['foo'\] for norm='batch_norm'.*accepted keywords: .*'momentum'"
    with pytest.raises(TypeError, match=expected):
        GCN(4, 8, norm="batch_norm", norm_kwargs={"foo": 1})
