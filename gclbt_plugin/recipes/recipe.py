"""A method recipe: which augmenters, encoder, loss and hyper-parameters make up a method.

Recipes differ by data, not by code: every method is trained by the same loop
(:mod:`gclbt_plugin.training`) from a nested configuration dictionary whose leaves are
constructor keywords of registered components::

    encoder:   {name: GCN, hidden_channels: 512, out_channels: 512, num_layers: 2, ...}
    projector: {hidden_channels: 128, out_channels: 128}   # or null (dual-branch only)
    predictor: {hidden_channels: 512}                      # bootstrap losses only
    view1:     {edge: {name: EdgeDropping, p: 0.2}, feature: {name: FeatureMasking, p: 0.3}}
    view2:     {edge: {...}, feature: {...}}
    loss:      {name: InfoNCELoss, tau: 0.4}
    optimizer: {name: adam, lr: 0.0005, weight_decay: 0.00001}
    scheduler: {warmup_epochs: 0, cosine: false}
    momentum:  0.99                                        # bootstrap losses only
    epochs:    200

A recipe's defaults live in a YAML data file (``recipes/configs/<name>.yaml``) holding a
``defaults`` section and per-dataset ``datasets.<Name>`` overrides, each citing its source.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml


def merge_config(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``.

    A section whose ``name`` changes (e.g. swapping ``InfoNCELoss`` for ``BarlowTwinsLoss``) is
    replaced whole, so keywords of the old component never leak into the new one.
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            renamed = "name" in value and value.get("name") != old.get("name")
            merged[key] = copy.deepcopy(value) if renamed else merge_config(old, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_assignment(text: str) -> dict[str, Any]:
    """``"loss.lambda_=0.01"`` -> ``{"loss": {"lambda_": 0.01}}`` (the value is parsed as YAML)."""
    if "=" not in text:
        raise ValueError(f"--set expects KEY=VALUE with a dotted KEY (e.g. loss.tau=0.5), got {text!r}")
    key, _, raw = text.partition("=")
    path = [part for part in key.strip().split(".") if part]
    if not path:
        raise ValueError(f"--set expects a non-empty KEY, got {text!r}")
    try:
        value: Any = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        reason = str(error).strip().splitlines()[0]
        raise ValueError(f"--set {key.strip()}: the value {raw!r} is not valid YAML ({reason})") from error
    for part in reversed(path):
        value = {part: value}
    return value


@dataclass(frozen=True)
class Recipe:
    """A registered method: a name, its paper and its default configuration per dataset.

    Args:
        name (str): the registry name (e.g. ``"gclbt"``).
        description (str): one line, shown by ``gclbt list``.
        reference (str): the paper.
        config_file (str): YAML file name inside ``gclbt_plugin/recipes/configs``; or use
            ``config`` directly (third-party recipes).
        config (dict, optional): inline configuration with the same layout as the file.
    """

    name: str
    description: str
    reference: str
    config_file: str | None = None
    config: dict[str, Any] | None = field(default=None, compare=False)

    def _document(self) -> dict[str, Any]:
        if self.config is not None:
            return self.config
        if self.config_file is None:
            raise ValueError(f"recipe {self.name!r} has neither config_file nor config")
        text = resources.files("gclbt_plugin.recipes").joinpath("configs", self.config_file).read_text()
        return yaml.safe_load(text)

    def datasets(self) -> list[str]:
        """Datasets with published per-dataset settings."""
        return sorted(self._document().get("datasets", {}))

    def config_for(self, dataset: str | None = None) -> dict[str, Any]:
        """The default configuration for ``dataset`` (its published settings merged over ``defaults``).

        Keys named ``source`` (citations) are kept under ``sources`` for reporting.
        """
        document = self._document()
        config = copy.deepcopy(document.get("defaults", {}))
        sources = [document["source"]] if "source" in document else []
        per_dataset = document.get("datasets", {})
        match = next((k for k in per_dataset if dataset and k.lower() == dataset.lower()), None)
        if match is not None:
            overrides = copy.deepcopy(per_dataset[match])
            if "source" in overrides:
                sources.append(overrides.pop("source"))
            config = merge_config(config, overrides)
        config.pop("source", None)
        config["sources"] = sources
        return config
