"""What GCA's adaptive augmentation costs per training step, against uniform augmentation at the same rates.

One process, one dataset, one centrality; ``--repeats`` interleaved rounds of ``--steps`` training
steps (forward, Barlow Twins loss, backward, Adam step) of the GCL-BT recipe, in three forms:

* ``fitted``: the augmenters fitted once on the training graph, as training does since the fix of
  2026-12-04 (:meth:`gclbt_plugin.models.ContrastModel.fit_full_graph`);
* ``refit``: not fitted, as full-graph training ran before it: each view's feature masker gets the
  edge-dropped view and recomputes its centrality and probabilities at every step;
* ``uniform``: the same rates with uniform edge dropping and feature masking (the peer: an adaptive
  step cannot be cheaper than one uniform draw per edge and per feature dimension).

It prints the median seconds per step of each and the ratios ``fitted / uniform`` and
``refit / uniform``; ``--out`` writes them as JSON.

    OMP_NUM_THREADS=1 python benchmarks/adaptive_fit_cost.py --dataset Computers --centrality pagerank \\
        --data-mirror ../shared/datasets
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from gclbt_plugin.config import resolve_config
from gclbt_plugin.data import load_dataset
from gclbt_plugin.recipes.build import build_model

UNIFORM = {"edge": "EdgeDropping", "feature": "FeatureMasking"}


def view_overrides(config: dict, centrality: str | None) -> dict:
    """The views of ``config`` with every adaptive augmenter on ``centrality``, or uniform at the same ``p``."""
    views = {}
    for view in ("view1", "view2"):
        views[view] = {}
        for slot, spec in config[view].items():
            if centrality is None:
                views[view][slot] = {"name": UNIFORM[slot], "p": spec["p"]}
            else:
                views[view][slot] = {**spec, "centrality": centrality}
    return views


def steps(model, optimizer, x, edge_index, count: int) -> float:
    """Seconds per training step over ``count`` steps."""
    started = time.perf_counter()
    for _ in range(count):
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(model(x, edge_index, None), None)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="Computers")
    parser.add_argument("--centrality", default="degree", choices=("degree", "pagerank", "eigenvector"))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-mirror")
    parser.add_argument("--data-cache")
    parser.add_argument("--out", help="a JSON file for the results")
    args = parser.parse_args()

    loaded = load_dataset(args.dataset, args.data_cache, args.data_mirror)
    data = getattr(loaded, "data", loaded)
    x = data.x / data.x.sum(dim=1, keepdim=True).clamp_min(1e-12)  # row-normalised, as the recipes train
    edge_index = data.edge_index
    recipe = resolve_config("gclbt", args.dataset)
    forms = {}
    for form, centrality in (("fitted", args.centrality), ("refit", args.centrality), ("uniform", None)):
        torch.manual_seed(0)
        config = resolve_config("gclbt", args.dataset, [view_overrides(recipe, centrality)])
        model = build_model(config, x.size(1), torch.Generator().manual_seed(1))
        if form == "fitted":
            model.fit_full_graph(x, edge_index)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        steps(model, optimizer, x, edge_index, 1)  # warm-up: first-call allocations and caches
        forms[form] = (model, optimizer, [])
    for _ in range(args.repeats):
        for model, optimizer, times in forms.values():
            times.append(steps(model, optimizer, x, edge_index, args.steps))
    median = {form: statistics.median(times) for form, (_, _, times) in forms.items()}
    result = {
        "dataset": args.dataset,
        "centrality": args.centrality,
        "steps": args.steps,
        "repeats": args.repeats,
        "seconds_per_step": median,
        "fitted_over_uniform": median["fitted"] / median["uniform"],
        "refit_over_uniform": median["refit"] / median["uniform"],
        "torch_threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
    }
    print(f"{args.dataset} / {args.centrality}: " + ", ".join(f"{k} {v:.3f} s/step" for k, v in median.items())
          + f"; fitted/uniform {result['fitted_over_uniform']:.2f}, refit/uniform {result['refit_over_uniform']:.2f}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
