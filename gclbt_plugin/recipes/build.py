"""Build a :class:`~gclbt_plugin.models.ContrastModel` from a recipe configuration.

Every component is created by name through the plugin registry, so any registered augmenter,
loss or encoder (ours or a third party's, or one registered in-process with
:func:`gclbt_plugin.registry.register`) can be swapped into any recipe by configuration; a
section may also hold a ready instance instead of ``{name: ..., ...}`` (PyG ``resolver`` style).
The loss decides the wiring through its declared
:attr:`~gclbt_plugin.losses.Loss.requires_target_network`: ``True`` (BGRL's ``BootstrapLoss``)
gets the online/target :class:`~gclbt_plugin.models.BootstrapModel`; every other loss gets the
:class:`~gclbt_plugin.models.DualBranchModel`.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import torch
from torch import nn

from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Augmentor, Compose
from gclbt_plugin.encoders import RENAMED_KEYWORDS
from gclbt_plugin.encoders.mlp import MLP
from gclbt_plugin.models import BootstrapModel, ContrastModel, DualBranchModel

VIEW_KEYS = ("view1", "view2")


def at_key(key: str, error: Exception, keywords: Any = ()) -> Exception:
    """``error`` re-raised under the configuration key ``key`` (same type, chained by the caller).

    A message that starts with one of ``keywords`` (``"p must be in [0, 1], got 1.5"``) becomes
    ``"view1.edge.p must be in [0, 1], got 1.5"``; any other becomes ``"view1.edge: <message>"``.
    """
    message = str(error)
    first = message.split(" ", 1)[0]
    text = f"{key}.{message}" if first in set(keywords) else f"{key}: {message}"
    try:
        return type(error)(text)
    except Exception:  # an exception type with another constructor
        return ValueError(text)


def _create(kind: str, key: str, name: str, kwargs: dict[str, Any]) -> Any:
    """``registry.create(kind, name, **kwargs)`` whose errors name the configuration key."""
    try:
        return registry.create(kind, name, **kwargs)
    except (ValueError, TypeError, LookupError) as error:
        raise at_key(key, error, kwargs) from error


def _component(kind: str, key: str, spec: Any, **defaults: Any) -> Any:
    """The component a configuration section describes: a ready instance as it is, else
    ``{name: ..., **kwargs}`` created through the registry with ``defaults`` filled in."""
    if not isinstance(spec, dict):
        try:
            # A copy: every model built from the configuration (one per seed) starts from the given
            # component's state, and the caller's object is never trained in place.
            return copy.deepcopy(registry.resolve(kind, spec))
        except (ValueError, TypeError, LookupError) as error:
            raise at_key(key, error) from error
    name, kwargs = _split_name(key, spec)
    return _create(kind, key, name, {**defaults, **kwargs})


def _split_name(section: str, spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"config section {section!r} must be a mapping with a 'name' key, got {spec!r}")
    kwargs = dict(spec)
    return kwargs.pop("name"), kwargs


def _accepts(factory: Any, keyword: str) -> bool:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def build_augmentor(section: str, view: dict[str, Any] | None, generator: torch.Generator | None) -> Augmentor:
    """A :class:`Compose` of the view's augmenters (``edge`` first, then ``feature``, then the rest).

    A value of ``None`` for an entry (e.g. ``feature: null``) leaves that augmentation out.
    """
    view = view or {}
    if not isinstance(view, dict):
        raise ValueError(f"config section {section!r} must map augmentation slots to augmenters, got {view!r}")
    order = sorted(view, key=lambda k: (k != "edge", k != "feature", k))
    augmentors = []
    for slot in order:
        if view[slot] is None:
            continue
        if not isinstance(view[slot], dict):  # a ready augmenter
            augmentors.append(_component("augmentors", f"{section}.{slot}", view[slot]))
            continue
        name, kwargs = _split_name(f"{section}.{slot}", view[slot])
        wants_generator = generator is not None and "generator" not in kwargs
        if wants_generator and _accepts(registry.get("augmentors", name), "generator"):
            kwargs["generator"] = generator
        augmentors.append(_create("augmentors", f"{section}.{slot}", name, kwargs))
    return Compose(augmentors)


def augmenter_revisions(config: dict[str, Any]) -> dict[str, int]:
    """``{"view1.edge": revision, ...}`` of the configuration's augmenters whose revision is not 0.

    See :attr:`gclbt_plugin.augmentors.Augmentor.revision`; empty when every augmenter is at
    revision 0, so that fingerprints that add it only when non-empty stay as they were.

    Raises:
        LookupError: an unknown augmenter name (the registry's error).
    """
    revisions = {}
    for section in VIEW_KEYS:
        for slot, spec in (config.get(section) or {}).items():
            if spec is None:
                continue
            if isinstance(spec, dict):
                spec = registry.get("augmentors", _split_name(f"{section}.{slot}", spec)[0])
            revision = getattr(spec, "revision", 0)
            if not isinstance(revision, int):  # a registered group's property: known once it is built
                revision = 0
            if revision:
                revisions[f"{section}.{slot}"] = revision
    return revisions


def revision_fingerprint_parts(revisions: dict[str, int]) -> tuple[dict[str, int], ...]:
    """What :func:`augmenter_revisions`' result adds to a fingerprint: nothing when it is empty, so
    that the fingerprints (cell results, checkpoint names) made before revisions existed still
    match, else the revisions themselves."""
    return (revisions,) if revisions else ()


def build_head(section: str, spec: dict[str, Any], in_channels: int) -> nn.Module:
    """An :class:`MLP` head (projector or predictor) reading ``[N, in_channels]``."""
    kwargs = dict(spec)
    kwargs.setdefault("hidden_channels", in_channels)
    kwargs.setdefault("out_channels", in_channels)
    try:
        registry.check_kwargs(MLP, {"in_channels": in_channels, **kwargs}, "the MLP head", renamed=RENAMED_KEYWORDS)
        return MLP(in_channels, **kwargs)
    except TypeError as error:
        raise ValueError(str(at_key(section, error, kwargs))) from error
    except ValueError as error:
        raise at_key(section, error, kwargs) from error


def build_model(config: dict[str, Any], in_channels: int, generator: torch.Generator | None = None) -> ContrastModel:
    """Create the contrast model described by ``config`` for inputs with ``in_channels`` features.

    Args:
        config (dict): a recipe configuration (see :mod:`gclbt_plugin.recipes.recipe`); the
            ``encoder``, ``loss`` and view-slot sections are ``{name: ..., **kwargs}`` or ready
            instances (an :class:`~gclbt_plugin.encoders.Encoder`, a
            :class:`~gclbt_plugin.losses.Loss`, an :class:`~gclbt_plugin.augmentors.Augmentor`),
            which are copied: every model built starts from the instance's state (its weights are
            not re-drawn per seed) and the instance itself is never trained.
        in_channels (int): number of node features F.
        generator (torch.Generator, optional): passed to every augmenter that accepts one.

    Raises:
        ValueError, TypeError: a section is missing or malformed, or a component rejects its
            keywords; the message starts with the key (``view1.edge.p must be in [0, 1], ...``).
        LookupError: an unknown component name (the registry's error, under its key).
    """
    for section in ("encoder", "loss", *VIEW_KEYS):
        if section not in config:
            raise ValueError(f"config has no {section!r} section; present: {sorted(config)}")
    encoder = _component("encoders", "encoder", config["encoder"], in_channels=in_channels)
    out_channels = encoder.out_channels
    loss = _component("losses", "loss", config["loss"])
    augmentor1 = build_augmentor("view1", config["view1"], generator)
    augmentor2 = build_augmentor("view2", config["view2"], generator)
    if loss.requires_target_network:
        predictor_spec = dict(config.get("predictor") or {})
        # The predictor regresses the target's representation: its output width is the encoder's.
        if predictor_spec.setdefault("out_channels", out_channels) != out_channels:
            raise ValueError(
                f"predictor.out_channels must equal the encoder's out_channels ({out_channels}), "
                f"got {predictor_spec['out_channels']}; leave it unset"
            )
        predictor = build_head("predictor", predictor_spec, out_channels)
        # momentum null or unset: the model's default
        momentum = {} if config.get("momentum") is None else {"momentum": config["momentum"]}
        return BootstrapModel(encoder, augmentor1, augmentor2, predictor, loss, **momentum)
    projector = config.get("projector")
    head = build_head("projector", projector, out_channels) if projector else None
    return DualBranchModel(encoder, augmentor1, augmentor2, loss, projector=head)
