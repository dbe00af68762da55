"""GCN propagation cost: edge-list gather/scatter vs. CSR sparse-dense product, forward + backward.

Run:  OMP_NUM_THREADS=1 python benchmarks/propagation.py --out benchmarks/results/propagation.md
Both paths compute out_i = sum_{(j, i) in E} w_ji h_j (GCNConv.propagate with normalised weights);
the script checks they agree before timing them.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from torch_geometric.nn import GCNConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from gclbt_plugin.benchmarking.scaling import sbm_graph
from gclbt_plugin.encoders.gcn import transposed_csr

CASES = [  # (nodes, average degree, width): an SBM of Cora's size, of Computers' density, and 10^5 nodes
    (2_708, 4.0, 512),
    (13_752, 36.0, 512),
    (100_000, 10.0, 256),
]


def seconds(step, repeats: int) -> float:
    step()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - started) / repeats


def time_case(num_nodes: int, degree: float, width: int, repeats: int) -> tuple[int, int, int, float, float]:
    """``(N, E, d, edge-list seconds, CSR seconds)`` for one SBM graph."""
    _, edge_index, _ = sbm_graph(num_nodes, avg_degree=degree)
    edge_index, weight = gcn_norm(edge_index, None, num_nodes, add_self_loops=True)
    conv = GCNConv(width, width, normalize=False)
    h = torch.randn(num_nodes, width, requires_grad=True)

    def edge_list():
        conv.propagate(edge_index, x=h, edge_weight=weight).sum().backward()

    def csr():  # includes building the CSR matrix, as GCN.forward does once per pass
        adjacency = transposed_csr(edge_index, weight, num_nodes)
        conv.propagate(adjacency, x=h, edge_weight=None).sum().backward()

    with torch.no_grad():
        reference = conv.propagate(edge_index, x=h, edge_weight=weight)
        fast = conv.propagate(transposed_csr(edge_index, weight, num_nodes), x=h, edge_weight=None)
    assert torch.allclose(reference, fast, atol=1e-5), "the two propagation paths disagree"
    slow_s, fast_s = seconds(edge_list, repeats), seconds(csr, repeats)
    print(f"N={num_nodes} E={edge_index.size(1)} d={width}: edge list {slow_s:.4f} s, CSR {fast_s:.4f} s")
    return num_nodes, edge_index.size(1), width, slow_s, fast_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="write a markdown table here")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [time_case(num_nodes, degree, width, args.repeats) for num_nodes, degree, width in CASES]
    lines = [
        "# GCN propagation, forward + backward",
        "",
        f"`OMP_NUM_THREADS=1 python benchmarks/propagation.py` on {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {time.strftime('%Y-%m-%d')}; "
        f"mean of {args.repeats} runs after one warm-up; SBM graphs with self-loops.",
        "",
        "| N | E | d | edge list (s) | CSR (s) | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {n:,} | {e:,} | {d} | {a:.4f} | {b:.4f} | x{a / b:.1f} |" for n, e, d, a, b in rows]
    if args.out:
        with open(args.out, "w") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
