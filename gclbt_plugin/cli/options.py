"""Command-line options shared by ``train``, ``tune`` and ``bench``."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from gclbt_plugin.evaluation import DEFAULT_PROBE, PROBES


def add_data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data-cache",
        metavar="DIR",
        help="writable dataset cache (default: $GCLBT_DATA_CACHE or ~/.cache/gclbt/datasets)",
    )
    group.add_argument(
        "--data-mirror",
        metavar="DIR",
        help="read-only folder of raw dataset files in PyG's layout, copied into the cache "
        "before PyG would download (default: $GCLBT_DATA_MIRROR)",
    )


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:<i> (default: auto)"
    )


def add_probe_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--probe",
        choices=PROBES,
        help="linear-probe protocol: bgrl (L2 rows, logistic regression converged for each C in "
        "2^-10..2^10, C chosen on validation; as BGRL / G-BT) or gca (raw embeddings, Adam logistic "
        f"regression, test at the best-validation epoch; as GRACE / GCA). Same as --set evaluation.probe=NAME "
        f"(default: {DEFAULT_PROBE})",
    )


def parse_assignment(text: str) -> dict[str, Any]:
    """``"loss.lambda_=0.01"`` -> ``{"loss": {"lambda_": 0.01}}`` (the value is parsed as YAML)."""
    if "=" not in text:
        raise ValueError(f"--set expects KEY=VALUE with a dotted KEY (e.g. loss.tau=0.5), got {text!r}")
    key, _, raw = text.partition("=")
    path = [part for part in key.strip().split(".") if part]
    if not path:
        raise ValueError(f"--set expects a non-empty KEY, got {text!r}")
    value: Any = yaml.safe_load(raw) if raw.strip() else None
    for part in reversed(path):
        value = {part: value}
    return value


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """A YAML configuration file as a dict (an empty file is ``{}``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--config file {os.fspath(path)!r} does not exist")
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"--config file {os.fspath(path)!r} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ValueError(f"--config file {os.fspath(path)!r} must hold a mapping, got {type(document).__name__}")
    return document


def method_dataset_overrides(
    args: argparse.Namespace,
) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    """``--config`` / ``--set`` / ``--epochs`` of ``train`` and ``tune`` as one list of overrides.

    The file may name ``method:`` and ``dataset:`` (the flags win); it is applied first, then each
    ``--set`` in order, then ``--epochs``.
    """
    from gclbt_plugin.cli.main import UsageError

    file_config = read_config_file(args.config) if args.config else {}
    method = args.method or file_config.get("method")
    dataset = args.dataset or file_config.get("dataset")
    file_config.pop("method", None)
    file_config.pop("dataset", None)
    overrides = [file_config] + [parse_assignment(text) for text in args.assignments]
    if args.epochs is not None:
        if args.epochs <= 0:
            raise UsageError(f"--epochs must be a positive integer, got {args.epochs}")
        overrides.append({"epochs": args.epochs})
    if getattr(args, "probe", None) is not None:
        overrides.append({"evaluation": {"probe": args.probe}})
    return method, dataset, overrides


def write_json_atomic(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(obj, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
