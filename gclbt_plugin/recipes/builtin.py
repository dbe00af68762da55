"""The built-in methods, registered under ``gclbt.methods`` in ``pyproject.toml``.

Their hyper-parameters are data (``recipes/configs/*.yaml``, each value citing its source).
"""

from gclbt_plugin.recipes.recipe import Recipe

grace = Recipe(
    name="grace",
    description="GRACE: uniform edge dropping + feature masking, GCN, projection head, InfoNCE",
    reference="Zhu et al., Deep Graph Contrastive Representation Learning, ICML GRL+ workshop 2020",
    config_file="grace.yaml",
)

gca = Recipe(
    name="gca",
    description="GCA: centrality-adaptive edge dropping + feature masking, GCN, projection head, InfoNCE",
    reference="Zhu et al., Graph Contrastive Learning with Adaptive Augmentation, WWW 2021",
    config_file="gca.yaml",
)

bgrl = Recipe(
    name="bgrl",
    description="BGRL: uniform augmentation, online encoder + predictor regress an EMA target, no negatives",
    reference="Thakoor et al., Large-Scale Representation Learning on Graphs via Bootstrapping, ICLR 2022",
    config_file="bgrl.yaml",
)

gbt = Recipe(
    name="gbt",
    description="Graph Barlow Twins: uniform augmentation, GCN + BatchNorm + PReLU, Barlow Twins loss (lambda=1/d)",
    reference="Bielak, Kajdanowicz and Chawla, Graph Barlow Twins, Knowledge-Based Systems 2022",
    config_file="gbt.yaml",
)

gclbt = Recipe(
    name="gclbt",
    description="GCL-BT: GCA's adaptive augmentation + Barlow Twins loss, shared symmetric encoder",
    reference=(
        "Zhou, Yang, Zhang et al., Graph contrastive learning based on negative-sample-free loss and "
        "adaptive augmentation, J. Zhejiang Univ. (Eng. Sci.) 2023"
    ),
    config_file="gclbt.yaml",
)
