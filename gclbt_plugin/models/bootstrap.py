"""Bootstrap contrast (BGRL): online encoder + predictor regress an EMA target encoder."""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn

from gclbt_plugin._validation import check_probability
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.encoders.base import Encoder
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.models.base import ContrastModel, Rows, select_rows


def cosine_momentum(base: float, progress: float) -> float:
    """BGRL's target decay rate: ``tau_k = 1 - (1 - tau_base) * (cos(pi * k / K) + 1) / 2``.

    Goes from ``base`` at ``progress = 0`` to ``1`` at ``progress = 1`` (Thakoor et al. 2022, §3).
    """
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


class BootstrapModel(ContrastModel):
    """BGRL (Thakoor et al., "Large-Scale Representation Learning on Graphs via Bootstrapping", ICLR 2022).

    Online branch ``q = p(f_theta(G_i))``, target branch ``y = f_xi(G_j)`` (no gradient):
    ``forward`` returns ``(q1, q2, y1, y2)`` and ``loss`` the symmetric
    ``(L(q1, y2) + L(q2, y1)) / 2`` with ``L = BootstrapLoss`` (2 - 2 cos). After
    each optimiser step the target is an exponential moving average of the online encoder,
    ``xi <- tau * xi + (1 - tau) * theta``, with ``tau`` following :func:`cosine_momentum`.

    Args:
        encoder (Encoder): the online encoder ``[N, F] -> [N, d]``; the target is a copy.
        augmentor1, augmentor2 (Augmentor): the two view generators.
        predictor (nn.Module): ``[N, d] -> [N, d]``.
        loss (Loss): ``loss(prediction, target) -> scalar``; kept as :attr:`loss_fn`.
        momentum (float): ``tau_base`` in [0, 1]. (default: ``0.99``)
    """

    def __init__(
        self,
        encoder: Encoder,
        augmentor1: Augmentor,
        augmentor2: Augmentor,
        predictor: nn.Module,
        loss: Loss,
        momentum: float = 0.99,
    ) -> None:
        super().__init__(encoder, augmentor1, augmentor2)
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a gclbt_plugin.losses.Loss, got {type(loss).__name__}")
        self.predictor = predictor
        self.loss_fn = loss
        self.momentum = check_probability("momentum", momentum)
        self.target_encoder = copy.deepcopy(encoder)
        self.target_encoder.requires_grad_(False)

    def forward(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        view1, view2 = self.views(x, edge_index, edge_weight)
        q1 = self.predictor(self.encoder(*view1.unfold()))
        q2 = self.predictor(self.encoder(*view2.unfold()))
        with torch.no_grad():
            y1 = self.target_encoder(*view1.unfold())
            y2 = self.target_encoder(*view2.unfold())
        return q1, q2, y1, y2

    def loss(self, outputs: tuple[Tensor, ...], rows: Rows = None) -> Tensor:
        q1, q2, y1, y2 = select_rows(outputs, rows)
        return 0.5 * (self.loss_fn(q1, y2) + self.loss_fn(q2, y1))

    def loss_reduces_over_ranks(self) -> bool:
        return self.loss_fn.reduces_over_ranks()

    @torch.no_grad()
    def after_step(self, progress: float) -> None:
        tau = cosine_momentum(self.momentum, progress)
        for online, target in zip(self.encoder.parameters(), self.target_encoder.parameters()):
            target.mul_(tau).add_(online.detach(), alpha=1.0 - tau)
