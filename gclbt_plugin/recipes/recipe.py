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
The keys are those of the run configuration's schema (:mod:`gclbt_plugin.config.schema`); the
layers are merged, and the result checked, by :func:`gclbt_plugin.config.resolve_config` with
the one merge rule of :func:`gclbt_plugin.config.merge_config`. A recipe is data only: this
module imports nothing of the package, so the registry can import it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml


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

    def _dataset_entry(self, dataset: str | None) -> dict[str, Any] | None:
        per_dataset = self._document().get("datasets", {})
        match = next((k for k in per_dataset if dataset and k.lower() == dataset.lower()), None)
        return None if match is None else per_dataset[match]

    def layers(self, dataset: str | None = None) -> list[dict[str, Any]]:
        """The configuration layers for ``dataset``, to merge in order: ``defaults``, then the
        dataset's published settings (if any), citations (``source``) left out."""
        layers = [copy.deepcopy(self._document().get("defaults", {}))]
        entry = self._dataset_entry(dataset)
        if entry is not None:
            layers.append({k: copy.deepcopy(v) for k, v in entry.items() if k != "source"})
        for layer in layers:
            layer.pop("source", None)
        return layers

    def sources(self, dataset: str | None = None) -> list[str]:
        """The citations of the recipe's values for ``dataset`` (the file's, then the dataset's)."""
        document = self._document()
        sources = [document["source"]] if "source" in document else []
        entry = self._dataset_entry(dataset)
        if entry is not None and "source" in entry:
            sources.append(entry["source"])
        return sources
