"""The plugin registry: the one place that maps names to augmenters, losses, encoders and methods.

Components are found through Python entry points, so our built-ins and third-party
distributions are registered the same way (``[project.entry-points."gclbt.augmentors"]`` in a
``pyproject.toml``). As in flake8's plugin finder, *finding* is separate from *loading*:

* finding (:meth:`Registry.available`) reads only packaging metadata -- nothing is imported, so a
  broken or slow plugin costs nothing until it is asked for;
* loading (:meth:`Registry.get`, :meth:`Registry.create`) imports one entry and checks that it is
  of the expected kind; any failure to import becomes one :class:`PluginLoadError` naming the
  entry and its distribution, chained to the original exception.

Names are matched after :func:`normalize_name` (case-insensitive, ``-`` and ``_`` ignored), so
``adaptive-edge-dropping``, ``adaptive_edge_dropping`` and ``AdaptiveEdgeDropping`` are the same
name. Two distributions registering the same normalised name is an error
(:class:`DuplicatePluginError`), never a silent winner.

Example:
    >>> from gclbt_plugin import registry
    >>> [info.name for info in registry.available("augmentors")][:2]
    ['AdaptiveEdgeDropping', 'AdaptiveFeatureMasking']
    >>> aug = registry.create("augmentors", "edge-dropping", p=0.2)
"""

from __future__ import annotations

import difflib
import importlib.metadata
import inspect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from torch import nn

from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.recipes.recipe import Recipe

#: Kind of component -> entry-point group.
GROUPS: dict[str, str] = {
    "augmentors": "gclbt.augmentors",
    "losses": "gclbt.losses",
    "encoders": "gclbt.encoders",
    "methods": "gclbt.methods",
}

#: Other spellings accepted for a kind (singular forms, "augmenters").
_KIND_ALIASES: dict[str, str] = {
    "augmentor": "augmentors",
    "augmenter": "augmentors",
    "augmenters": "augmentors",
    "loss": "losses",
    "encoder": "encoders",
    "method": "methods",
}

#: Singular of each kind, for messages.
_SINGULAR: dict[str, str] = {
    "augmentors": "augmentor",
    "losses": "loss",
    "encoders": "encoder",
    "methods": "method",
}

_UNKNOWN_DIST = "<unknown distribution>"


class PluginError(Exception):
    """Base class of the registry's errors."""


class UnknownPluginError(PluginError, LookupError):
    """No entry of the requested kind has the requested name."""


class DuplicatePluginError(PluginError, LookupError):
    """Two different entries (usually from two distributions) share one normalised name."""


class PluginLoadError(PluginError, ImportError):
    """Importing an entry failed; ``__cause__`` holds the original exception."""


class PluginTypeError(PluginError, TypeError):
    """An entry loaded, but is not the kind of object its group promises."""


def normalize_name(name: str) -> str:
    """Return the lookup key of ``name``: lower case, ``-`` and ``_`` removed.

    Example:
        >>> normalize_name("Adaptive-Edge_Dropping")
        'adaptiveedgedropping'
    """
    return re.sub(r"[-_]", "", name).lower()


def resolve_kind(kind: str) -> str:
    """Return the canonical kind (a key of :data:`GROUPS`) for ``kind`` or one of its aliases.

    Raises:
        ValueError: if ``kind`` is not a known kind.
    """
    if isinstance(kind, str):
        key = kind.strip().lower()
        if key in GROUPS:
            return key
        if key in _KIND_ALIASES:
            return _KIND_ALIASES[key]
    raise ValueError(f"kind must be one of {sorted(GROUPS)}, got {kind!r}")


def _distribution_of(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return _UNKNOWN_DIST, ""
    return str(dist.metadata["Name"]), str(dist.version)


def _first_doc_line(obj: Any) -> str:
    """The summary of ``obj``'s own docstring: its first paragraph joined into one line."""
    if isinstance(obj, Recipe):
        text = obj.description
    else:
        # A class's own __doc__ only: an undocumented plugin must not show its base's summary.
        text = obj.__doc__ if isinstance(obj, type) else getattr(obj, "__doc__", None)
    paragraph = inspect.cleandoc(text or "").strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _describe_found(obj: Any) -> str:
    if isinstance(obj, type):
        return f"class {obj.__module__}.{obj.__qualname__}"
    return f"{type(obj).__module__}.{type(obj).__qualname__} instance {obj!r:.60}"


def _check_kind(info: PluginInfo, obj: Any) -> None:
    """Raise :class:`PluginTypeError` if ``obj`` is not what ``info.kind`` expects."""
    if info.kind == "methods":
        ok, expected = isinstance(obj, Recipe), "a gclbt_plugin.recipes.recipe.Recipe instance"
    else:
        base = {"augmentors": Augmentor, "losses": Loss, "encoders": nn.Module}[info.kind]
        ok = isinstance(obj, type) and issubclass(obj, base)
        expected = f"a subclass of {base.__module__}.{base.__qualname__}"
    if not ok:
        raise PluginTypeError(
            f"{info.display} registered under {info.group!r} must be {expected}, "
            f"found {_describe_found(obj)}"
        )


@dataclass(frozen=True)
class PluginInfo:
    """A registered entry, found but not yet imported.

    Args:
        kind (str): ``"augmentors"``, ``"losses"``, ``"encoders"`` or ``"methods"``.
        name (str): the entry point's name as registered (e.g. ``"EdgeDropping"``).
        normalized_name (str): :func:`normalize_name` of ``name``.
        distribution (str): the distribution that registers it (e.g. ``"gclbt-plugin"``).
        version (str): that distribution's version.
        value (str): the entry point's target, ``"module:attr"``.
        entry_point (importlib.metadata.EntryPoint): the underlying entry point.
    """

    kind: str
    name: str
    normalized_name: str
    distribution: str
    version: str
    value: str
    entry_point: importlib.metadata.EntryPoint = field(repr=False, compare=False)

    @classmethod
    def from_entry_point(cls, kind: str, entry_point: importlib.metadata.EntryPoint) -> PluginInfo:
        """Describe ``entry_point`` (a member of ``kind``'s group) without importing it."""
        distribution, version = _distribution_of(entry_point)
        return cls(
            kind=kind,
            name=entry_point.name,
            normalized_name=normalize_name(entry_point.name),
            distribution=distribution,
            version=version,
            value=entry_point.value,
            entry_point=entry_point,
        )

    @property
    def group(self) -> str:
        """The entry-point group, e.g. ``"gclbt.augmentors"``."""
        return GROUPS[self.kind]

    @property
    def provider(self) -> str:
        """``"<distribution> <version>"``, e.g. ``"gclbt-plugin 0.1.0"``."""
        return f"{self.distribution} {self.version}".strip()

    @property
    def display(self) -> str:
        """How errors name this entry: kind, name, target and distribution."""
        return (
            f"{_SINGULAR[self.kind]} entry {self.name!r} = {self.value!r} "
            f"from distribution {self.provider!r}"
        )

    def load(self) -> Any:
        """Import the entry and check its kind.

        Raises:
            PluginLoadError: if importing fails for any reason (chained to the cause).
            PluginTypeError: if the loaded object is not of the expected kind.
        """
        try:
            obj = self.entry_point.load()
        except Exception as error:
            raise PluginLoadError(
                f"could not load {self.display}: {type(error).__name__}: {error}"
            ) from error
        _check_kind(self, obj)
        return obj

    @cached_property
    def description(self) -> str:
        """The first line of the component's docstring (a recipe's ``description``).

        Computed on first access, which imports the entry (see :meth:`load` for errors).
        """
        return _first_doc_line(self.load())


def _dedupe_key(info: PluginInfo) -> tuple[str, str, str]:
    # The same distribution seen twice (duplicated sys.path entries, an editable install next to
    # a regular one) registers the same target under the same name: that is not a conflict.
    distribution = re.sub(r"[-_.]+", "-", info.distribution).lower()
    return info.normalized_name, distribution, info.value


def _sort_key(info: PluginInfo) -> tuple[str, str, str, str]:
    return info.normalized_name, info.name, info.distribution, info.value


def check_kwargs(target: Any, kwargs: dict[str, Any], what: str) -> None:
    """Check ``kwargs`` against ``target``'s signature before calling it.

    Args:
        target: a class (its constructor is inspected) or another callable.
        kwargs: the keyword arguments to be passed.
        what: how the error names the component.

    Raises:
        TypeError: for unknown keywords (listing the accepted ones) or missing required ones.
            A constructor taking ``**kwargs`` accepts any keyword.
    """
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # no introspectable signature: let the call decide
        return
    parameters = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = sorted(p.name for p in parameters if p.kind in keyword_kinds)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"{what} got unknown keyword argument(s) {unknown}; accepted keywords: {accepted}"
        )
    missing = sorted(
        p.name
        for p in parameters
        if p.kind in keyword_kinds and p.default is inspect.Parameter.empty and p.name not in kwargs
    )
    if missing:
        raise TypeError(
            f"{what} requires keyword argument(s) {missing}; accepted keywords: {accepted}"
        )


class Registry:
    """Components registered under the ``gclbt.*`` entry-point groups.

    Entries are found when the registry is built (metadata only) and imported one at a time
    when asked for.

    Args:
        entry_points (Iterable[importlib.metadata.EntryPoint], optional): the entry points to
            consider; those outside the ``gclbt.*`` groups are ignored. (default: ``None``, the
            entry points of the installed distributions)

    Example:
        >>> reg = Registry()
        >>> aug = reg.create("augmentors", "edge-dropping", p=0.2)
        >>> recipe = reg.get("methods", "gclbt")
    """

    def __init__(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> None:
        if entry_points is None:
            installed = importlib.metadata.entry_points
            entry_points = [ep for group in GROUPS.values() for ep in installed(group=group)]
        kind_of_group = {group: kind for kind, group in GROUPS.items()}
        found: dict[str, dict[tuple[str, str, str], PluginInfo]] = {kind: {} for kind in GROUPS}
        for ep in entry_points:
            kind = kind_of_group.get(ep.group)
            if kind is None:
                continue
            info = PluginInfo.from_entry_point(kind, ep)
            found[kind].setdefault(_dedupe_key(info), info)
        self._plugins: dict[str, list[PluginInfo]] = {
            kind: sorted(infos.values(), key=_sort_key) for kind, infos in found.items()
        }

    @staticmethod
    def kinds() -> list[str]:
        """The kinds of component: ``['augmentors', 'encoders', 'losses', 'methods']``."""
        return sorted(GROUPS)

    def available(self, kind: str) -> list[PluginInfo]:
        """Every entry of ``kind``, sorted by normalised name; nothing is imported.

        Raises:
            ValueError: if ``kind`` is unknown.
        """
        return list(self._plugins[resolve_kind(kind)])

    def names(self, kind: str) -> list[str]:
        """The registered names of ``kind``, sorted (a name registered twice appears twice)."""
        return [info.name for info in self.available(kind)]

    def find(self, kind: str, name: str) -> PluginInfo:
        """The entry of ``kind`` called ``name`` (after normalisation), without importing it.

        Raises:
            ValueError: if ``kind`` is unknown.
            UnknownPluginError: if no entry has that name (the message lists those available).
            DuplicatePluginError: if several distributions register that name.
        """
        kind = resolve_kind(kind)
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r} ({type(name).__name__})")
        key = normalize_name(name)
        matches = [info for info in self._plugins[kind] if info.normalized_name == key]
        if not matches:
            names = sorted({info.name for info in self._plugins[kind]})
            by_key = {normalize_name(n): n for n in names}
            close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
            hint = f"; did you mean {by_key[close[0]]!r}?" if close else ""
            raise UnknownPluginError(
                f"unknown {_SINGULAR[kind]} {name!r}; available {kind}: {names}{hint}"
            )
        if len(matches) > 1:
            entries = ", ".join(
                f"{i.name!r} = {i.value!r} from distribution {i.provider!r}" for i in matches
            )
            raise DuplicatePluginError(
                f"{_SINGULAR[kind]} name {name!r} is registered {len(matches)} times: {entries}; "
                f"uninstall one of these distributions"
            )
        return matches[0]

    def get(self, kind: str, name: str) -> Any:
        """Import and return the component (a class, or a :class:`Recipe` for methods).

        Raises:
            ValueError, UnknownPluginError, DuplicatePluginError: see :meth:`find`.
            PluginLoadError: if importing the entry fails.
            PluginTypeError: if the entry is not of the expected kind.
        """
        return self.find(kind, name).load()

    def create(self, kind: str, name: str, **kwargs: Any) -> Any:
        """Build the component ``name`` of ``kind`` with keyword arguments ``kwargs``.

        Keywords are checked against the constructor's signature first, so a typo fails with
        the list of accepted keywords. Methods are :class:`Recipe` instances, returned as is.

        Raises:
            TypeError: for keywords the constructor does not accept, or any keyword for methods.
            ValueError, UnknownPluginError, DuplicatePluginError, PluginLoadError,
                PluginTypeError: see :meth:`get`.
        """
        info = self.find(kind, name)
        obj = info.load()
        if info.kind == "methods":
            if kwargs:
                raise TypeError(
                    f"method {info.name!r} is a Recipe and takes no keyword arguments, "
                    f"got {sorted(kwargs)}"
                )
            return obj
        check_kwargs(obj, kwargs, f"{_SINGULAR[info.kind]} {info.name!r} ({info.value})")
        return obj(**kwargs)


def default_registry() -> Registry:
    """A :class:`Registry` of the installed distributions' entry points, read afresh each call."""
    return Registry()


def available(kind: str) -> list[PluginInfo]:
    """:meth:`Registry.available` on the installed entry points."""
    return default_registry().available(kind)


def get(kind: str, name: str) -> Any:
    """:meth:`Registry.get` on the installed entry points."""
    return default_registry().get(kind, name)


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """:meth:`Registry.create` on the installed entry points."""
    return default_registry().create(kind, name, **kwargs)
