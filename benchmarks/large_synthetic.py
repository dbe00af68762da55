"""Mini-batch training of a large synthetic graph on CPU: peak memory and epochs per hour.

The graph is the planted-partition SBM of :func:`gclbt_plugin.benchmarking.scaling.sbm_graph`
(10 classes, average degree 10, 0.8 homophily, class-dependent Gaussian features), generated in
O(N + E). A small Graph Barlow Twins model is trained with
:func:`gclbt_plugin.training.minibatch.train_minibatch`; the embeddings of all nodes are then
computed layer-wise in chunks and probed on one random 10/10/80 split.

Every run (one sampler, one size) is one JSON file in ``--out`` named after its settings, written
when the run completes, and skipped when it already exists (resumable; ``--force`` reruns). A
training checkpoint is written every ``--checkpoint-every`` epochs, so an interrupted run resumes
at its last checkpoint. Peak memory is the process's peak resident set size (``ru_maxrss``,
graph generation included), so run one size per process for a clean number (the default: one
``--nodes`` value per call).

Examples::

    # proof on 10^5 nodes (about a minute on one thread):
    OMP_NUM_THREADS=1 python benchmarks/large_synthetic.py --nodes 100000 --epochs 2
    # the 10^6-node run (see README "Large graphs" for the measured duration):
    OMP_NUM_THREADS=1 python benchmarks/large_synthetic.py --nodes 1000000 --epochs 3
    # neighbour sampling (needs torch-sparse or pyg-lib):
    OMP_NUM_THREADS=1 python benchmarks/large_synthetic.py --nodes 1000000 --sampler neighbor --epochs 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch

from gclbt_plugin.benchmarking.scaling import sbm_graph
from gclbt_plugin.evaluation import evaluate_embeddings, random_splits
from gclbt_plugin.evaluation.inference import full_graph_embeddings
from gclbt_plugin.experiment import environment, resolve_config
from gclbt_plugin.files import write_json_atomic
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training.minibatch import resolve_sampler, train_minibatch

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "scale"


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far, in GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000, help="graph size N (default: 10^6)")
    parser.add_argument("--avg-degree", type=float, default=10.0, help="average degree (default: 10)")
    parser.add_argument("--features", type=int, default=128, help="feature width F (default: 128)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default: 3)")
    parser.add_argument("--sampler", choices=["auto", "neighbor", "random-node"], default="random-node")
    parser.add_argument(
        "--batch-size", type=int,
        help="seed nodes per batch (default: N/10 for random-node, whose induced sub-graphs keep a "
        "batch_size/N share of each node's edges; 4096 for neighbor)",
    )
    parser.add_argument("--num-neighbors", type=int, nargs="+", default=[10, 5], help="per hop (default: 10 5)")
    parser.add_argument("--hidden", type=int, default=256, help="encoder hidden width (default: 256)")
    parser.add_argument("--out-channels", type=int, default=128, help="embedding width (default: 128)")
    parser.add_argument("--chunk-size", type=int, default=65536, help="layer-wise inference chunk (default: 65536)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--checkpoint-every", type=int, default=1, help="epochs between checkpoints (default: 1)")
    parser.add_argument("--no-probe", action="store_true", help="skip the embeddings and the linear probe")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default: {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="rerun even when the result file exists")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    sampler = resolve_sampler(args.sampler)
    batch_size = args.batch_size or (max(2, args.nodes // 10) if sampler == "random-node" else 4096)
    name = f"gbt-n{args.nodes}-d{args.avg_degree:g}-f{args.features}-{sampler}-b{batch_size}-e{args.epochs}"
    if sampler == "neighbor":
        name += "-k" + "_".join(map(str, args.num_neighbors))
    output = args.out / f"{name}.json"
    if output.exists() and not args.force:
        print(f"{output} exists; skipping (use --force to rerun)")
        return 0

    started = time.perf_counter()
    x, edge_index, y = sbm_graph(args.nodes, avg_degree=args.avg_degree, num_features=args.features)
    generate_seconds = time.perf_counter() - started
    memory_after_graph = peak_rss_gib()
    print(f"graph: {args.nodes} nodes, {edge_index.size(1)} edges, {args.features} features "
          f"({generate_seconds:.1f} s, peak RSS {memory_after_graph:.2f} GiB)", flush=True)

    config = resolve_config("gbt", None, [{
        "encoder": {"hidden_channels": args.hidden, "out_channels": args.out_channels},
        "epochs": args.epochs,
        "scheduler": {"warmup_epochs": 0, "cosine": False},
        "optimizer": {"lr": 0.001},
    }])
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, args.features, generator=generator)
    checkpoint = args.out / ".checkpoints" / f"{name}.pt"
    trained = train_minibatch(
        model, x, edge_index, epochs=args.epochs, optimizer=config["optimizer"], scheduler=config["scheduler"],
        generator=generator, batch_size=batch_size, sampler=sampler, num_neighbors=args.num_neighbors,
        checkpoint_path=checkpoint, checkpoint_every=args.checkpoint_every, fingerprint=name, progress=True,
    )
    memory_after_training = peak_rss_gib()
    print(f"training: {trained.seconds_per_epoch:.1f} s/epoch ({3600 / trained.seconds_per_epoch:.1f} epochs/hour), "
          f"{trained.batches_per_epoch} batches/epoch, sampler {trained.sampler}, losses {trained.losses}, "
          f"peak RSS {memory_after_training:.2f} GiB", flush=True)

    record = {
        "name": name,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "nodes": args.nodes,
        "edges": int(edge_index.size(1)),
        "features": args.features,
        "encoder": config["encoder"],
        "sampler": trained.sampler,
        "batch_size": batch_size,
        "num_neighbors": args.num_neighbors if trained.sampler == "neighbor" else None,
        "batches_per_epoch": trained.batches_per_epoch,
        "epochs": trained.epochs,
        "epochs_timed": trained.timed_epochs,
        "losses": trained.losses,
        "seconds_per_epoch": trained.seconds_per_epoch,
        "epochs_per_hour": 3600 / trained.seconds_per_epoch,
        "graph_seconds": generate_seconds,
        "peak_rss_gib_after_graph": memory_after_graph,
        "peak_rss_gib_after_training": memory_after_training,
    }
    if not args.no_probe:
        started = time.perf_counter()
        embeddings = full_graph_embeddings(model, x, edge_index, chunk_size=args.chunk_size)
        record["inference_seconds"] = time.perf_counter() - started
        splits = random_splits(args.nodes, num_splits=1, seed=0)
        started = time.perf_counter()
        probe = evaluate_embeddings(embeddings, y, splits, protocol="random", num_classes=10)
        record["probe_seconds"] = time.perf_counter() - started
        record["probe"] = probe.probe
        record["probe_test_accuracy"] = probe.test_mean
        print(f"inference: {record['inference_seconds']:.1f} s; probe test accuracy {probe.test_mean * 100:.2f} %",
              flush=True)
    record["peak_rss_gib"] = peak_rss_gib()
    record["environment"] = environment()
    write_json_atomic(record, output)
    print(json.dumps({k: record[k] for k in ("seconds_per_epoch", "epochs_per_hour", "peak_rss_gib")}))
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
