"""Command-line options shared by ``train``, ``tune`` and ``bench``."""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Any

import yaml

from gclbt_plugin.config import parse_assignment  # re-exported: `from gclbt_plugin.cli.options import ...`
from gclbt_plugin.errors import UsageError
from gclbt_plugin.evaluation import DEFAULT_PROBE, PROBES
from gclbt_plugin.files import (
    check_output_dir,
    write_json_atomic,  # noqa: F401  (re-exported for scripts)
)


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


def check_data_options(args: argparse.Namespace) -> None:
    """Before any work: the dataset cache must be writable; a mirror that is not a folder is reported.

    Raises:
        UsageError: the cache (``--data-cache``, ``$GCLBT_DATA_CACHE`` or the default) cannot be
            written.

    Warns:
        UserWarning: ``--data-mirror`` (or ``$GCLBT_DATA_MIRROR``) is not a folder, so it is ignored.
    """
    # Imported here for start-up time (the data layer pulls in torch_geometric).
    from gclbt_plugin.data.datasets import ENV_CACHE, ENV_MIRROR, resolve_cache_dir

    if args.data_cache:
        cache_flag = "--data-cache"
    elif os.environ.get(ENV_CACHE):
        cache_flag = f"${ENV_CACHE}"
    else:
        cache_flag = "the default dataset cache (set --data-cache)"
    check_output_dir(resolve_cache_dir(args.data_cache), cache_flag)
    mirror = args.data_mirror or os.environ.get(ENV_MIRROR)
    if mirror and not Path(mirror).expanduser().is_dir():
        flag = "--data-mirror" if args.data_mirror else f"${ENV_MIRROR}"
        warnings.warn(
            f"{flag} {mirror!r} is not a folder and is ignored: datasets come from the cache, else are downloaded",
            stacklevel=2,
        )


def check_method_dataset(args: argparse.Namespace, method: str, dataset: str) -> str:
    """Check the method and dataset names before any work; return the dataset's canonical name.

    Raises:
        UsageError: an unknown name, naming ``--method`` / ``--dataset`` (or the ``--config`` key).
    """
    # Imported here for start-up time (the registry and data layers pull in torch).
    from gclbt_plugin import registry
    from gclbt_plugin.data.datasets import canonical_name, dataset_names

    method_flag = "--method" if args.method else f"method (in --config {args.config})"
    dataset_flag = "--dataset" if args.dataset else f"dataset (in --config {args.config})"
    try:
        registry.default_registry().find("methods", method)
    except LookupError as error:
        raise UsageError(f"{method_flag}: {error}") from error
    try:
        return canonical_name(dataset)
    except (TypeError, ValueError) as error:
        raise UsageError(
            f"{dataset_flag} must be one of {dataset_names()} (case-insensitive), got {dataset!r}"
        ) from error


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
    ``--set`` in order, then ``--epochs``, all with the one merge rule of
    :func:`gclbt_plugin.config.merge_config`; keys are checked when the configuration is resolved.
    """
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
