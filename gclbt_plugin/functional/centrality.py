"""Node centralities used by GCA's adaptive augmentation: degree, PageRank, eigenvector.

Zhu et al., "Graph Contrastive Learning with Adaptive Augmentation" (GCA, WWW 2021) measure a
node's importance with one of three centralities ``phi_c``. GCA's reference code
(github.com/CRIPAC-DIG/GCA) breaks on graphs with isolated nodes, nodes no edge points to and
disconnected graphs; the versions below are defined and finite (and PageRank and eigenvector
centrality strictly positive) on every graph, including one without edges.

Every function takes ``edge_index`` of shape ``[2, E]`` (source, target) and ``num_nodes``
``N`` and returns a ``float64`` tensor of shape ``[N]`` on ``edge_index``'s device. Edge weights
are ignored (as in GCA).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import scipy.sparse
import torch
from scipy.sparse.csgraph import connected_components as _scipy_components
from torch import Tensor
from torch_geometric.utils import degree, scatter, to_undirected

from gclbt_plugin._validation import check_choice, check_edge_index, check_positive, check_positive_int


def degree_centrality(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Degree of every node in the undirected, duplicate-free version of the graph.

    This is GCA's ``degree(to_undirected(edge_index)[1])``: an edge given in one or both
    directions counts once, a self-loop counts once. Isolated nodes get ``0``.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.

    Returns:
        Tensor: ``[N]`` float64 degrees.
    """
    undirected = to_undirected(edge_index, num_nodes=num_nodes)
    return degree(undirected[1], num_nodes=num_nodes, dtype=torch.float64)


def pagerank_centrality(
    edge_index: Tensor,
    num_nodes: int,
    damping: float = 0.85,
    tol: float = 1e-12,
    max_iter: int = 1000,
) -> Tensor:
    """Standard PageRank of the directed graph ``source -> target`` (networkx's ``pagerank``).

    Power iteration of

        ``r_v = (1 - d) / N + d * (sum_{u -> v} r_u / out(u) + sum_{u dangling} r_u / N)``

    from the uniform vector until the L1 change drops below ``tol``. Dangling nodes (no out-edge)
    spread their mass uniformly, so ``r`` sums to 1 and ``r_v >= (1 - d) / N > 0`` for every node
    (unlike GCA's ``compute_pr``, which gives a wrong shape when the last nodes have no in-edge and
    zeros that turn into ``log(0) = -inf``, GCA issue #4). Parallel edges count with multiplicity.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.
        damping (float, optional): ``d``, in ``[0, 1)``. (default: ``0.85``)
        tol (float, optional): L1 convergence tolerance. (default: ``1e-12``)
        max_iter (int, optional): iteration cap. (default: ``1000``)

    Returns:
        Tensor: ``[N]`` float64 PageRank, summing to 1.

    Raises:
        ValueError: if ``damping`` is not in ``[0, 1)``, ``tol`` is not positive or ``max_iter``
            is not a positive integer.
    """
    if isinstance(damping, bool) or not isinstance(damping, (int, float)) or not 0 <= damping < 1:
        raise ValueError(f"damping must be a number in [0, 1), got {damping!r}")
    check_positive("tol", tol)
    check_positive_int("max_iter", max_iter)
    device = edge_index.device
    if num_nodes == 0:
        return torch.zeros(0, dtype=torch.float64, device=device)
    source, target = edge_index
    out_degree = degree(source, num_nodes=num_nodes, dtype=torch.float64)
    dangling = out_degree == 0
    inverse_out = torch.where(dangling, torch.zeros_like(out_degree), 1.0 / out_degree.clamp(min=1))
    rank = torch.full((num_nodes,), 1.0 / num_nodes, dtype=torch.float64, device=device)
    for _ in range(max_iter):
        flow = scatter(
            rank[source] * inverse_out[source], target, dim=0, dim_size=num_nodes, reduce="sum"
        )
        dangling_mass = rank[dangling].sum()
        new_rank = damping * (flow + dangling_mass / num_nodes) + (1.0 - damping) / num_nodes
        change = float((new_rank - rank).abs().sum())
        rank = new_rank
        if change < tol:
            break
    return rank


def connected_components(edge_index: Tensor, num_nodes: int) -> tuple[int, Tensor]:
    """Weakly connected components (edge directions ignored), computed once with scipy.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.

    Returns:
        tuple[int, Tensor]: the number of components ``C`` and a ``[N]`` long tensor of component
        ids in ``[0, C)`` on ``edge_index``'s device.
    """
    row, col = edge_index.detach().cpu().numpy()
    adjacency = scipy.sparse.coo_matrix(
        (np.ones(row.shape[0], dtype=np.int8), (row, col)), shape=(num_nodes, num_nodes)
    )
    count, labels = _scipy_components(adjacency, directed=True, connection="weak")
    return int(count), torch.as_tensor(labels, dtype=torch.long, device=edge_index.device)


def eigenvector_centrality(
    edge_index: Tensor,
    num_nodes: int,
    tol: float = 1e-10,
    max_iter: int = 10000,
) -> Tensor:
    """Eigenvector centrality of the undirected graph, per connected component.

    On each connected component ``c`` (``n_c`` nodes) this is the leading eigenvector of the
    symmetric adjacency matrix ``A`` (edge directions ignored, duplicates removed), found by power
    iteration on ``A + I`` from the all-ones vector (as networkx does; ``A + I`` also converges on
    bipartite components), and scaled to L2 norm ``sqrt(n_c / N)``. The whole vector thus has unit
    norm, every entry is strictly positive, an isolated node gets ``sqrt(1 / N)``, and a connected
    graph gives exactly networkx's unit-norm eigenvector centrality.

    Args:
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.
        tol (float, optional): stop when no entry changes by more than this. (default: ``1e-10``)
        max_iter (int, optional): iteration cap; a ``RuntimeWarning`` is issued when it is hit.
            (default: ``10000``)

    Returns:
        Tensor: ``[N]`` float64 centralities with unit L2 norm.

    Raises:
        ValueError: if ``tol`` is not positive or ``max_iter`` is not a positive integer.
    """
    check_positive("tol", tol)
    check_positive_int("max_iter", max_iter)
    device = edge_index.device
    if num_nodes == 0:
        return torch.zeros(0, dtype=torch.float64, device=device)
    source, target = to_undirected(edge_index, num_nodes=num_nodes)
    count, component = connected_components(edge_index, num_nodes)
    sizes = torch.bincount(component, minlength=count).to(torch.float64)
    target_norm_sq = (sizes / num_nodes)[component]

    def normalise(vector: Tensor) -> Tensor:
        norm_sq = scatter(vector * vector, component, dim=0, dim_size=count, reduce="sum")
        return vector * torch.sqrt(target_norm_sq / norm_sq[component])

    centrality = normalise(torch.ones(num_nodes, dtype=torch.float64, device=device))
    for _ in range(max_iter):
        spread = scatter(centrality[source], target, dim=0, dim_size=num_nodes, reduce="sum")
        new_centrality = normalise(centrality + spread)
        change = float((new_centrality - centrality).abs().max())
        centrality = new_centrality
        if change < tol:
            break
    else:
        warnings.warn(
            f"eigenvector centrality did not converge to tol={tol} in max_iter={max_iter} "
            "power iterations; using the last iterate",
            RuntimeWarning,
            stacklevel=2,
        )
    return centrality


CENTRALITIES: dict[str, Callable[[Tensor, int], Tensor]] = {
    "degree": degree_centrality,
    "pagerank": pagerank_centrality,
    "eigenvector": eigenvector_centrality,
}
"""Centrality names accepted by the adaptive augmenters, mapped to their functions."""


def node_centrality(name: str, edge_index: Tensor, num_nodes: int) -> Tensor:
    """Compute the centrality called ``name`` (one of :data:`CENTRALITIES`).

    Args:
        name (str): ``"degree"``, ``"pagerank"`` or ``"eigenvector"``.
        edge_index (Tensor): ``[2, E]`` edges.
        num_nodes (int): ``N``.

    Returns:
        Tensor: ``[N]`` float64 centralities.

    Raises:
        ValueError: if ``name`` is unknown, or ``edge_index`` is not an integer ``[2, E]`` tensor
            with ids in ``[0, num_nodes)``.
    """
    check_choice("centrality", name, CENTRALITIES)
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) or num_nodes < 0:
        raise ValueError(f"num_nodes must be a non-negative integer, got {num_nodes!r}")
    check_edge_index(edge_index, num_nodes)
    return CENTRALITIES[name](edge_index, num_nodes)
