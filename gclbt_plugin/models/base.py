"""The contrast-model interface: the wiring of augmenters, encoder(s), heads and a loss."""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

from gclbt_plugin._validation import check_graph, mark_checked
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.graph import Graph


class ContrastModel(nn.Module, ABC):
    """Base class of self-supervised graph models trained by :func:`gclbt_plugin.training.train`.

    One training step is ``loss = model(x, edge_index, edge_weight)``; ``loss.backward()``;
    ``optimizer.step()``; ``model.after_step(progress)``. Frozen node representations for the
    linear probe come from :meth:`embed` on the un-augmented graph.

    Args:
        encoder (nn.Module): ``forward(x, edge_index, edge_weight=None) -> [N, d]``.
        augmentor1, augmentor2 (Augmentor): produce the two views.
    """

    def __init__(self, encoder: nn.Module, augmentor1: Augmentor, augmentor2: Augmentor) -> None:
        super().__init__()
        for name, aug in (("augmentor1", augmentor1), ("augmentor2", augmentor2)):
            if not isinstance(aug, Augmentor):
                raise TypeError(f"{name} must be an Augmentor, got {type(aug).__name__}")
        self.encoder = encoder
        self.augmentor1 = augmentor1
        self.augmentor2 = augmentor2

    def views(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> tuple[Graph, Graph]:
        """The two augmented views of the input graph.

        The input is checked (:func:`~gclbt_plugin._validation.check_graph`, once per graph);
        the views, derived from it, are recorded as checked so the encoder does not check them.

        Raises:
            TypeError, ValueError: a malformed graph, naming ``x``, ``edge_index`` or ``edge_weight``.
        """
        check_graph(x, edge_index, edge_weight)
        g = Graph(x, edge_index, edge_weight)
        views = self.augmentor1.augment(g), self.augmentor2.augment(g)
        for view in views:
            mark_checked(*view.unfold())
        return views

    @abstractmethod
    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """The self-supervised loss of one step (a scalar)."""

    @torch.no_grad()
    def embed(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Node representations ``[N, d]`` of the clean graph, for evaluation (eval mode, no grad).

        Raises:
            TypeError, ValueError: a malformed graph, naming ``x``, ``edge_index`` or ``edge_weight``.
        """
        check_graph(x, edge_index, edge_weight)
        was_training = self.training
        self.eval()
        try:
            return self.encoder(x, edge_index, edge_weight).detach()
        finally:
            self.train(was_training)

    def after_step(self, progress: float) -> None:
        """Hook called after each optimiser step with ``progress = step / total_steps`` in (0, 1]."""
