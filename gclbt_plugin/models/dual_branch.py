"""Dual-branch contrast: one shared encoder on two views, loss between the two embeddings."""

from __future__ import annotations

from torch import Tensor, nn

from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.encoders.base import Encoder
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.models.base import ContrastModel, Rows, select_rows


class DualBranchModel(ContrastModel):
    """Shared encoder f on two views, optional projection head g, symmetric loss.

    ``forward`` returns ``(g(f(G1)), g(f(G2)))`` with ``G1 = t1(G)``, ``G2 = t2(G)``, and
    ``loss`` is ``L(g(f(G1)), g(f(G2)))`` on the requested rows.

    * GRACE (Zhu et al. 2020) and GCA (Zhu et al. 2021): ``L = InfoNCELoss``, ``g`` = 2-layer MLP.
    * Graph Barlow Twins (Bielak et al. 2022) and GCL-BT (Zhou et al. 2023): ``L = BarlowTwinsLoss``
      on the encoder output directly (``projector=None``), PyGCL's "within-embedding" contrast.

    Args:
        encoder (Encoder): ``[N, F] -> [N, d]``.
        augmentor1, augmentor2 (Augmentor): the two view generators.
        loss (Loss): ``loss(z1, z2) -> scalar`` with ``z1, z2`` of shape ``[N, d']``; kept as
            :attr:`loss_fn`.
        projector (nn.Module, optional): ``[N, d] -> [N, d']``, used for the loss only, never
            for :meth:`embed`. (default: ``None``)
    """

    def __init__(
        self,
        encoder: Encoder,
        augmentor1: Augmentor,
        augmentor2: Augmentor,
        loss: Loss,
        projector: nn.Module | None = None,
    ) -> None:
        super().__init__(encoder, augmentor1, augmentor2)
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a gclbt_plugin.losses.Loss, got {type(loss).__name__}")
        self.loss_fn = loss
        self.projector = projector

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> tuple[Tensor, Tensor]:
        view1, view2 = self.views(x, edge_index, edge_weight)
        h1 = self.encoder(*view1.unfold())
        h2 = self.encoder(*view2.unfold())
        if self.projector is not None:
            h1, h2 = self.projector(h1), self.projector(h2)
        return h1, h2

    def loss(self, outputs: tuple[Tensor, ...], rows: Rows = None) -> Tensor:
        h1, h2 = select_rows(outputs, rows)
        return self.loss_fn(h1, h2)

    def loss_reduces_over_ranks(self) -> bool:
        return self.loss_fn.reduces_over_ranks()


class WithinEmbeddingModel(DualBranchModel):
    """PyGCL's within-embedding contrast (Barlow Twins, VICReg): a dual branch without projector."""

    def __init__(self, encoder: Encoder, augmentor1: Augmentor, augmentor2: Augmentor, loss: Loss) -> None:
        super().__init__(encoder, augmentor1, augmentor2, loss, projector=None)
