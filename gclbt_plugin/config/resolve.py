"""From a method, a dataset and overrides to the checked run configuration.

:func:`resolve_config` merges, in order, the recipe's ``defaults``, its per-dataset settings and
each override (``--config`` file, ``--set`` assignments, ``--epochs``, a suite's cells, a tuned
file) with the one rule of :func:`~gclbt_plugin.config.merge.merge_config`, scales the warm-up
with the epochs, fills the defaults a result should show, and checks the result against the
schema (:class:`~gclbt_plugin.config.schema.RunConfig`) -- before any data is loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from gclbt_plugin import registry
from gclbt_plugin.config.merge import merge_config
from gclbt_plugin.config.schema import DEFAULT_EPOCHS, DEFAULT_OPTIMIZER, RunConfig, check_run_options
from gclbt_plugin.evaluation import DEFAULT_PROBE
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.training.optim import build_optimizer, build_scheduler


def recipe_config(method: str, dataset: str | None = None) -> dict[str, Any]:
    """The recipe's published configuration for ``dataset``: its ``defaults`` with the dataset's
    settings merged in, and the citations of both under ``sources``."""
    recipe = registry.create("methods", method)
    config: dict[str, Any] = {}
    for layer in recipe.layers(dataset):
        config = merge_config(config, layer)
    config["sources"] = recipe.sources(dataset)
    return config


def scaled_warmup(warmup: int, epochs: int, written_for: int) -> int:
    """A warm-up of ``warmup`` epochs written for a ``written_for``-epoch run, scaled to ``epochs``:
    at least 1 epoch, and shorter than the run (a 1-epoch run has none)."""
    return min(epochs - 1, max(1, round(warmup * epochs / written_for)))


def _sets_warmup(override: Mapping[str, Any]) -> bool:
    scheduler = override.get("scheduler")
    return isinstance(scheduler, Mapping) and "warmup_epochs" in scheduler


def resolve_config(
    method: str,
    dataset: str | None = None,
    overrides: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The recipe's published defaults for ``dataset`` with each override merged in order, checked.

    Schedules follow the budget. A warm-up belongs to the epochs it was written for: the recipe's,
    or those of an override that sets ``scheduler.warmup_epochs`` together with ``epochs`` (a
    complete schedule, e.g. a tuned configuration file). When a later override changes ``epochs``
    (``--epochs``, a suite's ``--max-epochs``), the warm-up is scaled by the same factor (at least 1
    epoch, and shorter than the run), so a shortened run keeps its shape of warm-up then decay. A
    warm-up set by an override without ``epochs`` (``--set scheduler.warmup_epochs=5``) is taken as
    it is, for the final epochs; it must be shorter than the run.
    ``epochs`` defaults to :data:`~gclbt_plugin.config.schema.DEFAULT_EPOCHS`, the probe to
    :data:`~gclbt_plugin.evaluation.DEFAULT_PROBE` and feature row normalisation to off, each
    unless the recipe or an override says otherwise, so the resolved configuration shows them.

    Returns:
        dict: the plain configuration (``RunConfig.from_dict(config).to_dict() == config``).

    Raises:
        UsageError: an unknown key at any level (``unknown key 'epoch'; valid keys: [...]``), a
            malformed section or value, ``momentum`` for a loss without target network, a warm-up
            set for the run that is not shorter than ``epochs`` (all ``ValueError``).
        LookupError: an unknown method or component name.
    """
    config = recipe_config(method, dataset)
    written_for = config.get("epochs")  # the epochs the current warm-up was written for
    pinned = False  # the warm-up was set for whatever the final epochs are
    for override in overrides:
        config = merge_config(config, override)
        if _sets_warmup(override):
            pinned = "epochs" not in override
            written_for = config.get("epochs")
    config.setdefault("epochs", DEFAULT_EPOCHS)
    written_for = written_for if written_for is not None else DEFAULT_EPOCHS
    scheduler = config.get("scheduler")
    warmup = scheduler.get("warmup_epochs", 0) if isinstance(scheduler, dict) else 0
    epochs = config["epochs"]
    numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (warmup, epochs, written_for))
    if warmup and numbers:  # other values: the schema names them
        if not pinned and epochs != written_for:
            warmup = scheduler["warmup_epochs"] = scaled_warmup(warmup, epochs, written_for)
        if warmup >= epochs:
            raise ValueError(
                f"scheduler.warmup_epochs ({warmup}) must be shorter than epochs ({epochs}); "
                "lower it, or leave it unset to scale the recipe's warm-up with the epochs"
            )
    features = config.setdefault("features", {})
    if isinstance(features, dict):
        features.setdefault("normalize", False)
    evaluation = config.setdefault("evaluation", {})
    if isinstance(evaluation, dict):
        evaluation.setdefault("probe", DEFAULT_PROBE)
    RunConfig.from_dict(config)
    return config


#: Input width of the throw-away model :func:`check_config` builds (the real one is built per dataset).
_PREFLIGHT_CHANNELS = 4


def check_config(config: Mapping[str, Any]) -> None:
    """Check a whole configuration before any data is loaded or any epoch is run.

    The schema (:class:`~gclbt_plugin.config.schema.RunConfig`: every key at every level, the
    ``features`` and ``evaluation`` sections, ``epochs``), then every component's values: a small
    throw-away model is built from the configuration with its optimiser and learning-rate
    schedule, so a bad value fails now, with a message that starts with its key
    (``view1.edge.p must be in [0, 1], got 1.5``).

    Raises:
        ValueError, TypeError, LookupError: the first problem found, naming its key.
    """
    typed = RunConfig.from_dict(config)
    model = build_model(dict(config), _PREFLIGHT_CHANNELS)
    optimizer = build_optimizer(config.get("optimizer", DEFAULT_OPTIMIZER), model.parameters())
    build_scheduler(config.get("scheduler"), optimizer, typed.epochs)


def config_to_yaml(config: Mapping[str, Any]) -> str:
    """The configuration as the YAML ``gclbt train --config`` reads (keys in schema order)."""
    return yaml.safe_dump(RunConfig.from_dict(config).to_dict(), sort_keys=False, default_flow_style=None)


def training_fingerprint(config: Mapping[str, Any], *extra: Any) -> str:
    """:func:`config_fingerprint` of what decides the trained model (not the probe settings)."""
    return config_fingerprint({k: v for k, v in config.items() if k != "evaluation"}, *extra)


def config_fingerprint(config: Any, *extra: Any) -> str:
    """A short stable hash of a configuration (and e.g. dataset name and seed)."""
    text = json.dumps([config, *extra], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = [
    "check_config",
    "check_run_options",
    "config_fingerprint",
    "config_to_yaml",
    "recipe_config",
    "resolve_config",
    "training_fingerprint",
]
