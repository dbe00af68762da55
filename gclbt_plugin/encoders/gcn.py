"""The GCN encoder used by GRACE, GCA, BGRL, Graph Barlow Twins and GCL-BT."""

from __future__ import annotations

import contextlib
import copy
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GCNConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.nn.norm import BatchNorm as PyGBatchNorm
from torch_geometric.nn.norm import LayerNorm as PyGLayerNorm
from torch_geometric.utils import to_torch_csr_tensor

from gclbt_plugin._validation import check_graph, check_positive_int, check_probability
from gclbt_plugin.encoders.base import Encoder
from gclbt_plugin.encoders.mlp import resolve_activation, resolve_normalization


class GCN(Encoder):
    r"""Graph convolutional network (Kipf & Welling, "Semi-Supervised Classification with Graph
    Convolutional Networks", ICLR 2017) as the node encoder of graph self-supervised methods.

    Each layer is a graph convolution, an optional normalisation and the activation:

    .. math::
        H^{(l)} = \sigma\Big(\mathrm{Norm}\big(\hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2}
            H^{(l-1)} W^{(l)} + b^{(l)}\big)\Big), \qquad \hat{A} = A + I,

    with :math:`A` weighted by ``edge_weight`` and :math:`\hat{D}` its degree matrix. The
    activation follows *every* layer, including the last, as in GRACE/GCA (activation per layer),
    BGRL and Graph Barlow Twins (``GCNConv-BatchNorm-PReLU`` per layer), unless ``plain_last``.
    Each layer has its own activation module (one ``PReLU`` slope per layer, as in those
    references). Dropout, if any, acts on the hidden layers' outputs (not the input, not the
    last output). Activation and normalisation are chosen as in PyG's ``BasicGNN``: a name
    resolved by ``torch_geometric.nn.resolver.activation_resolver`` /
    ``normalization_resolver`` (or a module instance) plus its ``*_kwargs``.

    The normalised adjacency is computed once per forward pass (once in total with
    ``cached=True``, for a fixed graph), stored as a sparse CSR matrix and shared by all layers:
    propagation is then one sparse-dense product (``torch.sparse.mm``) instead of gathering and
    scattering an ``[E, d]`` message tensor: 2.6-12x faster forward + backward on one CPU thread
    (``benchmarks/results/propagation.md``) and without the ``O(E d)`` memory. When
    ``edge_weight`` requires a gradient, the edge-list propagation is used so that it gets one.
    A sparse COO ``x`` (bag-of-words features) is multiplied by the first weight matrix with ``torch.sparse.mm`` before
    propagation (:func:`sparse_linear`), so it is never densified.

    Shapes:
        x: ``[N, in_channels]`` (dense or sparse COO); edge_index: ``[2, E]``;
        edge_weight: ``[E]`` or ``None``; output: ``[N, out_channels]``.

    Args:
        in_channels (int): input feature width.
        hidden_channels (int): width of the hidden layers. (default: ``512``)
        out_channels (int, optional): output width; ``None`` means ``hidden_channels``.
            (default: ``None``)
        num_layers (int): number of graph convolutions. (default: ``2``)
        act (str or nn.Module or None): activation after every layer: a ``torch.nn``
            activation's name (``"relu"``, ``"prelu"``, ``"rrelu"``, ``"elu"``, ...), an instance
            (copied per layer) or ``None`` for none. (default: ``"prelu"``)
        act_kwargs (dict, optional): keywords of the activation's constructor. (default: ``None``)
        norm (str or nn.Module or None): normalisation after each convolution, a
            ``torch_geometric.nn.norm`` name (``"batch_norm"``; ``"layer_norm"``, which by PyG's
            default normalises over the whole graph: pass ``norm_kwargs={"mode": "node"}`` for a
            per-node LayerNorm), an instance (copied per layer) or ``None``. (default: ``None``)
        norm_kwargs (dict, optional): keywords of the normalisation's constructor; with
            ``"batch_norm"`` Graph Barlow Twins uses ``{"momentum": 0.01}``, BGRL ``{"momentum": 0.99}``
            (torch's meaning: the weight of the newest batch in the running statistics). (default: ``None``)
        dropout (float): dropout probability on hidden outputs. (default: ``0.0``)
        cached (bool): cache the normalised adjacency of the first graph seen (transductive
            training on one fixed graph only; call :meth:`reset_parameters` to clear it).
            (default: ``False``)
        plain_last (bool): no normalisation and no activation after the last layer, as in
            Graph Barlow Twins' encoder (Bielak et al. 2022). (default: ``False``)

    Raises:
        ValueError: non-positive widths or ``num_layers``, an ``act`` or ``norm`` name PyG
            cannot resolve, ``dropout`` outside ``[0, 1]`` (constructor); ``x`` of the wrong
            width (call).
        TypeError: ``act`` or ``norm`` of another type (constructor); ``x`` in a sparse layout
            other than COO (call).

    Example:
        >>> encoder = GCN(1433, 512, num_layers=2, norm="batch_norm", norm_kwargs={"momentum": 0.01})
        >>> h = encoder(x, edge_index)   # [N, 512]
    """

    supports_sparse_features = True

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 512,
        out_channels: int | None = None,
        num_layers: int = 2,
        act: str | nn.Module | None = "prelu",
        act_kwargs: dict[str, Any] | None = None,
        norm: str | nn.Module | None = None,
        norm_kwargs: dict[str, Any] | None = None,
        dropout: float = 0.0,
        cached: bool = False,
        plain_last: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.hidden_channels = check_positive_int("hidden_channels", hidden_channels)
        if out_channels is None:
            out_channels = hidden_channels
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.dropout = check_probability("dropout", dropout)
        self.cached = bool(cached)
        self.plain_last = bool(plain_last)
        activation = resolve_activation(act, act_kwargs)
        self.act_name = act if isinstance(act, str) or act is None else type(act).__name__
        self.norm_name = norm if isinstance(norm, str) or norm is None else type(norm).__name__

        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        self.activations = nn.ModuleList()
        for layer in range(num_layers):
            width = widths[layer + 1]
            plain = self.plain_last and layer == num_layers - 1
            # Normalisation happens once in forward(), shared by all layers.
            self.convs.append(GCNConv(widths[layer], width, normalize=False))
            self.norms.append(nn.Identity() if plain else resolve_normalization(norm, width, norm_kwargs))
            self.activations.append(nn.Identity() if plain else copy.deepcopy(activation))
        self._cache: tuple | None = None

    def reset_parameters(self) -> None:
        """Re-initialise all weights, normalisation statistics and PReLU slopes; clear the cache."""
        for module in [*self.convs, *self.norms, *self.activations]:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        self._cache = None

    def _normalised_adjacency(
        self, edge_index: Tensor, edge_weight: Tensor | None, num_nodes: int, dtype: torch.dtype
    ) -> tuple[Tensor, Tensor | None]:
        """``(adjacency, None)`` with a CSR ``adjacency`` (rows: targets), or ``(edge_index, weight)``."""
        if self.cached and self._cache is not None:
            return _from_cache(self._cache)
        if edge_weight is not None:
            # gcn_norm keeps given weights' dtype, and torch.sparse.mm does not mix dtypes.
            edge_weight = edge_weight.to(dtype)
        edge_index, edge_weight = gcn_norm(
            edge_index, edge_weight, num_nodes, add_self_loops=True, dtype=dtype
        )
        if edge_weight.requires_grad:
            normalised = (edge_index, edge_weight)
        else:
            normalised = (transposed_csr(edge_index, edge_weight, num_nodes), None)
        if self.cached:
            self._cache = _to_cache(normalised)
        return normalised

    def _first_layer(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> Tensor:
        conv = self.convs[0]
        if x.layout == torch.strided:
            return conv(x, edge_index, edge_weight)
        # Sparse features: X W as a sparse-dense product, then GCNConv's own propagation.
        h = sparse_linear(x, conv.lin.weight)
        h = conv.propagate(edge_index, x=h, edge_weight=edge_weight)
        return h + conv.bias if conv.bias is not None else h

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        if x.layout not in (torch.strided, torch.sparse_coo):
            raise TypeError(f"x must be a dense or sparse COO tensor, got layout {x.layout}")
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"x must have shape [N, in_channels={self.in_channels}], got {list(x.shape)}"
            )
        check_graph(x, edge_index, edge_weight)
        edge_index, edge_weight = self._normalised_adjacency(
            edge_index, edge_weight, x.size(0), x.dtype
        )
        h = x
        for layer in range(self.num_layers):
            if layer == 0:
                h = self._first_layer(h, edge_index, edge_weight)
            else:
                h = self.convs[layer](h, edge_index, edge_weight)
            h = self.activations[layer](self.norms[layer](h))
            if layer < self.num_layers - 1:
                h = F.dropout(h, p=self.dropout, training=self.training)
        return h

    @torch.no_grad()
    def layerwise_inference(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_weight: Tensor | None = None,
        chunk_size: int = 65536,
    ) -> Tensor:
        """Full-graph embeddings in evaluation mode, one layer at a time, in bounded memory.

        Equal (up to float rounding) to ``forward`` in ``eval()`` mode, but the ``[E, d]``
        message tensor of a whole-graph propagation is never built: each layer computes
        :math:`H W` in row chunks, propagates it over ``chunk_size`` edges at a time with
        ``index_add_``, then applies bias, normalisation (running statistics) and activation
        in row chunks. Peak memory is :math:`O(N (d_{l-1} + d_l) + E + c d)` (``c = chunk_size``)
        instead of :math:`O(E d)`. The module's training mode is restored afterwards.

        Shapes:
            x: ``[N, in_channels]`` (dense or sparse COO); edge_index: ``[2, E]``;
            edge_weight: ``[E]`` or ``None``; output: ``[N, out_channels]``.

        Args:
            x (Tensor): node features.
            edge_index (Tensor): the full graph's edges.
            edge_weight (Tensor, optional): edge weights. (default: ``None``)
            chunk_size (int): rows (nodes) and edges processed at once. (default: ``65536``)

        Raises:
            ValueError: ``chunk_size`` not a positive integer, or ``x`` of the wrong width.
            TypeError: ``x`` in a sparse layout other than COO.
        """
        check_positive_int("chunk_size", chunk_size)
        if x.layout not in (torch.strided, torch.sparse_coo):
            raise TypeError(f"x must be a dense or sparse COO tensor, got layout {x.layout}")
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"x must have shape [N, in_channels={self.in_channels}], got {list(x.shape)}"
            )
        check_graph(x, edge_index, edge_weight)
        was_training = self.training
        self.eval()
        try:
            num_nodes = x.size(0)
            edge_index, edge_weight = gcn_norm(
                edge_index, edge_weight, num_nodes, add_self_loops=True, dtype=x.dtype
            )
            h = x
            for layer, conv in enumerate(self.convs):
                weight = conv.lin.weight
                if h.layout == torch.strided:
                    hw = torch.empty(num_nodes, weight.size(0), dtype=weight.dtype, device=weight.device)
                    for start in range(0, num_nodes, chunk_size):
                        hw[start : start + chunk_size] = conv.lin(h[start : start + chunk_size])
                else:
                    hw = sparse_linear(h, weight)
                h = propagate_in_chunks(hw, edge_index, edge_weight, num_nodes, chunk_size)
                del hw
                # A normalisation that mixes rows (e.g. PyG's graph-mode LayerNorm) sees all of them.
                step = chunk_size if acts_on_rows(self.norms[layer]) else num_nodes
                for start in range(0, num_nodes, step):
                    rows = h[start : start + step]
                    if conv.bias is not None:
                        rows = rows + conv.bias
                    h[start : start + step] = self.activations[layer](self.norms[layer](rows))
            return h
        finally:
            self.train(was_training)

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, hidden_channels={self.hidden_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers}, "
            f"act={self.act_name!r}, norm={self.norm_name!r}, dropout={self.dropout}, cached={self.cached}, "
            f"plain_last={self.plain_last}"
        )


def sparse_linear(x: Tensor, weight: Tensor) -> Tensor:
    r"""The product :math:`X W^\top` of sparse COO features and a linear layer's weight, without bias.

    On CPU ``weight.t()`` is made contiguous before ``torch.sparse.mm``: torch's COO kernel adds
    ``x_ij`` times row ``j`` of the dense factor into output row ``i`` for every non-zero, and a
    row of the transposed view ``weight.t()`` is strided (``F`` elements apart), which made the
    product 3-8x slower forward + backward on one CPU thread (Cora, Coauthor CS;
    ``benchmarks/method_bound.py``). The sums are the same, in the same order: the result and
    the gradient of ``weight`` (through the copy) are bit-identical to
    ``torch.sparse.mm(x, weight.t())``. Other devices get ``weight.t()`` as before (cuSPARSE
    may pick another algorithm for another layout; not measured).

    Shapes:
        x: ``[N, F]`` sparse COO; weight: ``[d, F]``; output: ``[N, d]`` dense.
    """
    transposed = weight.t()
    return torch.sparse.mm(x, transposed.contiguous() if x.device.type == "cpu" else transposed)


def acts_on_rows(norm: nn.Module) -> bool:
    """Whether ``norm`` in evaluation mode maps each row (node) on its own, so that row chunks suffice.

    True for ``nn.Identity``, ``LayerNorm`` over features (``torch.nn.LayerNorm``, PyG's
    ``LayerNorm(mode="node")``) and batch norm with running statistics (``torch.nn.BatchNorm1d``,
    PyG's ``BatchNorm``); False for anything else (e.g. PyG's graph-mode ``LayerNorm``).
    """
    if isinstance(norm, PyGBatchNorm):
        norm = norm.module
    if isinstance(norm, nn.modules.batchnorm._BatchNorm):
        return norm.track_running_stats
    if isinstance(norm, PyGLayerNorm):
        return norm.mode == "node"
    return isinstance(norm, (nn.Identity, nn.LayerNorm))


def transposed_csr(edge_index: Tensor, edge_weight: Tensor, num_nodes: int) -> Tensor:
    r"""The weighted adjacency :math:`A^\top` (row ``i`` holds the edges into ``i``) as a sparse CSR matrix.

    ``A^T @ h`` is the sum aggregation :math:`out_i = \sum_{(j, i) \in E} w_{ji} h_j` of GCNConv's
    ``propagate``; duplicate edges are summed, as the scatter-sum would.

    Shapes:
        edge_index: ``[2, E]``; edge_weight: ``[E]``; output: ``[N, N]`` sparse CSR.
    """
    with _expected_csr_warnings_silenced():
        return to_torch_csr_tensor(edge_index.flip(0), edge_weight, size=(num_nodes, num_nodes))


@contextlib.contextmanager
def _expected_csr_warnings_silenced():
    # torch flags CSR as beta and notes that invariant checks are off; both are expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse (CSR tensor support|invariant checks)")
        yield


def _to_cache(normalised: tuple[Tensor, Tensor | None]) -> tuple:
    # A CSR tensor cannot be deep-copied (BootstrapModel copies encoders), so keep its dense parts.
    adjacency, weight = normalised
    if adjacency.layout != torch.sparse_csr:
        return ("edges", adjacency, weight)
    return ("csr", adjacency.crow_indices(), adjacency.col_indices(), adjacency.values(), tuple(adjacency.shape))


def _from_cache(cache: tuple) -> tuple[Tensor, Tensor | None]:
    if cache[0] == "edges":
        return cache[1], cache[2]
    _, crow, col, values, size = cache
    with _expected_csr_warnings_silenced():
        return torch.sparse_csr_tensor(crow, col, values, size=size), None


def propagate_in_chunks(
    h: Tensor, edge_index: Tensor, edge_weight: Tensor, num_nodes: int, chunk_size: int = 65536
) -> Tensor:
    r"""Weighted sum aggregation :math:`out_i = \sum_{(j, i) \in E} w_{ji} h_j`, ``chunk_size`` edges at a time.

    The same result as ``GCNConv``'s ``propagate`` (messages flow from ``edge_index[0]`` to
    ``edge_index[1]``) without materialising all ``[E, d]`` messages at once.

    Args:
        h (Tensor): ``[N, d]`` dense source features.
        edge_index (Tensor): ``[2, E]``.
        edge_weight (Tensor): ``[E]``.
        num_nodes (int): ``N``.
        chunk_size (int): edges per step. (default: ``65536``)

    Returns:
        Tensor: ``[N, d]``.
    """
    out = torch.zeros(num_nodes, h.size(1), dtype=h.dtype, device=h.device)
    for start in range(0, edge_index.size(1), chunk_size):
        source = edge_index[0, start : start + chunk_size]
        target = edge_index[1, start : start + chunk_size]
        messages = h.index_select(0, source) * edge_weight[start : start + chunk_size].unsqueeze(1)
        out.index_add_(0, target, messages)
    return out
