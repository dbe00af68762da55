import pytest
import torch
from torch import nn

from gclbt_plugin.encoders import GCN, MLP

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
    encoder = GCN(6, hidden_channels=5, num_layers=1, activation="identity")
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX)
    assert torch.allclose(encoder(x, EDGE_INDEX), expected, atol=1e-6)


def test_gcn_single_layer_matches_dense_formula_with_edge_weight():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, activation="identity")
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX, EDGE_WEIGHT)
    assert torch.allclose(encoder(x, EDGE_INDEX, EDGE_WEIGHT), expected, atol=1e-6)


def test_gcn_two_layers_apply_activation_after_each_layer():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2, activation="relu")
    x = features()
    hidden = torch.relu(dense_gcn_layer(x, encoder.convs[0], EDGE_INDEX))
    expected = torch.relu(dense_gcn_layer(hidden, encoder.convs[1], EDGE_INDEX))
    assert torch.allclose(encoder(x, EDGE_INDEX), expected, atol=1e-6)


def test_gcn_edge_weight_changes_output():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5)
    x = features()
    assert not torch.allclose(encoder(x, EDGE_INDEX), encoder(x, EDGE_INDEX, EDGE_WEIGHT))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_gcn_sparse_input_equals_dense_input(batch_norm):
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=2, batch_norm=batch_norm)
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
    encoder = GCN(6, hidden_channels=5, num_layers=2, batch_norm=True, batch_norm_momentum=0.01)
    assert all(isinstance(norm, nn.BatchNorm1d) for norm in encoder.norms)
    assert all(norm.momentum == 0.01 for norm in encoder.norms)


def test_gcn_layer_norm_normalises_each_row():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=5, num_layers=1, activation="identity", layer_norm=True)
    out = encoder(features(), EDGE_INDEX)
    assert torch.allclose(out.mean(1), torch.zeros(4), atol=1e-5)


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
    with pytest.raises(ValueError, match="activation must be one of .*got 'gelu'"):
        GCN(6, activation="gelu")


def test_gcn_rejects_batch_norm_with_layer_norm():
    with pytest.raises(ValueError, match="batch_norm and layer_norm are exclusive"):
        GCN(6, batch_norm=True, layer_norm=True)


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
    head = MLP(6, 8, 6, activation="elu")
    first, second = head.layers[0], head.layers[2]
    x = torch.rand(5, 6)
    expected = second(nn.functional.elu(first(x)))
    assert torch.allclose(head(x), expected)


def test_mlp_bgrl_predictor_layout_is_linear_batchnorm_prelu_linear():
    predictor = MLP(6, 8, 6, batch_norm=True)
    assert [type(m) for m in predictor.layers] == [nn.Linear, nn.BatchNorm1d, nn.PReLU, nn.Linear]


def test_mlp_single_layer_is_linear():
    head = MLP(6, 8, 3, num_layers=1)
    assert [type(m) for m in head.layers] == [nn.Linear]
    assert head.layers[0].out_features == 3


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of .*got 'swish'"):
        MLP(6, 8, 3, activation="swish")


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


def test_gcn_float64_features_with_float32_edge_weight_give_float64():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, activation="identity").double()
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
    encoder = GCN(6, hidden_channels=3, num_layers=1, activation="identity")
    x = features().requires_grad_()
    encoder(x, EDGE_INDEX, EDGE_WEIGHT).pow(2).sum().backward()
    reference = features().requires_grad_()
    differentiable_dense_gcn_layer(reference, encoder.convs[0], EDGE_INDEX, EDGE_WEIGHT).pow(2).sum().backward()
    assert torch.allclose(x.grad, reference.grad, atol=1e-5)


def test_gcn_edge_weight_gradient_matches_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, activation="identity")
    weight = EDGE_WEIGHT.clone().requires_grad_()
    encoder(features(), EDGE_INDEX, weight).pow(2).sum().backward()
    reference = EDGE_WEIGHT.clone().requires_grad_()
    differentiable_dense_gcn_layer(features(), encoder.convs[0], EDGE_INDEX, reference).pow(2).sum().backward()
    assert weight.grad is not None
    assert torch.allclose(weight.grad, reference.grad, atol=1e-5)


def test_gcn_sums_duplicate_edges_like_the_dense_formula():
    torch.manual_seed(0)
    encoder = GCN(6, hidden_channels=3, num_layers=1, activation="identity")
    duplicated = torch.cat([EDGE_INDEX, EDGE_INDEX[:, :3]], dim=1)
    x = features()
    expected = dense_gcn_layer(x, encoder.convs[0], duplicated)
    assert torch.allclose(encoder(x, duplicated), expected, atol=1e-5)


def test_gcn_plain_last_has_no_norm_or_activation_after_last_layer():
    torch.manual_seed(0)
    x = torch.randn(6, 4)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])
    encoder = GCN(4, 8, out_channels=3, num_layers=2, activation="relu", batch_norm=True, plain_last=True)
    out = encoder(x, edge_index)
    hidden = encoder.activations[0](encoder.norms[0](encoder.convs[0](x, *gcn_edges(edge_index, 6))))
    expected = encoder.convs[1](hidden, *gcn_edges(edge_index, 6))
    assert torch.allclose(out, expected, atol=1e-6)
    assert (out < 0).any()  # no ReLU after the last layer


def gcn_edges(edge_index, num_nodes):
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    return gcn_norm(edge_index, None, num_nodes, add_self_loops=True)
