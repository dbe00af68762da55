"""gclbt-plugin: graph self-supervised learning components registered as plugins.

Adaptive augmentation (GCA, Zhu et al. 2021) with the Barlow Twins loss (Graph Barlow Twins,
Bielak et al. 2022) -- the GCL-BT method of Zhou, Yang, Zhang et al. (2023) -- plus the GRACE,
GCA, BGRL and G-BT baselines, behind PyGCL's augmentor / loss / encoder interface.
"""

from gclbt_plugin.graph import Graph

__version__ = "0.1.0"

__all__ = ["Graph", "__version__"]
