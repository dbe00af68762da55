"""Mini-batch training (both samplers), full-graph augmentation state, layer-wise chunked inference."""

import pytest
import torch

import gclbt_plugin.training.samplers as samplers
from gclbt_plugin.augmentors import AdaptiveEdgeDropping, AdaptiveFeatureMasking
from gclbt_plugin.augmentors.base import Identity
from gclbt_plugin.cli.main import main
from gclbt_plugin.encoders import Encoder
from gclbt_plugin.encoders.gcn import GCN
from gclbt_plugin.evaluation import evaluate_embeddings, make_splits
from gclbt_plugin.evaluation.inference import full_graph_embeddings
from gclbt_plugin.experiment import resolve_config, run_experiment
from gclbt_plugin.functional.dropping import keep_mask
from gclbt_plugin.graph import Graph
from gclbt_plugin.losses import BarlowTwinsLoss
from gclbt_plugin.models import DualBranchModel
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training import train
from gclbt_plugin.training.minibatch import (
    RandomNodeSampler,
    balanced_batches,
    make_sampler,
    neighbor_sampling_available,
    resolve_sampler,
    train_minibatch,
)

needs_neighbor_sampling = pytest.mark.skipif(
    not neighbor_sampling_available(),
    reason="the neighbor sampler needs pyg-lib or torch-sparse (PyG's NeighborLoader); neither is importable",
)

# 6 nodes: a triangle 0-1-2, a path 2-3-4, an isolated node 5; both directions of every edge.
EDGES = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)]
EDGE_INDEX = torch.tensor(EDGES + [(v, u) for u, v in EDGES]).t().contiguous()
NUM_NODES = 6


def test_resolve_sampler_auto_prefers_neighbor_when_available(monkeypatch):
    monkeypatch.setattr(samplers, "neighbor_sampling_available", lambda: True)
    assert resolve_sampler("auto") == "neighbor"


def test_resolve_sampler_auto_falls_back_to_random_node(monkeypatch):
    monkeypatch.setattr(samplers, "neighbor_sampling_available", lambda: False)
    assert resolve_sampler("auto") == "random-node"


def test_resolve_sampler_neighbor_without_backend_names_the_fix(monkeypatch):
    monkeypatch.setattr(samplers, "neighbor_sampling_available", lambda: False)
    with pytest.raises(ValueError, match="pyg-lib or torch-sparse"):
        resolve_sampler("neighbor")


def test_resolve_sampler_rejects_unknown_name():
    with pytest.raises(ValueError, match="sampler must be one of"):
        resolve_sampler("cluster")


def test_make_sampler_rejects_batch_size_below_two():
    with pytest.raises(ValueError, match="batch_size must be at least 2"):
        make_sampler("random-node", EDGE_INDEX, NUM_NODES, batch_size=1)


def test_balanced_batches_cover_every_node_once_with_sizes_within_one():
    batches = balanced_batches(torch.arange(10), 4, torch.Generator().manual_seed(0))
    assert sorted(len(b) for b in batches) == [2, 2, 3, 3]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))


def test_random_node_sampler_yields_induced_subgraphs_with_full_graph_ids():
    sampler = RandomNodeSampler(EDGE_INDEX, NUM_NODES, num_batches=2)
    batches = list(sampler.sample(torch.Generator().manual_seed(3)))
    seen_edges = []
    for batch in batches:
        nodes = batch.node_ids.tolist()
        assert batch.num_seeds == len(nodes)
        # Local edges map back onto exactly the listed full-graph edges ...
        assert batch.node_ids[batch.edge_index].tolist() == EDGE_INDEX[:, batch.edge_ids].tolist()
        # ... which are all full-graph edges with both endpoints in the batch (induced sub-graph).
        inside = [e for e, (u, v) in enumerate(EDGE_INDEX.t().tolist()) if u in nodes and v in nodes]
        assert sorted(batch.edge_ids.tolist()) == inside
        seen_edges += inside
    assert sorted(torch.cat([b.node_ids for b in batches]).tolist()) == list(range(NUM_NODES))
    assert len(seen_edges) == len(set(seen_edges))


def test_random_node_sampler_same_generator_seed_same_batches():
    sampler = RandomNodeSampler(EDGE_INDEX, NUM_NODES, num_batches=3)
    first = [b.node_ids.tolist() for b in sampler.sample(torch.Generator().manual_seed(5))]
    second = [b.node_ids.tolist() for b in sampler.sample(torch.Generator().manual_seed(5))]
    assert first == second


def test_random_node_sampler_only_partitions_input_nodes():
    sampler = RandomNodeSampler(EDGE_INDEX, NUM_NODES, num_batches=1, input_nodes=torch.tensor([0, 1, 3]))
    (batch,) = sampler.sample(torch.Generator().manual_seed(0))
    assert sorted(batch.node_ids.tolist()) == [0, 1, 3]
    assert sorted(batch.edge_ids.tolist()) == [0, 5]  # 0->1 and 1->0; 3's neighbours are outside


@needs_neighbor_sampling
def test_neighbor_sampler_puts_seeds_first_and_maps_edges_to_full_graph():
    sampler = make_sampler("neighbor", EDGE_INDEX, NUM_NODES, batch_size=2, num_neighbors=[-1, -1])
    batches = list(sampler.sample(torch.Generator().manual_seed(0)))
    assert len(batches) == 3
    seeds = torch.cat([b.node_ids[: b.num_seeds] for b in batches])
    assert sorted(seeds.tolist()) == list(range(NUM_NODES))
    for batch in batches:
        assert batch.node_ids[batch.edge_index].tolist() == EDGE_INDEX[:, batch.edge_ids].tolist()


# ---- Full-graph state of the adaptive augmenters -------------------------------------------------


def test_adaptive_edge_dropping_fitted_indexes_full_graph_probabilities_by_edge_ids():
    aug = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9, generator=torch.Generator().manual_seed(7))
    full = aug.drop_probability(EDGE_INDEX, NUM_NODES)
    aug.fit_full_graph(torch.ones(NUM_NODES, 2), EDGE_INDEX)
    edge_ids = torch.tensor([0, 5, 1, 6])  # 0->1, 1->0, 1->2, 2->1 (sub-graph on nodes 0, 1, 2)
    sub_edges = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    aug.set_subgraph(edge_ids)
    _, kept, _ = aug(torch.ones(3, 2), sub_edges)
    expected = keep_mask(full[edge_ids], 4, "cpu", torch.Generator().manual_seed(7))
    assert kept.tolist() == sub_edges[:, expected].tolist()


def test_adaptive_edge_dropping_fitted_differs_from_recomputing_on_the_subgraph():
    # Guards the test above: on the sub-graph alone the probabilities would be other ones.
    aug = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9)
    full = aug.drop_probability(EDGE_INDEX, NUM_NODES)
    local = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9).drop_probability(
        torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3
    )
    assert not torch.allclose(full[torch.tensor([0, 5, 1, 6])], local)


def test_adaptive_edge_dropping_fitted_rejects_missing_edge_ids():
    aug = AdaptiveEdgeDropping("degree")
    aug.fit_full_graph(torch.ones(NUM_NODES, 2), EDGE_INDEX)
    with pytest.raises(ValueError, match="set_subgraph"):
        aug(torch.ones(3, 2), torch.tensor([[0, 1], [1, 0]]))


def test_adaptive_feature_masking_fitted_keeps_full_graph_probabilities():
    x = torch.rand(NUM_NODES, 5, generator=torch.Generator().manual_seed(0))
    aug = AdaptiveFeatureMasking("degree", p=0.5, threshold=0.9, generator=torch.Generator().manual_seed(2))
    full = AdaptiveFeatureMasking("degree", p=0.5, threshold=0.9).mask_probability(x, EDGE_INDEX)
    aug.fit_full_graph(x, EDGE_INDEX)
    aug.set_subgraph(torch.tensor([0, 5]))
    masked_x, _, _ = aug(x[:2], torch.tensor([[0, 1], [1, 0]]))
    masked = ~keep_mask(full, 5, "cpu", torch.Generator().manual_seed(2))
    assert masked_x.tolist() == x[:2].masked_fill(masked, 0).tolist()


def test_adaptive_release_full_graph_recomputes_per_graph():
    aug = AdaptiveEdgeDropping("degree", p=0.0)
    aug.fit_full_graph(torch.ones(NUM_NODES, 2), EDGE_INDEX)
    aug.release_full_graph()
    _, kept, _ = aug(torch.ones(3, 2), torch.tensor([[0, 1], [1, 0]]))
    assert kept.tolist() == [[0, 1], [1, 0]]


# ---- Layer-wise chunked inference ----------------------------------------------------------------


def random_graph(num_nodes=30, num_edges=90, features=6):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(num_nodes, features, generator=g)
    return x, torch.randint(0, num_nodes, (2, num_edges), generator=g), torch.rand(num_edges, generator=g)


@pytest.mark.parametrize(
    "options",
    [
        {"norm": "batch_norm"},
        {"norm": "layer_norm", "norm_kwargs": {"mode": "node"}, "act": "relu", "num_layers": 3},
        {"norm": "batch_norm", "plain_last": True, "dropout": 0.5},
    ],
)
def test_gcn_layerwise_inference_equals_eval_forward(options):
    x, edge_index, edge_weight = random_graph()
    torch.manual_seed(0)
    encoder = GCN(6, 16, 8, **options)
    encoder(x, edge_index, edge_weight)  # training-mode pass: non-trivial running statistics
    encoder.eval()
    expected = encoder(x, edge_index, edge_weight)
    encoder.train()
    result = encoder.layerwise_inference(x, edge_index, edge_weight, chunk_size=7)
    assert torch.allclose(result, expected, atol=1e-5)


def test_gcn_layerwise_inference_sparse_features_equal_dense():
    x, edge_index, _ = random_graph()
    encoder = GCN(6, 16, 8, norm="batch_norm")
    dense = encoder.layerwise_inference(x, edge_index, chunk_size=4)
    sparse = encoder.layerwise_inference(x.to_sparse(), edge_index, chunk_size=4)
    assert torch.allclose(dense, sparse, atol=1e-5)


def test_gcn_layerwise_inference_restores_training_mode():
    x, edge_index, _ = random_graph()
    encoder = GCN(6, 8)
    encoder.layerwise_inference(x, edge_index)
    assert encoder.training


def test_full_graph_embeddings_without_layerwise_uses_forward_in_eval_mode():
    class Scale(Encoder):
        def forward(self, x, edge_index, edge_weight=None):
            return x * (1.0 if self.training else 2.0)

    x, edge_index, _ = random_graph()
    assert torch.equal(full_graph_embeddings(Scale(), x, edge_index), 2 * x)


def test_full_graph_embeddings_rejects_non_positive_chunk_size():
    x, edge_index, _ = random_graph()
    with pytest.raises(ValueError, match="chunk_size"):
        full_graph_embeddings(GCN(6, 8), x, edge_index, chunk_size=0)


# ---- Training ------------------------------------------------------------------------------------


class RecordingLoss(BarlowTwinsLoss):
    def __init__(self):
        super().__init__()
        self.rows = []

    def forward(self, h1, h2):
        self.rows.append(h1.size(0))
        return super().forward(h1, h2)


@needs_neighbor_sampling
def test_train_minibatch_neighbor_loss_sees_only_seed_rows():
    x, edge_index, _ = random_graph(num_nodes=30, num_edges=200)
    loss = RecordingLoss()
    model = DualBranchModel(GCN(6, 8), Identity(), Identity(), loss)
    result = train_minibatch(
        model, x, edge_index, epochs=1, optimizer={"name": "adam"}, batch_size=10, sampler="neighbor", progress=False
    )
    assert result.sampler == "neighbor"
    assert loss.rows == [10, 10, 10]


def test_train_minibatch_random_node_one_step_per_batch():
    x, edge_index, _ = random_graph()
    loss = RecordingLoss()
    model = DualBranchModel(GCN(6, 8), Identity(), Identity(), loss)
    result = train_minibatch(
        model, x, edge_index, epochs=2, optimizer={"name": "adam"}, batch_size=8, sampler="random-node",
        progress=False,
    )
    assert (result.sampler, result.batches_per_epoch, len(result.losses)) == ("random-node", 4, 2)
    assert sorted(loss.rows) == [7, 7, 7, 7, 8, 8, 8, 8]  # 30 nodes in 4 balanced batches, twice


def test_train_minibatch_adaptive_augmenters_fitted_on_full_graph_then_released(monkeypatch):
    x, edge_index, _ = random_graph()
    fitted_edges = []
    original = AdaptiveEdgeDropping.fit_full_graph

    def spy(self, x, edge_index):
        fitted_edges.append(edge_index.size(1))
        original(self, x, edge_index)

    monkeypatch.setattr(AdaptiveEdgeDropping, "fit_full_graph", spy)
    view = AdaptiveEdgeDropping("degree", p=0.3)
    model = DualBranchModel(GCN(6, 8), view, Identity(), BarlowTwinsLoss())
    train_minibatch(
        model, x, edge_index, epochs=1, optimizer={"name": "adam"}, batch_size=10, sampler="random-node",
        progress=False,
    )
    assert fitted_edges == [90]
    assert view._full_graph is None


def tiny_gbt(epochs):
    overrides = [
        {
            "encoder": {"hidden_channels": 128, "out_channels": 64},
            "epochs": epochs,
            "scheduler": {"warmup_epochs": 0, "cosine": False},
            "optimizer": {"lr": 0.001},
        }
    ]
    return resolve_config("gbt", "Cora", overrides)


def probe_accuracy(cora, model):
    data = cora.data
    embeddings = full_graph_embeddings(model, data.x, data.edge_index)
    splits = make_splits("public", data)
    return evaluate_embeddings(embeddings, data.y, splits, protocol="public", num_classes=cora.num_classes).test_mean


EPOCHS = 25
# Tolerance of the mini-batch vs full-batch comparison on Cora's public split (one seed, 25 epochs).
# Measured (test accuracy): full batch 77.1 %, random-node (3 batches of ~900 nodes) 80.1 %, neighbor
# ([10, 10] neighbours, torch-sparse) 76.9 %. Mini-batch must not lose more than 5 points.
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def full_batch_accuracy(cora):
    config = tiny_gbt(EPOCHS)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, cora.num_features, generator=generator)
    data = cora.data
    train(model, data.x, data.edge_index, epochs=EPOCHS, optimizer=config["optimizer"],
          scheduler=config["scheduler"], generator=generator, progress=False)
    return probe_accuracy(cora, model)


def minibatch_accuracy(cora, sampler):
    config = tiny_gbt(EPOCHS)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, cora.num_features, generator=generator)
    data = cora.data
    result = train_minibatch(
        model, data.x, data.edge_index, epochs=EPOCHS, optimizer=config["optimizer"], scheduler=config["scheduler"],
        generator=generator, progress=False, batch_size=1000, sampler=sampler,
    )
    assert result.sampler == sampler
    return probe_accuracy(cora, model)


@pytest.mark.slow
def test_train_minibatch_random_node_on_cora_close_to_full_batch(cora, full_batch_accuracy):
    # Runs with and without torch-sparse: the pure-torch fallback is always exercised.
    assert minibatch_accuracy(cora, "random-node") >= full_batch_accuracy - TOLERANCE


@pytest.mark.slow
@needs_neighbor_sampling
def test_train_minibatch_neighbor_on_cora_close_to_full_batch(cora, full_batch_accuracy):
    assert minibatch_accuracy(cora, "neighbor") >= full_batch_accuracy - TOLERANCE


def test_run_experiment_minibatch_reports_sampler(cora):
    result = run_experiment(
        "gbt", cora, overrides=[{"epochs": 2, "encoder": {"hidden_channels": 32, "out_channels": 32}}],
        progress=False, batch_size=1000, sampler="random-node",
    )
    assert (result.sampler, result.batch_size, result.world_size) == ("random-node", 1000, 1)
    assert "sampler random-node" in result.summary()


def test_cli_train_batch_size_prints_sampler(cora, shared_datasets_dir, dataset_cache, tmp_path, capsys):
    code = main([
        "train", "--method", "gbt", "--dataset", "Cora", "--epochs", "2", "--set", "encoder.hidden_channels=32",
        "--set", "encoder.out_channels=32", "--batch-size", "1000", "--sampler", "random-node", "--no-progress",
        "--data-cache", str(dataset_cache), "--data-mirror", str(shared_datasets_dir),
        "--output", str(tmp_path / "r.json"),
    ])
    assert code == 0
    assert "1000 seed nodes, sampler random-node" in capsys.readouterr().out


def test_cli_train_sampler_without_batch_size_is_a_usage_error(capsys):
    code = main(["train", "--method", "gbt", "--dataset", "Cora", "--sampler", "neighbor"])
    assert code == 1
    assert "--sampler and --num-neighbors need --batch-size" in capsys.readouterr().err


def test_graph_namedtuple_unchanged_by_fitted_feature_masking():
    # The fitted augmenter does not modify its input in place.
    x = torch.ones(3, 4)
    aug = AdaptiveFeatureMasking("degree", p=1.0, threshold=1.0)
    aug.fit_full_graph(x, torch.tensor([[0, 1], [1, 2]]))
    aug.augment(Graph(x, torch.tensor([[0], [1]])))
    assert x.tolist() == torch.ones(3, 4).tolist()
