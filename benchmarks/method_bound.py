"""G-BT and BGRL full-batch training epochs against their matrix-multiply lower bound, on CPU.

For each method (``gbt``, ``bgrl``) and dataset (Cora, Amazon Computers, Coauthor CS, from the
mirror), one process builds the model exactly as :func:`gclbt_plugin.experiment.run_experiment`
does (the recipe's configuration from :func:`gclbt_plugin.config.resolve_config`,
:func:`~gclbt_plugin.experiment.prepare_data`, :func:`~gclbt_plugin.recipes.build.build_model`,
seed 0, sparse features where ``run_experiment`` uses them) and trains it with the package's own
loop (:func:`~gclbt_plugin.experiment.train_model`). Between epochs the training callback runs,
interleaved over ``--repeats`` rounds:

* ``epoch``: the package's real training epochs (augmentation of both views, normalisation of
  each view's adjacency, forward, loss, backward, AdamW step, scheduler step and, for BGRL, the
  EMA update of the target network), timed from one callback to the next; ``inner`` epochs per
  round (chosen so that a round lasts about ``--round-seconds``), per-epoch mean;
* ``previous`` (sparse-feature datasets only, ``--no-previous`` skips it): the same real epochs
  with the first layer's sparse product as it was before issue #15 (``torch.sparse.mm`` with the
  strided ``weight.t()``, see :func:`gclbt_plugin.encoders.gcn.sparse_linear`), ``inner`` epochs
  right after the ``epoch`` ones in every round; the results are bit-identical, only the time differs;
* ``bound``: the same-shape matrix products alone, ``torch.mm(a, b, out=o)`` on preallocated
  operands and outputs (no allocation, no autograd), that any exact step of the method must do;
* the breakdown (``--no-breakdown`` skips it): each phase of one training step timed on its own
  with the package's functions (``model.views``, the encoder's adjacency normalisation,
  ``model(...)``, ``model.loss``, ``backward``, ``optimizer.step``, ``model.after_step``), on
  a snapshot of the model, optimiser and generators that is restored afterwards, so the real
  epochs follow the package's own trajectory; and, after the rounds, ``--profile-epochs``
  real epochs under ``torch.profiler``: self CPU time per operator, with the operators the bound
  stands for (``aten::mm``, ``aten::addmm``, the sparse products) summed apart.

The bound counts, per view (two views), for an encoder layer ``l`` with widths
``c_in -> c_out`` (GCN: ``H' = Â (H W) + b``, the product with ``W`` first):

* forward: ``[N, c_in] x [c_in, c_out]`` (``H W``; for sparse bag-of-words features the CSR
  ``X`` times ``W``) and ``Â [N, N] x [N, c_out]`` (the propagation, ``Â`` the view's
  normalised adjacency with self-loops in CSR, ``nnz = E_view + N``);
* backward: ``Â^T [N, N] x [N, c_out]`` (the propagation's gradient, ``Â^T`` precomputed in CSR),
  ``[c_in, N] x [N, c_out]`` (the weight gradient, ``H^T G``; ``X^T`` in CSR for sparse
  features) and ``[N, c_out] x [c_out, c_in]`` (the input gradient, ``G W^T``; not for the
  first layer, whose input needs no gradient);
* G-BT: the cross-correlation ``[d, N] x [N, d]`` (once: ``z1^T z2``) and its backward, the
  two ``[N, d] x [d, d]`` products (``dL/dz1 = z2 G^T``, ``dL/dz2 = z1 G``);
* BGRL: the predictor's linear layers per view, forward ``[N, a] x [a, b]`` and backward
  ``[a, N] x [N, b]`` and ``[N, b] x [b, a]`` (every layer: the predictor's input, the online
  encoder's output, needs a gradient); the target encoder's forward (``H W`` and ``Â (H W)``
  per layer, no backward) on both views. The bootstrap loss has no product.

Not counted (the non-bound time the breakdown shows): augmentation, building and normalising each
view's adjacency (``gcn_norm``, CSR conversion), bias additions and their gradients, batch
normalisation, PReLU, the loss's element-wise work, the optimiser and the EMA update, memory
traffic of allocation, and autograd. The bound's adjacencies are those of one view drawn with
the recipe's drop rates (``E_view`` as in training, up to sampling noise).

It prints and (``--out``) writes, per method and dataset, the median seconds per epoch and of
the bound, the ratios ``epoch / bound`` and ``previous / bound``, user and system CPU seconds per
epoch, the process's peak RSS after the first epoch (before the bound's buffers exist), and the
breakdown.

    OMP_NUM_THREADS=1 python benchmarks/method_bound.py --repeats 3 --out benchmarks/results/method-bound-cpu
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from gclbt_plugin.config import resolve_config
from gclbt_plugin.encoders import gcn
from gclbt_plugin.encoders.gcn import transposed_csr
from gclbt_plugin.experiment import prepare_data, train_model, use_sparse_features
from gclbt_plugin.models import BootstrapModel
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training.optim import build_optimizer

METHODS = ("gbt", "bgrl")
DATASETS = ("Cora", "Computers", "CS")
#: Operators whose self time is the arithmetic the bound stands for (dense and sparse products).
MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::_sparse_addmm", "aten::_sparse_mm", "aten::bmm", "aten::matmul")
PHASES = ("augment", "normalise", "forward", "loss", "backward", "optimizer", "after_step")


class _Done(Exception):
    """Raised by the training callback once every round is measured."""


def _usage() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _csr(matrix: Tensor) -> Tensor:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support")
        return matrix.to_sparse_csr()


class Bound:
    """The same-shape products of one training step, on preallocated operands (see the module docstring)."""

    def __init__(self, model: Any, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None) -> None:
        torch.manual_seed(12345)
        num_nodes = x.size(0)
        self.calls: list[tuple[Tensor, Tensor, Tensor]] = []
        self.counts = {"gemm": 0, "spmm": 0}
        encoder = model.encoder
        views = model.views(x, edge_index, edge_weight)
        widths = [(conv.lin.weight.size(1), conv.lin.weight.size(0)) for conv in encoder.convs]
        bootstrap = isinstance(model, BootstrapModel)
        for view in views:
            view_x, view_edges, view_weight = view.unfold()
            normalised_edges, weight = gcn_norm(view_edges, view_weight, num_nodes, add_self_loops=True, dtype=x.dtype)
            adjacency = transposed_csr(normalised_edges, weight, num_nodes)
            adjacency_t = transposed_csr(normalised_edges.flip(0), weight, num_nodes)
            features = _csr(view_x.coalesce()) if view_x.is_sparse else view_x
            features_t = _csr(view_x.coalesce().t().coalesce()) if view_x.is_sparse else view_x.t()
            passes = 2 if bootstrap else 1  # BGRL: the online encoder and the target encoder
            for network in range(passes):
                backward = network == 0
                h = features
                for layer, (c_in, c_out) in enumerate(widths):
                    weight_t = torch.randn(c_in, c_out)
                    hw = torch.empty(num_nodes, c_out)
                    self._mm(h, weight_t, hw)  # H W
                    out = torch.empty(num_nodes, c_out)
                    self._mm(adjacency, hw, out, sparse=True)  # Â (H W)
                    if backward:
                        grad = torch.randn(num_nodes, c_out)
                        grad_hw = torch.empty(num_nodes, c_out)
                        self._mm(adjacency_t, grad, grad_hw, sparse=True)  # Â^T G
                        h_t = features_t if layer == 0 else h.t()
                        self._mm(h_t, grad_hw, torch.empty(c_in, c_out), sparse=layer == 0 and view_x.is_sparse)
                        if layer > 0:  # the input gradient; the features need none
                            self._mm(grad_hw, weight_t.t(), torch.empty(num_nodes, c_in))
                    h = torch.randn(num_nodes, c_out)
            if bootstrap:
                self._linear_layers(model.predictor.lins, num_nodes)
        if not bootstrap:  # Barlow Twins: C = z1^T z2 / N and its backward
            d = encoder.out_channels
            z1, z2 = torch.randn(num_nodes, d), torch.randn(num_nodes, d)
            grad_c = torch.randn(d, d)
            self._mm(z1.t(), z2, torch.empty(d, d))
            self._mm(z2, grad_c.t(), torch.empty(num_nodes, d))
            self._mm(z1, grad_c, torch.empty(num_nodes, d))
        self.nnz = [int(view.edge_index.size(1)) for view in views]

    def _linear_layers(self, lins: Any, num_nodes: int) -> None:
        for lin in lins:
            c_out, c_in = lin.weight.shape
            h, weight_t = torch.randn(num_nodes, c_in), torch.randn(c_in, c_out)
            grad = torch.randn(num_nodes, c_out)
            self._mm(h, weight_t, torch.empty(num_nodes, c_out))  # forward
            self._mm(h.t(), grad, torch.empty(c_in, c_out))  # weight gradient
            self._mm(grad, weight_t.t(), torch.empty(num_nodes, c_in))  # input gradient

    def _mm(self, a: Tensor, b: Tensor, out: Tensor, sparse: bool | None = None) -> None:
        sparse = a.layout != torch.strided if sparse is None else sparse
        self.counts["spmm" if sparse else "gemm"] += 1
        self.calls.append((a, b, out))

    def __call__(self) -> None:
        for a, b, out in self.calls:
            torch.mm(a, b, out=out)


@contextlib.contextmanager
def _restored(model: Any) -> Iterator[None]:
    """Run the block, then restore the model's state and every random generator training draws from."""
    saved = copy.deepcopy(model.state_dict())
    generators = {
        id(aug.generator): aug.generator
        for view in (model.augmentor1, model.augmentor2)
        for aug in getattr(view, "augmentors", [view])
        if aug.generator is not None
    }
    states = {key: g.get_state() for key, g in generators.items()}
    rng = torch.get_rng_state()
    try:
        yield
    finally:
        model.load_state_dict(saved)
        for key, state in states.items():
            generators[key].set_state(state)
        torch.set_rng_state(rng)


class Breakdown:
    """One training step, phase by phase, on the model's state, which is restored afterwards."""

    def __init__(self, model: Any, config: dict[str, Any], x: Tensor, edge_index: Tensor, edge_weight: Tensor | None):
        self.model, self.graph = model, (x, edge_index, edge_weight)
        self.optimizer = build_optimizer(config["optimizer"], model.parameters())
        self.normalisations = 4 if isinstance(model, BootstrapModel) else 2  # BGRL: online and target encoders

    def __call__(self, record: dict[str, float]) -> None:
        model, (x, edge_index, edge_weight) = self.model, self.graph
        with _restored(model):
            record["augment"] += _timed(lambda: model.views(x, edge_index, edge_weight))
            views = model.views(x, edge_index, edge_weight)
            encoder = model.encoder

            def normalise() -> None:
                for _ in range(self.normalisations // 2):
                    for view in views:
                        encoder._normalised_adjacency(view.edge_index, view.edge_weights, x.size(0), x.dtype)

            record["normalise"] += _timed(normalise)
            holder: dict[str, Any] = {}
            record["forward"] += _timed(lambda: holder.update(outputs=model(x, edge_index, edge_weight)))
            record["loss"] += _timed(lambda: holder.update(loss=model.loss(holder["outputs"])))
            record["backward"] += _timed(lambda: holder["loss"].backward())
            record["optimizer"] += _timed(lambda: (self.optimizer.step(), self.optimizer.zero_grad(set_to_none=True)))
            record["after_step"] += _timed(lambda: model.after_step(0.5))
            self.optimizer.zero_grad(set_to_none=True)


def _timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _previous_sparse_linear(x: Tensor, weight: Tensor) -> Tensor:
    return torch.sparse.mm(x, weight.t())  # before issue #15: the strided transposed weight


@contextlib.contextmanager
def _previous() -> Iterator[None]:
    """The package as it was before issue #15's fixes, for the ``previous`` epochs."""
    current = gcn.sparse_linear
    gcn.sparse_linear = _previous_sparse_linear
    try:
        yield
    finally:
        gcn.sparse_linear = current


def measure(
    method: str,
    dataset: str,
    repeats: int,
    round_seconds: float,
    breakdown: bool,
    profile_epochs: int,
    data_cache: str | None,
    data_mirror: str | None,
    with_previous: bool = True,
) -> dict[str, Any]:
    config = resolve_config(method, dataset, [])
    data = prepare_data(dataset, config, num_splits=1, device="cpu", data_cache=data_cache, data_mirror=data_mirror)
    torch.manual_seed(0)  # as run_experiment, seed 0
    generator = torch.Generator().manual_seed(1)
    model = build_model(config, data.num_features, generator=generator)
    data = use_sparse_features(data, model, "auto")
    # The fixes of issue #15 only change the sparse-feature path: "previous" is measured where it differs.
    segments = ["epoch", "previous"] if with_previous and data.sparse else ["epoch"]

    times: dict[str, list[float]] = {kind: [] for kind in (*segments, "bound")}
    cpu = {f"{kind}_{part}": 0.0 for kind in times for part in ("user", "system")}
    phases = {phase: 0.0 for phase in PHASES}
    state: dict[str, Any] = {"inner": 1, "epochs": 0, "segment": 0, "rounds": 0, "profiled": 0}
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
    patch: contextlib.ExitStack = contextlib.ExitStack()

    def start_segment() -> None:
        state["epochs"] = 0
        if segments[state["segment"]] == "previous":
            patch.enter_context(_previous())
        state["usage"] = _usage()
        state["started"] = time.perf_counter()

    def timed(kind: str, elapsed: float, before: tuple[float, float]) -> None:
        after, inner = _usage(), state["inner"]
        times[kind].append(elapsed / inner)
        cpu[f"{kind}_user"] += (after[0] - before[0]) / inner
        cpu[f"{kind}_system"] += (after[1] - before[1]) / inner

    def callback(epoch: int, _model: Any, _loss: float) -> None:
        if epoch == 1:  # warm-up epoch: now set up the bound and the breakdown, warm them up, size the rounds
            state["first_epoch"] = time.perf_counter() - state["train_started"]
            state["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            with _restored(model):  # the bound's views: no draw is taken from training's generators
                state["bound"] = Bound(model, *data.graph)
            state["bound"]()
            if breakdown:
                state["breakdown"] = Breakdown(model, config, *data.graph)
                state["breakdown"]({phase: 0.0 for phase in PHASES})
            state["inner"] = max(1, math.ceil(round_seconds / state["first_epoch"]))
            start_segment()
            return
        if state["rounds"] >= repeats:  # the profiled epochs
            state["profiled"] += 1
            if state["profiled"] >= profile_epochs:
                profiler.stop()
                raise _Done
            return
        state["epochs"] += 1
        if state["epochs"] < state["inner"]:
            return
        timed(segments[state["segment"]], time.perf_counter() - state["started"], state["usage"])
        patch.close()
        state["segment"] += 1
        if state["segment"] < len(segments):
            start_segment()
            return
        before, started = _usage(), time.perf_counter()
        for _ in range(state["inner"]):
            state["bound"]()
        timed("bound", time.perf_counter() - started, before)
        if breakdown:
            for _ in range(state["inner"]):
                state["breakdown"](phases)
        state["rounds"] += 1
        state["segment"] = 0
        if state["rounds"] >= repeats:
            if profile_epochs <= 0:
                raise _Done
            profiler.start()
            return
        start_segment()

    state["train_started"] = time.perf_counter()
    try:
        train_model(model, data, config, generator=generator, progress=False, callback=callback)
    except _Done:
        pass
    else:
        raise RuntimeError(f"training ended before {repeats} rounds were measured; lower --repeats")
    finally:
        patch.close()
    measured = repeats * state["inner"]
    median = {kind: statistics.median(values) for kind, values in times.items()}
    bound = state["bound"]
    record: dict[str, Any] = {
        "method": method,
        "dataset": dataset,
        "nodes": int(data.x.size(0)),
        "edges": int(data.edge_index.size(1)),
        "view_edges": bound.nnz,
        "features": int(data.x.size(1)),
        "sparse_features": data.sparse,
        "encoder": [[conv.lin.weight.size(1), conv.lin.weight.size(0)] for conv in model.encoder.convs],
        "bound_products": bound.counts,
        "repeats": repeats,
        "epochs_per_round": state["inner"],
        "seconds": median,
        "all_seconds": times,
        "ratio": median["epoch"] / median["bound"],
        "previous_ratio": median["previous"] / median["bound"] if "previous" in median else None,
        "cpu_seconds": {key: value / repeats for key, value in cpu.items()},
        "user_seconds": cpu["epoch_user"] / repeats,
        "system_seconds": cpu["epoch_system"] / repeats,
        "peak_rss_mib": state["peak_rss_mib"],
        "first_epoch_seconds": state["first_epoch"],
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
    }
    if breakdown:
        record["phases"] = {phase: value / measured for phase, value in phases.items()}
        record["normalisations_per_step"] = state["breakdown"].normalisations
    if profile_epochs > 0:
        record["profile"] = _profile_summary(profiler, profile_epochs)
    return record


def _profile_summary(profiler: torch.profiler.profile, epochs: int, top: int = 14) -> dict[str, Any]:
    """Self CPU seconds per epoch: the products' total, the rest, and the largest other operators."""
    averages = [e for e in profiler.key_averages() if e.key.startswith("aten::") or "Optimizer" in e.key]
    seconds = {e.key: e.self_cpu_time_total / 1e6 / epochs for e in averages}
    calls = {e.key: e.count / epochs for e in averages}
    matmul = sum(v for k, v in seconds.items() if k in MATMUL_OPS)
    total = sum(seconds.values())
    others = sorted((k for k in seconds if k not in MATMUL_OPS), key=lambda k: -seconds[k])[:top]
    return {
        "epochs": epochs,
        "self_seconds_total": total,
        "matmul_seconds": matmul,
        "matmul_ops": {k: seconds[k] for k in MATMUL_OPS if k in seconds},
        "top_other_ops": [{"op": k, "seconds": seconds[k], "calls": calls[k]} for k in others],
    }


def _markdown(records: list[dict[str, Any]], args: argparse.Namespace) -> str:
    first = records[0]
    lines = [
        "# G-BT and BGRL epochs against their matrix-multiply bound",
        "",
        f"`OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/method_bound.py "
        f"--repeats {args.repeats}`; {first['machine']}, {first['threads']} thread(s), torch {first['torch']}; "
        f"recipe configurations (seed 0); median of {args.repeats} interleaved rounds, each the mean of "
        "`epochs/round` real training epochs (package loop) or as many bound steps. Bound: the same-shape "
        "`torch.mm` products alone (see the module docstring). User / system: CPU seconds per epoch.",
        "",
        "| method | dataset | N | E | features | epochs/round | epoch (s) | bound (s) | ratio | previous (s) "
        "| previous / bound | user (s) | system (s) | dense + sparse products | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        s = r["seconds"]
        feature_kind = f"{r['features']} {'sparse' if r['sparse_features'] else 'dense'}"
        lines.append(
            f"| {r['method']} | {r['dataset']} | {r['nodes']} | {r['edges']} | {feature_kind} | "
            f"{r['epochs_per_round']} | {s['epoch']:.4f} | {s['bound']:.4f} | {r['ratio']:.2f} | "
            + (f"{s['previous']:.4f} | {r['previous_ratio']:.2f} | " if "previous" in s else "– | – | ")
            + f"{r['user_seconds']:.4f} | {r['system_seconds']:.4f} | "
            f"{r['bound_products']['gemm']} + {r['bound_products']['spmm']} | {r['peak_rss_mib']:.0f} |"
        )
    if "phases" in first:
        lines += [
            "",
            "## Phases of one step (seconds, mean; each timed on its own)",
            "",
            "`forward` includes `augment` and `normalise` (the adjacency normalisation of every encoder "
            "pass: 2 per step for G-BT, 4 for BGRL, whose target encoder normalises the views again).",
            "",
            "| method | dataset | " + " | ".join(PHASES) + " | sum of forward..after_step | epoch |",
            "|---|---|" + "---|" * (len(PHASES) + 2),
        ]
        for r in records:
            p = r["phases"]
            total = sum(p[k] for k in ("forward", "loss", "backward", "optimizer", "after_step"))
            lines.append(
                f"| {r['method']} | {r['dataset']} | " + " | ".join(f"{p[k]:.4f}" for k in PHASES)
                + f" | {total:.4f} | {r['seconds']['epoch']:.4f} |"
            )
    if "profile" in first:
        lines += [
            "",
            "## Operators (torch.profiler, self CPU seconds per epoch)",
            "",
            "| method | dataset | total | products (mm, addmm, sparse) | largest other operators |",
            "|---|---|---|---|---|",
        ]
        for r in records:
            prof = r["profile"]
            top = prof["top_other_ops"][:8]
            others = ", ".join(f"{o['op'].removeprefix('aten::')} {o['seconds']:.4f}" for o in top)
            lines.append(
                f"| {r['method']} | {r['dataset']} | {prof['self_seconds_total']:.4f} | "
                f"{prof['matmul_seconds']:.4f} | {others} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--round-seconds", type=float, default=1.0, help="target length of one round's epochs")
    parser.add_argument("--profile-epochs", type=int, default=3, help="real epochs under torch.profiler (0: none)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the per-phase timers")
    parser.add_argument("--no-previous", action="store_true", help="skip the epochs of the previous formulation")
    parser.add_argument("--data-cache", default=os.environ.get("GCLBT_DATA_CACHE"))
    parser.add_argument("--data-mirror", default=os.environ.get("GCLBT_DATA_MIRROR", "/work/shared/datasets"))
    parser.add_argument("--out", type=Path, help="folder for results.md / results.json")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # internal: one method and dataset here
    args = parser.parse_args()
    options = (
        args.repeats, args.round_seconds, not args.no_breakdown, args.profile_epochs, args.data_cache,
        args.data_mirror, not args.no_previous,
    )
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], *options)))
        return 0
    records = []
    for dataset in args.datasets:
        for method in args.methods:  # one process each: a clean peak RSS
            command = [
                sys.executable, __file__, "--one", method, dataset, "--repeats", str(args.repeats),
                "--round-seconds", str(args.round_seconds), "--profile-epochs", str(args.profile_epochs),
                "--data-mirror", args.data_mirror,
            ]
            if args.data_cache:
                command += ["--data-cache", args.data_cache]
            command += ["--no-breakdown"] if args.no_breakdown else []
            command += ["--no-previous"] if args.no_previous else []
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                sys.stderr.write(done.stderr)
                return done.returncode
            record = json.loads(done.stdout.strip().splitlines()[-1])
            records.append(record)
            s = record["seconds"]
            previous = f"{s['previous']:.4f} s ({record['previous_ratio']:.2f}x bound)" if "previous" in s else "-"
            print(
                f"{method} {dataset}: epoch {s['epoch']:.4f} s, bound {s['bound']:.4f} s, ratio {record['ratio']:.2f}; "
                f"previous {previous}; "
                f"user {record['user_seconds']:.4f} s, system {record['system_seconds']:.4f} s per epoch; "
                f"peak RSS {record['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
            if "phases" in record:
                print("   phases: " + ", ".join(f"{k} {v:.4f}" for k, v in record["phases"].items()), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(records, indent=2) + "\n")
        (args.out / "results.md").write_text(_markdown(records, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
