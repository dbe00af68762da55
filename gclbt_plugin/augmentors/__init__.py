"""Graph augmenters: uniform (GRACE / BGRL / G-BT) and adaptive (GCA) edge dropping and
feature masking, behind PyGCL's ``Augmentor`` interface."""

from gclbt_plugin.augmentors.adaptive import AdaptiveEdgeDropping, AdaptiveFeatureMasking
from gclbt_plugin.augmentors.base import Augmentor, Compose, Identity, RandomChoice
from gclbt_plugin.augmentors.edge_dropping import EdgeDropping
from gclbt_plugin.augmentors.feature_masking import FeatureMasking

__all__ = [
    "AdaptiveEdgeDropping",
    "AdaptiveFeatureMasking",
    "Augmentor",
    "Compose",
    "EdgeDropping",
    "FeatureMasking",
    "Identity",
    "RandomChoice",
]
