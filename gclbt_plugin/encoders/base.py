"""The encoder contract: what the trainer and the evaluator may rely on in a node encoder."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import torch
from torch import Tensor, nn

from gclbt_plugin._validation import check_positive_int

#: Keywords of the built-in encoder and heads before they took PyG's names (``BasicGNN``/``MLP``):
#: old keyword -> what to write instead. The registry names the replacement when an old one is used.
RENAMED_KEYWORDS: dict[str, str] = {
    "activation": "act (e.g. act='prelu'; act=None for no activation, the old 'identity')",
    "batch_norm": "norm (norm='batch_norm' for batch_norm=True, norm=None for False)",
    "batch_norm_momentum": "norm_kwargs (e.g. norm_kwargs={'momentum': 0.01})",
    "layer_norm": "norm (norm='layer_norm' with norm_kwargs={'mode': 'node'} for layer_norm=True)",
}


class Encoder(nn.Module, ABC):
    r"""Base class of node encoders: ``forward(x, edge_index, edge_weight=None) -> [N, d]``.

    An encoder declares what the trainer and the evaluator need from it, so that any
    registered encoder can replace the built-in :class:`~gclbt_plugin.encoders.GCN`:

    * ``in_channels`` (int): the node feature width :math:`F` it reads;
    * ``out_channels`` (int): the embedding width :math:`d` it returns (projection heads,
      predictors and losses are sized from it);
    * ``num_layers`` (int): the number of message-passing hops, i.e. the receptive field;
      mini-batch training samples this many hops of neighbours around the seed nodes;
    * ``supports_sparse_features`` (bool, class attribute): whether ``x`` may be a sparse
      COO tensor (bag-of-words features kept sparse); ``False`` unless a subclass says so;
    * :meth:`layerwise_inference`: embeddings of the whole graph for evaluation, by default
      the plain forward pass in evaluation mode; encoders that can bound its memory override it.

    A subclass sets ``in_channels``, ``out_channels`` and ``num_layers`` in its constructor
    (after ``super().__init__()``); :func:`gclbt_plugin.registry.create` checks that they are
    positive integers, and the subclass implements :meth:`forward`.

    Shapes:
        x: ``[N, in_channels]``; edge_index: ``[2, E]``; edge_weight: ``[E]`` or ``None``;
        output: ``[N, out_channels]``.

    Example:
        >>> from torch_geometric.nn import SGConv
        >>> class SGC(Encoder):
        ...     "K-hop simplified graph convolution (Wu et al. 2019)."
        ...     def __init__(self, in_channels: int, out_channels: int = 16, K: int = 2) -> None:
        ...         super().__init__()
        ...         self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, K
        ...         self.conv = SGConv(in_channels, out_channels, K=K)
        ...     def forward(self, x, edge_index, edge_weight=None):
        ...         return self.conv(x, edge_index, edge_weight)
        >>> h = SGC(1433, 64).layerwise_inference(x, edge_index)   # [N, 64], eval mode, no grad
    """

    #: Whether ``x`` may be a sparse COO tensor; a subclass that accepts one sets ``True``.
    supports_sparse_features: ClassVar[bool] = False

    #: The node feature width :math:`F` this encoder reads.
    in_channels: int
    #: The embedding width :math:`d` this encoder returns.
    out_channels: int
    #: The number of message-passing hops (neighbour sampling depth).
    num_layers: int

    @abstractmethod
    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Node embeddings ``[N, out_channels]`` of the graph ``(x, edge_index, edge_weight)``."""

    @torch.no_grad()
    def layerwise_inference(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None = None,
        chunk_size: int = 65536,
    ) -> Tensor:
        """Full-graph embeddings in evaluation mode, without gradients, for the linear probe.

        This default is the plain whole-graph :meth:`forward` in ``eval()`` mode under
        ``torch.no_grad()``; ``chunk_size`` is only validated. Encoders whose whole-graph pass
        would not fit in memory override it (e.g. :meth:`gclbt_plugin.encoders.GCN.layerwise_inference`
        propagates ``chunk_size`` edges at a time). The module's training mode is restored
        afterwards.

        Args:
            x (Tensor): node features ``[N, in_channels]``.
            edge_index (Tensor): the full graph's edges ``[2, E]``.
            edge_weight (Tensor, optional): edge weights ``[E]``. (default: ``None``)
            chunk_size (int): rows or edges an overriding implementation processes at once.
                (default: ``65536``)

        Returns:
            Tensor: ``[N, out_channels]``.

        Raises:
            ValueError: ``chunk_size`` is not a positive integer.
        """
        check_positive_int("chunk_size", chunk_size)
        was_training = self.training
        self.eval()
        try:
            return self(x, edge_index, edge_weight)
        finally:
            self.train(was_training)
