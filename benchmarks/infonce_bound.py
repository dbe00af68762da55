"""InfoNCE (GRACE / GCA) against its matrix-multiply lower bound, on CPU (or GPU with --device cuda).

For each size (the node counts of Cora, Amazon Computers, Coauthor CS, and Coauthor Physics with the
chunked loss, d = 128 as GRACE's projection head), one process per size measures, interleaved over
``--repeats`` rounds:

* ``loss``: forward + backward of :class:`gclbt_plugin.losses.InfoNCELoss` (tau 0.4) on unit-norm
  ``[N, d]`` embeddings, as one training step computes it;
* ``previous``: the same with the per-direction formulation the package used before issue #15 (two
  ``N x N`` similarities and a concatenated ``logsumexp`` per direction; full size only where it fits);
* ``bound``: the same-shape ``torch.mm`` calls alone, in preallocated outputs: 3 ``[N, d] x [d, N]``
  products forward and 6 ``N x N`` by ``N x d`` products backward (the two factors of each of the three
  similarity matrices), the arithmetic any exact InfoNCE step must do.

It prints, per size, the median seconds of each, the ratio ``loss / bound`` and ``previous / bound``,
user and system CPU seconds of the ``loss`` rounds, and the process's peak RSS after the loss's first
step (before the bound's buffers or the previous formulation ran); ``--out`` writes the
table as markdown and JSON. The goal of issue #15: ratio <= 1.5 on CPU (<= 1.3 on GPU), system time
< 10 % of user time.

    OMP_NUM_THREADS=1 python benchmarks/infonce_bound.py --out benchmarks/results/infonce-cpu
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gclbt_plugin.losses import InfoNCELoss

SIZES = {"Cora": (2708, None), "Computers": (13752, None), "CS": (18333, None), "Physics-chunked": (34493, 4096)}
DIM, TAU = 128, 0.4


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _previous(loss: InfoNCELoss, h1: torch.Tensor, h2: torch.Tensor) -> torch.Tensor:
    u, v = F.normalize(h1, dim=1), F.normalize(h2, dim=1)
    return (loss._total(u, v) + loss._total(v, u)) / (2 * u.size(0))  # the per-direction path


def measure(name: str, repeats: int, device: torch.device, with_previous: bool) -> dict:
    n, batch = SIZES[name]
    torch.manual_seed(0)
    h1 = torch.randn(n, DIM, device=device)
    h2 = h1 + 0.5 * torch.randn(n, DIM, device=device)
    loss = InfoNCELoss(tau=TAU, batch_size=batch)
    rows = batch or n
    sim = torch.empty(rows, n, device=device)
    grad = torch.empty(rows, DIM, device=device)
    u = F.normalize(h1, dim=1)

    def step_loss() -> None:
        a, b = h1.clone().requires_grad_(), h2.clone().requires_grad_()
        loss(a, b).backward()

    def step_previous() -> None:
        a, b = h1.clone().requires_grad_(), h2.clone().requires_grad_()
        _previous(loss, a, b).backward()

    def step_bound() -> None:
        for start in range(0, n, rows):
            block = u[start : start + rows]
            for _ in range(3):  # forward: UV^T, UU^T, VV^T
                torch.mm(block, u.T, out=sim[: block.size(0)])
            for _ in range(6):  # backward: both factors of each similarity
                torch.mm(sim[: block.size(0)], u, out=grad[: block.size(0)])

    kinds = {"loss": step_loss, "bound": step_bound}
    if with_previous:
        kinds["previous"] = step_previous
    step_loss()  # warm-up; the loss's buffers are allocated in its first step and then reused
    loss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for kind, step in kinds.items():
        if kind != "loss":
            step()
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpu = {"user": 0.0, "system": 0.0}
    for _ in range(repeats):
        for kind, step in kinds.items():
            before = resource.getrusage(resource.RUSAGE_SELF)
            _sync(device)
            started = time.perf_counter()
            step()
            _sync(device)
            times[kind].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_SELF)
            if kind == "loss":
                cpu["user"] += after.ru_utime - before.ru_utime
                cpu["system"] += after.ru_stime - before.ru_stime
    median = {k: statistics.median(v) for k, v in times.items()}
    record = {
        "size": name,
        "nodes": n,
        "dim": DIM,
        "batch_size": batch,
        "repeats": repeats,
        "seconds": median,
        "ratio": median["loss"] / median["bound"],
        "previous_ratio": median["previous"] / median["bound"] if "previous" in median else None,
        "loss_user_seconds": cpu["user"] / repeats,
        "loss_system_seconds": cpu["system"] / repeats,
        "peak_rss_mib": loss_peak,  # after the loss's first step, before the bound's or the previous path's
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-previous", action="store_true", help="skip the previous formulation")
    parser.add_argument("--out", type=Path, help="folder for results.md / results.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.one:
        print(json.dumps(measure(args.one, args.repeats, device, not args.no_previous)))
        return 0
    records = []
    for name in args.sizes:  # one process per size: a clean peak RSS
        command = [sys.executable, __file__, "--one", name, "--repeats", str(args.repeats), "--device", args.device]
        if args.no_previous or name.startswith("Physics"):  # the previous path is too slow there on CPU
            command.append("--no-previous")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        record = json.loads(done.stdout.strip().splitlines()[-1])
        records.append(record)
        s = record["seconds"]
        previous = f"{s['previous']:.3f} s ({record['previous_ratio']:.2f}x bound)" if "previous" in s else "-"
        print(
            f"{name}: loss {s['loss']:.3f} s, bound {s['bound']:.3f} s, ratio {record['ratio']:.2f}; "
            f"previous {previous}; user {record['loss_user_seconds']:.2f} s, "
            f"system {record['loss_system_seconds']:.2f} s; "
            f"peak RSS {record['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(records, indent=2) + "\n")
        lines = [
            "# InfoNCE against its matrix-multiply bound",
            "",
            f"`OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/infonce_bound.py "
            f"--repeats {args.repeats} --device {args.device}`; {records[0]['device']}, {records[0]['threads']} "
            f"thread(s), torch {records[0]['torch']}; d = {DIM}, tau = {TAU}; median of {args.repeats} interleaved "
            "rounds of forward + backward. Bound: the 9 same-shape `torch.mm` calls alone.",
            "",
            "| size | N | chunk | loss (s) | bound (s) | ratio | previous (s) | previous / bound | user (s) "
            "| system (s) | peak RSS, loss (MiB) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in records:
            s = r["seconds"]
            prev = f"{s['previous']:.3f} | {r['previous_ratio']:.2f}" if "previous" in s else "– | –"
            lines.append(
                f"| {r['size']} | {r['nodes']} | {r['batch_size'] or '–'} | {s['loss']:.3f} | {s['bound']:.3f} | "
                f"{r['ratio']:.2f} | {prev} | {r['loss_user_seconds']:.2f} | {r['loss_system_seconds']:.2f} | "
                f"{r['peak_rss_mib']:.0f} |"
            )
        (args.out / "results.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
