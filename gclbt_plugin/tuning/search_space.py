"""Search spaces for Optuna studies: dotted configuration paths whose leaf is a constructor keyword.

A parameter is named by its path in a recipe configuration (see :mod:`gclbt_plugin.recipes.recipe`),
e.g. ``view1.edge.p`` (the edge drop rate :math:`p_{e,1}` of the first view), ``loss.lambda_``
(Barlow Twins' :math:`\\lambda`) or ``optimizer.lr``. The best trial's parameters are therefore a
configuration override that ``gclbt train --config`` reads as is.

The default space is derived from the *resolved configuration*, not from the method's name:

* every augmenter slot of ``view1``/``view2`` with a drop rate ``p``: ``p`` in ``[0, 0.7]``;
* a loss accepting ``lambda_`` (Barlow Twins): ``lambda_`` log-uniform in ``[0.1/d, 10/d]``, where
  ``d`` is the dimension the loss sees (the projector's ``out_channels``, else the encoder's), around
  G-BT's default ``1/d``;
* a loss accepting ``tau`` (InfoNCE): ``tau`` in ``[0.1, 1.0]``;
* a loss that needs a target network (BGRL's bootstrap loss): ``momentum`` in ``[0.9, 0.999]``.

A YAML search-space file adds, narrows or removes parameters::

    use_defaults: true            # keep the default space (false: only the parameters below)
    parameters:
      optimizer.lr: {type: float, low: 1.0e-5, high: 1.0e-2, log: true}
      encoder.hidden_channels: [128, 256, 512]         # a list is a categorical shorthand
      epochs: {type: int, low: 100, high: 1000, step: 100}
      loss.name: {type: categorical, choices: [BarlowTwinsLoss, InfoNCELoss]}
      loss.tau: {type: float, low: 0.1, high: 1.0}     # used when InfoNCELoss is drawn
      view1.edge.p: {high: 0.5}                        # narrows a default parameter (keeps its type)
      view2.feature.p: null                            # removes a default parameter

Example:
    >>> from gclbt_plugin.config import resolve_config
    >>> space = default_search_space(resolve_config("gclbt", "Cora"))
    >>> sorted(space)[:3]
    ['loss.lambda_', 'view1.edge.p', 'view1.feature.p']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gclbt_plugin import registry
from gclbt_plugin.config import (
    VIEW_KEYS,
    component_keywords,
    component_kind,
    get_path,
    has_path,
    leaf_paths,
    loss_dimension,
    merge_config,
    needs_target_network,
    nested,
)
from gclbt_plugin.config.resolve import scaled_warmup
from gclbt_plugin.config.schema import head_keywords

#: Upper bound of the default drop-rate range ``[0, DROP_RATE_HIGH]`` (GCA's searched rates stay below it).
DROP_RATE_HIGH = 0.7

PARAMETER_TYPES = ("float", "int", "categorical")
SPEC_KEYS = ("type", "low", "high", "log", "step", "choices")
FILE_KEYS = ("use_defaults", "parameters")

_HEAD_SECTIONS = ("projector", "predictor")


@dataclass(frozen=True)
class Parameter:
    """One searched hyper-parameter, suggested with ``trial.suggest_float/int/categorical``.

    Args:
        name (str): the dotted configuration path, e.g. ``"view1.edge.p"``.
        type (str): ``"float"``, ``"int"`` or ``"categorical"``.
        low, high (float | int, optional): the inclusive range (``float``/``int``).
        log (bool): sample on a log scale. (default: ``False``)
        step (float | int, optional): a grid step inside the range.
        choices (tuple): the values of a ``categorical`` parameter (None, bool, int, float or str).

    Raises:
        ValueError: an unknown type, a missing or empty range, ``log`` with ``low <= 0``,
            ``log`` with ``step``, or no choices.
    """

    name: str
    type: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    step: float | int | None = None
    choices: tuple = ()

    def __post_init__(self) -> None:
        where = f"search-space parameter {self.name!r}"
        if self.type not in PARAMETER_TYPES:
            raise ValueError(f"{where}: type must be one of {list(PARAMETER_TYPES)}, got {self.type!r}")
        if self.type == "categorical":
            if not self.choices:
                raise ValueError(f"{where}: a categorical parameter needs a non-empty 'choices' list")
            for choice in self.choices:
                if choice is not None and not isinstance(choice, (bool, int, float, str)):
                    raise ValueError(
                        f"{where}: choices must be None, bool, int, float or str, got {choice!r}"
                    )
            return
        if self.low is None or self.high is None:
            raise ValueError(
                f"{where}: a {self.type} parameter needs 'low' and 'high', got low={self.low!r}, high={self.high!r}"
            )
        if not self.low <= self.high:
            raise ValueError(f"{where}: needs low <= high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"{where}: log=true needs low > 0, got low={self.low!r}")
        if self.log and self.step is not None:
            raise ValueError(f"{where}: log=true and step cannot be combined (Optuna does not support it)")
        if self.step is not None and self.step <= 0:
            raise ValueError(f"{where}: step must be > 0, got {self.step!r}")

    def suggest(self, trial: Any) -> Any:
        """The value drawn by ``trial`` (an :class:`optuna.trial.Trial`) under this parameter's name."""
        if self.type == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.type == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), step=self.step, log=self.log)

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form used in search-space files (``name`` excluded)."""
        if self.type == "categorical":
            return {"type": "categorical", "choices": list(self.choices)}
        spec: dict[str, Any] = {"type": self.type, "low": self.low, "high": self.high}
        if self.log:
            spec["log"] = True
        if self.step is not None:
            spec["step"] = self.step
        return spec


SearchSpace = dict[str, Parameter]


# ---------------------------------------------------------------------------------------------
# Configuration paths and component keywords
# ---------------------------------------------------------------------------------------------


def _head_keywords() -> set[str]:
    return head_keywords()


def _candidate_names(section: str, config: Mapping[str, Any], space: Mapping[str, Parameter]) -> list[str]:
    """The component names a section may hold: the configured one and a searched ``<section>.name``'s choices."""
    names = []
    current = get_path(config, f"{section}.name")
    if isinstance(current, str):
        names.append(current)
    searched = space.get(f"{section}.name")
    if searched is not None and searched.type == "categorical":
        names.extend(str(choice) for choice in searched.choices if str(choice) not in names)
    return names


def _accepts(section: str, component: str, keyword: str) -> bool:
    kind = component_kind(section)
    if kind is None:
        return True
    keywords = component_keywords(kind, component)
    return keywords is None or keyword in keywords


def valid_names(config: Mapping[str, Any], space: Mapping[str, Parameter] | None = None) -> list[str]:
    """Every parameter name a search space may use with ``config``, sorted.

    The leaf paths of ``config``, plus the constructor keywords of each named component (its
    configured name and any searched ``<section>.name`` choice), plus the MLP keywords of
    ``projector``/``predictor``.
    """
    space = space or {}
    names = set(leaf_paths(config))
    sections = {name.rpartition(".")[0] for name in names} | set(VIEW_KEYS)
    sections |= {f"{view}.{slot}" for view in VIEW_KEYS for slot in (config.get(view) or {})}
    for section in sorted(s for s in sections if s):
        kind = component_kind(section)
        if kind is None:
            continue
        for component in _candidate_names(section, config, space):
            keywords = component_keywords(kind, component)
            names |= {f"{section}.{keyword}" for keyword in keywords or ()}
    for head in _HEAD_SECTIONS:
        names |= {f"{head}.{keyword}" for keyword in _head_keywords()}
    return sorted(names)


def _is_valid(name: str, config: Mapping[str, Any], space: Mapping[str, Parameter]) -> bool:
    if has_path(config, name):
        return True
    section, _, keyword = name.rpartition(".")
    if section in _HEAD_SECTIONS:
        return keyword in _head_keywords()
    kind = component_kind(section)
    if kind is None or not keyword:
        return False
    for component in _candidate_names(section, config, space):
        keywords = component_keywords(kind, component)
        if keywords is None or keyword in keywords:
            return True
    return False


def validate_search_space(space: Mapping[str, Parameter], config: Mapping[str, Any]) -> None:
    """Check every parameter name against ``config`` and the registered components.

    Raises:
        ValueError: a name that is neither a path of ``config`` nor a constructor keyword of the
            component named by its section (the message lists the valid names).
        UnknownPluginError: a searched ``<section>.name`` choice that is not registered.
    """
    for name, parameter in space.items():
        section, _, leaf = name.rpartition(".")
        kind = component_kind(section)
        if leaf == "name" and kind is not None and parameter.type == "categorical":
            for choice in parameter.choices:
                registry.get(kind, str(choice))  # raises UnknownPluginError listing the available ones
    for name in space:
        if not _is_valid(name, config, space):
            raise ValueError(
                f"unknown parameter {name!r}: it is neither a path of the resolved configuration "
                f"nor a constructor keyword of the component its section names; valid names: "
                f"{valid_names(config, space)}"
            )


# ---------------------------------------------------------------------------------------------
# Default space and search-space files
# ---------------------------------------------------------------------------------------------


def default_search_space(config: Mapping[str, Any]) -> SearchSpace:
    """The default parameters for ``config`` (see the module docstring), keyed by name.

    Raises:
        UnknownPluginError: the configuration's loss is not registered.
    """
    space: SearchSpace = {}
    for view in VIEW_KEYS:
        for slot, spec in sorted((config.get(view) or {}).items()):
            if isinstance(spec, Mapping) and "p" in spec:
                name = f"{view}.{slot}.p"
                space[name] = Parameter(name, "float", 0.0, DROP_RATE_HIGH)
    loss = config.get("loss")
    if isinstance(loss, Mapping) and isinstance(loss.get("name"), str):
        keywords = component_keywords("losses", loss["name"]) or set()
        d = loss_dimension(config)
        if "lambda_" in keywords and d is not None:
            space["loss.lambda_"] = Parameter("loss.lambda_", "float", 0.1 / d, 10.0 / d, log=True)
        if "tau" in keywords:
            space["loss.tau"] = Parameter("loss.tau", "float", 0.1, 1.0)
        if needs_target_network(loss["name"]):
            space["momentum"] = Parameter("momentum", "float", 0.9, 0.999)
    return dict(sorted(space.items()))


def _number(name: str, key: str, value: Any) -> Any:
    # YAML 1.1 reads "1e-5" (no dot) as a string: accept it as a number.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"search-space parameter {name!r}: {key} must be a number, got {value!r}")
    return value


def parse_parameter(name: str, spec: Any, base: Parameter | None = None) -> Parameter:
    """A :class:`Parameter` from its file form: a mapping of :data:`SPEC_KEYS` or a list of choices.

    A mapping without ``type`` narrows ``base`` (a default parameter of the same name): its type,
    range and scale are kept unless given.

    Raises:
        ValueError: an unknown key, a scalar spec, no type (and no ``base``), or an invalid range.
    """
    if isinstance(spec, list):
        return Parameter(name, "categorical", choices=tuple(spec))
    if not isinstance(spec, Mapping):
        raise ValueError(
            f"search-space parameter {name!r} must be a mapping ({{type, low, high, log, step, choices}}), "
            f"a list of choices or null (to remove it), got {spec!r}; fix a value with --set instead"
        )
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(
            f"search-space parameter {name!r} has unknown key(s) {unknown}; allowed: {list(SPEC_KEYS)} "
            "(parameter names are dotted paths such as view1.edge.p)"
        )
    fields: dict[str, Any] = {}
    if base is not None and spec.get("type", base.type) == base.type:
        fields = {"type": base.type, "low": base.low, "high": base.high, "log": base.log, "step": base.step,
                  "choices": base.choices}
    for key in ("low", "high", "step"):
        if key in spec:
            fields[key] = _number(name, key, spec[key])
    if "type" in spec:
        fields["type"] = spec["type"]
    if "log" in spec:
        if not isinstance(spec["log"], bool):
            raise ValueError(f"search-space parameter {name!r}: log must be true or false, got {spec['log']!r}")
        fields["log"] = spec["log"]
    if "choices" in spec:
        if not isinstance(spec["choices"], list):
            raise ValueError(f"search-space parameter {name!r}: choices must be a list, got {spec['choices']!r}")
        fields["choices"] = tuple(spec["choices"])
    if "type" not in fields:
        raise ValueError(
            f"search-space parameter {name!r} needs a 'type' ({', '.join(PARAMETER_TYPES)}); only default "
            "parameters can be narrowed without one"
        )
    return Parameter(name, **fields)


def load_search_space(
    source: str | os.PathLike | Mapping[str, Any] | None, config: Mapping[str, Any]
) -> SearchSpace:
    """The search space for ``config``: the default space, changed by a search-space file or mapping.

    Args:
        source (path | dict, optional): a YAML file (or its parsed mapping) with ``parameters`` and
            optionally ``use_defaults``; ``None`` gives :func:`default_search_space`.
        config (dict): the resolved configuration the study tunes.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: invalid YAML, an unknown top-level key, an invalid parameter, or an unknown
            parameter name (see :func:`validate_search_space`).
    """
    where = "search space"
    if source is None:
        document: Mapping[str, Any] = {}
    elif isinstance(source, Mapping):
        document = source
    else:
        path = Path(source)
        where = f"search-space file {os.fspath(path)!r}"
        if not path.is_file():
            raise FileNotFoundError(f"{where} does not exist")
        try:
            document = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{where} is not valid YAML: {' '.join(str(error).split())}") from error
    if not isinstance(document, Mapping):
        raise ValueError(f"{where} must hold a mapping with 'parameters', got {type(document).__name__}")
    unknown = sorted(set(document) - set(FILE_KEYS))
    if unknown:
        raise ValueError(f"{where} has unknown top-level key(s) {unknown}; allowed: {list(FILE_KEYS)}")
    use_defaults = document.get("use_defaults", True)
    if not isinstance(use_defaults, bool):
        raise ValueError(f"{where}: use_defaults must be true or false, got {use_defaults!r}")
    parameters = document.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ValueError(f"{where}: parameters must map dotted names to specs, got {parameters!r}")
    defaults = default_search_space(config)
    space: SearchSpace = dict(defaults) if use_defaults else {}
    for name, spec in parameters.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: parameter names must be non-empty strings, got {name!r}")
        if spec is None:
            space.pop(name, None)
            continue
        try:
            space[name] = parse_parameter(name, spec, defaults.get(name))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
    try:
        validate_search_space(space, config)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from error
    return dict(sorted(space.items()))


def search_space_to_dict(space: Mapping[str, Parameter]) -> dict[str, Any]:
    """The file form of ``space`` (``{"parameters": {name: spec}}``), e.g. to store with a study."""
    return {"use_defaults": False, "parameters": {name: p.to_dict() for name, p in space.items()}}


# ---------------------------------------------------------------------------------------------
# From a trial's parameters to a configuration
# ---------------------------------------------------------------------------------------------


def _order(name: str) -> tuple[bool, int, str]:
    # Component names first (they decide which keywords apply), shallow sections first.
    return (not name.endswith(".name"), name.count("."), name)


def apply_params(config: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with the dotted parameters merged in as one override.

    The merge is :func:`gclbt_plugin.config.merge_config`, the rule of ``--set`` and ``--config``:
    setting ``<section>.name`` to another component keeps the section's keywords that the new
    component's constructor accepts (e.g. ``p`` survives ``EdgeDropping`` -> ``AdaptiveEdgeDropping``,
    ``lambda_`` does not survive ``BarlowTwinsLoss`` -> ``InfoNCELoss``). A searched keyword that the
    component chosen for its section does not accept is skipped (a conditional search space). A
    searched ``epochs`` scales the warm-up with it (unless ``scheduler.warmup_epochs`` is searched too).
    """
    kept = {}
    for name, value in params.items():
        section, _, leaf = name.rpartition(".")
        if component_kind(section) is not None and leaf != "name":
            component = params.get(f"{section}.name", get_path(config, f"{section}.name"))
            if isinstance(component, str) and not _accepts(section, component, leaf):
                continue
        kept[name] = value
    merged = merge_config(config, nested(kept))
    # A searched budget takes the configuration's schedule with it, as --epochs does (see
    # gclbt_plugin.config.resolve_config): the warm-up is scaled unless it is searched too.
    scheduler = merged.get("scheduler")
    warmup = scheduler.get("warmup_epochs") if isinstance(scheduler, dict) else None
    if "epochs" in kept and "scheduler.warmup_epochs" not in kept and warmup and config.get("epochs"):
        scheduler["warmup_epochs"] = scaled_warmup(warmup, int(kept["epochs"]), int(config["epochs"]))
    return merged


def suggest_params(trial: Any, space: Mapping[str, Parameter], config: Mapping[str, Any]) -> dict[str, Any]:
    """Draw the parameters of ``space`` with ``trial`` (define-by-run), component names first.

    A keyword of a component section is drawn only when the component chosen for that section
    accepts it (e.g. ``loss.tau`` only when ``loss.name`` drew ``InfoNCELoss``).

    Returns:
        dict: dotted name -> value, for :func:`apply_params`.
    """
    params: dict[str, Any] = {}
    for name in sorted(space, key=_order):
        section, _, leaf = name.rpartition(".")
        if component_kind(section) is not None and leaf != "name":
            component = params.get(f"{section}.name", get_path(config, f"{section}.name"))
            if isinstance(component, str) and not _accepts(section, component, leaf):
                continue
        params[name] = space[name].suggest(trial)
    return params


__all__ = [
    "Parameter", "SearchSpace", "apply_params", "component_keywords", "component_kind", "default_search_space",
    "get_path", "has_path", "leaf_paths", "load_search_space", "loss_dimension", "nested", "parse_parameter",
    "search_space_to_dict", "suggest_params", "valid_names", "validate_search_space",
]
