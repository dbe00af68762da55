"""BGRL's bootstrap loss: cosine distance between an online prediction and a fixed target."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gclbt_plugin.losses.base import Loss, check_pair


class BootstrapLoss(Loss):
    r"""Bootstrap loss of BGRL (Thakoor et al., "Large-Scale Representation Learning on Graphs
    via Bootstrapping", ICLR 2022), the graph version of BYOL.

    With :math:`p_i` the online network's prediction and :math:`t_i` the target network's
    embedding of node :math:`i`:

    .. math::
        \mathcal{L} = \frac{1}{N} \sum_{i=1}^{N}
            \left(2 - 2 \frac{p_i^\top t_i}{\lVert p_i \rVert \, \lVert t_i \rVert}\right).

    The target is detached: no gradient reaches it (the target network is updated by an
    exponential moving average instead). BGRL symmetrises the loss by adding the term with the
    views swapped; that is the contrast model's job. ``requires_target_network = True`` tells
    the training code to build the online/target wiring.

    Shapes:
        h1: ``[N, d]`` predictions (online encoder + predictor, view 1).
        h2: ``[N, d]`` targets (target encoder, view 2).
        output: scalar in ``[0, 4]``.

    Raises:
        ValueError: ``h1`` and ``h2`` of different shapes or not 2-D (call).

    Example:
        >>> loss = BootstrapLoss()
        >>> value = loss(prediction, target)   # or loss(anchor=prediction, sample=target)
    """

    requires_target_network = True

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        check_pair(h1, h2)
        prediction = F.normalize(h1, dim=1)
        target = F.normalize(h2.detach(), dim=1)
        return (2.0 - 2.0 * (prediction * target).sum(dim=1)).mean()
