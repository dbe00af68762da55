"""Dual-branch contrast: one shared encoder on two views, loss between the two embeddings."""

from __future__ import annotations

from torch import Tensor, nn

from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.models.base import ContrastModel


class DualBranchModel(ContrastModel):
    """Shared encoder f on two views, optional projection head g, symmetric loss.

    ``loss = L(g(f(G1)), g(f(G2)))`` with ``G1 = t1(G)``, ``G2 = t2(G)``.

    * GRACE (Zhu et al. 2020) and GCA (Zhu et al. 2021): ``L = InfoNCELoss``, ``g`` = 2-layer MLP.
    * Graph Barlow Twins (Bielak et al. 2022) and GCL-BT (Zhou et al. 2023): ``L = BarlowTwinsLoss``
      on the encoder output directly (``projector=None``), PyGCL's "within-embedding" contrast.

    Args:
        encoder (nn.Module): ``[N, F] -> [N, d]``.
        augmentor1, augmentor2 (Augmentor): the two view generators.
        loss (nn.Module): ``loss(z1, z2) -> scalar`` with ``z1, z2`` of shape ``[N, d']``.
        projector (nn.Module, optional): ``[N, d] -> [N, d']``, used for the loss only, never
            for :meth:`embed`. (default: ``None``)
    """

    def __init__(
        self,
        encoder: nn.Module,
        augmentor1: Augmentor,
        augmentor2: Augmentor,
        loss: nn.Module,
        projector: nn.Module | None = None,
    ) -> None:
        super().__init__(encoder, augmentor1, augmentor2)
        self.loss = loss
        self.projector = projector

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        view1, view2 = self.views(x, edge_index, edge_weight)
        h1 = self.encoder(*view1.unfold())
        h2 = self.encoder(*view2.unfold())
        if self.projector is not None:
            h1, h2 = self.projector(h1), self.projector(h2)
        return self.loss(h1, h2)


class WithinEmbeddingModel(DualBranchModel):
    """PyGCL's within-embedding contrast (Barlow Twins, VICReg): a dual branch without projector."""

    def __init__(self, encoder: nn.Module, augmentor1: Augmentor, augmentor2: Augmentor, loss: nn.Module) -> None:
        super().__init__(encoder, augmentor1, augmentor2, loss, projector=None)
