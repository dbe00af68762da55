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

The module-level functions (:func:`available`, :func:`get`, :func:`create`, :func:`resolve`,
:func:`register`) use :func:`default_registry`, whose scan of the installed entry points is done
once per process, on first use. After installing or uninstalling a plugin in a running process
(a notebook), call :func:`refresh` to scan again; ``default_registry.cache_clear()`` forgets the
registry altogether, in-process registrations included (for tests).

Components can also be registered in-process, without packaging (notebooks, tests), with
:func:`register`; they are checked like entry points, listed by :func:`available` and ``gclbt
list`` with the provider ``registered in-process``, and created by name like any other.
:func:`resolve` accepts a name or an already-built component, as PyG's ``resolver`` does.

Example:
    >>> from gclbt_plugin import registry
    >>> [info.name for info in registry.available("augmentors")][:2]
    ['AdaptiveEdgeDropping', 'AdaptiveFeatureMasking']
    >>> aug = registry.create("augmentors", "edge-dropping", p=0.2)
    >>> registry.register("augmentors", "MyDropping", MyDropping)   # a subclass of Augmentor
    >>> aug = registry.resolve("augmentors", "my-dropping", p=0.3)
    >>> registry.resolve("augmentors", aug) is aug
    True
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.encoders.base import RENAMED_KEYWORDS, Encoder
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

#: Base class of each kind's components (methods: instances of Recipe; others: subclasses).
_BASES: dict[str, type] = {
    "augmentors": Augmentor,
    "losses": Loss,
    "encoders": Encoder,
    "methods": Recipe,
}

_UNKNOWN_DIST = "<unknown distribution>"

#: The ``distribution`` (and provider) of components registered with :func:`register`.
IN_PROCESS = "registered in-process"

#: What a third-party encoder has to do to satisfy the contract.
_ENCODER_HINT = (
    "subclass gclbt_plugin.encoders.Encoder, set in_channels, out_channels and num_layers "
    "(positive integers) in __init__ and implement forward(x, edge_index, edge_weight=None)"
)


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
    base = _BASES[info.kind]
    if info.kind == "methods":
        ok, expected = isinstance(obj, Recipe), "a gclbt_plugin.recipes.recipe.Recipe instance"
    else:
        ok = isinstance(obj, type) and issubclass(obj, base)
        expected = f"a subclass of {base.__module__}.{base.__qualname__}"
    if not ok:
        where = "" if info.in_process else f" registered under {info.group!r}"
        hint = f"; {_ENCODER_HINT}" if info.kind == "encoders" else ""
        raise PluginTypeError(
            f"{info.display}{where} must be {expected}, found {_describe_found(obj)}{hint}"
        )


def _check_encoder(encoder: Encoder, what: str) -> None:
    """Raise :class:`PluginTypeError` unless ``encoder`` set the sizes the :class:`Encoder` contract declares."""
    wrong = []
    for attribute in ("in_channels", "out_channels", "num_layers"):
        value = getattr(encoder, attribute, None)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            wrong.append(f"{attribute}={value!r}")
    if wrong:
        raise PluginTypeError(
            f"{what} does not declare its sizes ({', '.join(wrong)}); {_ENCODER_HINT}"
        )


def _target_of(obj: Any) -> str:
    """``"module:qualname"`` of a class or function, or of an instance's class."""
    named = obj if hasattr(obj, "__qualname__") and hasattr(obj, "__module__") else type(obj)
    return f"{named.__module__}:{named.__qualname__}"


@dataclass(frozen=True)
class PluginInfo:
    """A registered entry, found but not yet imported.

    Args:
        kind (str): ``"augmentors"``, ``"losses"``, ``"encoders"`` or ``"methods"``.
        name (str): the entry point's name as registered (e.g. ``"EdgeDropping"``).
        normalized_name (str): :func:`normalize_name` of ``name``.
        distribution (str): the distribution that registers it (e.g. ``"gclbt-plugin"``).
        version (str): that distribution's version.
        value (str): the entry point's target, ``"module:attr"`` (for an in-process
            registration, the object's module and qualified name).
        entry_point (importlib.metadata.EntryPoint, optional): the underlying entry point;
            ``None`` for a component registered in-process. (default: ``None``)
        obj (Any, optional): the component registered in-process (``None`` for an entry
            point). (default: ``None``)
    """

    kind: str
    name: str
    normalized_name: str
    distribution: str
    version: str
    value: str
    entry_point: importlib.metadata.EntryPoint | None = field(default=None, repr=False, compare=False)
    obj: Any = field(default=None, repr=False, compare=False)

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

    @classmethod
    def from_object(cls, kind: str, name: str, obj: Any) -> PluginInfo:
        """Describe ``obj`` registered in-process under ``name`` (kind not checked here)."""
        return cls(
            kind=kind,
            name=name,
            normalized_name=normalize_name(name),
            distribution=IN_PROCESS,
            version="",
            value=_target_of(obj),
            obj=obj,
        )

    @property
    def in_process(self) -> bool:
        """Whether the component was registered in-process (:func:`register`), not as an entry point."""
        return self.entry_point is None

    @property
    def group(self) -> str:
        """The entry-point group, e.g. ``"gclbt.augmentors"``."""
        return GROUPS[self.kind]

    @property
    def provider(self) -> str:
        """``"<distribution> <version>"``, e.g. ``"gclbt-plugin 0.1.0"``, or ``"registered in-process"``."""
        return f"{self.distribution} {self.version}".strip()

    @property
    def display(self) -> str:
        """How errors name this entry: kind, name, target and distribution."""
        if self.in_process:
            return f"{_SINGULAR[self.kind]} {self.name!r} = {self.value!r} {IN_PROCESS}"
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
        if self.in_process:
            _check_kind(self, self.obj)
            return self.obj
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


def check_kwargs(
    target: Any, kwargs: dict[str, Any], what: str, renamed: Mapping[str, str] | None = None
) -> None:
    """Check ``kwargs`` against ``target``'s signature before calling it.

    Args:
        target: a class (its constructor is inspected) or another callable.
        kwargs: the keyword arguments to be passed.
        what: how the error names the component.
        renamed (Mapping[str, str], optional): former keyword -> what replaces it (e.g.
            :data:`gclbt_plugin.encoders.RENAMED_KEYWORDS`); an unknown keyword found here is
            named with its replacement. (default: ``None``)

    Raises:
        TypeError: for unknown keywords (listing the accepted ones, and the replacement of a
            renamed one) or missing required ones. A constructor taking ``**kwargs`` accepts
            any keyword.
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
        renamed = renamed or {}
        replacements = "".join(
            f"; {old!r} was renamed, use {renamed[old]}" for old in unknown if old in renamed
        )
        raise TypeError(
            f"{what} got unknown keyword argument(s) {unknown}{replacements}; "
            f"accepted keywords: {accepted}"
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
    """Components registered under the ``gclbt.*`` entry-point groups, or registered in-process.

    Entries are found when the registry is built (metadata only; again on :meth:`refresh`) and
    imported one at a time when asked for. Components registered with :meth:`register` are kept
    beside the entry points and take precedence over an entry point of the same name.

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
        self._given = None if entry_points is None else list(entry_points)
        self._registered: dict[str, dict[str, PluginInfo]] = {kind: {} for kind in GROUPS}
        self._found = self._find()

    def _find(self) -> dict[str, list[PluginInfo]]:
        """The entry points of each kind, deduplicated and sorted; reads metadata only."""
        entry_points = self._given
        if entry_points is None:
            installed = importlib.metadata.entry_points()  # one scan of the installed metadata
            entry_points = [ep for group in GROUPS.values() for ep in installed.select(group=group)]
        kind_of_group = {group: kind for kind, group in GROUPS.items()}
        found: dict[str, dict[tuple[str, str, str], PluginInfo]] = {kind: {} for kind in GROUPS}
        for ep in entry_points:
            kind = kind_of_group.get(ep.group)
            if kind is None:
                continue
            info = PluginInfo.from_entry_point(kind, ep)
            found[kind].setdefault(_dedupe_key(info), info)
        return {kind: sorted(infos.values(), key=_sort_key) for kind, infos in found.items()}

    def _plugins(self, kind: str) -> list[PluginInfo]:
        registered = self._registered[kind]
        shown = [info for info in self._found[kind] if info.normalized_name not in registered]
        return sorted([*shown, *registered.values()], key=_sort_key)

    def refresh(self) -> None:
        """Find the entry points again (after installing or uninstalling a plugin in this process).

        Only metadata is read. In-process registrations are kept. A registry built from given
        ``entry_points`` reads the same ones again.
        """
        self._found = self._find()

    def register(self, kind: str, name: str, obj: Any, *, replace: bool = False) -> PluginInfo:
        """Register ``obj`` as the component ``name`` of ``kind`` in this process.

        ``obj`` is checked as an entry point's object is: a subclass of the kind's base class
        (:class:`~gclbt_plugin.augmentors.Augmentor`, :class:`~gclbt_plugin.losses.Loss`,
        :class:`~gclbt_plugin.encoders.Encoder`) or, for methods, a
        :class:`~gclbt_plugin.recipes.recipe.Recipe`. It is then found by :meth:`available`,
        :meth:`get`, :meth:`create` and :meth:`resolve` under ``name`` (normalised as usual),
        with the provider ``"registered in-process"``.

        Args:
            kind (str): ``"augmentors"``, ``"losses"``, ``"encoders"`` or ``"methods"`` (or an alias).
            name (str): the name to register, e.g. ``"MyDropping"``.
            obj: the class (or, for methods, the recipe).
            replace (bool): replace a component already registered under that name (an entry
                point of that name is then hidden, not uninstalled). (default: ``False``)

        Returns:
            PluginInfo: the new entry.

        Raises:
            ValueError: ``kind`` is unknown, ``name`` has no letter or digit, or ``name`` is
                already registered and ``replace`` is ``False``.
            TypeError: ``name`` is not a ``str``.
            PluginTypeError: ``obj`` is not of the expected kind (a ``TypeError``).

        Example:
            >>> reg.register("augmentors", "MyDropping", MyDropping)
            >>> aug = reg.create("augmentors", "my-dropping", p=0.3)
        """
        kind = resolve_kind(kind)
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r} ({type(name).__name__})")
        info = PluginInfo.from_object(kind, name, obj)
        if not info.normalized_name:
            raise ValueError(f"name must contain a letter or digit, got {name!r}")
        _check_kind(info, obj)
        if not replace:
            clashes = [i for i in self._plugins(kind) if i.normalized_name == info.normalized_name]
            if clashes:
                entries = ", ".join(f"{i.name!r} = {i.value!r} from {i.provider!r}" for i in clashes)
                raise ValueError(
                    f"{_SINGULAR[kind]} name {name!r} is already registered ({entries}); "
                    f"choose another name or pass replace=True to replace it"
                )
        self._registered[kind][info.normalized_name] = info
        return info

    @staticmethod
    def kinds() -> list[str]:
        """The kinds of component: ``['augmentors', 'encoders', 'losses', 'methods']``."""
        return sorted(GROUPS)

    def available(self, kind: str) -> list[PluginInfo]:
        """Every entry of ``kind``, sorted by normalised name; nothing is imported.

        Raises:
            ValueError: if ``kind`` is unknown.
        """
        return self._plugins(resolve_kind(kind))

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
        plugins = self._plugins(kind)
        matches = [info for info in plugins if info.normalized_name == key]
        if not matches:
            names = sorted({info.name for info in plugins})
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
        what = f"{_SINGULAR[info.kind]} {info.name!r} ({info.value})"
        renamed = RENAMED_KEYWORDS if info.kind == "encoders" else None
        check_kwargs(obj, kwargs, what, renamed=renamed)
        component = obj(**kwargs)
        if info.kind == "encoders":
            _check_encoder(component, what)
        return component

    def resolve(self, kind: str, query: Any, **kwargs: Any) -> Any:
        """A component of ``kind`` from a name or as given, like PyG's ``resolver``.

        A ``str`` is created by name with ``kwargs`` (:meth:`create`); an instance of the kind
        (an :class:`~gclbt_plugin.augmentors.Augmentor`, a :class:`~gclbt_plugin.losses.Loss`,
        an :class:`~gclbt_plugin.encoders.Encoder` declaring its sizes, or a
        :class:`~gclbt_plugin.recipes.recipe.Recipe`) is returned as is.

        Args:
            kind (str): the kind of component (or an alias).
            query (str or component): a registered name, or an already-built component.
            **kwargs: constructor keywords, only with a name.

        Raises:
            TypeError: ``query`` is neither a ``str`` nor an instance of the kind, or ``kwargs``
                are given with an instance.
            PluginTypeError: an encoder instance that does not declare its sizes.
            ValueError, UnknownPluginError, DuplicatePluginError, PluginLoadError: see :meth:`create`.

        Example:
            >>> loss = reg.resolve("losses", "barlow-twins-loss", lambda_=0.005)
            >>> reg.resolve("losses", loss) is loss
            True
        """
        kind = resolve_kind(kind)
        if isinstance(query, str):
            return self.create(kind, query, **kwargs)
        base = _BASES[kind]
        expected = f"{base.__module__}.{base.__qualname__}"
        if not isinstance(query, base):
            hint = (
                f"; to use a class, register it first: register({kind!r}, name, cls)"
                if isinstance(query, type)
                else ""
            )
            raise TypeError(
                f"query must be a registered {_SINGULAR[kind]} name (str) or a {expected} instance, "
                f"got {_describe_found(query)}{hint}"
            )
        if kwargs:
            raise TypeError(
                f"keyword arguments {sorted(kwargs)} are only used when query is a name; "
                f"query is already a {type(query).__qualname__} instance: pass them to its "
                f"constructor instead"
            )
        if kind == "encoders":
            _check_encoder(query, f"encoder {type(query).__qualname__}")
        return query


@functools.cache
def default_registry() -> Registry:
    """The :class:`Registry` of the installed distributions' entry points.

    Built on the first call and kept for the process, so the entry points are scanned once, not
    on every :func:`create` or :func:`get`. :func:`refresh` scans them again (keeping in-process
    registrations); ``default_registry.cache_clear()`` drops the registry and its in-process
    registrations, so that the next call builds a new one.
    """
    return Registry()


def refresh() -> None:
    """Scan the installed entry points again, e.g. after ``pip install`` of a plugin in a notebook.

    In-process registrations (:func:`register`) are kept.
    """
    default_registry().refresh()


def available(kind: str) -> list[PluginInfo]:
    """:meth:`Registry.available` on the installed entry points and in-process registrations."""
    return default_registry().available(kind)


def get(kind: str, name: str) -> Any:
    """:meth:`Registry.get` on the installed entry points and in-process registrations."""
    return default_registry().get(kind, name)


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """:meth:`Registry.create` on the installed entry points and in-process registrations."""
    return default_registry().create(kind, name, **kwargs)


def register(kind: str, name: str, obj: Any, *, replace: bool = False) -> PluginInfo:
    """:meth:`Registry.register` on :func:`default_registry`: use ``obj`` by name in this process.

    Example:
        >>> from gclbt_plugin import registry
        >>> registry.register("encoders", "SGC", SGC)   # a subclass of gclbt_plugin.encoders.Encoder
        >>> encoder = registry.create("encoders", "sgc", in_channels=1433)
    """
    return default_registry().register(kind, name, obj, replace=replace)


def resolve(kind: str, query: Any, **kwargs: Any) -> Any:
    """:meth:`Registry.resolve` on :func:`default_registry`: a name is created, a component returned as is."""
    return default_registry().resolve(kind, query, **kwargs)
