"""Scaling benchmark: time per epoch, peak memory and augmentation share on synthetic SBM graphs.

Graphs come from :func:`sbm_graph`, a planted-partition stochastic block model with fixed
average degree and class-dependent Gaussian features, generated in O(E) time and memory (no
block-probability matrix), so 10^6 nodes are cheap. Each (method, size) *point* runs in its own
process (peak RSS = the point's), is written to ``OUT/points/<method>-n<N>.json`` at once and is
skipped when re-run (resumable). Before a point runs, its epoch time and memory are extrapolated
from the method's previous sizes (growth exponent of the last two points, or the method's known
complexity for the first); a point whose estimate exceeds ``max_epoch_seconds`` or
``memory_limit_mb`` is recorded as skipped with the estimate as reason. The growth exponent
``b`` of ``t = a N^b`` is fitted by least squares on log-log axes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gclbt_plugin.benchmarking.cell import peak_rss_mb
from gclbt_plugin.config import config_fingerprint
from gclbt_plugin.files import write_json_atomic, write_text_atomic

#: Benchmarked variants: registry method + overrides (+ the known cost exponent used before any
#: measurement exists: InfoNCE compares all N^2 node pairs).
VARIANTS: dict[str, dict[str, Any]] = {
    "grace": {"method": "grace", "overrides": {}, "time_exponent": 2.0, "memory_exponent": 2.0},
    "grace-chunked": {
        "method": "grace", "overrides": {"loss": {"batch_size": 1024}}, "time_exponent": 2.0, "memory_exponent": 1.0,
    },
    "bgrl": {"method": "bgrl", "overrides": {}, "time_exponent": 1.0, "memory_exponent": 1.0},
    "gbt": {"method": "gbt", "overrides": {}, "time_exponent": 1.0, "memory_exponent": 1.0},
    "gclbt": {"method": "gclbt", "overrides": {}, "time_exponent": 1.0, "memory_exponent": 1.0},
}
#: The same encoder width for every method, so differences come from the losses and augmenters.
COMMON_OVERRIDES: dict[str, Any] = {"encoder": {"hidden_channels": 256, "out_channels": 128}}
DEFAULT_SIZES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def sbm_graph(
    num_nodes: int,
    *,
    num_blocks: int = 10,
    avg_degree: float = 10.0,
    homophily: float = 0.8,
    num_features: int = 128,
    signal: float = 1.0,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A planted-partition SBM graph with class-dependent features, in O(N + E).

    Node ``i`` is in block ``y_i = i mod K``. Each of the ``M = N * avg_degree / 2`` undirected
    edges picks a uniform source; with probability ``homophily`` its target is uniform within the
    source's block, otherwise uniform over all nodes (an SBM with ``p_in / p_out`` set by
    ``homophily``). Self-loops are dropped and duplicates merged, so the average degree is
    slightly below ``avg_degree``. Features: ``x_i = signal * mu_{y_i} + eps_i`` with
    ``mu_k, eps_i ~ N(0, I_F)``.

    Args:
        num_nodes (int): N. num_blocks (int): K classes. (default: ``10``)
        avg_degree (float): expected degree before de-duplication. (default: ``10.0``)
        homophily (float): share of intra-block edges in ``[0, 1]``. (default: ``0.8``)
        num_features (int): F. (default: ``128``) signal (float): class-mean scale. (default: ``1.0``)
        seed (int): generator seed. (default: ``0``)

    Returns:
        ``(x [N, F], edge_index [2, E] undirected and coalesced, y [N])``.

    Raises:
        ValueError: ``num_nodes < num_blocks``, ``avg_degree <= 0`` or ``homophily`` outside [0, 1].
    """
    from torch_geometric.utils import remove_self_loops, to_undirected

    if not isinstance(num_nodes, int) or not isinstance(num_blocks, int) or num_blocks < 1 or num_nodes < num_blocks:
        raise ValueError(f"num_nodes must be an int >= num_blocks ({num_blocks}), got {num_nodes!r}")
    if not avg_degree > 0:
        raise ValueError(f"avg_degree must be positive, got {avg_degree!r}")
    if not 0.0 <= homophily <= 1.0:
        raise ValueError(f"homophily must be in [0, 1], got {homophily!r}")
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_blocks
    num_edges = max(1, round(num_nodes * avg_degree / 2))
    source = torch.randint(num_nodes, (num_edges,), generator=generator)
    block = y[source]
    block_size = (num_nodes - block + num_blocks - 1) // num_blocks  # nodes b, b+K, ... below N
    within = block + num_blocks * (torch.rand(num_edges, generator=generator) * block_size).long()
    anywhere = torch.randint(num_nodes, (num_edges,), generator=generator)
    same = torch.rand(num_edges, generator=generator) < homophily
    target = torch.where(same, within, anywhere)
    edge_index, _ = remove_self_loops(torch.stack([source, target]))
    edge_index = to_undirected(edge_index, num_nodes=num_nodes)
    means = torch.randn(num_blocks, num_features, generator=generator)
    x = signal * means[y] + torch.randn(num_nodes, num_features, generator=generator)
    return x, edge_index, y


def fit_exponent(sizes: Sequence[float], values: Sequence[float]) -> tuple[float, float]:
    """Least-squares fit of ``log v = log a + b log N``; returns ``(b, a)``.

    Raises:
        ValueError: fewer than two points, or a non-positive value.
    """
    if len(sizes) != len(values) or len(sizes) < 2:
        raise ValueError(f"fit_exponent needs at least two (size, value) pairs, got {len(sizes)} and {len(values)}")
    if min(sizes) <= 0 or min(values) <= 0:
        raise ValueError("fit_exponent needs positive sizes and values (log-log fit)")
    xs = torch.log(torch.tensor(sizes, dtype=torch.float64))
    ys = torch.log(torch.tensor(values, dtype=torch.float64))
    design = torch.stack([xs, torch.ones_like(xs)], dim=1)
    solution = torch.linalg.lstsq(design, ys.unsqueeze(1)).solution.squeeze(1)
    return float(solution[0]), float(math.exp(solution[1]))


@dataclass(frozen=True)
class PointSpec:
    """One measured point: a variant at a graph size."""

    variant: str
    num_nodes: int
    avg_degree: float = 10.0
    num_features: int = 128
    epochs: int = 3
    warmup_epochs: int = 1
    device: str = "auto"
    threads: int | None = None

    @property
    def id(self) -> str:
        return f"{self.variant}-n{self.num_nodes}"

    def fingerprint(self) -> str:
        # Threads are part of it: timings with other thread counts do not belong in one fit.
        return config_fingerprint(dict(self.__dict__), VARIANTS[self.variant], COMMON_OVERRIDES)


def measure_point(spec: PointSpec) -> dict[str, Any]:
    """Generate the graph, train ``warmup_epochs + epochs`` epochs and time the last ``epochs``.

    Returns a record with ``seconds_per_epoch`` (mean of the timed epochs),
    ``augmentation_share`` (time inside the two augmenters / epoch time), ``peak_rss_mb``,
    ``rss_before_mb`` (after imports), ``cuda_peak_mb`` and ``generation_seconds``. The spec's
    ``threads`` apply during the measurement only.
    """
    previous_threads = torch.get_num_threads()
    try:
        return _measure(spec)
    finally:
        torch.set_num_threads(previous_threads)


def _measure(spec: PointSpec) -> dict[str, Any]:
    # Imported here: the measured process's memory baseline is taken after the imports it needs.
    from gclbt_plugin.config import merge_config, resolve_config
    from gclbt_plugin.recipes.build import build_model
    from gclbt_plugin.training import resolve_device, train

    if spec.threads:
        torch.set_num_threads(spec.threads)
    rss_before = peak_rss_mb()
    device = resolve_device(spec.device)
    cuda = device.type == "cuda"
    started = time.perf_counter()
    x, edge_index, _ = sbm_graph(spec.num_nodes, avg_degree=spec.avg_degree, num_features=spec.num_features)
    generation = time.perf_counter() - started
    x, edge_index = x.to(device), edge_index.to(device)
    variant = VARIANTS[spec.variant]
    config = resolve_config(variant["method"], None, [merge_config(COMMON_OVERRIDES, variant["overrides"])])
    generator = torch.Generator(device=device).manual_seed(0)
    torch.manual_seed(0)
    model = build_model(config, x.size(1), generator=generator).to(device)
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    augment_seconds = [0.0]

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def timed(augment: Callable) -> Callable:
        def wrapper(graph):
            sync()
            begin = time.perf_counter()
            out = augment(graph)
            sync()
            augment_seconds[0] += time.perf_counter() - begin
            return out

        return wrapper

    for augmentor in (model.augmentor1, model.augmentor2):
        augmentor.augment = timed(augmentor.augment)

    marks: list[tuple[float, float]] = []

    def callback(epoch: int, _model: Any, _loss: float) -> None:
        sync()
        marks.append((time.perf_counter(), augment_seconds[0]))

    sync()
    marks.append((time.perf_counter(), 0.0))
    total = spec.warmup_epochs + spec.epochs
    train(model, x, edge_index, epochs=total, optimizer=config["optimizer"], scheduler=None, generator=generator,
          progress=False, callback=callback)
    timed_marks = marks[spec.warmup_epochs:]
    epoch_seconds = [b[0] - a[0] for a, b in zip(timed_marks, timed_marks[1:])]
    augment_epoch = [b[1] - a[1] for a, b in zip(timed_marks, timed_marks[1:])]
    per_epoch = sum(epoch_seconds) / len(epoch_seconds)
    return {
        "status": "ok",
        "variant": spec.variant,
        "method": variant["method"],
        "num_nodes": spec.num_nodes,
        "num_edges": int(edge_index.size(1)),
        "seconds_per_epoch": per_epoch,
        "epoch_seconds": epoch_seconds,
        "augmentation_seconds_per_epoch": sum(augment_epoch) / len(augment_epoch),
        "augmentation_share": sum(augment_epoch) / sum(epoch_seconds),
        "generation_seconds": generation,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "cuda_peak_mb": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
    }


def _estimate(
    points: list[dict[str, Any]], num_nodes: int, value: Callable[[dict[str, Any]], float | None], exponent: float
) -> float | None:
    """Extrapolate ``value`` to ``num_nodes`` from the variant's largest measured point.

    The exponent is the larger of the method's known one and the growth between its two largest
    points (capped at 3), so an estimate never assumes better scaling than the method has.
    """
    measured = sorted((p["num_nodes"], value(p)) for p in points if p.get("status") == "ok")
    measured = [(n, v) for n, v in measured if v is not None and v > 0]
    if not measured:
        return None
    if len(measured) >= 2:
        (n1, v1), (n2, v2) = measured[-2:]
        if n2 > n1:
            exponent = min(3.0, max(exponent, math.log(v2 / v1) / math.log(n2 / n1)))
    n_last, v_last = measured[-1]
    return v_last * (num_nodes / n_last) ** exponent


def _memory_above_baseline(record: dict[str, Any]) -> float | None:
    if record.get("cuda_peak_mb") is not None:
        return record["cuda_peak_mb"]
    return max(1.0, record["peak_rss_mb"] - record.get("rss_before_mb", 0.0))


def _read_point(path: Path, fingerprint: str) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    ok = (
        isinstance(record, dict) and record.get("status") == "ok" and record.get("fingerprint") == fingerprint
        and isinstance(record.get("seconds_per_epoch"), (int, float))
        and isinstance(record.get("peak_rss_mb"), (int, float))
    )
    return record if ok else None


def _run_point_isolated(spec: PointSpec, path: Path, timeout: float | None) -> dict[str, Any]:
    payload = json.dumps(spec.__dict__)
    env = dict(os.environ)
    if spec.threads:
        env.setdefault("OMP_NUM_THREADS", str(spec.threads))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gclbt_plugin.benchmarking.scaling", os.fspath(path)],
            input=payload, capture_output=True, text=True, timeout=timeout, env=env,
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"timed out after {timeout:g} s"}
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        tail = " | ".join((done.stderr or "").strip().splitlines()[-3:])
        return {"status": "failed", "error": f"point process ended without a result (exit {done.returncode}): {tail}"}


def run_scaling(
    out_dir: str | os.PathLike,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    variants: Sequence[str] = tuple(VARIANTS),
    epochs: int = 3,
    avg_degree: float = 10.0,
    num_features: int = 128,
    device: str = "auto",
    threads: int | None = None,
    max_epoch_seconds: float = 60.0,
    memory_limit_mb: float | None = None,
    point_timeout: float | None = 1800.0,
    isolate: bool = True,
    log: Callable[[str], None] | None = print,
) -> list[dict[str, Any]]:
    """Measure every variant at every size (smallest first), resumably; returns all point records.

    Args:
        out_dir (path): results folder (``points/`` inside).
        sizes (sequence of int): node counts. (default: 10^3 .. 10^6)
        variants (sequence of str): keys of :data:`VARIANTS`. (default: all)
        epochs (int): timed epochs per point, after one warm-up epoch. (default: ``3``)
        avg_degree (float), num_features (int): graph settings (see :func:`sbm_graph`).
        device (str): ``auto``, ``cpu`` or ``cuda[:i]``. threads (int, optional): torch threads.
        max_epoch_seconds (float): skip a point whose extrapolated epoch time exceeds this. (default: ``60``)
        memory_limit_mb (float, optional): skip a point whose extrapolated peak memory exceeds this
            (default: half the available RAM, or the GPU's memory on CUDA).
        point_timeout (float, optional): seconds before an isolated point is killed. (default: ``1800``)
        isolate (bool): one process per point (peak memory per point). (default: ``True``)

    Raises:
        ValueError: an unknown variant, a non-positive size or epochs.
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"variants must be among {list(VARIANTS)}, got unknown {unknown}")
    if not sizes or any(not isinstance(n, int) or n < 10 for n in sizes):
        raise ValueError(f"sizes must be integers >= 10, got {list(sizes)}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if memory_limit_mb is None:
        memory_limit_mb = _default_memory_limit_mb(device)

    out = Path(out_dir)
    records: list[dict[str, Any]] = []
    say = log or (lambda text: None)
    for variant in variants:
        done: list[dict[str, Any]] = []
        for num_nodes in sorted(sizes):
            spec = PointSpec(variant, num_nodes, avg_degree, num_features, epochs, 1, device, threads)
            path = out / "points" / f"{spec.id}.json"
            fingerprint = spec.fingerprint()
            record = _read_point(path, fingerprint)
            if record is not None:
                say(f"[cached] {_point_line(record)}")
            else:
                est_time = _estimate(
                    done, num_nodes, lambda r: r["seconds_per_epoch"], VARIANTS[variant]["time_exponent"]
                )
                est_memory = _estimate(done, num_nodes, _memory_above_baseline, VARIANTS[variant]["memory_exponent"])
                if est_memory is not None and not str(device).startswith("cuda"):
                    est_memory += min(r.get("rss_before_mb", 0.0) for r in done if r.get("status") == "ok")
                reason = None
                if est_time is not None and est_time > max_epoch_seconds:
                    reason = f"estimated {est_time:.0f} s/epoch > max_epoch_seconds {max_epoch_seconds:g}"
                elif est_memory is not None and est_memory > memory_limit_mb:
                    reason = f"estimated peak memory {est_memory:.0f} MiB > limit {memory_limit_mb:.0f} MiB"
                if reason:
                    record = {"status": "skipped", "variant": variant, "num_nodes": num_nodes, "reason": reason}
                elif isolate:
                    record = _run_point_isolated(spec, path, point_timeout)
                else:
                    record = measure_point(spec)
                record.update({"variant": variant, "num_nodes": num_nodes, "fingerprint": fingerprint})
                write_json_atomic(record, path)
                say(_point_line(record))
            done.append(record)
            records.append(record)
    return records


def _default_memory_limit_mb(device: str) -> float:
    if str(device).startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_properties(0).total_memory / 2**20 * 0.9
    import psutil

    return psutil.virtual_memory().available / 2**20 * 0.5


def _point_line(record: dict[str, Any]) -> str:
    name = f"{record['variant']} N={record['num_nodes']:,}"
    if record.get("status") != "ok":
        return f"{record.get('status', '?').upper()} {name}: {record.get('reason') or record.get('error')}"
    return (
        f"ok   {name}: {record['seconds_per_epoch'] * 1000:.1f} ms/epoch, augmentation "
        f"{record['augmentation_share'] * 100:.1f} %, peak RSS {record['peak_rss_mb']:.0f} MiB"
        + (f", CUDA {record['cuda_peak_mb']:.0f} MiB" if record.get("cuda_peak_mb") is not None else "")
    )


def summarize(records: list[dict[str, Any]], min_fit_nodes: int = 3_000) -> dict[str, dict[str, Any]]:
    """Per variant: fitted time and memory exponents (points with ``N >= min_fit_nodes``, or all
    points when fewer than two are that large) and the largest augmentation share."""
    summary: dict[str, dict[str, Any]] = {}
    for variant in dict.fromkeys(r["variant"] for r in records):
        ok = sorted((r for r in records if r["variant"] == variant and r.get("status") == "ok"),
                    key=lambda r: r["num_nodes"])
        large = [r for r in ok if r["num_nodes"] >= min_fit_nodes]
        fit_points = large if len(large) >= 2 else ok
        entry: dict[str, Any] = {"points": len(ok), "fit_sizes": [r["num_nodes"] for r in fit_points]}
        if len(fit_points) >= 2:
            sizes = [r["num_nodes"] for r in fit_points]
            entry["time_exponent"] = fit_exponent(sizes, [r["seconds_per_epoch"] for r in fit_points])[0]
            memory = [_memory_above_baseline(r) for r in fit_points]
            entry["memory_exponent"] = fit_exponent(sizes, memory)[0]
        if ok:
            entry["max_augmentation_share"] = max(r["augmentation_share"] for r in ok)
            entry["largest_nodes"] = ok[-1]["num_nodes"]
        entry["skipped"] = {r["num_nodes"]: r.get("reason") or r.get("error")
                            for r in records if r["variant"] == variant and r.get("status") != "ok"}
        summary[variant] = entry
    return summary


def write_scaling_report(records: list[dict[str, Any]], out_dir: str | os.PathLike) -> dict[str, Any]:
    """``scaling.md``, ``scaling.json`` and ``scaling.png`` (time, memory and augmentation share vs N)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(records)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for variant, entry in summary.items():
        ok = sorted((r for r in records if r["variant"] == variant and r.get("status") == "ok"),
                    key=lambda r: r["num_nodes"])
        if not ok:
            continue
        sizes = [r["num_nodes"] for r in ok]
        label = variant + (f" (b={entry['time_exponent']:.2f})" if "time_exponent" in entry else "")
        line = axes[0].loglog(sizes, [r["seconds_per_epoch"] for r in ok], "o-", label=label)[0]
        if "time_exponent" in entry:
            fit = entry["fit_sizes"]
            b, a = fit_exponent(fit, [r["seconds_per_epoch"] for r in ok if r["num_nodes"] in fit])
            axes[0].loglog(fit, [a * n**b for n in fit], "--", color=line.get_color(), alpha=0.6)
        axes[1].loglog(sizes, [r.get("cuda_peak_mb") or r["peak_rss_mb"] for r in ok], "o-", label=variant)
        axes[2].semilogx(sizes, [100 * r["augmentation_share"] for r in ok], "o-", label=variant)
    axes[0].set(xlabel="nodes N", ylabel="seconds per epoch", title="Time per epoch (dashed: fit a·N^b)")
    axes[1].set(xlabel="nodes N", ylabel="MiB", title="Peak memory (CUDA allocated, else process RSS)")
    axes[2].axhline(10, color="grey", linestyle=":", label="10 % goal")
    axes[2].set(xlabel="nodes N", ylabel="% of epoch", title="Share of epoch in augmentation")
    for ax in axes:
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=120)
    plt.close(fig)

    lines = [
        "# Scaling benchmark (synthetic SBM graphs)", "",
        "Planted-partition SBM, 10 blocks, average degree ≈ 10, 128 class-dependent features; GCN "
        "256→128 for every method; time per epoch is the mean of the timed epochs after one warm-up epoch.", "",
        "| variant | N | edges | s/epoch | augmentation share | peak RSS (MiB) | CUDA peak (MiB) | device |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(records, key=lambda r: (r["variant"], r["num_nodes"])):
        if r.get("status") == "ok":
            cuda = f"{r['cuda_peak_mb']:.0f}" if r.get("cuda_peak_mb") is not None else "–"
            lines.append(
                f"| {r['variant']} | {r['num_nodes']:,} | {r['num_edges']:,} | {r['seconds_per_epoch']:.4f} "
                f"| {100 * r['augmentation_share']:.1f} % | {r['peak_rss_mb']:.0f} | {cuda} | {r['device']} |"
            )
        else:
            lines.append(f"| {r['variant']} | {r['num_nodes']:,} | – | {r['status']}: "
                         f"{r.get('reason') or r.get('error')} | | | | |")
    lines += ["", "## Growth exponents (least squares on log-log axes)", "",
              "| variant | fitted sizes | time exponent | memory exponent | max augmentation share |",
              "|---|---|---|---|---|"]
    for variant, entry in summary.items():
        time_b = f"{entry['time_exponent']:.2f}" if "time_exponent" in entry else "–"
        mem_b = f"{entry['memory_exponent']:.2f}" if "memory_exponent" in entry else "–"
        share = f"{100 * entry['max_augmentation_share']:.1f} %" if "max_augmentation_share" in entry else "–"
        sizes = ", ".join(f"{n:,}" for n in entry["fit_sizes"]) or "–"
        lines.append(f"| {variant} | {sizes} | {time_b} | {mem_b} | {share} |")
    lines += ["", "Memory exponent: of the peak memory above the process's size after imports.", "",
              "![scaling](scaling.png)", ""]
    write_text_atomic("\n".join(lines), out / "scaling.md")
    document = {"records": records, "summary": {k: {**v, "skipped": {str(n): why for n, why in v["skipped"].items()}}
                                                for k, v in summary.items()}}
    write_json_atomic(document, out / "scaling.json")
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python -m gclbt_plugin.benchmarking.scaling OUT_FILE`` with a PointSpec as JSON on stdin."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m gclbt_plugin.benchmarking.scaling OUT_FILE < point.json", file=sys.stderr)
        return 2
    spec = PointSpec(**json.load(sys.stdin))
    try:
        record = measure_point(spec)
    except Exception as error:  # noqa: BLE001 - recorded, the benchmark goes on
        record = {"status": "failed", "error": f"{type(error).__name__}: {error}"}
    record.update({"variant": spec.variant, "num_nodes": spec.num_nodes, "fingerprint": spec.fingerprint()})
    write_json_atomic(record, argv[0])
    return 0 if record["status"] == "ok" else 1


if __name__ == "__main__":  # pragma: no cover - exercised through run_scaling's subprocess
    sys.exit(main())
