"""Node encoders (the :class:`Encoder` contract, GCN) and MLP heads (projection heads, predictors)."""

from gclbt_plugin.encoders.base import RENAMED_KEYWORDS, Encoder
from gclbt_plugin.encoders.gcn import GCN
from gclbt_plugin.encoders.mlp import MLP, resolve_activation, resolve_normalization

__all__ = ["Encoder", "GCN", "MLP", "RENAMED_KEYWORDS", "resolve_activation", "resolve_normalization"]
