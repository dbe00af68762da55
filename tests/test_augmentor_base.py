"""Augmentor base class: Identity, Compose, RandomChoice, the mini-batch hooks and the input validation of __call__."""

from __future__ import annotations

import pytest
import torch

from gclbt_plugin.augmentors import (
    AdaptiveEdgeDropping,
    Augmentor,
    Compose,
    EdgeDropping,
    FeatureMasking,
    Identity,
    RandomChoice,
)
from gclbt_plugin.graph import Graph

EDGE_INDEX = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
X = torch.arange(8, dtype=torch.float).view(4, 2)


class _Append(Augmentor):
    """Test double: appends one column holding ``value``, so the order of application shows."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def augment(self, g: Graph) -> Graph:
        column = torch.full((g.num_nodes, 1), self.value)
        return Graph(torch.cat([g.x, column], dim=1), g.edge_index, g.edge_weights)

    def __repr__(self) -> str:
        return f"_Append({self.value})"


def test_identity_returns_inputs_unchanged():
    weight = torch.rand(6)
    x, edge_index, edge_weight = Identity()(X, EDGE_INDEX, weight)
    assert x is X and edge_index is EDGE_INDEX and edge_weight is weight


def test_augmentor_call_returns_triple_with_none_weight():
    assert Identity()(X, EDGE_INDEX)[2] is None


def test_augmentor_cannot_be_instantiated_without_augment():
    with pytest.raises(TypeError):
        Augmentor()


def test_augmentor_rejects_non_generator():
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        EdgeDropping(p=0.1, generator=0)


def test_compose_applies_augmentors_in_order():
    x, _, _ = Compose([_Append(1.0), _Append(2.0), _Append(3.0)])(X, EDGE_INDEX)
    assert x[:, 2:].tolist() == [[1.0, 2.0, 3.0]] * 4


def test_compose_of_nothing_is_identity():
    x, edge_index, _ = Compose([])(X, EDGE_INDEX)
    assert x is X and edge_index is EDGE_INDEX


def test_compose_rejects_non_augmentor():
    with pytest.raises(TypeError, match=r"augmentors\[1\] must be an Augmentor, got function"):
        Compose([Identity(), lambda g: g])


def test_compose_repr_lists_members():
    assert repr(Compose([EdgeDropping(p=0.2), FeatureMasking(p=0.3)])) == (
        "Compose([EdgeDropping(p=0.2), FeatureMasking(p=0.3)])"
    )


def test_random_choice_applies_num_choices_distinct_augmentors():
    aug = RandomChoice(
        [_Append(1.0), _Append(2.0), _Append(3.0)],
        num_choices=2,
        generator=torch.Generator().manual_seed(0),
    )
    seen = set()
    for _ in range(30):
        applied = tuple(aug(X, EDGE_INDEX)[0][0, 2:].tolist())
        assert len(applied) == 2 and len(set(applied)) == 2
        seen.add(applied)
    assert len(seen) == 6  # every ordered choice of 2 out of 3 occurs in 30 draws


def test_random_choice_same_seed_gives_same_choices():
    def run(seed: int) -> list[tuple[float, ...]]:
        aug = RandomChoice(
            [_Append(1.0), _Append(2.0), _Append(3.0)],
            num_choices=1,
            generator=torch.Generator().manual_seed(seed),
        )
        return [tuple(aug(X, EDGE_INDEX)[0][0, 2:].tolist()) for _ in range(10)]

    assert run(4) == run(4)


@pytest.mark.parametrize("num_choices", [0, 3, -1])
def test_random_choice_rejects_num_choices_out_of_range(num_choices):
    with pytest.raises(ValueError, match=rf"num_choices must be .*got {num_choices}"):
        RandomChoice([Identity(), Identity()], num_choices=num_choices)


BAD_INPUTS = {
    "edge_index_three_rows": (
        X,
        torch.zeros(3, 2, dtype=torch.long),
        None,
        "edge_index must have shape",
    ),
    "edge_index_one_dimensional": (
        X,
        torch.zeros(4, dtype=torch.long),
        None,
        "edge_index must have shape",
    ),
    "edge_index_id_too_large": (
        X,
        torch.tensor([[0, 4], [1, 0]]),
        None,
        r"ids must lie in \[0, 3\]",
    ),
    "edge_index_negative_id": (
        X,
        torch.tensor([[0, -1], [1, 0]]),
        None,
        r"ids must lie in \[0, 3\]",
    ),
    "edge_index_float": (X, EDGE_INDEX.float(), None, "edge_index must hold integer node ids"),
    "x_one_dimensional": (torch.ones(4), EDGE_INDEX, None, r"x must be 2-D .* got shape \[4\]"),
    "x_three_dimensional": (torch.ones(4, 2, 1), EDGE_INDEX, None, "x must be 2-D"),
    "x_with_nan": (torch.tensor([[0.0, float("nan")]] * 4), EDGE_INDEX, None, "x contains .*NaN"),
    "edge_weight_too_short": (
        X,
        EDGE_INDEX,
        torch.ones(5),
        r"edge_weight must have shape \[E\] = \[6\]",
    ),
    "edge_weight_two_dimensional": (X, EDGE_INDEX, torch.ones(6, 1), "edge_weight must have shape"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize(
    "aug",
    [Identity(), EdgeDropping(p=0.2), FeatureMasking(p=0.2), AdaptiveEdgeDropping()],
    ids=repr,
)
def test_augmentor_call_rejects_bad_graph(aug, case):
    x, edge_index, edge_weight, message = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=message):
        aug(x, edge_index, edge_weight)


def test_augmentor_call_rejects_non_tensor_features():
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        Identity()([[1.0]], EDGE_INDEX)


# ---- mini-batch hooks: fit_full_graph / set_subgraph / release_full_graph -------------------

# Sub-graph on nodes 0, 1, 2: full-graph edges 2, 3, 0, 1 (1->2, 2->1, 0->1, 1->0), in this order.
EDGE_IDS = torch.tensor([2, 3, 0, 1])
SUB_EDGES = EDGE_INDEX[:, EDGE_IDS]


@pytest.mark.parametrize(
    "make",
    [Identity, lambda: EdgeDropping(p=0.5, generator=torch.Generator().manual_seed(3))],
    ids=["Identity", "EdgeDropping"],
)
def test_augmentor_base_minibatch_hooks_do_nothing(make):
    hooked, fresh = make(), make()
    state = dict(hooked.__dict__)
    assert hooked.fit_full_graph(X, EDGE_INDEX) is None
    assert hooked.set_subgraph(EDGE_IDS) is None
    assert hooked.__dict__ == state
    for expected, got in zip(fresh(X[:3], SUB_EDGES), hooked(X[:3], SUB_EDGES), strict=True):
        assert (expected is None and got is None) or torch.equal(expected, got)
    assert hooked.release_full_graph() is None
    assert hooked.__dict__ == state


def _full_graph_keep(seed: int) -> list[list[int]]:
    """Reference: the sub-graph edges kept with the full graph's degree probabilities at EDGE_IDS."""
    full = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9).drop_probability(EDGE_INDEX, 4)
    draw = torch.rand(4, generator=torch.Generator().manual_seed(seed))
    return SUB_EDGES[:, draw >= full[EDGE_IDS]].tolist()


def test_full_graph_probabilities_differ_from_the_subgraph_ones():
    # Guards the forwarding tests below: recomputing on the sub-graph would give other probabilities.
    aug = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9)
    full = aug.drop_probability(EDGE_INDEX, 4)[EDGE_IDS]
    assert not torch.allclose(full, aug.drop_probability(SUB_EDGES, 3))


def test_compose_forwards_minibatch_hooks_to_adaptive_child():
    child = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9, generator=torch.Generator().manual_seed(7))
    aug = Compose([Identity(), child])
    aug.fit_full_graph(X, EDGE_INDEX)
    aug.set_subgraph(EDGE_IDS)
    _, kept, _ = aug(X[:3], SUB_EDGES)
    assert kept.tolist() == _full_graph_keep(7)


def test_compose_release_makes_adaptive_child_recompute_per_graph():
    child = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9, generator=torch.Generator().manual_seed(7))
    aug = Compose([child])
    aug.fit_full_graph(X, EDGE_INDEX)
    aug.set_subgraph(EDGE_IDS)
    aug.release_full_graph()
    local = AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9).drop_probability(SUB_EDGES, 3)
    draw = torch.rand(4, generator=torch.Generator().manual_seed(7))
    assert aug(X[:3], SUB_EDGES)[1].tolist() == SUB_EDGES[:, draw >= local].tolist()


def test_random_choice_forwards_minibatch_hooks_to_every_candidate():
    children = [
        AdaptiveEdgeDropping("degree", p=0.5, threshold=0.9, generator=torch.Generator().manual_seed(seed))
        for seed in (7, 8)
    ]
    aug = RandomChoice(children, num_choices=1)
    aug.fit_full_graph(X, EDGE_INDEX)
    aug.set_subgraph(EDGE_IDS)
    assert [child(X[:3], SUB_EDGES)[1].tolist() for child in children] == [_full_graph_keep(7), _full_graph_keep(8)]
    aug.release_full_graph()
    for child in children:
        child(X[:3], SUB_EDGES[:, :2])  # still fitted with 4 edge ids, it would reject 2 edges


def test_compose_supports_sparse_features_when_every_member_does():
    class DenseOnly(Identity):
        supports_sparse_features = False

    assert Compose([Identity(), Identity()]).supports_sparse_features is True
    assert Compose([Identity(), DenseOnly()]).supports_sparse_features is False
    assert RandomChoice([Identity(), DenseOnly()], num_choices=1).supports_sparse_features is False
