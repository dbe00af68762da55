"""The one merge rule of configurations, and what each component section accepts.

``--config`` files, ``--set`` assignments, a recipe's per-dataset settings, benchmark-suite
overrides and an Optuna trial's parameters are all applied with :func:`merge_config`:

* mappings merge key by key, recursively; any other value (a number, a list, ``null``, a ready
  component instance) replaces what was there;
* a *component section* (``{name: ..., <constructor keywords>}``: ``encoder``, ``loss``,
  ``view1.edge``, ``optimizer``, ...) whose ``name`` changes keeps those of its old keywords that
  the new component's constructor accepts, then takes the override's keywords. So
  ``--set view1.edge.name=AdaptiveEdgeDropping`` keeps the recipe's drop rate ``p``, while
  ``--set loss.name=BarlowTwinsLoss`` on GRACE drops InfoNCE's ``tau`` (Barlow Twins has no
  ``tau``). A keyword written explicitly in the override is never dropped: if the new component
  does not take it, validation reports it.

Why this rule (and not "replace the section whole"): it does not depend on the order of
``--set`` assignments (``--set loss.tau=0.5 --set loss.name=InfoNCELoss`` equals the reverse), it
is what a tuning study needs when it searches a component's name and keeps the recipe's other
settings, and it can never carry a keyword into a component that does not take it.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

import torch

from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.training.optim import OPTIMIZERS, optimizer_keys

#: The augmentation slots of a view, applied in this order.
VIEW_SLOTS = ("edge", "feature")
VIEW_KEYS = ("view1", "view2")

# Keywords the model builder passes itself: never configured.
BUILDER_KEYWORDS = frozenset({"self", "generator", "in_channels"})


def component_kind(section: str) -> str | None:
    """The registry kind of a configuration section: ``encoder`` -> encoders, ``loss`` -> losses,
    ``view1.edge`` -> augmentors; ``None`` for sections that are not registered components."""
    parts = section.split(".")
    if parts == ["encoder"]:
        return "encoders"
    if parts == ["loss"]:
        return "losses"
    if len(parts) == 2 and parts[0] in VIEW_KEYS:
        return "augmentors"
    return None


def component_keywords(kind: str, name: str) -> set[str] | None:
    """Keywords accepted by the constructor of the registered component (``None``: any, ``**kwargs``).

    Raises:
        UnknownPluginError: ``name`` is not registered under ``kind`` (the message lists those that are).
    """
    target = registry.get(kind, name)
    if isinstance(target, type) and target.__init__ is torch.nn.Module.__init__:
        return set()  # no constructor of its own: nn.Module's (*args, **kwargs) takes no keywords
    signature = inspect.signature(target)
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in parameters if p.kind in keyword_kinds} - BUILDER_KEYWORDS


def section_keywords(section: str, name: Any) -> set[str] | None:
    """The keywords (besides ``name``) the component ``name`` of ``section`` accepts; ``None``: any.

    Raises:
        UnknownPluginError: an unknown component name; ``KeyError``: an unknown optimiser.
    """
    if section == "optimizer":
        return set(optimizer_keys(str(name).lower())) - {"name"}
    kind = component_kind(section)
    if kind is None:
        return None
    return component_keywords(kind, str(name))


def needs_target_network(loss_name: str) -> bool:
    """Whether the registered loss ``loss_name`` is trained against a target network (BGRL): its
    declared :attr:`~gclbt_plugin.losses.Loss.requires_target_network`."""
    return bool(registry.get("losses", loss_name).requires_target_network)


def _copy(value: Any) -> Any:
    """A copy of configuration data: mappings and lists are copied, a ready component instance (an
    encoder, loss or augmenter given in place of ``{name: ...}``) is kept as the same object."""
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value if isinstance(value, torch.nn.Module | Augmentor) else copy.deepcopy(value)


def _kept_keywords(section: str, old: Mapping[str, Any], new_name: Any) -> dict[str, Any]:
    """The keywords of ``old`` that the component ``new_name`` of ``section`` also accepts."""
    if section != "optimizer" and component_kind(section) is None:
        return {}
    if section == "optimizer" and str(new_name).lower() not in OPTIMIZERS:
        return {}
    try:
        accepted = section_keywords(section, new_name)
    except LookupError:  # an unknown name: validation reports it
        return {}
    return {k: _copy(v) for k, v in old.items() if k != "name" and (accepted is None or k in accepted)}


def merge_config(base: Mapping[str, Any], override: Mapping[str, Any], _prefix: str = "") -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base`` with the one rule of the module docstring.

    Neither argument is modified.
    """
    merged = _copy(dict(base))
    for key, value in override.items():
        path = f"{_prefix}{key}"
        old = merged.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            if "name" in value and value["name"] != old.get("name"):
                old = {"name": value["name"], **_kept_keywords(path, old, value["name"])}
            merged[key] = merge_config(old, value, f"{path}.")
        else:
            merged[key] = _copy(value)
    return merged
