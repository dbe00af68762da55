"""Linear-probe cost and agreement: the package's probes on embeddings of real trained models.

For each (method, dataset, epochs) case the script trains the method with the package (recipe
configuration, features row-normalised as the recipe says, warm-up scaled to the epochs), saves the
frozen embeddings with the dataset's 20 random 10/10/80 splits (``--save DIR``), then times a full
evaluation -- 20 splits, the whole grid -- with each probe protocol on one CPU thread:

* ``bgrl``: L2 rows, scikit-learn L-BFGS converged for each C = 2^-10..2^10, C chosen on validation;
* ``gca``: raw embeddings, full-batch Adam for 3000 epochs, test at the best-validation check;
* ``sklearn-cv`` (reference, ``--reference``): Graph Barlow Twins' ``train_sklearn_model`` procedure
  rebuilt from scikit-learn parts -- L2 rows, one-vs-rest liblinear, C = 2^-10..2^9 chosen by
  5-fold cross-validation on the training nodes -- on the same embeddings, on the first
  ``--reference-splits`` splits (our probes' means over the same splits are reported beside it).

Run:  OMP_NUM_THREADS=1 python benchmarks/probe_check.py --data-mirror ../shared/datasets \\
          --out benchmarks/results/probe-cpu --save /tmp/probe-embeddings --reference
The saved ``.pt`` files (``z``, ``y``, ``splits``) let other probes -- e.g. the reference
repositories' own evaluation code, outside this project -- score the very same inputs.

``--cell RECORD.json --checkpoints DIR`` probes the models of a finished benchmark cell instead of
training new ones: each seed's model is rebuilt from the record's configuration and its final
checkpoint (kept by ``gclbt bench ... --keep-checkpoints`` under ``OUT/checkpoints/<cell id>``), its
embeddings recomputed on the record's dataset and splits, and the package's probe must reproduce the
record's per-split accuracies (the report says how far it is off) before the reference probe scores the same embeddings:

    OMP_NUM_THREADS=1 python benchmarks/probe_check.py --cell OUT/cells/gbt-Facebook.json \
        --checkpoints OUT/checkpoints/gbt-Facebook --data-mirror MIRROR --out DIR --reference

``--seeds 0 1`` probes only those seeds of the cell (a large graph takes minutes per seed).
``probe.json`` and ``probe.md`` are rewritten after each case, so a run stopped part-way keeps the
cases it finished.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from gclbt_plugin.benchmarking.kept_models import cell_models
from gclbt_plugin.data import load_dataset
from gclbt_plugin.evaluation import PROBES, evaluate_embeddings, make_splits
from gclbt_plugin.experiment import embed, normalize_features, resolve_config
from gclbt_plugin.files import write_json_atomic, write_text_atomic
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training import train

CASES = ["gbt:Computers:100", "gca:Computers:5", "gbt:Physics:50"]


def trained_embeddings(method: str, dataset: str, epochs: int, mirror: str | None, seed: int = 0):
    loaded = load_dataset(dataset, None, mirror)
    config = resolve_config(method, loaded.name, [{"epochs": epochs}])
    data = normalize_features(loaded.data) if config["features"]["normalize"] else loaded.data
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    model = build_model(config, loaded.num_features, generator=generator)
    started = time.perf_counter()
    train(model, data.x, data.edge_index, None, epochs=epochs, optimizer=config["optimizer"],
          scheduler=config.get("scheduler"), generator=generator, progress=False)
    seconds = time.perf_counter() - started
    with torch.no_grad():
        z = model.embed(data.x, data.edge_index, None).detach()
    return z, data.y, make_splits("random", data, num_splits=20, seed=0), seconds


def cell_embeddings(record: dict, checkpoints: Path, mirror: str | None):
    """Per seed of a finished cell: ``(seed, z, y, splits, training seconds, recorded test accuracies)``."""
    if record.get("protocol") != "random":  # the probes below score random 10/10/80 splits only
        raise SystemExit(f"--cell: the record's protocol is {record.get('protocol')!r}; probe_check compares probes "
                         "on random splits only")
    try:
        for run, model, data in cell_models(record, checkpoints, data_mirror=mirror):
            recorded = (record["probe"], run["probe"]["test_accuracies"])
            with torch.no_grad():
                z = embed(model, data)
            yield run["seed"], z, data.y, data.splits, run["seconds"], recorded
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(f"--cell {record.get('cell', {}).get('id', '')}: {error}") from None


def select_seeds(record: dict, seeds: list[int] | None) -> dict:
    """The record with only the runs of ``seeds`` (all when ``None``), in the record's order."""
    if seeds is None:
        return record
    recorded = [run["seed"] for run in record["runs"]]
    unknown = sorted(set(seeds) - set(recorded))
    if unknown:
        raise SystemExit(f"--seeds {' '.join(map(str, unknown))}: not in the cell's record; its seeds are "
                         f"{' '.join(map(str, recorded))}")
    return {**record, "runs": [run for run in record["runs"] if run["seed"] in seeds]}


def embedding_sources(args):
    """``(case, z, y, splits, training seconds, (probe, recorded test accuracies) or None)`` per case."""
    if args.cell:
        record = select_seeds(json.loads(Path(args.cell).read_text()), args.seeds)
        name = f"{record['method']}:{record['dataset']}:{record['epochs']}"
        for seed, z, y, splits, seconds, recorded in cell_embeddings(record, Path(args.checkpoints), args.data_mirror):
            yield f"{name} seed {seed}", z, y, splits, seconds, recorded
        return
    for case in args.cases:
        method, dataset, epochs = case.split(":")
        yield (case, *trained_embeddings(method, dataset, int(epochs), args.data_mirror), None)


def sklearn_cv_reference(z: torch.Tensor, y: torch.Tensor, splits) -> list[float]:
    """G-BT's probe (gssl/tasks.py: train_sklearn_model), from scikit-learn parts, test accuracy per split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import normalize

    x = normalize(z.double().numpy(), norm="l2")
    labels = y.numpy()
    accuracies = []
    for split in splits:
        train_idx, _, test_idx = (part.numpy() for part in split.indices())
        search = GridSearchCV(
            OneVsRestClassifier(LogisticRegression(solver="liblinear", max_iter=100)),
            {"estimator__C": 2.0 ** np.arange(-10, 10)}, cv=5, scoring="accuracy",
        )
        search.fit(x[train_idx], labels[train_idx])
        accuracies.append(float((search.best_estimator_.predict(x[test_idx]) == labels[test_idx]).mean()))
    return accuracies


def render_command(args) -> str:
    """The command line that reproduces this run (paths as given)."""
    source = f"--cell {args.cell} --checkpoints {args.checkpoints}" if args.cell else f"--cases {' '.join(args.cases)}"
    if args.seeds is not None:
        source += f" --seeds {' '.join(map(str, args.seeds))}"
    if args.data_mirror:
        source += f" --data-mirror {args.data_mirror}"
    if args.reference:
        source += f" --reference --reference-splits {args.reference_splits}"
    return f"OMP_NUM_THREADS={args.threads} python benchmarks/probe_check.py {source} --out {args.out}"


def write_report(out: Path, args, machine: str, rows: list[dict]) -> None:
    """``probe.json`` and ``probe.md`` for the cases finished so far, each replaced atomically."""
    command = render_command(args)
    write_json_atomic({"machine": machine, "command": command, "rows": rows}, out / "probe.json")
    names = list(PROBES) + (["sklearn-cv"] if args.reference else [])
    lines = ["# Linear-probe cost and agreement (20 random 10/10/80 splits, whole grid)", "",
             f"Machine: {machine}. Command: `{command}`.", "",
             "| case (method:dataset:epochs) | N x d (train nodes) | "
             + " | ".join(f"{n} test % | {n} s" for n in names) + " |",
             "|---|---|" + "---|---|" * len(names)]
    for row in rows:
        cells = []
        for name in names:
            p = row["probes"][name]
            cells += [f"{p['test_mean']:.2f} ± {p['test_std']:.2f}", f"{p['seconds']:.1f}"]
        shape = f"{row['nodes']} x {row['dim']} ({row['train_nodes']})"
        lines.append(f"| {row['case']} | {shape} | " + " | ".join(cells) + " |")
    if args.reference:
        k = args.reference_splits
        lines += ["", f"On the first {k} splits only (the reference's 5-fold x 20 C x one-vs-rest search is slow), "
                  "test %:", "", "| case | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for row in rows:
            values = [row["probes"][n].get(f"test_mean_first_{k}", row["probes"][n]["test_mean"]) for n in names]
            lines.append(f"| {row['case']} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    if args.cell:
        lines += ["", "The cell's probe recomputed on the models rebuilt from their checkpoints, test %:", "",
                  "| case | probe | recorded | recomputed | largest per-split gap (points) |", "|---|---|---|---|---|"]
        for row in rows:
            r = row["reproduction"]
            lines.append(f"| {row['case']} | {r['probe']} | {r['recorded_mean']:.2f} | {r['recomputed_mean']:.2f} "
                         f"| {r['max_split_gap']:.2f} |")
    write_text_atomic("\n".join(lines) + "\n", out / "probe.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=CASES, metavar="METHOD:DATASET:EPOCHS")
    parser.add_argument("--cell", help="a finished cell's record (cells/NAME.json): probe its models instead")
    parser.add_argument("--checkpoints", help="with --cell: the folder holding the cell's final checkpoints")
    parser.add_argument("--seeds", nargs="+", type=int, help="with --cell: probe only these seeds (default: all)")
    parser.add_argument("--data-mirror", default=None)
    parser.add_argument("--out", required=True, help="folder for probe.json and probe.md")
    parser.add_argument("--save", help="folder for the embeddings (.pt: z, y, splits)")
    parser.add_argument("--reference", action="store_true", help="also run the sklearn-cv reference probe")
    parser.add_argument("--reference-splits", type=int, default=5,
                        help="splits the (slow: 5-fold x 20 C x one-vs-rest) reference runs on (default: 5)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if (args.cell is None) != (args.checkpoints is None):
        parser.error("--cell and --checkpoints go together")
    if args.seeds is not None and args.cell is None:
        parser.error("--seeds goes with --cell")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.processor() or platform.machine()}, {args.threads} torch thread(s), torch {torch.__version__}"
    rows = []
    for case, z, y, splits, train_seconds, recorded in embedding_sources(args):
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            torch.save({"z": z, "y": y, "splits": [s.indices() for s in splits]},
                       Path(args.save) / f"{case.replace(':', '-').replace(' ', '-')}.pt")
        row = {"case": case, "nodes": z.size(0), "dim": z.size(1), "train_nodes": int(splits[0].indices()[0].numel()),
               "train_seconds": train_seconds, "probes": {}}
        for probe in PROBES:
            started = time.perf_counter()
            result = evaluate_embeddings(z, y, splits, probe=probe, protocol="random")
            row["probes"][probe] = {"seconds": time.perf_counter() - started, "test_mean": 100 * result.test_mean,
                                    "test_std": 100 * result.test_std, "val_mean": 100 * result.val_mean,
                                    "not_converged": result.not_converged,
                                    "test_per_split": [100 * a for a in result.test_accuracies]}
            print(case, probe, row["probes"][probe], flush=True)
        if recorded is not None:  # the cell's probe recomputed on the rebuilt models: how far from the record?
            probe, accuracies = recorded
            gaps = [abs(a - 100 * b) for a, b in zip(row["probes"][probe]["test_per_split"], accuracies, strict=True)]
            row["reproduction"] = {"probe": probe, "recorded_mean": 100 * float(np.mean(accuracies)),
                                   "recomputed_mean": row["probes"][probe]["test_mean"], "max_split_gap": max(gaps)}
            print(case, "reproduction", row["reproduction"], flush=True)
        if args.reference:
            started = time.perf_counter()
            k = args.reference_splits
            accuracies = sklearn_cv_reference(z, y, splits[:k])
            row["probes"]["sklearn-cv"] = {"seconds": time.perf_counter() - started, "splits": k,
                                           "test_mean": 100 * float(np.mean(accuracies)),
                                           "test_std": 100 * float(np.std(accuracies)),
                                           "test_per_split": [100 * a for a in accuracies]}
            for probe in PROBES:  # ours on the same first k splits, for a like-for-like comparison
                ours = row["probes"][probe]
                ours[f"test_mean_first_{k}"] = float(np.mean(ours["test_per_split"][:k]))
            print(case, "sklearn-cv", row["probes"]["sklearn-cv"], flush=True)
        rows.append(row)
        write_report(out, args, machine, rows)


if __name__ == "__main__":
    main()
