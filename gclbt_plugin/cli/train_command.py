"""``gclbt train``: train a method on a dataset and print its linear-probe accuracy.

``--print-config`` prints the resolved configuration and exits; ``--distributed`` trains
data-parallel over the ranks ``torchrun`` starts::

    torchrun --nproc_per_node 2 -m gclbt_plugin train --distributed --method gbt --dataset Cora \\
        --epochs 2 --batch-size 512
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gclbt_plugin.cli.options import (
    add_data_options,
    add_device_option,
    add_probe_option,
    check_data_options,
    check_method_dataset,
    method_dataset_overrides,
)
from gclbt_plugin.errors import UsageError
from gclbt_plugin.files import check_output_dir, check_output_file, write_fallback_json, write_json_atomic


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a method and report linear-probe accuracy",
        description="Train a self-supervised method on a dataset, then evaluate frozen embeddings "
        "with an L2-regularised logistic-regression probe (strength chosen on validation).",
    )
    parser.add_argument("--method", help="a registered method (gclbt list methods); default from --config")
    parser.add_argument(
        "--dataset", help="Cora, CiteSeer, PubMed, Computers, Photo, CS, Physics, WikiCS, Facebook, ..."
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="YAML file of hyper-parameters merged over the recipe's published defaults "
        "(may also name method: and dataset:)",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one hyper-parameter, e.g. --set loss.lambda_=0.005 (repeatable; beats --config)",
    )
    parser.add_argument("--epochs", type=int, help="training epochs (beats --config and the recipe)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one model per seed (default: 0)")
    parser.add_argument("--protocol", choices=["public", "random", "wikics"], help="default: by dataset")
    parser.add_argument("--num-splits", type=int, default=20, help="random splits per model (default: 20)")
    parser.add_argument(
        "--sparse-features",
        choices=["auto", "on", "off"],
        default="auto",
        help="sparse first-layer products for bag-of-words features (default: auto, below 5%% density)",
    )
    scale = parser.add_argument_group("mini-batch training (large graphs)")
    scale.add_argument(
        "--batch-size",
        type=int,
        metavar="B",
        help="train on mini-batches of B seed nodes instead of the full graph; embeddings for the probe "
        "are then computed layer-wise in chunks (default: full batch)",
    )
    scale.add_argument(
        "--sampler",
        choices=["auto", "neighbor", "random-node"],
        default="auto",
        help="with --batch-size: neighbor (PyG NeighborLoader, needs pyg-lib or torch-sparse), random-node "
        "(induced sub-graphs of random node batches, pure torch), auto (neighbor when available; default)",
    )
    scale.add_argument(
        "--num-neighbors",
        type=int,
        nargs="+",
        metavar="K",
        help="neighbours sampled per hop with --sampler neighbor, one per encoder layer (default: 10 each; -1: all)",
    )
    checkpoints = parser.add_argument_group("checkpoints")
    checkpoints.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="write checkpoints here and resume from them; Ctrl-C or SIGTERM then saves the current epoch "
        "before exiting",
    )
    checkpoints.add_argument(
        "--checkpoint-every", type=int, default=50, metavar="N", help="epochs between checkpoints (default: 50)"
    )
    checkpoints.add_argument(
        "--checkpoint-minutes",
        type=float,
        metavar="M",
        help="also checkpoint after the first epoch ending M minutes after the last checkpoint (default: off)",
    )
    distributed = parser.add_argument_group("data-parallel training (launch with torchrun)")
    distributed.add_argument(
        "--distributed",
        action="store_true",
        help="train data-parallel over the torch.distributed ranks that torchrun starts "
        "(torchrun --nproc_per_node N -m gclbt_plugin train --distributed ...); --batch-size is then per "
        "process; every rank probes the same embeddings, rank 0 prints and writes the result",
    )
    distributed.add_argument(
        "--backend",
        choices=["auto", "gloo", "nccl"],
        default="auto",
        help="with --distributed: auto (nccl when CUDA is available, else gloo; default)",
    )
    parser.add_argument("--output", metavar="FILE", help="results JSON (default: results/<method>-<dataset>.json)")
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved configuration (YAML, readable by --config) and exit without loading data",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_probe_option(parser)
    add_device_option(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def _check_options(args: argparse.Namespace, method: str, dataset: str) -> Path:
    """Every check that needs no data, before any work; returns the output path.

    Raises:
        UsageError: naming the flag (or configuration key) at fault.
    """
    if args.batch_size is not None and args.batch_size < 2:
        raise UsageError(f"--batch-size must be an integer >= 2, got {args.batch_size}")
    if (args.sampler != "auto" or args.num_neighbors) and args.batch_size is None:
        raise UsageError("--sampler and --num-neighbors need --batch-size")
    if args.checkpoint_every <= 0:
        raise UsageError(f"--checkpoint-every must be a positive integer, got {args.checkpoint_every}")
    if args.checkpoint_minutes is not None and not args.checkpoint_minutes > 0:
        raise UsageError(f"--checkpoint-minutes must be a positive number, got {args.checkpoint_minutes}")
    if args.num_splits < 1:
        raise UsageError(f"--num-splits must be a positive integer, got {args.num_splits}")
    if args.backend != "auto" and not args.distributed:
        raise UsageError("--backend needs --distributed")
    name = check_method_dataset(args, method, dataset)
    output = check_output_file(args.output or f"results/{method}-{name}.json", "--output")
    if args.checkpoint_dir:
        check_output_dir(args.checkpoint_dir, "--checkpoint-dir")
    check_data_options(args)
    return output


def run(args: argparse.Namespace) -> int:
    # Imported here for start-up time (`gclbt --help` does not load torch_geometric).
    from gclbt_plugin.config import config_to_yaml, resolve_config
    from gclbt_plugin.experiment import run_experiment

    method, dataset, overrides = method_dataset_overrides(args)
    if not method or not dataset:
        raise UsageError("--method and --dataset are required (or method: and dataset: in --config)")
    if args.print_config:
        name = check_method_dataset(args, method, dataset)
        print(config_to_yaml(resolve_config(method, name, overrides)), end="")
        return 0
    sparse = {"auto": "auto", "on": True, "off": False}[args.sparse_features]
    output = _check_options(args, method, dataset)
    options: dict[str, Any] = dict(
        overrides=overrides,
        seeds=args.seeds,
        protocol=args.protocol,
        num_splits=args.num_splits,
        device=args.device,
        data_cache=args.data_cache,
        data_mirror=args.data_mirror,
        sparse_features=sparse,
        checkpoint_dir=args.checkpoint_dir,
        checkpoint_every=args.checkpoint_every,
        checkpoint_minutes=args.checkpoint_minutes,
        progress=not args.no_progress,
        batch_size=args.batch_size,
        sampler=args.sampler,
        num_neighbors=args.num_neighbors,
    )
    if args.distributed:
        return _run_distributed(args, method, dataset, options, lambda result: _report(result, output, summary=True))
    return _report(run_experiment(method, dataset, **options), output)


def _run_distributed(
    args: argparse.Namespace, method: str, dataset: str, options: dict[str, Any], report: Callable[[Any], int]
) -> int:
    """``run_experiment(..., distributed=True)`` on every rank of the process group ``torchrun`` set
    up (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_*``); rank 0 reports the result."""
    # Imported here for start-up time (torch.distributed and the data layer are only needed now).
    import torch
    import torch.distributed as dist

    from gclbt_plugin.data import load_dataset
    from gclbt_plugin.experiment import resolve_config, run_experiment

    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise UsageError(
            "--distributed needs the ranks torchrun starts: torchrun --nproc_per_node N -m gclbt_plugin train "
            "--distributed ..."
        )
    resolve_config(method, check_method_dataset(args, method, dataset), options["overrides"])  # errors first
    backend = args.backend
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        options["device"] = f"cuda:{local_rank}"
    elif options["device"] == "auto":
        options["device"] = "cpu"
    elif options["device"] != "cpu":  # gloo ranks would all share one GPU
        raise UsageError(
            f"--backend gloo trains on the CPU; got --device {options['device']} (use --backend nccl for one GPU per "
            "process, or --device cpu)"
        )
    dist.init_process_group(backend)
    try:
        rank = dist.get_rank()
        if rank == 0:  # rank 0 fills the dataset cache first; the others then read it
            load_dataset(dataset, args.data_cache, args.data_mirror)
        dist.barrier()
        result = run_experiment(method, dataset, distributed=True, **options)
        code = report(result) if rank == 0 else 0
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return code


def _report(result: Any, output: Path, summary: bool = False) -> int:
    """Print the result's table (after its one-line summary with ``summary``) and write its JSON to
    ``output`` (or a fallback file)."""
    if summary:
        print(result.summary())
    print(format_table(result), flush=True)  # first: the accuracy is shown even if the file cannot be written
    record = result.to_dict()
    try:
        write_json_atomic(record, output)
    except OSError as error:
        reason = error.strerror or str(error)
        try:
            fallback = write_fallback_json(record, output.name)
        except OSError as second:
            raise UsageError(
                f"--output {str(output)!r} could not be written ({reason}), nor a fallback file "
                f"({second.strerror or second}); the accuracy is printed above"
            ) from error
        raise UsageError(
            f"--output {str(output)!r} could not be written ({reason}); the result was saved to {fallback} instead"
        ) from error
    print(f"results written to {output}")
    return 0


def format_table(result) -> str:
    # Imported here for start-up time (the experiment module loads torch_geometric).
    from gclbt_plugin.experiment import epoch_time_text

    rows = [
        ("method", result.method),
        ("dataset", result.dataset),
        ("protocol", f"{result.protocol} ({result.num_evaluations} evaluations)"),
        ("test accuracy", f"{result.test_mean:.2f} ± {result.test_std:.2f} % ({result.probe} probe)"),
        ("val accuracy", f"{result.val_mean:.2f} ± {result.val_std:.2f} %"),
        ("epochs", f"{result.epochs} (warm-up {result.schedule.get('warmup_epochs', 0)}"
                   f"{', cosine decay' if result.schedule.get('cosine') else ''})"),
        ("features", "rows normalised (NormalizeFeatures)" if result.features_normalized else "raw"),
        ("time", f"{result.seconds:.1f} s ({epoch_time_text(result.seconds_per_epoch)})"),
        ("device", result.device + (", sparse features" if result.sparse_features else "")),
    ]
    if getattr(result, "batch_size", None):
        rows.append(("mini-batch", f"{result.batch_size} seed nodes, sampler {result.sampler}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
