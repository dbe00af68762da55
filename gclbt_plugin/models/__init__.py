"""Contrast models: how augmenters, encoder(s), heads and a loss are wired for one training step."""

from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.models.bootstrap import BootstrapModel, cosine_momentum
from gclbt_plugin.models.dual_branch import DualBranchModel, WithinEmbeddingModel

__all__ = ["ContrastModel", "DualBranchModel", "WithinEmbeddingModel", "BootstrapModel", "cosine_momentum"]
