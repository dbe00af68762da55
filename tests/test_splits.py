"""Tests for gclbt_plugin.evaluation.splits."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from gclbt_plugin.evaluation import (
    Split,
    make_splits,
    public_split,
    random_splits,
    wikics_splits,
)


def _masked_graph() -> Data:
    """6 nodes with a Planetoid-style 1-D split: train {0, 1}, val {2}, test {3, 4, 5}."""
    return Data(
        x=torch.zeros(6, 2),
        y=torch.tensor([0, 1, 0, 1, 0, 1]),
        train_mask=torch.tensor([True, True, False, False, False, False]),
        val_mask=torch.tensor([False, False, True, False, False, False]),
        test_mask=torch.tensor([False, False, False, True, True, True]),
    )


def _wikics_graph() -> Data:
    """5 nodes, 3 WikiCS-style splits: train_mask/val_mask [5, 3], one test mask [5]."""
    train = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]], dtype=torch.bool)
    val = torch.tensor([[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0], [0, 0, 0]], dtype=torch.bool)
    test = torch.tensor([False, False, False, True, True])
    return Data(x=torch.zeros(5, 2), y=torch.zeros(5, dtype=torch.long), train_mask=train,
                val_mask=val, test_mask=test)


def test_random_splits_are_disjoint_cover_all_nodes_with_requested_sizes():
    for split in random_splits(57, num_splits=4, train_ratio=0.1, val_ratio=0.2, seed=3):
        train, val, test = (t.tolist() for t in split.indices())
        assert (len(train), len(val), len(test)) == (5, 11, 41)  # floor(5.7), floor(11.4), rest
        assert sorted(train + val + test) == list(range(57))


def test_random_splits_default_is_ten_ten_eighty_percent_twenty_times():
    splits = random_splits(2708)
    assert len(splits) == 20
    assert [t.numel() for t in splits[0].indices()] == [270, 270, 2168]


def test_random_splits_are_reproducible_by_seed():
    first = [[t.tolist() for t in s.indices()] for s in random_splits(40, 3, seed=7)]
    again = [[t.tolist() for t in s.indices()] for s in random_splits(40, 3, seed=7)]
    other = [[t.tolist() for t in s.indices()] for s in random_splits(40, 3, seed=8)]
    assert first == again
    assert first != other


def test_random_splits_draw_different_splits_and_prefix_is_stable():
    five = random_splits(100, 5, seed=0)
    two = random_splits(100, 2, seed=0)
    assert five[0].train.tolist() != five[1].train.tolist()
    assert [s.train.tolist() for s in two] == [s.train.tolist() for s in five[:2]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_nodes": 0}, "num_nodes must be a positive integer, got 0"),
        ({"num_nodes": 10, "num_splits": 0}, "num_splits must be a positive integer, got 0"),
        ({"num_nodes": 10, "train_ratio": 1.0}, r"train_ratio must be in \(0, 1\), got 1.0"),
        ({"num_nodes": 10, "train_ratio": 0.5, "val_ratio": 0.5}, "must be < 1"),
        ({"num_nodes": 5}, "num_nodes=5 is too small"),
    ],
)
def test_random_splits_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_splits(**kwargs)


def test_split_converts_masks_and_indices():
    split = Split(torch.tensor([True, False, False, True]), torch.tensor([1]), torch.tensor([2]))
    assert [t.tolist() for t in split.indices()] == [[0, 3], [1], [2]]
    train, val, test = split.masks(4)
    assert (train.tolist(), val.tolist(), test.tolist()) == (
        [True, False, False, True], [False, True, False, False], [False, False, True, False]
    )


def test_public_split_equals_masks_on_hand_made_graph():
    split = public_split(_masked_graph())
    assert [t.tolist() for t in split.indices()] == [[0, 1], [2], [3, 4, 5]]


def test_public_split_equals_cora_masks(cora):
    train, val, test = public_split(cora).masks(cora.num_nodes)
    assert torch.equal(train, cora.data.train_mask)
    assert torch.equal(val, cora.data.val_mask)
    assert torch.equal(test, cora.data.test_mask)


def test_public_split_without_masks_names_working_protocols():
    with pytest.raises(ValueError, match=r"'public' needs .* use one of \['random'\]"):
        public_split(Data(x=torch.zeros(4, 2), y=torch.zeros(4, dtype=torch.long)))


def test_public_split_on_wikics_points_to_wikics_protocol():
    with pytest.raises(ValueError, match=r"use one of \['random', 'wikics'\]"):
        public_split(_wikics_graph())


def test_wikics_splits_take_each_mask_column_and_share_test():
    splits = wikics_splits(_wikics_graph())
    assert [s.train.tolist() for s in splits] == [[0], [1], [2]]
    assert [s.val.tolist() for s in splits] == [[2], [0], [1]]
    assert all(s.test.tolist() == [3, 4] for s in splits)


def test_make_splits_rejects_unknown_protocol_listing_allowed():
    allowed = r"protocol must be one of \['public', 'random', 'wikics'\], got 'geom-gcn'"
    with pytest.raises(ValueError, match=allowed):
        make_splits("geom-gcn", _masked_graph())


def test_make_splits_random_matches_random_splits():
    big = Data(x=torch.zeros(30, 1), y=torch.zeros(30, dtype=torch.long))
    got = make_splits("random", big, num_splits=2, seed=5)
    want = random_splits(30, 2, seed=5)
    assert [s.test.tolist() for s in got] == [s.test.tolist() for s in want]


def test_make_splits_public_returns_one_split():
    splits = make_splits("public", _masked_graph(), num_splits=20)
    assert len(splits) == 1 and splits[0].val.tolist() == [2]


def test_make_splits_wikics_takes_first_num_splits():
    splits = make_splits("wikics", _wikics_graph(), num_splits=2)
    assert [s.train.tolist() for s in splits] == [[0], [1]]


def test_make_splits_wikics_rejects_more_splits_than_published():
    with pytest.raises(ValueError, match="num_splits must be <= 3 for protocol 'wikics', got 4"):
        make_splits("wikics", _wikics_graph(), num_splits=4)


def test_make_splits_accepts_loaded_dataset(cora):
    splits = make_splits("public", cora)
    assert [t.numel() for t in splits[0].indices()] == [140, 500, 1000]
