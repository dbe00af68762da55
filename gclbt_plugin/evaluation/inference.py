"""Full-graph embeddings for evaluation in bounded memory (layer-wise, in chunks).

A whole-graph forward pass of a message-passing encoder materialises one ``[E, d]`` message
tensor per layer, which for a graph with 10^7 edges and d = 512 is 20 GB. Mini-batch training
avoids it while training; evaluation needs every node's embedding, so it runs the encoder one
layer at a time over the whole graph in chunks (the "layer-wise inference" of GraphSAGE's and
PyG's large-graph examples, e.g. ``examples/reddit.py``): memory grows with ``N * d`` and the
chunk size, not with ``E * d``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gclbt_plugin._validation import check_positive_int
from gclbt_plugin.encoders.base import Encoder
from gclbt_plugin.models.base import ContrastModel

#: Rows and edges processed at once by default.
DEFAULT_CHUNK_SIZE = 65536


@torch.no_grad()
def full_graph_embeddings(
    model: ContrastModel | Encoder,
    x: Tensor,
    edge_index: Tensor,
    edge_weight: Tensor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Tensor:
    """Every node's frozen representation ``[N, d]`` of the clean graph, in evaluation mode.

    Runs the encoder's declared :meth:`~gclbt_plugin.encoders.Encoder.layerwise_inference`
    (memory-bounded for :class:`~gclbt_plugin.encoders.GCN`; an encoder that does not override it
    does the ordinary whole-graph forward pass). The training mode is restored.

    Args:
        model (ContrastModel | Encoder): a contrast model (its ``encoder`` is used) or an encoder.
        x (Tensor): ``[N, F]`` node features (dense or sparse COO).
        edge_index (Tensor): ``[2, E]``.
        edge_weight (Tensor, optional): ``[E]``. (default: ``None``)
        chunk_size (int): rows and edges processed at once. (default: ``65536``)

    Returns:
        Tensor: ``[N, d]`` detached embeddings.

    Raises:
        ValueError: ``chunk_size`` is not a positive integer.
        TypeError: ``model`` is neither a contrast model nor an encoder.

    Example:
        >>> embeddings = full_graph_embeddings(model, data.x, data.edge_index, chunk_size=4096)
    """
    check_positive_int("chunk_size", chunk_size)
    encoder = model.encoder if isinstance(model, ContrastModel) else model
    if not isinstance(encoder, Encoder):
        raise TypeError(f"model must be a ContrastModel or an Encoder, got {type(model).__name__}")
    return encoder.layerwise_inference(x, edge_index, edge_weight, chunk_size=chunk_size).detach()
