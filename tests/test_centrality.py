"""Node centralities (degree, PageRank, eigenvector) against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gclbt_plugin.functional.centrality import (
    CENTRALITIES,
    connected_components,
    degree_centrality,
    eigenvector_centrality,
    node_centrality,
    pagerank_centrality,
)

# A connected graph: an undirected part (both directions), one one-way edge 4 -> 5 -> 0 and a
# duplicated edge 1 -> 2. Node 5's only in-edge is from 4.
EDGES = [
    (0, 1),
    (1, 0),
    (0, 2),
    (2, 0),
    (0, 3),
    (3, 0),
    (1, 2),
    (2, 1),
    (1, 2),
    (3, 4),
    (4, 3),
    (4, 5),
    (5, 0),
]
NUM_NODES = 6


def _edge_index(edges: list[tuple[int, int]]) -> torch.Tensor:
    if not edges:
        return torch.empty(2, 0, dtype=torch.long)
    return torch.tensor(edges, dtype=torch.long).t().contiguous()


def _reference_degree(edges: list[tuple[int, int]], num_nodes: int) -> list[float]:
    neighbours: list[set[int]] = [set() for _ in range(num_nodes)]
    for u, v in edges:
        neighbours[u].add(v)
        neighbours[v].add(u)
    return [float(len(n)) for n in neighbours]


def _reference_pagerank(
    edges: list[tuple[int, int]], num_nodes: int, d: float = 0.85
) -> np.ndarray:
    """Solve r = (1 - d)/N + d * P^T r exactly, dangling rows of P uniform."""
    transition = np.zeros((num_nodes, num_nodes))
    for u, v in edges:
        transition[u, v] += 1.0
    for u in range(num_nodes):
        total = transition[u].sum()
        transition[u] = transition[u] / total if total > 0 else 1.0 / num_nodes
    system = np.eye(num_nodes) - d * transition.T
    return np.linalg.solve(system, np.full(num_nodes, (1 - d) / num_nodes))


def _reference_eigenvector(edges: list[tuple[int, int]], num_nodes: int) -> np.ndarray:
    """Per component: leading eigenvector of the symmetric 0/1 adjacency, norm sqrt(n_c / N)."""
    adjacency = np.zeros((num_nodes, num_nodes))
    for u, v in edges:
        adjacency[u, v] = adjacency[v, u] = 1.0
    label = [-1] * num_nodes
    for start in range(num_nodes):
        if label[start] >= 0:
            continue
        stack, label[start] = [start], start
        while stack:
            u = stack.pop()
            for v in np.nonzero(adjacency[u])[0]:
                if label[v] < 0:
                    label[v] = start
                    stack.append(int(v))
    result = np.zeros(num_nodes)
    for comp in set(label):
        members = [i for i in range(num_nodes) if label[i] == comp]
        values, vectors = np.linalg.eigh(adjacency[np.ix_(members, members)])
        leading = np.abs(vectors[:, np.argmax(values)])
        result[members] = leading / np.linalg.norm(leading) * np.sqrt(len(members) / num_nodes)
    return result


def test_degree_centrality_counts_each_undirected_neighbour_once():
    edges = EDGES + [(2, 2)]  # a self-loop counts once
    result = degree_centrality(_edge_index(edges), NUM_NODES + 1)  # node 6 isolated
    assert result.dtype == torch.float64
    assert result.tolist() == _reference_degree(edges, NUM_NODES + 1)
    assert result[-1].item() == 0.0


def test_pagerank_centrality_matches_exact_linear_solve():
    edges = EDGES + [(6, 1)]  # node 6 has no in-edge, node 7 is isolated (dangling)
    result = pagerank_centrality(_edge_index(edges), 8)
    np.testing.assert_allclose(result.numpy(), _reference_pagerank(edges, 8), rtol=0, atol=1e-10)


def test_pagerank_centrality_matches_networkx():
    nx = pytest.importorskip("networkx")
    edges = EDGES + [(6, 1)]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(8))
    graph.add_edges_from(edges)  # networkx collapses the duplicate; compare without it
    expected = nx.pagerank(graph, alpha=0.85, tol=1e-13, max_iter=10000)
    unique_edges = sorted(set(edges))
    result = pagerank_centrality(_edge_index(unique_edges), 8)
    np.testing.assert_allclose(result.numpy(), [expected[i] for i in range(8)], atol=1e-9)


def test_pagerank_centrality_is_positive_and_sums_to_one_without_in_edges():
    # Nodes 2 and 3 have no in-edges (GCA's compute_pr returns a too-short vector here).
    result = pagerank_centrality(torch.tensor([[2, 3, 0], [0, 1, 1]]), 4)
    assert result.shape == (4,)
    assert bool((result >= 0.15 / 4 - 1e-15).all())
    assert result.sum().item() == pytest.approx(1.0, abs=1e-12)


def test_pagerank_centrality_without_edges_is_uniform():
    result = pagerank_centrality(torch.empty(2, 0, dtype=torch.long), 5)
    assert torch.allclose(result, torch.full((5,), 0.2, dtype=torch.float64))


def test_eigenvector_centrality_matches_networkx_on_connected_graph():
    nx = pytest.importorskip("networkx")
    graph = nx.Graph(EDGES)
    expected = nx.eigenvector_centrality_numpy(graph)
    result = eigenvector_centrality(_edge_index(EDGES), NUM_NODES)
    np.testing.assert_allclose(result.numpy(), [expected[i] for i in range(NUM_NODES)], atol=1e-8)
    assert result.norm().item() == pytest.approx(1.0, abs=1e-12)


def test_eigenvector_centrality_converges_on_bipartite_star():
    # A star is bipartite: plain power iteration on A oscillates, A + I converges.
    edges = [(0, i) for i in range(1, 5)]
    result = eigenvector_centrality(_edge_index(edges), 5)
    np.testing.assert_allclose(result.numpy(), _reference_eigenvector(edges, 5), atol=1e-8)


def test_eigenvector_centrality_scales_each_component_by_its_size():
    # Triangle {0,1,2}, path 3-4-5-6, isolated node 7.
    edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 6)]
    result = eigenvector_centrality(_edge_index(edges), 8)
    expected = _reference_eigenvector(edges, 8)
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-8)
    assert result[:3].norm().item() == pytest.approx(np.sqrt(3 / 8), abs=1e-12)
    assert result[7].item() == pytest.approx(np.sqrt(1 / 8), abs=1e-12)
    assert result.norm().item() == pytest.approx(1.0, abs=1e-12)


def test_eigenvector_centrality_without_edges_is_uniform():
    result = eigenvector_centrality(torch.empty(2, 0, dtype=torch.long), 4)
    assert torch.allclose(result, torch.full((4,), 0.5, dtype=torch.float64))


def test_connected_components_ignores_edge_direction():
    count, labels = connected_components(torch.tensor([[1, 3], [0, 2]]), 5)
    assert count == 3
    assert labels[0] == labels[1] and labels[2] == labels[3]
    assert len({labels[0].item(), labels[2].item(), labels[4].item()}) == 3


@pytest.mark.parametrize("name", sorted(CENTRALITIES))
def test_node_centrality_dispatches_by_name(name):
    edge_index = _edge_index(EDGES)
    assert torch.equal(
        node_centrality(name, edge_index, NUM_NODES), CENTRALITIES[name](edge_index, NUM_NODES)
    )


def test_node_centrality_rejects_unknown_name():
    with pytest.raises(ValueError, match=r"centrality must be one of .*'closeness'"):
        node_centrality("closeness", _edge_index(EDGES), NUM_NODES)


@pytest.mark.parametrize("damping", [-0.1, 1.0, 1.5])
def test_pagerank_centrality_rejects_bad_damping(damping):
    with pytest.raises(ValueError, match=rf"damping must be .*\[0, 1\).*{damping}"):
        pagerank_centrality(_edge_index(EDGES), NUM_NODES, damping=damping)
