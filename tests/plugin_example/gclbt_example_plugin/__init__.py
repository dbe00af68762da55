"""An example gclbt-plugin plugin: ``NodeFeatureNoise`` and ``CosineAlignmentLoss``."""

from gclbt_example_plugin.augmentors import NodeFeatureNoise
from gclbt_example_plugin.losses import CosineAlignmentLoss

__all__ = ["CosineAlignmentLoss", "NodeFeatureNoise"]
