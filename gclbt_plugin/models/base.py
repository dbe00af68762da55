"""The contrast-model interface: the wiring of augmenters, encoder(s), heads and a loss.

A contrast model reads like PyG's ``DeepGraphInfomax``: :meth:`ContrastModel.forward` returns the
embeddings of the two views, and :meth:`ContrastModel.loss` turns them into the training loss, so
any trainer (full-batch, mini-batch, data-parallel) drives every model the same way::

    outputs = model(x, edge_index, edge_weight)   # the views' embeddings, each [N, d]
    loss = model.loss(outputs, rows=seeds)        # on the seed rows only (mini-batches)
    loss.backward(); optimizer.step(); model.after_step(progress)

What the trainer may ask of a model is declared on this class and nowhere else: the loss step,
the per-step hook, whether the loss already covers every rank, whether sparse features are
accepted, and the fitting of the augmenters on the training graph before the first step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

from gclbt_plugin._validation import check_graph, mark_checked
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.encoders.base import Encoder
from gclbt_plugin.graph import Graph

#: Rows of the outputs a loss is computed on: ``None`` (all), the first ``k`` rows, or row indices.
Rows = int | Tensor | None


def select_rows(outputs: tuple[Tensor, ...], rows: Rows) -> tuple[Tensor, ...]:
    """Each tensor of ``outputs`` restricted to ``rows`` (``None``: unchanged)."""
    if rows is None:
        return outputs
    if isinstance(rows, int):
        return tuple(t[:rows] for t in outputs)
    return tuple(t.index_select(0, rows) for t in outputs)


class ContrastModel(nn.Module, ABC):
    """Base class of self-supervised graph models trained by :func:`gclbt_plugin.training.train`.

    One training step is ``outputs = model(x, edge_index, edge_weight)``;
    ``loss = model.loss(outputs)``; ``loss.backward()``; ``optimizer.step()``;
    ``model.after_step(progress)``. Frozen node representations for the linear probe come from
    :meth:`embed` on the un-augmented graph.

    Args:
        encoder (Encoder): ``forward(x, edge_index, edge_weight=None) -> [N, d]``.
        augmentor1, augmentor2 (Augmentor): produce the two views.

    Raises:
        TypeError: ``encoder`` is not an :class:`~gclbt_plugin.encoders.Encoder` or an augmentor
            not an :class:`~gclbt_plugin.augmentors.Augmentor`.
    """

    def __init__(self, encoder: Encoder, augmentor1: Augmentor, augmentor2: Augmentor) -> None:
        super().__init__()
        if not isinstance(encoder, Encoder):
            raise TypeError(
                f"encoder must be a gclbt_plugin.encoders.Encoder (it declares out_channels, num_layers and "
                f"layer-wise inference), got {type(encoder).__name__}"
            )
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
    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> tuple[Tensor, ...]:
        """The embeddings of one step's two views that :meth:`loss` compares, each ``[N, d']``."""

    @abstractmethod
    def loss(self, outputs: tuple[Tensor, ...], rows: Rows = None) -> Tensor:
        """The self-supervised loss (a scalar) of :meth:`forward`'s ``outputs`` on ``rows``.

        Args:
            outputs (tuple of Tensor): what :meth:`forward` returned.
            rows (int | Tensor, optional): the rows (nodes) the loss is computed on: the first
                ``k`` rows, or ``[k]`` row indices (the seed nodes of a mini-batch or this rank's
                share of the graph); ``None``: every row. (default: ``None``)
        """

    def loss_reduces_over_ranks(self) -> bool:
        """Whether :meth:`loss` already returns the loss of every data-parallel rank's rows."""
        return False

    @property
    def supports_sparse_features(self) -> bool:
        """Whether a sparse COO ``x`` may be fed: the encoder and both views' augmenters accept it."""
        return all(
            part.supports_sparse_features for part in (self.encoder, self.augmentor1, self.augmentor2)
        )

    def fit_full_graph(self, x: Tensor, edge_index: Tensor) -> None:
        """Fit the augmenters on the training graph before the first step (GCA's centralities).

        See :meth:`gclbt_plugin.augmentors.Augmentor.fit_full_graph`; undone by
        :meth:`release_full_graph`.
        """
        for augmentor in (self.augmentor1, self.augmentor2):
            augmentor.fit_full_graph(x, edge_index)

    def set_subgraph(self, edge_ids: Tensor | None) -> None:
        """The full-graph ids ``[e]`` of the next batch's edges (``None``: the full graph itself)."""
        for augmentor in (self.augmentor1, self.augmentor2):
            augmentor.set_subgraph(edge_ids)

    def release_full_graph(self) -> None:
        """Undo :meth:`fit_full_graph`: the augmenters work on each input graph again."""
        for augmentor in (self.augmentor1, self.augmentor2):
            augmentor.release_full_graph()

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
