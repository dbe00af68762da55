"""Test accuracy along one full-length schedule: probe a method's model at chosen epochs, then stop.

A cell reports the probe after the last epoch only. To see whether a recipe peaks earlier -- BGRL's
Amazon-Computers settings on Cora rise to ~80 % near epoch 1,000 of its 10,000 and decline after --
this script trains the recipe with its *full* schedule (warm-up and cosine decay over the recipe's
epochs, not rescaled) and probes the frozen embeddings with the cell's probe at each ``--at`` epoch,
stopping after the last one. Seeding is that of ``gclbt train`` / a benchmark cell
(:func:`gclbt_plugin.experiment.run_experiment`), so a run to the last epoch reproduces the cell.

Test accuracies are printed for reading a curve, never for choosing an epoch (that would be choosing
on test); the validation accuracy is printed beside them.

Run:  OMP_NUM_THREADS=1 python benchmarks/probe_curve.py --method bgrl --dataset Cora --seeds 0 1 \\
          --at 300 1000 3000 --data-mirror ../shared/datasets --out DIR/curve.json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from gclbt_plugin.experiment import build_seeded_model, dataset_config, evaluate_model, prepare_data, train_model
from gclbt_plugin.files import write_json_atomic


class _LastMarkReached(Exception):
    """Raised by the training callback after the last requested probe, to end training there."""


def check_marks(marks: Sequence[int], epochs: int) -> list[int]:
    """``marks`` sorted; each must lie in 1..``epochs`` (the recipe's schedule), else ``SystemExit`` naming ``--at``."""
    bad = [m for m in marks if not 1 <= m <= epochs]
    if bad:
        raise SystemExit(f"--at {' '.join(map(str, bad))}: outside the recipe's schedule; allowed 1..{epochs}")
    return sorted(set(marks))


def probe_curve(method: str, dataset: Any, seed: int, marks: Sequence[int], *, overrides: Sequence[dict] = (),
                num_splits: int = 20, data_mirror: str | None = None) -> list[dict]:
    """Train ``method`` on ``dataset`` with seed ``seed``; probe at each epoch of ``marks``; stop after the last.

    Returns one ``{"seed", "epoch", "test", "val", "seconds"}`` row per mark (accuracies in %, means
    over the dataset's splits: the public split, or ``num_splits`` random ones as in a cell).
    """
    config = dataset_config(method, dataset, overrides)
    marks = check_marks(marks, config["epochs"])
    data = prepare_data(dataset, config, num_splits=num_splits, device="cpu", data_mirror=data_mirror)
    model, generator, data = build_seeded_model(config, data, seed)
    rows: list[dict] = []
    start = time.perf_counter()

    def probe(epoch: int, model, loss: float) -> None:
        if epoch in marks:
            result = evaluate_model(model, data, config)
            rows.append({"seed": seed, "epoch": epoch, "test": 100 * result.test_mean, "val": 100 * result.val_mean,
                         "seconds": time.perf_counter() - start})
            print(f"seed {seed} epoch {epoch}: test {rows[-1]['test']:.2f} val {rows[-1]['val']:.2f} "
                  f"({rows[-1]['seconds']:.0f} s)", flush=True)
            if epoch == marks[-1]:
                raise _LastMarkReached

    try:
        train_model(model, data, config, generator=generator, progress=False, callback=probe)
    except _LastMarkReached:
        pass
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--at", type=int, nargs="+", required=True, metavar="EPOCH")
    parser.add_argument("--data-mirror")
    parser.add_argument("--out", help="JSON file for the rows (rewritten after each seed)")
    args = parser.parse_args()
    rows: list[dict] = []
    for seed in args.seeds:
        rows += probe_curve(args.method, args.dataset, seed, args.at, data_mirror=args.data_mirror)
        if args.out:
            write_json_atomic({"method": args.method, "dataset": args.dataset, "rows": rows}, args.out)


if __name__ == "__main__":
    main()
