"""A small seeded graph and contrast model shared by the training and checkpoint tests."""

from __future__ import annotations

import torch

from gclbt_plugin.augmentors import Compose, EdgeDropping, FeatureMasking
from gclbt_plugin.encoders import GCN
from gclbt_plugin.losses import BarlowTwinsLoss
from gclbt_plugin.models import DualBranchModel

OPTIMIZER = {"name": "adamw", "lr": 0.01, "weight_decay": 1e-5}


def small_graph() -> tuple[torch.Tensor, torch.Tensor]:
    """30 nodes with 6 features and 120 random edges (seed 0)."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(30, 6, generator=generator)
    edge_index = torch.randint(0, 30, (2, 120), generator=generator)
    return x, edge_index


def make_model(seed: int = 0) -> tuple[DualBranchModel, torch.Generator]:
    """A seeded Barlow Twins model on :func:`small_graph` and the augmenters' generator."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    views = [Compose([EdgeDropping(0.3, generator=generator), FeatureMasking(0.2, generator=generator)]) for _ in "12"]
    encoder = GCN(6, hidden_channels=8, num_layers=2, norm="batch_norm")
    return DualBranchModel(encoder, views[0], views[1], BarlowTwinsLoss()), generator
