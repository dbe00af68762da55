"""``check_graph`` at every entry point of the Python API: malformed graphs fail with a message
naming the argument (never a raw torch / scipy error or a crash), once per graph."""

from __future__ import annotations

import pytest
import torch

import gclbt_plugin._validation as validation
from gclbt_plugin._validation import check_graph
from gclbt_plugin.augmentors import AdaptiveEdgeDropping, AdaptiveFeatureMasking, Compose, EdgeDropping
from gclbt_plugin.encoders import GCN
from gclbt_plugin.functional.centrality import node_centrality
from gclbt_plugin.losses import BarlowTwinsLoss, InfoNCELoss
from gclbt_plugin.models import DualBranchModel
from gclbt_plugin.training import train

X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.0]])
EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
NAN_X = X.clone()
NAN_X[2, 1] = float("nan")

# (x, edge_index, edge_weight, message): the malformed inputs of the issue.
BAD_GRAPHS = {
    "edge_index_out_of_range": (X, torch.tensor([[0, 1], [1, 9]]), None, r"edge_index holds node ids in \[0, 9\]"),
    "edge_index_negative": (X, torch.tensor([[0, -1], [1, 2]]), None, r"edge_index holds node ids in \[-1, 2\]"),
    "edge_index_float": (X, EDGE_INDEX.float(), None, "edge_index must hold integer node ids"),
    "edge_weight_wrong_length": (X, EDGE_INDEX, torch.ones(5), r"edge_weight must have shape \[E\] = \[6\]"),
    "x_with_nan": (NAN_X, EDGE_INDEX, None, r"x contains 1 NaN value"),
    "x_one_dimensional": (torch.ones(4), EDGE_INDEX, None, r"x must (be 2-D|have shape)"),
}
EDGE_CASES = ["edge_index_out_of_range", "edge_index_negative", "edge_index_float"]
FEATURE_CASES = ["x_with_nan", "x_one_dimensional", *EDGE_CASES]


def make_model() -> DualBranchModel:
    torch.manual_seed(0)
    return DualBranchModel(GCN(2, hidden_channels=4, out_channels=4), Compose([]), Compose([]), BarlowTwinsLoss())


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_model_forward_names_the_bad_argument(case):
    x, edge_index, edge_weight, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        make_model()(x, edge_index, edge_weight)


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_model_embed_names_the_bad_argument(case):
    x, edge_index, edge_weight, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        make_model().embed(x, edge_index, edge_weight)


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_gcn_forward_names_the_bad_argument(case):
    x, edge_index, edge_weight, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        GCN(2, hidden_channels=4)(x, edge_index, edge_weight)


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_gcn_layerwise_inference_names_the_bad_argument(case):
    x, edge_index, edge_weight, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        GCN(2, hidden_channels=4).layerwise_inference(x, edge_index, edge_weight)


@pytest.mark.parametrize("case", FEATURE_CASES)
def test_adaptive_feature_masking_probability_names_the_bad_argument(case):
    x, edge_index, _, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        AdaptiveFeatureMasking().mask_probability(x, edge_index)


def test_adaptive_feature_masking_fit_rejects_one_dimensional_x():
    # It used to return a [1, N] zero matrix from the views afterwards.
    with pytest.raises(ValueError, match=r"x must be 2-D with shape \[N, F\], got shape \[4\]"):
        AdaptiveFeatureMasking().fit_full_graph(torch.ones(4), EDGE_INDEX)


def test_adaptive_feature_masking_nan_is_reported_as_x_not_log_importance():
    with pytest.raises(ValueError, match="x contains 1 NaN value") as raised:
        AdaptiveFeatureMasking().mask_probability(NAN_X, EDGE_INDEX)
    assert "log_importance" not in str(raised.value)


@pytest.mark.parametrize("centrality", ["degree", "pagerank", "eigenvector"])
@pytest.mark.parametrize("case", EDGE_CASES)
def test_adaptive_edge_dropping_probability_names_the_bad_argument(centrality, case):
    _, edge_index, _, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        AdaptiveEdgeDropping(centrality).drop_probability(edge_index, 4)


@pytest.mark.parametrize("case", EDGE_CASES)
def test_node_centrality_names_the_bad_argument(case):
    _, edge_index, _, message = BAD_GRAPHS[case]
    with pytest.raises(ValueError, match=message):
        node_centrality("eigenvector", edge_index, 4)


@pytest.mark.parametrize("loss", [BarlowTwinsLoss(), InfoNCELoss()], ids=lambda loss: type(loss).__name__)
def test_losses_reject_zero_embedding_dimensions(loss):
    with pytest.raises(ValueError, match=r"at least one embedding dimension \(d >= 1\), got shape \[4, 0\]"):
        loss(torch.zeros(4, 0), torch.zeros(4, 0))


@pytest.fixture
def edge_checks(monkeypatch):
    """Counts the O(E) edge checks ``check_graph`` runs."""
    calls = []
    real = validation.check_edge_index

    def counting(edge_index, num_nodes, name="edge_index"):
        calls.append(edge_index)
        return real(edge_index, num_nodes, name)

    monkeypatch.setattr(validation, "check_edge_index", counting)
    return calls


def test_check_graph_checks_the_same_graph_once(edge_checks):
    edge_index = EDGE_INDEX.clone()
    for _ in range(3):
        check_graph(X, edge_index)
    assert len(edge_checks) == 1


def test_check_graph_checks_a_graph_edited_in_place_again(edge_checks):
    edge_index = EDGE_INDEX.clone()
    check_graph(X, edge_index)
    edge_index[1, 0] = 7
    with pytest.raises(ValueError, match=r"edge_index holds node ids in \[0, 7\]"):
        check_graph(X, edge_index)


@pytest.mark.parametrize("epochs", [2, 6])
def test_training_checks_the_graph_once_not_per_epoch(edge_checks, epochs):
    torch.manual_seed(0)
    views = [Compose([EdgeDropping(0.3)]) for _ in "12"]
    model = DualBranchModel(GCN(2, hidden_channels=4, out_channels=4), views[0], views[1], BarlowTwinsLoss())
    train(model, X.clone(), EDGE_INDEX.clone(), epochs=epochs, optimizer={"name": "adam", "lr": 0.01},
          progress=False)
    assert len(edge_checks) == 1
