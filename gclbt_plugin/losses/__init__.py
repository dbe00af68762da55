"""Self-supervised losses between two views' node embeddings: ``forward(h1, h2) -> scalar``."""

from gclbt_plugin.losses.barlow_twins import BarlowTwinsLoss
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.losses.bootstrap import BootstrapLoss
from gclbt_plugin.losses.infonce import InfoNCELoss

__all__ = ["Loss", "BarlowTwinsLoss", "InfoNCELoss", "BootstrapLoss"]
