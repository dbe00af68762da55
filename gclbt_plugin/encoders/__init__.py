"""Node encoders (GCN) and MLP heads (projection heads, predictors)."""

from gclbt_plugin.encoders.gcn import GCN
from gclbt_plugin.encoders.mlp import ACTIVATIONS, MLP, make_activation

__all__ = ["GCN", "MLP", "ACTIVATIONS", "make_activation"]
