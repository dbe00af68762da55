"""The training loop: resume equals uninterrupted, divergence is an error, schedules follow the formula."""

import math

import pytest
import torch
from _training_helpers import OPTIMIZER, make_model, small_graph
from torch import nn

from gclbt_plugin.augmentors import Compose
from gclbt_plugin.encoders import Encoder
from gclbt_plugin.models import ContrastModel
from gclbt_plugin.training import TrainingDivergedError, train
from gclbt_plugin.training.optim import warmup_cosine_factor


@pytest.fixture
def graph():
    return small_graph()


class Interrupt(Exception):
    pass


def test_train_resume_from_checkpoint_equals_uninterrupted_run(graph, tmp_path):
    x, edge_index = graph
    model, generator = make_model()
    full = train(model, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator, progress=False)

    path = tmp_path / "run.pt"
    interrupted, generator = make_model()

    def stop_at_epoch_3(epoch, _model, _loss):
        if epoch == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        train(interrupted, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator,
              checkpoint_path=path, checkpoint_every=3, progress=False, callback=stop_at_epoch_3)
    # A fresh process: new model and generator with other states; everything comes from the file.
    resumed, generator = make_model(seed=123)
    result = train(resumed, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator,
                   checkpoint_path=path, checkpoint_every=3, progress=False)
    assert result.resumed_from == 3
    assert result.losses == pytest.approx(full.losses, rel=1e-5)
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6)


def test_a_resumed_run_counts_the_training_time_its_checkpoint_recorded(graph, tmp_path):
    x, edge_index = graph
    path = tmp_path / "run.pt"
    model, generator = make_model()
    first = train(model, x, edge_index, epochs=3, optimizer=OPTIMIZER, generator=generator,
                  checkpoint_path=path, progress=False)
    model, generator = make_model()
    resumed = train(model, x, edge_index, epochs=3, optimizer=OPTIMIZER, generator=generator,
                    checkpoint_path=path, progress=False)  # every epoch restored, none trained
    assert (resumed.resumed_from, resumed.timed_epochs) == (3, 3)
    assert 0 < resumed.seconds_restored <= first.seconds  # saved just before the run's clock stopped
    assert resumed.training_seconds == pytest.approx(resumed.seconds_restored + resumed.seconds)
    assert resumed.seconds_per_epoch == pytest.approx(resumed.training_seconds / 3)


def test_only_a_run_with_epochs_left_fits_the_augmenters(graph, tmp_path):
    # GCA's importances are fitted on the training graph before the first epoch; a run restored from
    # its last epoch trains nothing, so it must not pay for (nor time) that fit again.
    x, edge_index = graph
    path = tmp_path / "run.pt"
    fits = []

    def run(epochs):
        model, generator = make_model()
        original = model.fit_full_graph
        model.fit_full_graph = lambda *args: (fits.append(epochs), original(*args))
        return train(model, x, edge_index, epochs=epochs, optimizer=OPTIMIZER, generator=generator,
                     checkpoint_path=path, progress=False)

    assert run(2).resumed_from == 0 and fits == [2]  # a fresh run
    assert run(2).resumed_from == 2 and fits == [2]  # restored from its last epoch: no fit
    assert run(3).resumed_from == 2 and fits == [2, 3]  # one epoch left: fitted again


def test_a_checkpoint_without_recorded_time_times_only_the_epochs_trained_after_it(graph, tmp_path):
    x, edge_index = graph
    path = tmp_path / "run.pt"
    model, generator = make_model()
    train(model, x, edge_index, epochs=2, optimizer=OPTIMIZER, generator=generator, checkpoint_path=path,
          progress=False)
    state = torch.load(path, weights_only=False)
    del state["seconds"]  # as written before checkpoints recorded it
    torch.save(state, path)
    model, generator = make_model()
    resumed = train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, generator=generator,
                    checkpoint_path=path, progress=False)
    assert (resumed.resumed_from, resumed.seconds_restored, resumed.timed_epochs) == (2, None, 2)
    assert resumed.seconds_per_epoch == pytest.approx(resumed.seconds / 2)
    assert torch.load(path, weights_only=False)["seconds"] is None  # an unknown total stays unknown


def test_train_refuses_checkpoint_of_another_configuration(graph, tmp_path):
    x, edge_index = graph
    model, generator = make_model()
    path = tmp_path / "run.pt"
    train(model, x, edge_index, epochs=2, optimizer=OPTIMIZER, checkpoint_path=path, fingerprint="a", progress=False)
    with pytest.raises(ValueError, match="different configuration"):
        train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, checkpoint_path=path, fingerprint="b",
              progress=False)


def test_train_checkpoint_leaves_no_temporary_files(graph, tmp_path):
    x, edge_index = graph
    model, generator = make_model()
    train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt",
          checkpoint_every=1, progress=False)
    # The checkpoint and the one before it (the fallback when the newest is unreadable), nothing else.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt", "run.pt.prev"]


class LinearEncoder(Encoder):
    def __init__(self):
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = 6, 2, 1
        self.lin = nn.Linear(6, 2)

    def forward(self, x, edge_index, edge_weight=None):
        return self.lin(x)


class NaNModel(ContrastModel):
    def __init__(self):
        super().__init__(LinearEncoder(), Compose([]), Compose([]))

    def forward(self, x, edge_index, edge_weight=None):
        return (self.encoder(x, edge_index),)

    def loss(self, outputs, rows=None):
        return outputs[0].sum() * float("nan")


def test_train_raises_with_epoch_when_loss_becomes_nan(graph):
    x, edge_index = graph
    with pytest.raises(TrainingDivergedError, match=r"loss became nan at epoch 1/5"):
        train(NaNModel(), x, edge_index, epochs=5, optimizer=OPTIMIZER, progress=False)


def test_train_rejects_bad_epochs(graph):
    x, edge_index = graph
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        train(NaNModel(), x, edge_index, epochs=0, optimizer=OPTIMIZER, progress=False)


def test_warmup_cosine_factor_follows_formula():
    # linear warm-up over 10 epochs, then half a cosine over the remaining 90
    assert warmup_cosine_factor(0, 100, 10, True) == pytest.approx(0.1)
    assert warmup_cosine_factor(9, 100, 10, True) == pytest.approx(1.0)
    assert warmup_cosine_factor(10, 100, 10, True) == pytest.approx(1.0)
    assert warmup_cosine_factor(55, 100, 10, True) == pytest.approx(0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert warmup_cosine_factor(55, 100, 0, False) == 1.0


def test_train_accepts_a_pyg_data_object(graph):
    from torch_geometric.data import Data

    x, edge_index = graph
    torch.manual_seed(0)
    from_tensors = train(make_model()[0], x, edge_index, epochs=2, optimizer=OPTIMIZER, progress=False)
    torch.manual_seed(0)
    from_data = train(make_model()[0], Data(x=x, edge_index=edge_index), epochs=2, optimizer=OPTIMIZER, progress=False)
    assert from_data.losses == from_tensors.losses


def test_train_rejects_data_together_with_tensors(graph):
    from torch_geometric.data import Data

    x, edge_index = graph
    with pytest.raises(TypeError, match="either a Data object or tensors"):
        train(make_model()[0], Data(x=x, edge_index=edge_index), edge_index, epochs=1, optimizer=OPTIMIZER)


def test_train_computes_adaptive_importances_once_on_the_training_graph(graph, monkeypatch):
    # GCA's train.py computes edge and feature importances once, from data.edge_index; the feature
    # masker after an edge dropper in a chain must not see the dropped view's edges.
    import gclbt_plugin.augmentors.adaptive as adaptive
    from gclbt_plugin.augmentors import AdaptiveEdgeDropping, AdaptiveFeatureMasking

    x, edge_index = graph
    seen = []
    centrality = adaptive.node_centrality

    def spy(name, edges, num_nodes):
        seen.append(edges.clone())
        return centrality(name, edges, num_nodes)

    monkeypatch.setattr(adaptive, "node_centrality", spy)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    views = [
        Compose([AdaptiveEdgeDropping("pagerank", p=0.5, generator=generator),
                 AdaptiveFeatureMasking("pagerank", p=0.3, generator=generator)])
        for _ in "12"
    ]
    model, _ = make_model()
    model.augmentor1, model.augmentor2 = views
    train(model, x, edge_index, epochs=3, optimizer=OPTIMIZER, generator=generator, progress=False)
    assert len(seen) == 4  # two adaptive members per view, each fitted once
    assert all(torch.equal(edges, edge_index) for edges in seen)


def test_train_pairs_the_edges_of_undirected_adaptive_dropping_once(graph, monkeypatch):
    import gclbt_plugin.augmentors.adaptive as adaptive
    from gclbt_plugin.augmentors import AdaptiveEdgeDropping

    x, edge_index = graph
    calls = []
    pairs = adaptive.edge_pairs

    def spy(edges, num_nodes):
        calls.append(edges.size(1))
        return pairs(edges, num_nodes)

    monkeypatch.setattr(adaptive, "edge_pairs", spy)
    generator = torch.Generator().manual_seed(1)
    model, _ = make_model()
    model.augmentor1, model.augmentor2 = (
        AdaptiveEdgeDropping(p=0.4, undirected=True, generator=generator) for _ in "12"
    )
    train(model, x, edge_index, epochs=3, optimizer=OPTIMIZER, generator=generator, progress=False)
    assert calls == [edge_index.size(1)] * 2  # once per view, at fitting

