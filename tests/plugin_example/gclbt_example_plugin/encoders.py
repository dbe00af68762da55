"""``SGCEncoder``: a K-hop simplified graph convolution that follows the encoder contract."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import SGConv

from gclbt_plugin.encoders import Encoder


class SGCEncoder(Encoder):
    r"""Simplified graph convolution (Wu et al., "Simplifying Graph Convolutional Networks", ICML 2019).

    :math:`H = (\hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2})^K X W + b`, i.e. ``K`` propagation hops
    and one linear map, no non-linearity. As every encoder, it subclasses
    :class:`gclbt_plugin.encoders.Encoder` and declares ``in_channels``, ``out_channels`` and
    ``num_layers`` (here ``K``, the hops that neighbour sampling must cover); the default
    ``layerwise_inference`` (whole-graph forward in eval mode) is inherited.

    Shapes:
        x: ``[N, in_channels]``; edge_index: ``[2, E]``; edge_weight: ``[E]`` or ``None``;
        output: ``[N, out_channels]``.

    Args:
        in_channels (int): input feature width.
        out_channels (int): embedding width. (default: ``64``)
        K (int): number of propagation hops, ``>= 1``. (default: ``2``)

    Raises:
        ValueError: if a width or ``K`` is not a positive integer.

    Example:
        >>> encoder = SGCEncoder(1433, 64, K=2)
        >>> h = encoder(x, edge_index)   # [N, 64]
    """

    def __init__(self, in_channels: int, out_channels: int = 64, K: int = 2) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("K", K)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, K
        self.conv = SGConv(in_channels, out_channels, K=K)

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        return self.conv(x, edge_index, edge_weight)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}, K={self.num_layers}"
