"""The typed run configuration: one schema, checked before any work.

A run configuration is a mapping whose sections map 1:1 onto constructor keywords::

    encoder:    {name: GCN, hidden_channels: 512, ...}       # a registered encoder
    projector:  {hidden_channels: 128, out_channels: 128}    # MLP keywords, or null
    predictor:  {hidden_channels: 512}                       # MLP keywords (target-network losses)
    view1:      {edge: {name: EdgeDropping, p: 0.2}, feature: {name: FeatureMasking, p: 0.3}}
    view2:      {edge: ..., feature: ...}                    # each slot a registered augmenter, or null
    loss:       {name: InfoNCELoss, tau: 0.4}                # a registered loss
    optimizer:  {name: adam, lr: 0.0005, weight_decay: 0.00001}   # + any keyword of the optimiser
    scheduler:  {warmup_epochs: 0, cosine: false}
    momentum:   0.99            # only for losses that need a target network (BGRL)
    epochs:     200             # default DEFAULT_EPOCHS
    features:   {normalize: false}
    evaluation: {probe: bgrl, preprocess: l2}
    sources:    [...]           # citations of the recipe's values (kept for reports)

:meth:`RunConfig.from_dict` checks a mapping against this schema and returns typed sections;
:meth:`RunConfig.to_dict` gives back the plain mapping (only the keys that were given), which
is what results record, fingerprints hash and ``gclbt train --print-config`` prints. Every
problem is one :class:`~gclbt_plugin.errors.UsageError` (a ``ValueError``) naming the full
dotted key, the value and what is allowed, e.g. ``unknown key 'epoch'; valid keys: [...]``.

Why standard-library dataclasses and not pydantic/attrs: no new dependency; the keys of a
component section are not known statically (they are the registered constructor's signature,
checked at run time against the registry), so a model library would still need the same
hand-written checks; and the resolved configuration must stay a plain dict in result files.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.config.merge import VIEW_KEYS, VIEW_SLOTS, component_keywords, needs_target_network
from gclbt_plugin.encoders import MLP, RENAMED_KEYWORDS, Encoder
from gclbt_plugin.errors import UsageError
from gclbt_plugin.evaluation import PREPROCESSING, PROBES
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.training.optim import OPTIMIZERS, optimizer_keys

#: The number of epochs of a configuration that names none (the one default).
DEFAULT_EPOCHS = 100
#: The optimiser of a configuration that names none.
DEFAULT_OPTIMIZER: dict[str, Any] = {"name": "adam", "lr": 1e-3}

#: Keys of the ``evaluation`` section and their allowed values.
PROBE_OPTIONS: dict[str, tuple[str, ...]] = {"probe": PROBES, "preprocess": PREPROCESSING}


class _Unset:
    """The value of a key the configuration does not give (left out of :meth:`to_dict`)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def check_keys(data: Mapping[str, Any], valid: Any, prefix: str = "") -> None:
    """Raise for the first key of ``data`` not in ``valid``, naming its dotted path and the valid ones.

    Raises:
        UsageError: ``unknown key 'features.normalise'; valid keys: ['features.normalize']``.
    """
    allowed = sorted(valid)
    for key in data:
        if key not in allowed:
            hint = f"; {key!r} was renamed, use {RENAMED_KEYWORDS[key]}" if key in RENAMED_KEYWORDS else ""
            raise UsageError(
                f"unknown key {_key(prefix, str(key))!r}{hint}; valid keys: {[_key(prefix, k) for k in allowed]}"
            )


def _mapping(value: Any, key: str, example: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UsageError(f"{key} must be a mapping such as {example}, got {value!r}")
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{key} must be true or false, got {value!r}")
    return value


def _non_negative_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{key} must be an integer >= 0, got {value!r}")
    return value


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UsageError(f"{key} must be a positive integer, got {value!r}")
    return value


def _choice(allowed: tuple[str, ...]) -> Callable[[str, Any], Any]:
    def check(key: str, value: Any) -> Any:
        if value not in allowed:
            raise UsageError(f"{key} must be one of {list(allowed)}, got {value!r}")
        return value

    return check


def _momentum(key: str, value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
        raise UsageError(f"{key} must be a number in [0, 1] (or null), got {value!r}")
    return value


#: How a ``sources`` line of a configuration chosen by an Optuna study starts (``gclbt tune report``
#: writes it; reports pick it out as the cell's provenance).
TUNED_SOURCE_PREFIX = "tuned by gclbt tune"


def _sources(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise UsageError(f"{key} must be a list of strings (citations), got {value!r}")
    return list(value)


@dataclass(frozen=True)
class _Section:
    """A section of fixed keys; each field's ``metadata["check"]`` checks its value."""

    @classmethod
    def from_dict(cls, data: Any, prefix: str) -> _Section:
        example = "{" + ", ".join(f"{f.name}: ..." for f in fields(cls)) + "}"
        data = _mapping(data, prefix, example)
        check_keys(data, [f.name for f in fields(cls)], prefix)
        values = {}
        for f in fields(cls):
            if f.name in data:
                values[f.name] = f.metadata["check"](_key(prefix, f.name), data[f.name])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


@dataclass(frozen=True)
class Scheduler(_Section):
    """``scheduler``: linear warm-up over ``warmup_epochs`` (default 0), then cosine decay (default off)."""

    warmup_epochs: int = field(default=UNSET, metadata={"check": _non_negative_int})
    cosine: bool = field(default=UNSET, metadata={"check": _bool})


@dataclass(frozen=True)
class Features(_Section):
    """``features``: ``normalize`` scales each feature row to sum 1 (PyG ``NormalizeFeatures``; default off)."""

    normalize: bool = field(default=UNSET, metadata={"check": _bool})


@dataclass(frozen=True)
class Evaluation(_Section):
    """``evaluation``: the linear probe (``bgrl`` / ``gca``) and its embedding preprocessing."""

    probe: str = field(default=UNSET, metadata={"check": _choice(PROBES)})
    preprocess: str = field(default=UNSET, metadata={"check": _choice(PREPROCESSING)})


#: What a ready instance in place of ``{name: ...}`` must be, per registry kind.
_INSTANCE_BASES: dict[str, type] = {"encoders": Encoder, "losses": Loss, "augmentors": Augmentor}


@dataclass(frozen=True)
class Component:
    """A registered component: ``{name: ..., <constructor keywords>}``, or a ready instance.

    Args:
        kind (str): the registry kind (``encoders``, ``losses``, ``augmentors``).
        name (str): the registered name (``None`` for an instance).
        keywords (dict): constructor keywords, checked against the constructor's signature.
        instance: a ready component (Python API only), used as it is.
    """

    kind: str
    name: str | None
    keywords: dict[str, Any] = field(default_factory=dict)
    instance: Any = None

    @classmethod
    def from_dict(cls, kind: str, data: Any, prefix: str) -> Component:
        if not isinstance(data, Mapping):
            if isinstance(data, str):
                raise UsageError(f"{prefix} must be a mapping such as {{name: {data}}}, got {data!r}")
            base = _INSTANCE_BASES[kind]
            if not isinstance(data, base):
                raise UsageError(
                    f"{prefix} must be {{name: ..., <keywords>}} or a ready {base.__name__} instance, got {data!r}"
                )
            return cls(kind, None, instance=data)  # a ready instance (build_model resolves it)
        if "name" not in data:
            raise UsageError(f"{prefix} needs a 'name' (a registered {kind[:-1]}), got {dict(data)!r}")
        name = data["name"]
        if not isinstance(name, str):
            raise UsageError(f"{prefix}.name must be a registered {kind[:-1]} name, got {name!r}")
        try:
            accepted = component_keywords(kind, name)
        except LookupError as error:
            raise type(error)(f"{prefix}: {error}") from error
        keywords = {k: v for k, v in data.items() if k != "name"}
        if accepted is not None:
            check_keys(keywords, {"name", *accepted}, prefix)
        return cls(kind, name, keywords)

    def component_class(self) -> type:
        return type(self.instance) if self.instance is not None else registry.get(self.kind, self.name)

    def to_dict(self) -> Any:
        return self.instance if self.instance is not None else {"name": self.name, **self.keywords}


def head_keywords() -> set[str]:
    """The keys of a ``projector`` / ``predictor`` section: the MLP head's keywords."""
    return set(component_keywords_of(MLP)) - {"in_channels"}


def component_keywords_of(target: Any) -> list[str]:
    """The keyword parameters of ``target``'s signature, sorted."""
    parameters = inspect.signature(target).parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return sorted(p.name for p in parameters if p.kind in kinds and p.name != "self")


@dataclass(frozen=True)
class Head:
    """``projector`` / ``predictor``: keywords of the :class:`~gclbt_plugin.encoders.MLP` head."""

    keywords: dict[str, Any]

    @classmethod
    def from_dict(cls, data: Any, prefix: str) -> Head | None:
        if data is None:
            return None
        data = _mapping(data, prefix, "{hidden_channels: 128, out_channels: 128} or null")
        check_keys(data, head_keywords(), prefix)
        return cls(dict(data))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.keywords)


@dataclass(frozen=True)
class View:
    """``view1`` / ``view2``: an augmenter per slot (``edge`` first, then ``feature``); ``null`` leaves it out."""

    slots: dict[str, Component | None]

    @classmethod
    def from_dict(cls, data: Any, prefix: str) -> View:
        if data is None:
            return cls({})
        data = _mapping(data, prefix, "{edge: {name: EdgeDropping, p: 0.2}, feature: null}")
        check_keys(data, VIEW_SLOTS, prefix)
        slots = {
            slot: None if spec is None else Component.from_dict("augmentors", spec, f"{prefix}.{slot}")
            for slot, spec in data.items()
        }
        return cls(slots)

    def to_dict(self) -> dict[str, Any]:
        return {slot: None if c is None else c.to_dict() for slot, c in self.slots.items()}


@dataclass(frozen=True)
class Optimizer:
    """``optimizer``: ``name`` (``adam`` / ``adamw``, default ``adam``) and the optimiser's keywords."""

    name: str
    keywords: dict[str, Any]
    given_name: bool = True

    @classmethod
    def from_dict(cls, data: Any, prefix: str = "optimizer") -> Optimizer:
        data = _mapping(data, prefix, "{name: adam, lr: 0.001}")
        name = data.get("name", "adam")
        if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
            raise UsageError(f"{prefix}.name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
        check_keys(data, optimizer_keys(name.lower()), prefix)
        return cls(name, {k: v for k, v in data.items() if k != "name"}, "name" in data)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.keywords} if self.given_name else dict(self.keywords)


#: Each top-level key and how its value is read.
_TOP_LEVEL: dict[str, Callable[[Any, str], Any]] = {
    "encoder": lambda v, k: Component.from_dict("encoders", v, k),
    "projector": Head.from_dict,
    "predictor": Head.from_dict,
    "view1": View.from_dict,
    "view2": View.from_dict,
    "loss": lambda v, k: Component.from_dict("losses", v, k),
    "optimizer": Optimizer.from_dict,
    "scheduler": Scheduler.from_dict,
    "momentum": lambda v, k: _momentum(k, v),
    "epochs": lambda v, k: _positive_int(k, v),
    "features": Features.from_dict,
    "evaluation": Evaluation.from_dict,
    "sources": lambda v, k: _sources(k, v),
}

#: The keys a run configuration may hold.
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(_TOP_LEVEL)
#: The sections every run configuration must have.
REQUIRED_KEYS: tuple[str, ...] = ("encoder", "loss", *VIEW_KEYS)


@dataclass(frozen=True)
class RunConfig:
    """A checked run configuration (see the module docstring); ``to_dict()`` is the plain mapping.

    Example:
        >>> config = RunConfig.from_dict(resolve_config("grace", "Cora"))
        >>> config.sections["loss"].name
        'InfoNCELoss'
        >>> RunConfig.from_dict({**resolve_config("grace", "Cora"), "epoch": 5})
        Traceback (most recent call last):
        UsageError: unknown key 'epoch'; valid keys: ['encoder', 'epochs', ...]
    """

    sections: dict[str, Any]

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], *, complete: bool = True) -> RunConfig:
        """Check ``config`` and return it typed.

        Args:
            config (Mapping): a run configuration, or (``complete=False``) a partial override.
            complete (bool): require the :data:`REQUIRED_KEYS` and check ``momentum`` against the
                loss. (default: ``True``)

        Raises:
            UsageError: an unknown key at any level, a malformed section or value, ``momentum``
                for a loss without target network (each naming the dotted key).
            LookupError: an unknown component name (the registry's message, under its key).
        """
        config = _mapping(config, "the configuration", "{encoder: ..., loss: ..., view1: ..., view2: ...}")
        check_keys(config, TOP_LEVEL_KEYS)
        sections = {key: _TOP_LEVEL[key](value, key) for key, value in config.items()}
        if complete:
            missing = [key for key in REQUIRED_KEYS if key not in config]
            if missing:
                raise UsageError(f"the configuration has no {missing[0]!r} section; present: {sorted(config)}")
            loss = sections["loss"]
            needs_target = _needs_target(loss)
            name = loss.name or type(loss.instance).__name__
            if sections.get("projector") is not None and needs_target:
                raise UsageError(
                    f"projector is not used with loss {name!r}, which needs a target network (its online branch "
                    "has a predictor): remove projector (or set projector=null)"
                )
            if sections.get("predictor") is not None and not needs_target:
                raise UsageError(
                    f"predictor is only used with a loss that needs a target network (e.g. BootstrapLoss); loss "
                    f"{name!r} has none: remove predictor (or set predictor=null)"
                )
            if sections.get("momentum") is not None and not needs_target:
                name = loss.name or type(loss.instance).__name__
                raise UsageError(
                    f"momentum ({sections['momentum']}) is only used with a loss that needs a target network "
                    f"(e.g. BootstrapLoss); loss {name!r} has none: remove momentum (or set momentum=null)"
                )
        return cls(sections)

    def to_dict(self) -> dict[str, Any]:
        """The plain mapping, keys in schema order (only those given)."""
        return {
            key: value.to_dict() if isinstance(value, (_Section, Component, Head, View, Optimizer)) else value
            for key in TOP_LEVEL_KEYS
            if key in self.sections
            for value in [self.sections[key]]
        }

    @property
    def epochs(self) -> int:
        return self.sections.get("epochs", DEFAULT_EPOCHS)


def _needs_target(loss: Component) -> bool:
    if loss.instance is None:
        return needs_target_network(loss.name)
    return bool(loss.instance.requires_target_network)


def check_run_options(config: Mapping[str, Any]) -> None:
    """Check the ``features`` and ``evaluation`` sections (see :class:`Features`, :class:`Evaluation`).

    Raises:
        UsageError: an unknown key or a value that is not allowed.
    """
    Features.from_dict(config.get("features", {}), "features")
    Evaluation.from_dict(config.get("evaluation", {}), "evaluation")


def loss_dimension(config: Mapping[str, Any]) -> int | None:
    """The embedding width ``d`` the loss sees: the projector's output if any (its default being the
    encoder's), else the encoder's ``out_channels`` -- as :func:`~gclbt_plugin.recipes.build.build_model`
    wires them. ``None`` when the configuration does not say."""
    encoder = config.get("encoder")
    width = encoder.get("out_channels") if isinstance(encoder, Mapping) else None
    projector = config.get("projector")
    if isinstance(projector, Mapping) and projector.get("out_channels") is not None:
        width = projector["out_channels"]
    return int(width) if isinstance(width, int) and not isinstance(width, bool) and width > 0 else None
