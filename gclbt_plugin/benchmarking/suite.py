"""Benchmark suites: YAML files that expand into a grid of cells.

A *cell* is one ``run_experiment`` call: a method, a dataset, configuration overrides, seeds,
an epoch budget, the number of random splits and the split protocol. A suite file lists
*blocks*; each block expands into the product ``methods x datasets x axis levels``::

    name: quick
    description: every method on Cora and CiteSeer, a few epochs
    reference_variant: null        # optional: a variant the report pairs every other variant with
    defaults:                      # keys every block inherits (a block may override them)
      seeds: [0, 1]
      epochs: 3                    # null: the recipe's published epochs for the dataset
      num_splits: 2                # random splits per model (random protocol only)
      protocol: null               # null: by dataset (public for Planetoid, random otherwise)
      overrides: {encoder: {hidden_channels: 32, out_channels: 32}}
    blocks:
      - methods: [grace, gca, bgrl, gbt, gclbt]
        datasets: [Cora, CiteSeer]
        axes:                      # optional: named override presets, one level per axis
          loss:
            infonce: {loss: {name: InfoNCELoss, tau: 0.4}}
            barlow:  {loss: {name: BarlowTwinsLoss}}
      - configs: ../tuned/*.yaml   # or config: FILE; method/dataset read from each file
        name: tuned                # optional: the cells' variant (default: each file's name)
      - configs: ../tuned/*-Computers.yaml
        datasets: [Facebook]       # optional: train each file's configuration on these datasets
        name: from-Computers       #   instead of the file's own (does a tuned configuration transfer?)

Overrides are nested configuration dicts merged over the recipe's published defaults
(:func:`gclbt_plugin.config.merge_config`), in the order: suite defaults, block,
axis levels (in axis order), config file. ``configs`` files are what ``gclbt tune report``
exports (``gclbt train --config`` files holding ``method:`` and ``dataset:``).
"""

from __future__ import annotations

import copy
import dataclasses
import glob
import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gclbt_plugin import registry
from gclbt_plugin.config import merge_config
from gclbt_plugin.data import canonical_name

PROTOCOLS = ("public", "random", "wikics")
SUITE_KEYS = ("name", "description", "reference_variant", "defaults", "blocks")
SETTING_KEYS = ("seeds", "epochs", "num_splits", "protocol", "overrides")
BLOCK_KEYS = ("methods", "datasets", "axes", "config", "configs", "name", *SETTING_KEYS)
DEFAULT_SETTINGS: dict[str, Any] = {"seeds": [0], "epochs": None, "num_splits": 20, "protocol": None, "overrides": {}}


@dataclass(frozen=True)
class Cell:
    """One benchmark cell: a single :func:`gclbt_plugin.experiment.run_experiment` call.

    Attributes:
        id: unique, file-name safe (``<method>-<dataset>[-<variant>]``).
        method: registered method name.
        dataset: canonical dataset name.
        variant: ``""`` for a recipe's published configuration, else the axis levels
            (``"uniform+infonce"``) or the config file's stem.
        overrides: merged over the recipe's defaults for ``dataset``.
        seeds: one trained model per seed.
        epochs: the suite's epoch budget (``None``: the recipe's published epochs).
        num_splits: random splits per model.
        protocol: split protocol (``None``: by dataset).
        levels: ``{axis: level}`` of the variant.
        config_file: the config file the cell came from (``configs`` blocks), else ``None``.
    """

    id: str
    method: str
    dataset: str
    variant: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    epochs: int | None = None
    num_splits: int = 20
    protocol: str | None = None
    levels: dict[str, str] = field(default_factory=dict)
    config_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "dataset": self.dataset,
            "variant": self.variant,
            "overrides": copy.deepcopy(self.overrides),
            "seeds": list(self.seeds),
            "epochs": self.epochs,
            "num_splits": self.num_splits,
            "protocol": self.protocol,
            "levels": dict(self.levels),
            "config_file": self.config_file,
        }


@dataclass(frozen=True)
class Suite:
    """A loaded, validated suite: its name, description, source file and expanded cells.

    ``reference_variant`` (an ablation's control, e.g. ``uniform``): the report pairs each cell of
    another variant with the cell of the same method and dataset in this variant.
    """

    name: str
    description: str
    path: Path | None
    cells: tuple[Cell, ...]
    reference_variant: str | None = None

    def select(self, only: Iterable[str] | None = None) -> list[Cell]:
        """The cells chosen by ``only`` (all when empty): an id containing one of the texts, or equal
        to a text written ``=ID`` (``gclbt-CS`` also selects ``gclbt-CS-tuned``; ``=gclbt-CS`` does not)."""
        only = list(only or ())
        if not only:
            return list(self.cells)
        exact = {text[1:] for text in only if text.startswith("=")}
        parts = [text for text in only if not text.startswith("=")]
        return [c for c in self.cells if c.id in exact or any(text in c.id for text in parts)]


def suites_dir() -> Path:
    """``benchmarks/suites`` of the source checkout (``$GCLBT_SUITES_DIR`` overrides it)."""
    env = os.environ.get("GCLBT_SUITES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "benchmarks" / "suites"


def available_suites() -> list[str]:
    """Names of the suites under :func:`suites_dir`, sorted."""
    folder = suites_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def resolve_suite_path(suite: str | os.PathLike) -> Path:
    """A suite name (``quick``) or a path to a YAML file -> the file's path.

    Raises:
        FileNotFoundError: neither a file nor a suite name; the message lists the names.
    """
    path = Path(suite)
    if path.is_file():
        return path
    candidate = suites_dir() / f"{suite}.yaml"
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(
        f"suite {os.fspath(suite)!r} is neither a file nor a suite name; available suites "
        f"(in {suites_dir()}): {available_suites()}"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+=-]+", "_", text).strip("_")


def _check_keys(where: str, mapping: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(mapping, dict):
        raise ValueError(f"{where} must be a mapping, got {type(mapping).__name__}: {mapping!r}")
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; allowed: {sorted(allowed)}")
    return mapping


def _check_settings(where: str, settings: dict[str, Any]) -> dict[str, Any]:
    seeds = settings["seeds"]
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    integers = isinstance(seeds, list) and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    if not seeds or not integers:
        raise ValueError(f"{where}.seeds must be an integer or a non-empty list of integers, got {seeds!r}")
    epochs = settings["epochs"]
    if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0):
        raise ValueError(f"{where}.epochs must be a positive integer or null (published epochs), got {epochs!r}")
    num_splits = settings["num_splits"]
    if not isinstance(num_splits, int) or isinstance(num_splits, bool) or num_splits <= 0:
        raise ValueError(f"{where}.num_splits must be a positive integer, got {num_splits!r}")
    protocol = settings["protocol"]
    if protocol is not None and protocol not in PROTOCOLS:
        raise ValueError(f"{where}.protocol must be one of {list(PROTOCOLS)} or null, got {protocol!r}")
    overrides = settings["overrides"]
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise ValueError(f"{where}.overrides must be a mapping (nested config dict), got {overrides!r}")
    return {**settings, "seeds": seeds, "overrides": overrides}


def _names(where: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a name or a non-empty list of names, got {value!r}")
    return value


def _check_method(where: str, method: str, known: list[str]) -> str:
    if method not in known:
        raise ValueError(f"{where}: method {method!r} is not registered; registered methods: {known}")
    return method


def _dataset(where: str, name: str) -> str:
    try:
        return canonical_name(name)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _config_files(where: str, block: dict[str, Any], base: Path) -> list[Path]:
    if "config" in block and "configs" in block:
        raise ValueError(f"{where} has both 'config' and 'configs'; use one")
    if "config" in block:
        path = Path(block["config"])
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise FileNotFoundError(f"{where}.config file {os.fspath(path)!r} does not exist")
        return [path]
    pattern = block["configs"]
    if not isinstance(pattern, str):
        raise ValueError(f"{where}.configs must be a glob pattern string, got {pattern!r}")
    pattern = pattern if os.path.isabs(pattern) else os.fspath(base / pattern)
    return [Path(p) for p in sorted(glob.glob(pattern))]


def _read_config(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"config file {os.fspath(path)!r} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ValueError(f"config file {os.fspath(path)!r} must hold a mapping, got {type(document).__name__}")
    return document


def _expand_block(
    where: str, block: dict[str, Any], settings: dict[str, Any], base: Path, known: list[str]
) -> list[Cell]:
    common = {
        "seeds": tuple(settings["seeds"]),
        "epochs": settings["epochs"],
        "num_splits": settings["num_splits"],
        "protocol": settings["protocol"],
    }
    if "config" in block or "configs" in block:
        if "axes" in block:
            raise ValueError(f"{where}: 'axes' cannot be combined with 'config'/'configs'")
        methods = _names(f"{where}.methods", block["methods"]) if "methods" in block else None
        # the block's datasets replace each file's own: a configuration tuned on one graph trained on others
        block_datasets = [_dataset(where, d) for d in _names(f"{where}.datasets", block["datasets"])] \
            if "datasets" in block else None
        cells = []
        for path in _config_files(where, block, base):
            document = _read_config(path)
            method = document.pop("method", None) or (methods[0] if methods and len(methods) == 1 else None)
            own_dataset = document.pop("dataset", None)
            datasets = block_datasets or ([_dataset(where, own_dataset)] if own_dataset else [])
            if not method or not datasets:
                raise ValueError(
                    f"{where}: config file {os.fspath(path)!r} must name method: and dataset: "
                    "(or the block a single method and its datasets)"
                )
            method = _check_method(where, method, known)
            overrides = merge_config(settings["overrides"], document)
            # a named block gives its files one variant (e.g. "tuned"), so cells of different methods pair up
            variant = _slug(str(block["name"])) if block.get("name") else _slug(path.stem)
            cells.extend(
                Cell(
                    id=f"{method}-{dataset}-{variant}",
                    method=method,
                    dataset=dataset,
                    variant=variant,
                    overrides=overrides,
                    config_file=os.fspath(path),
                    **common,
                )
                for dataset in datasets
            )
        return cells

    if "methods" not in block or "datasets" not in block:
        raise ValueError(f"{where} needs 'methods' and 'datasets' (or 'config'/'configs')")
    methods = [_check_method(where, m, known) for m in _names(f"{where}.methods", block["methods"])]
    datasets = [_dataset(where, d) for d in _names(f"{where}.datasets", block["datasets"])]
    axes = block.get("axes") or {}
    if not isinstance(axes, dict):
        raise ValueError(f"{where}.axes must map axis names to {{level: overrides}}, got {axes!r}")
    axis_levels: list[list[tuple[str, str, dict[str, Any]]]] = []
    for axis, levels in axes.items():
        if not isinstance(levels, dict) or not levels:
            raise ValueError(f"{where}.axes.{axis} must be a non-empty mapping of level names to overrides")
        entries = []
        for level, override in levels.items():
            override = override or {}
            if not isinstance(override, dict):
                raise ValueError(f"{where}.axes.{axis}.{level} must be a config mapping, got {override!r}")
            entries.append((str(axis), str(level), override))
        axis_levels.append(entries)

    cells = []
    for method, dataset in itertools.product(methods, datasets):
        for combination in itertools.product(*axis_levels) if axis_levels else [()]:
            overrides = settings["overrides"]
            for _, _, override in combination:
                overrides = merge_config(overrides, override)
            variant = "+".join(level for _, level, _ in combination)
            if block.get("name"):
                variant = f"{block['name']}+{variant}" if variant else str(block["name"])
            cell_id = f"{method}-{dataset}" + (f"-{_slug(variant)}" if variant else "")
            cells.append(
                Cell(
                    id=cell_id,
                    method=method,
                    dataset=dataset,
                    variant=variant,
                    overrides=overrides,
                    levels={axis: level for axis, level, _ in combination},
                    **common,
                )
            )
    return cells


def parse_suite(document: Any, *, name: str = "suite", base_dir: str | os.PathLike = ".") -> Suite:
    """Validate a suite document (the parsed YAML) and expand it into cells.

    Args:
        document (dict): the suite mapping (see the module docstring).
        name (str): the suite name when the document has no ``name``. (default: ``"suite"``)
        base_dir (path): folder that relative ``config``/``configs`` paths start from.

    Raises:
        ValueError: unknown keys, malformed values, unregistered methods, unknown datasets or
            duplicate cell ids (the message names the block and key).
        FileNotFoundError: a ``config`` file does not exist.
    """

    _check_keys("suite", document, SUITE_KEYS)
    defaults = dict(DEFAULT_SETTINGS)
    defaults.update(_check_keys("suite.defaults", document.get("defaults") or {}, SETTING_KEYS))
    blocks = document.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        raise ValueError(f"suite.blocks must be a non-empty list of blocks, got {blocks!r}")
    known = sorted(info.name for info in registry.available("methods"))
    base = Path(base_dir)
    cells: list[Cell] = []
    for index, block in enumerate(blocks):
        where = f"suite.blocks[{index}]"
        _check_keys(where, block, BLOCK_KEYS)
        settings = {key: block.get(key, defaults[key]) for key in SETTING_KEYS}
        settings = _check_settings(where, settings)
        if "overrides" in block and block["overrides"]:
            settings["overrides"] = merge_config(defaults.get("overrides") or {}, block["overrides"])
        cells.extend(_expand_block(where, block, settings, base, known))
    seen: dict[str, int] = {}
    for cell in cells:
        seen[cell.id] = seen.get(cell.id, 0) + 1
    duplicates = sorted(k for k, v in seen.items() if v > 1)
    if duplicates:
        raise ValueError(f"suite has duplicate cells {duplicates}; give the blocks distinct 'name's or axes")
    reference = document.get("reference_variant")
    variants = sorted({cell.variant for cell in cells})
    if reference is not None and (not isinstance(reference, str) or reference not in variants):
        raise ValueError(f"suite.reference_variant must be one of the suite's variants {variants}, got {reference!r}")
    return Suite(
        name=str(document.get("name") or name),
        description=str(document.get("description") or ""),
        path=None,
        cells=tuple(cells),
        reference_variant=reference,
    )


def load_suite(suite: str | os.PathLike) -> Suite:
    """Load a suite by name (``benchmarks/suites/<name>.yaml``) or path, validated and expanded.

    Raises:
        FileNotFoundError: no such suite; ValueError: invalid YAML or content (see :func:`parse_suite`).
    """
    path = resolve_suite_path(suite)
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"suite file {os.fspath(path)!r} is not valid YAML: {error}") from error
    parsed = parse_suite(document, name=path.stem, base_dir=path.parent)
    return dataclasses.replace(parsed, path=path)

