"""Time per epoch with dense vs sparse (COO) bag-of-words features, same model and seed.

Usage: python benchmarks/sparse_features.py [--datasets Cora CS] [--methods gbt gclbt] [--epochs 5]
Writes benchmarks/results/sparse_features.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from gclbt_plugin.data import load_dataset
from gclbt_plugin.data.datasets import feature_density
from gclbt_plugin.experiment import resolve_config
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training import train


def time_epochs(method: str, loaded, sparse: bool, epochs: int) -> float:
    config = resolve_config(method, loaded.name)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, loaded.num_features, generator=generator)
    x = loaded.data.x.to_sparse_coo().coalesce() if sparse else loaded.data.x
    train(model, x, loaded.data.edge_index, epochs=1, optimizer=config["optimizer"], progress=False)  # warm-up
    started = time.perf_counter()
    train(model, x, loaded.data.edge_index, epochs=epochs, optimizer=config["optimizer"], progress=False)
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=["Cora", "CS"])
    parser.add_argument("--methods", nargs="+", default=["gbt", "gclbt"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--mirror", default="../shared/datasets")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default="benchmarks/results/sparse_features.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.datasets:
        loaded = load_dataset(name, mirror=args.mirror)
        for method in args.methods:
            dense = time_epochs(method, loaded, False, args.epochs)
            sparse = time_epochs(method, loaded, True, args.epochs)
            row = {"dataset": loaded.name, "method": method, "density": feature_density(loaded.data.x),
                   "dense_s_per_epoch": dense, "sparse_s_per_epoch": sparse, "speedup": dense / sparse}
            rows.append(row)
            print(f"{loaded.name:10s} {method:6s} density {row['density']:.4f}  dense {dense:.3f} s/epoch  "
                  f"sparse {sparse:.3f} s/epoch  speed-up x{row['speedup']:.2f}", flush=True)
    meta = {"machine": platform.machine(), "cpu_count": torch.get_num_threads(), "epochs_timed": args.epochs,
            "torch": torch.__version__, "command": "python benchmarks/sparse_features.py " + " ".join(
                f"--{k} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in vars(args).items())}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
