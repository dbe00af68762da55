"""Rebuild a finished cell's trained models from the checkpoints the runner kept.

``gclbt bench SUITE --keep-checkpoints`` leaves each finished cell's final checkpoints under
``OUT/checkpoints/<cell id>/`` (one per model seed, see
:func:`gclbt_plugin.experiment.seed_checkpoint_name`). :func:`cell_models` rebuilds every seed's
model from the record's configuration and that checkpoint, on the record's dataset prepared as the
cell prepared it (features, protocol, splits), so that its frozen embeddings can be probed again:
by another probe, or by an outside reference on the very same input
(``benchmarks/probe_check.py --cell``). The package's own probe on them reproduces the record.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import torch

from gclbt_plugin.experiment import PreparedData, find_seed_checkpoint, prepare_data, use_sparse_features
from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.recipes.build import build_model


def cell_models(
    record: dict[str, Any],
    checkpoints: str | os.PathLike,
    *,
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
) -> Iterator[tuple[dict[str, Any], ContrastModel, PreparedData]]:
    """Per seed of a finished cell: ``(run, model, data)``.

    Args:
        record (dict): the cell's record (``OUT/cells/<cell id>.json``), status ``ok``.
        checkpoints (path): the folder holding the cell's final checkpoints
            (``OUT/checkpoints/<cell id>``), one per seed of ``record["runs"]``.
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.

    Yields:
        ``run`` (the record's entry of that seed), the model in eval mode with the checkpoint's
        weights, and the prepared data (sparse features where the cell used them).

    Raises:
        ValueError: the record is not a finished cell, or a checkpoint stopped at another epoch
            than the record's run.
        FileNotFoundError: a seed without exactly one checkpoint under ``checkpoints``.
    """
    if record.get("status") != "ok":
        raise ValueError(f"the record's status is {record.get('status')!r}; only a finished ('ok') cell has models")
    paths = [find_seed_checkpoint(checkpoints, run["seed"]) for run in record["runs"]]  # before loading data
    config = record["config"]
    data = prepare_data(
        record["dataset"], config, protocol=record["protocol"], num_splits=record["cell"]["num_splits"],
        device="cpu", data_cache=data_cache, data_mirror=data_mirror,
    )
    for run, path in zip(record["runs"], paths):
        state = torch.load(path, map_location="cpu", weights_only=False)
        if int(state["epoch"]) != int(run["epochs"]):
            raise ValueError(
                f"{os.fspath(path)}: stopped at epoch {state['epoch']}, the record's seed {run['seed']} "
                f"trained {run['epochs']} epochs (not this cell's final checkpoint)"
            )
        model = build_model(config, data.num_features)
        model.load_state_dict(state["model"])
        model.eval()
        yield run, model, use_sparse_features(data, model, bool(record["sparse_features"]))
