"""Tests of gclbt_plugin.registry with fake entry points: nothing is installed.

Fake components live in modules written to ``tmp_path`` (put on ``sys.path``); fake
``importlib.metadata.EntryPoint`` objects point at them and carry a fake distribution.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest
import torch

from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Identity
from gclbt_plugin.recipes.recipe import Recipe
from gclbt_plugin.registry import (
    DuplicatePluginError,
    PluginLoadError,
    PluginTypeError,
    Registry,
    UnknownPluginError,
    normalize_name,
    resolve_kind,
)

COMPONENTS = '''
import torch
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.encoders import Encoder
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.recipes.recipe import Recipe


class Shift(Augmentor):
    """Add a constant to every
    node feature.

    Second paragraph, not part of the summary.
    """

    def __init__(self, delta: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__(generator)
        self.delta = delta

    def augment(self, g):
        return g._replace(x=g.x + self.delta)


class NeedsP(Augmentor):
    """Needs p."""

    def __init__(self, p: float, *, generator=None) -> None:
        super().__init__(generator)
        if not 0 <= p <= 1:
            raise ValueError(f"p must be in [0, 1], got {p!r}")
        self.p = p

    def augment(self, g):
        return g


class Flexible(Augmentor):
    """Takes anything."""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        self.kwargs = kwargs

    def augment(self, g):
        return g


class Undocumented(Augmentor):
    def augment(self, g):
        return g


class MeanLoss(Loss):
    """Mean difference."""

    def forward(self, h1, h2):
        return (h1 - h2).mean()


class TinyEncoder(Encoder):
    """One linear layer."""

    def __init__(self, in_channels: int, out_channels: int = 2) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, 1
        self.linear = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, edge_weight=None):
        return self.linear(x)


class PlainModuleEncoder(torch.nn.Module):
    """A plain torch module: not an Encoder."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(in_channels, 2)


class SizelessEncoder(Encoder):
    """An Encoder that forgets to declare its sizes."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels

    def forward(self, x, edge_index, edge_weight=None):
        return x


tiny = Recipe(name="tiny", description="A tiny recipe.", reference="none", config={})
'''

_module_ids = itertools.count()


class FakeDistribution:
    """Stands in for ``importlib.metadata.Distribution``: only what the registry reads."""

    def __init__(self, name: str, version: str) -> None:
        self.metadata = {"Name": name}
        self.version = version


def ep(
    name: str,
    value: str,
    group: str = "gclbt.augmentors",
    dist: str | None = "acme-gcl",
    version: str = "1.2.3",
) -> importlib.metadata.EntryPoint:
    """An entry point as ``importlib.metadata`` finds it, from distribution ``dist``."""
    entry_point = importlib.metadata.EntryPoint(name, value, group)
    return entry_point if dist is None else entry_point._for(FakeDistribution(dist, version))


@pytest.fixture
def make_module(tmp_path, monkeypatch) -> Iterator[Callable[[str], str]]:
    """Write a uniquely named module into ``tmp_path`` (on ``sys.path``); return its name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created: list[str] = []

    def make(source: str) -> str:
        name = f"_gclbt_fake_plugin_{next(_module_ids)}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        created.append(name)
        return name

    yield make
    for name in created:
        sys.modules.pop(name, None)


@pytest.fixture
def mod(make_module) -> str:
    """The name of a fresh module holding the fake components above."""
    return make_module(COMPONENTS)


def test_normalize_name_ignores_case_dashes_and_underscores():
    spellings = ["adaptive-edge-dropping", "adaptive_edge_dropping", "AdaptiveEdgeDropping"]
    assert {normalize_name(s) for s in spellings} == {"adaptiveedgedropping"}


def test_resolve_kind_accepts_singular_and_augmenter_spellings():
    assert [resolve_kind(k) for k in ["augmenter", "Augmenters", "loss", "encoder", "method"]] == [
        "augmentors",
        "augmentors",
        "losses",
        "encoders",
        "methods",
    ]


def test_registry_available_unknown_kind_raises_value_error_listing_kinds():
    with pytest.raises(
        ValueError,
        match=r"kind must be one of \['augmentors', 'encoders', "
        r"'losses', 'methods'\], got 'optimizers'",
    ):
        Registry(entry_points=[]).available("optimizers")


def test_registry_available_lists_entry_metadata(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift", dist="acme-gcl", version="1.2.3")])
    (info,) = reg.available("augmentors")
    assert (info.kind, info.name, info.normalized_name) == ("augmentors", "Shift", "shift")
    assert (info.distribution, info.version, info.value) == ("acme-gcl", "1.2.3", f"{mod}:Shift")
    assert info.provider == "acme-gcl 1.2.3"


def test_registry_available_is_sorted_by_normalized_name(mod):
    # Plain sorting would give ['Alpha', 'Zeta', 'a_shift', 'b-shift'].
    names = ["b-shift", "Zeta", "a_shift", "Alpha"]
    reg = Registry(entry_points=[ep(n, f"{mod}:Shift") for n in names])
    assert reg.names("augmentors") == ["Alpha", "a_shift", "b-shift", "Zeta"]


def test_registry_available_ignores_other_groups(mod):
    reg = Registry(
        entry_points=[
            ep("Shift", f"{mod}:Shift"),
            ep("MeanLoss", f"{mod}:MeanLoss", group="gclbt.losses"),
            ep("black", "black:main", group="console_scripts"),
        ]
    )
    assert [reg.names(kind) for kind in reg.kinds()] == [["Shift"], [], ["MeanLoss"], []]


def test_registry_available_imports_nothing(make_module):
    broken = make_module("raise RuntimeError('imported at find time')\n")
    reg = Registry(entry_points=[ep("Broken", f"{broken}:Broken")])
    reg.find("augmentors", "broken")
    assert reg.names("augmentors") == ["Broken"]
    assert broken not in sys.modules


def test_registry_entry_without_distribution_is_named_unknown(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift", dist=None)])
    (info,) = reg.available("augmentors")
    assert (info.distribution, info.version) == ("<unknown distribution>", "")


@pytest.mark.parametrize("spelling", ["adaptive-shift", "adaptive_shift", "ADAPTIVESHIFT"])
def test_registry_get_resolves_every_spelling(mod, spelling):
    reg = Registry(entry_points=[ep("AdaptiveShift", f"{mod}:Shift")])
    assert reg.get("augmentors", spelling) is sys.modules[mod].Shift


def test_registry_get_unknown_name_lists_available_names(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift"), ep("Flexible", f"{mod}:Flexible")])
    with pytest.raises(UnknownPluginError) as info:
        reg.get("augmentors", "EdgeDropping")
    assert isinstance(info.value, LookupError)
    assert str(info.value) == (
        "unknown augmentor 'EdgeDropping'; available augmentors: ['Flexible', 'Shift']"
    )


def test_registry_get_unknown_name_suggests_close_match(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift"), ep("Flexible", f"{mod}:Flexible")])
    with pytest.raises(UnknownPluginError, match=r"did you mean 'Flexible'\?$"):
        reg.get("augmentors", "flexibel")


def test_registry_get_import_failure_raises_plugin_load_error(make_module):
    broken = make_module("raise RuntimeError('boom')\n")
    reg = Registry(entry_points=[ep("Broken", f"{broken}:Broken", dist="acme-gcl", version="2.0")])
    with pytest.raises(PluginLoadError) as info:
        reg.get("augmentors", "broken")
    assert str(info.value) == (
        f"could not load augmentor entry 'Broken' = '{broken}:Broken' from distribution "
        "'acme-gcl 2.0': RuntimeError: boom"
    )
    assert isinstance(info.value.__cause__, RuntimeError)


def test_registry_get_missing_attribute_raises_plugin_load_error(mod):
    reg = Registry(entry_points=[ep("Gone", f"{mod}:DoesNotExist")])
    with pytest.raises(PluginLoadError, match="AttributeError") as info:
        reg.get("augmentors", "gone")
    assert isinstance(info.value.__cause__, AttributeError)


def test_registry_get_missing_module_raises_plugin_load_error():
    reg = Registry(entry_points=[ep("Gone", "_gclbt_no_such_module:Gone", dist="ghost")])
    with pytest.raises(PluginLoadError, match=r"'ghost 1\.2\.3': ModuleNotFoundError") as info:
        reg.get("augmentors", "gone")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_registry_get_loss_registered_as_augmentor_raises_type_error(mod):
    reg = Registry(entry_points=[ep("Oops", f"{mod}:MeanLoss", dist="acme-gcl", version="1.0")])
    with pytest.raises(TypeError) as info:
        reg.get("augmentors", "oops")
    assert isinstance(info.value, PluginTypeError)
    assert str(info.value) == (
        f"augmentor entry 'Oops' = '{mod}:MeanLoss' from distribution 'acme-gcl 1.0' registered "
        "under 'gclbt.augmentors' must be a subclass of gclbt_plugin.augmentors.base.Augmentor, "
        f"found class {mod}.MeanLoss"
    )


def test_registry_get_class_registered_as_method_raises_type_error(mod):
    reg = Registry(entry_points=[ep("tiny", f"{mod}:TinyEncoder", group="gclbt.methods")])
    with pytest.raises(
        PluginTypeError,
        match=r"must be a gclbt_plugin\.recipes\.recipe\.Recipe "
        rf"instance, found class {mod}\.TinyEncoder",
    ):
        reg.get("methods", "tiny")


def test_registry_get_augmentor_registered_as_encoder_raises_type_error(mod):
    reg = Registry(entry_points=[ep("enc", f"{mod}:Shift", group="gclbt.encoders")])
    with pytest.raises(PluginTypeError, match=r"subclass of gclbt_plugin\.encoders\.base\.Encoder"):
        reg.get("encoders", "enc")


def test_registry_get_plain_module_registered_as_encoder_says_how_to_fix_it(mod):
    reg = Registry(entry_points=[ep("plain", f"{mod}:PlainModuleEncoder", group="gclbt.encoders")])
    with pytest.raises(PluginTypeError) as info:
        reg.get("encoders", "plain")
    assert str(info.value).endswith(
        f"must be a subclass of gclbt_plugin.encoders.base.Encoder, found class {mod}.PlainModuleEncoder; "
        "subclass gclbt_plugin.encoders.Encoder, set in_channels, out_channels and num_layers "
        "(positive integers) in __init__ and implement forward(x, edge_index, edge_weight=None)"
    )


def test_registry_create_encoder_without_declared_sizes_raises_type_error(mod):
    reg = Registry(entry_points=[ep("Sizeless", f"{mod}:SizelessEncoder", group="gclbt.encoders")])
    with pytest.raises(PluginTypeError, match=r"does not declare its sizes \(out_channels=None, num_layers=None\)"):
        reg.create("encoders", "sizeless", in_channels=3)


def test_registry_create_encoder_with_renamed_keyword_names_the_new_one(mod):
    reg = Registry(entry_points=[ep("TinyEncoder", f"{mod}:TinyEncoder", group="gclbt.encoders")])
    with pytest.raises(TypeError) as info:
        reg.create("encoders", "tiny-encoder", in_channels=3, batch_norm=True)
    assert str(info.value) == (
        f"encoder 'TinyEncoder' ({mod}:TinyEncoder) got unknown keyword argument(s) ['batch_norm']; "
        "'batch_norm' was renamed, use norm (norm='batch_norm' for batch_norm=True, norm=None for False); "
        "accepted keywords: ['in_channels', 'out_channels']"
    )


def test_registry_get_same_name_from_two_distributions_raises_duplicate_error(mod):
    reg = Registry(
        entry_points=[
            ep("Shift", f"{mod}:Shift", dist="acme-gcl", version="1.0"),
            ep("shift", f"{mod}:Flexible", dist="other-gcl", version="0.3"),
        ]
    )
    with pytest.raises(DuplicatePluginError) as info:
        reg.get("augmentors", "SHIFT")
    assert str(info.value) == (
        f"augmentor name 'SHIFT' is registered 2 times: 'Shift' = '{mod}:Shift' from distribution "
        f"'acme-gcl 1.0', 'shift' = '{mod}:Flexible' from distribution 'other-gcl 0.3'; "
        "uninstall one of these distributions"
    )


def test_registry_available_keeps_both_conflicting_entries(mod):
    reg = Registry(
        entry_points=[
            ep("Shift", f"{mod}:Shift", dist="acme-gcl"),
            ep("shift", f"{mod}:Shift", dist="other-gcl"),
        ]
    )
    assert [info.distribution for info in reg.available("augmentors")] == ["acme-gcl", "other-gcl"]


def test_registry_same_distribution_seen_twice_is_not_a_conflict(mod):
    # e.g. the same site-packages directory twice on sys.path, or "acme_gcl" vs "acme-gcl".
    reg = Registry(
        entry_points=[
            ep("Shift", f"{mod}:Shift", dist="acme-gcl"),
            ep("Shift", f"{mod}:Shift", dist="acme_gcl"),
        ]
    )
    assert reg.names("augmentors") == ["Shift"]
    assert reg.get("augmentors", "shift") is sys.modules[mod].Shift


def test_registry_create_passes_keyword_arguments(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift")])
    generator = torch.Generator()
    aug = reg.create("augmentors", "shift", delta=0.5, generator=generator)
    assert (type(aug).__name__, aug.delta, aug.generator) == ("Shift", 0.5, generator)


def test_registry_create_unknown_keyword_lists_accepted_ones(mod):
    reg = Registry(entry_points=[ep("Shift", f"{mod}:Shift")])
    with pytest.raises(TypeError) as info:
        reg.create("augmentors", "shift", detla=0.5)
    assert str(info.value) == (
        f"augmentor 'Shift' ({mod}:Shift) got unknown keyword argument(s) ['detla']; "
        "accepted keywords: ['delta', 'generator']"
    )


def test_registry_create_missing_required_keyword_is_named(mod):
    reg = Registry(entry_points=[ep("NeedsP", f"{mod}:NeedsP")])
    with pytest.raises(
        TypeError,
        match=r"requires keyword argument\(s\) \['p'\]; accepted "
        r"keywords: \['generator', 'p'\]",
    ):
        reg.create("augmentors", "needs-p")


def test_registry_create_var_keyword_constructor_accepts_anything(mod):
    reg = Registry(entry_points=[ep("Flexible", f"{mod}:Flexible")])
    assert reg.create("augmentors", "flexible", anything=1).kwargs == {"anything": 1}


def test_registry_create_constructor_error_propagates_unwrapped(mod):
    reg = Registry(entry_points=[ep("NeedsP", f"{mod}:NeedsP")])
    with pytest.raises(ValueError, match=r"^p must be in \[0, 1\], got 1\.5$"):
        reg.create("augmentors", "NeedsP", p=1.5)


def test_registry_create_encoder_builds_module(mod):
    reg = Registry(entry_points=[ep("TinyEncoder", f"{mod}:TinyEncoder", group="gclbt.encoders")])
    encoder = reg.create("encoders", "tiny-encoder", in_channels=3)
    assert list(encoder.linear.weight.shape) == [2, 3]
    assert (encoder.in_channels, encoder.out_channels, encoder.num_layers) == (3, 2, 1)


def test_registry_create_method_returns_the_recipe(mod):
    reg = Registry(entry_points=[ep("tiny", f"{mod}:tiny", group="gclbt.methods")])
    recipe = reg.create("methods", "TINY")
    assert isinstance(recipe, Recipe) and recipe.name == "tiny"


def test_registry_create_method_rejects_keyword_arguments(mod):
    reg = Registry(entry_points=[ep("tiny", f"{mod}:tiny", group="gclbt.methods")])
    with pytest.raises(TypeError, match=r"takes no keyword arguments, got \['epochs'\]"):
        reg.create("methods", "tiny", epochs=3)


def test_plugin_info_description_is_first_paragraph_on_one_line(mod):
    (info,) = Registry(entry_points=[ep("Shift", f"{mod}:Shift")]).available("augmentors")
    assert info.description == "Add a constant to every node feature."


def test_plugin_info_description_of_recipe_is_its_description(mod):
    reg = Registry(entry_points=[ep("tiny", f"{mod}:tiny", group="gclbt.methods")])
    assert reg.available("methods")[0].description == "A tiny recipe."


def test_plugin_info_description_of_undocumented_class_is_empty(mod):
    # Not the base class's docstring: that would describe Augmentor, not the plugin.
    reg = Registry(entry_points=[ep("Undocumented", f"{mod}:Undocumented")])
    assert reg.available("augmentors")[0].description == ""


def test_plugin_info_description_of_broken_entry_raises_plugin_load_error(make_module):
    broken = make_module("raise RuntimeError('boom')\n")
    (info,) = Registry(entry_points=[ep("Broken", f"{broken}:Broken")]).available("augmentors")
    with pytest.raises(PluginLoadError, match="RuntimeError: boom"):
        info.description  # noqa: B018


def test_default_registry_reads_installed_entry_points():
    (info,) = [i for i in registry.available("augmentors") if i.name == "Identity"]
    assert info.distribution == "gclbt-plugin"
    assert info.value == "gclbt_plugin.augmentors.base:Identity"


def test_module_create_builds_installed_component():
    assert isinstance(registry.create("augmentor", "identity"), Identity)


def _builtin_entries() -> list[registry.PluginInfo]:
    reg = registry.default_registry()
    return [i for k in reg.kinds() for i in reg.available(k) if i.distribution == "gclbt-plugin"]


@pytest.mark.parametrize("info", _builtin_entries(), ids=lambda i: f"{i.kind}:{i.name}")
def test_builtin_entry_loads_with_expected_kind(info):
    assert info.load() is not None
    assert info.description
