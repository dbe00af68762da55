"""An example gclbt-plugin plugin: ``NodeFeatureNoise``, ``CosineAlignmentLoss`` and ``SGCEncoder``."""

from gclbt_example_plugin.augmentors import NodeFeatureNoise
from gclbt_example_plugin.encoders import SGCEncoder
from gclbt_example_plugin.losses import CosineAlignmentLoss

__all__ = ["CosineAlignmentLoss", "NodeFeatureNoise", "SGCEncoder"]
