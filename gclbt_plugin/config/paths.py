"""Dotted configuration paths: the one parser of ``view1.edge.p`` and ``KEY=VALUE``.

Every piece of code that names a configuration key by a dotted path -- ``--set``, search-space
parameter names, error messages -- goes through :func:`split_path`; nested overrides are built
with :func:`nested` and read with :func:`get_path`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from gclbt_plugin.errors import UsageError


def split_path(path: str) -> list[str]:
    """``"view1.edge.p"`` -> ``["view1", "edge", "p"]``.

    Raises:
        UsageError: an empty path or an empty part (``"loss..tau"``).
    """
    if not isinstance(path, str):
        raise UsageError(f"a configuration key must be a dotted string such as loss.tau, got {path!r}")
    parts = path.strip().split(".")
    if not path.strip() or any(not part for part in parts):
        raise UsageError(f"configuration key {path!r} must be dotted names such as view1.edge.p (no empty part)")
    return parts


def get_path(config: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at dotted ``path`` in ``config`` (``default`` when a part is missing)."""
    node: Any = config
    for part in split_path(path):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def has_path(config: Mapping[str, Any], path: str) -> bool:
    """Whether dotted ``path`` exists in ``config``."""
    missing = object()
    return get_path(config, path, missing) is not missing


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted ``path`` of ``config`` in place, creating (or replacing non-mapping) parents."""
    parts = split_path(path)
    node = config
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def nested(assignments: Mapping[str, Any]) -> dict[str, Any]:
    """``{"view1.edge.p": 0.2}`` -> ``{"view1": {"edge": {"p": 0.2}}}`` (one override)."""
    result: dict[str, Any] = {}
    for path, value in assignments.items():
        set_path(result, path, value)
    return result


def leaf_paths(config: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every dotted path to a non-mapping value of ``config`` (top-level ``sources`` excluded)."""
    paths = []
    for key, value in config.items():
        if not prefix and key == "sources":
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            paths.extend(leaf_paths(value, f"{path}."))
        else:
            paths.append(path)
    return paths


def parse_assignment(text: str) -> dict[str, Any]:
    """``"loss.lambda_=0.01"`` -> ``{"loss": {"lambda_": 0.01}}`` (the value is parsed as YAML).

    Raises:
        UsageError: no ``=``, an empty or malformed key, or a value that is not valid YAML.
    """
    if "=" not in text:
        raise UsageError(f"--set expects KEY=VALUE with a dotted KEY (e.g. loss.tau=0.5), got {text!r}")
    key, _, raw = text.partition("=")
    if not key.strip():
        raise UsageError(f"--set expects a non-empty KEY, got {text!r}")
    try:
        split_path(key)
    except UsageError as error:
        raise UsageError(f"--set {text!r}: {error}") from error
    try:
        value: Any = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as error:
        reason = str(error).strip().splitlines()[0]
        raise UsageError(f"--set {key.strip()}: the value {raw!r} is not valid YAML ({reason})") from error
    return nested({key.strip(): value})
