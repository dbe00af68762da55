"""Tests of the cached default registry, in-process registration and ``resolve``.

Components are defined here (not installed); the default registry is dropped before and after
each test that touches it, so no registration leaks into other tests.
"""

from __future__ import annotations

import importlib.metadata

import pytest
import torch

from gclbt_plugin import registry
from gclbt_plugin.augmentors.base import Augmentor, Identity
from gclbt_plugin.cli import list_command
from gclbt_plugin.cli.main import main
from gclbt_plugin.encoders import GCN, Encoder
from gclbt_plugin.losses import BarlowTwinsLoss
from gclbt_plugin.losses.base import Loss
from gclbt_plugin.recipes.recipe import Recipe
from gclbt_plugin.registry import PluginTypeError, Registry, UnknownPluginError


class Shift(Augmentor):
    """Add a constant to every node feature."""

    def __init__(self, delta: float = 1.0, generator: torch.Generator | None = None) -> None:
        super().__init__(generator)
        self.delta = delta

    def augment(self, g):
        return g._replace(x=g.x + self.delta)


class MeanLoss(Loss):
    """Mean difference."""

    def forward(self, h1, h2):
        return (h1 - h2).mean()


class LinearEncoder(Encoder):
    """Ignores the edges."""

    def __init__(self, in_channels: int, out_channels: int = 2) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.num_layers = in_channels, out_channels, 1
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, edge_weight=None):
        return self.lin(x)


@pytest.fixture
def fresh_default():
    """A default registry built for this test only (registrations do not leak)."""
    registry.default_registry.cache_clear()
    yield registry.default_registry
    registry.default_registry.cache_clear()


def identity_entry(name: str = "Identity") -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name, "gclbt_plugin.augmentors.base:Identity", "gclbt.augmentors")


@pytest.fixture
def count_scans(monkeypatch):
    """Count the calls of ``importlib.metadata.entry_points`` (each is a scan of the metadata)."""
    calls = []
    real = importlib.metadata.entry_points

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", spy)
    return calls


def test_default_registry_scans_entry_points_once_for_many_lookups(fresh_default, count_scans):
    registry.create("augmentors", "identity")
    registry.create("augmentors", "edge-dropping", p=0.2)
    registry.get("losses", "BarlowTwinsLoss")
    registry.create("encoders", "GCN", in_channels=4, hidden_channels=8)
    registry.available("methods")
    registry.get("methods", "gbt")
    registry.resolve("losses", "barlow-twins-loss")
    assert len(count_scans) == 1


def test_default_registry_is_one_object_per_process(fresh_default):
    assert registry.default_registry() is registry.default_registry()


def test_refresh_scans_again_and_keeps_registrations(fresh_default, count_scans):
    registry.register("augmentors", "Shift", Shift)
    registry.available("augmentors")
    registry.refresh()
    registry.available("augmentors")
    assert len(count_scans) == 2
    assert "Shift" in [info.name for info in registry.available("augmentors")]


def test_registry_refresh_sees_newly_installed_entry_points(monkeypatch):
    installed = [identity_entry()]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda: importlib.metadata.EntryPoints(installed))
    reg = Registry()
    installed.append(identity_entry("Other"))
    assert reg.names("augmentors") == ["Identity"]  # found when built, not on each lookup
    reg.refresh()
    assert reg.names("augmentors") == ["Identity", "Other"]


def test_register_then_create_by_any_spelling():
    reg = Registry(entry_points=[])
    reg.register("augmenter", "ConstantShift", Shift)
    aug = reg.create("augmentors", "constant-shift", delta=0.5)
    assert (type(aug), aug.delta) == (Shift, 0.5)
    assert reg.get("augmentors", "CONSTANT_SHIFT") is Shift


def test_register_checks_keywords_like_an_entry_point():
    reg = Registry(entry_points=[])
    reg.register("augmentors", "Shift", Shift)
    with pytest.raises(TypeError) as info:
        reg.create("augmentors", "shift", detla=0.5)
    assert str(info.value) == (
        f"augmentor 'Shift' ({__name__}:Shift) got unknown keyword argument(s) ['detla']; "
        "accepted keywords: ['delta', 'generator']"
    )


def test_register_returns_info_with_in_process_provider():
    info = Registry(entry_points=[]).register("losses", "MeanLoss", MeanLoss)
    assert (info.kind, info.name, info.normalized_name) == ("losses", "MeanLoss", "meanloss")
    assert (info.provider, info.version, info.value) == ("registered in-process", "", f"{__name__}:MeanLoss")
    assert info.in_process and info.description == "Mean difference."


def test_register_clash_with_registered_name_raises_value_error():
    reg = Registry(entry_points=[])
    reg.register("augmentors", "Shift", Shift)
    with pytest.raises(ValueError) as info:
        reg.register("augmentors", "shift", Identity)
    assert str(info.value) == (
        f"augmentor name 'shift' is already registered ('Shift' = '{__name__}:Shift' from "
        "'registered in-process'); choose another name or pass replace=True to replace it"
    )
    assert reg.get("augmentors", "shift") is Shift


def test_register_clash_with_entry_point_raises_value_error():
    reg = Registry([identity_entry()])
    with pytest.raises(ValueError, match=r"augmentor name 'identity' is already registered \('Identity' = "):
        reg.register("augmentors", "identity", Shift)


def test_register_replace_true_hides_the_existing_entry():
    reg = Registry([identity_entry()])
    reg.register("augmentors", "identity", Shift, replace=True)
    assert [(i.name, i.provider) for i in reg.available("augmentors")] == [("identity", "registered in-process")]
    assert reg.get("augmentors", "Identity") is Shift


def test_register_object_of_wrong_kind_raises_plugin_type_error():
    reg = Registry(entry_points=[])
    with pytest.raises(PluginTypeError) as info:
        reg.register("losses", "Oops", Shift)
    assert isinstance(info.value, TypeError)
    assert str(info.value) == (
        f"loss 'Oops' = '{__name__}:Shift' registered in-process must be a subclass of "
        f"gclbt_plugin.losses.base.Loss, found class {__name__}.Shift"
    )
    assert reg.names("losses") == []


def test_register_plain_module_as_encoder_says_how_to_fix_it():
    hint = r"subclass gclbt_plugin\.encoders\.Encoder, set in_channels, out_channels"
    with pytest.raises(PluginTypeError, match=hint):
        Registry(entry_points=[]).register("encoders", "Lin", torch.nn.Linear)


def test_register_instance_of_a_class_kind_raises_plugin_type_error():
    with pytest.raises(PluginTypeError, match=r"found .*Shift instance"):
        Registry(entry_points=[]).register("augmentors", "shift", Shift())


def test_register_recipe_as_method():
    recipe = Recipe(name="tiny", description="A tiny recipe.", reference="none", config={})
    reg = Registry(entry_points=[])
    reg.register("methods", "tiny", recipe)
    assert reg.create("methods", "TINY") is recipe


@pytest.mark.parametrize(("name", "error"), [("--", ValueError), (3, TypeError)])
def test_register_rejects_bad_names(name, error):
    with pytest.raises(error, match="name must"):
        Registry(entry_points=[]).register("augmentors", name, Shift)


def test_registered_component_is_listed_and_unknown_after_cache_clear(fresh_default):
    registry.register("encoders", "LinearEncoder", LinearEncoder)
    (info,) = [i for i in registry.available("encoders") if i.name == "LinearEncoder"]
    assert info.provider == "registered in-process"
    assert "GCN" in [i.name for i in registry.available("encoders")]
    registry.default_registry.cache_clear()
    with pytest.raises(UnknownPluginError):
        registry.get("encoders", "LinearEncoder")


def test_registered_component_is_listed_by_gclbt_list(monkeypatch, capsys):
    reg = Registry(entry_points=[])
    reg.register("augmentors", "Shift", Shift)
    monkeypatch.setattr(list_command, "default_registry", lambda: reg)
    assert main(["list", "augmentors"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "augmentors:",
        "  NAME   PROVIDER               DESCRIPTION",
        "  Shift  registered in-process  Add a constant to every node feature.",
    ]


def test_module_register_is_seen_by_module_create(fresh_default):
    registry.register("encoders", "LinearEncoder", LinearEncoder)
    encoder = registry.create("encoders", "linear-encoder", in_channels=3)
    assert isinstance(encoder, LinearEncoder) and encoder.out_channels == 2


def test_resolve_name_creates_with_keywords():
    reg = Registry(entry_points=[])
    reg.register("augmentors", "Shift", Shift)
    aug = reg.resolve("augmentors", "shift", delta=2.0)
    assert (type(aug), aug.delta) == (Shift, 2.0)


def test_resolve_instance_is_returned_as_is():
    reg = Registry(entry_points=[])
    loss, aug, encoder = BarlowTwinsLoss(), Shift(), GCN(4, 8)
    assert reg.resolve("loss", loss) is loss
    assert reg.resolve("augmentors", aug) is aug
    assert reg.resolve("encoders", encoder) is encoder


def test_resolve_instance_with_keywords_raises_type_error():
    with pytest.raises(TypeError) as info:
        Registry(entry_points=[]).resolve("augmentors", Shift(), delta=2.0)
    assert str(info.value) == (
        "keyword arguments ['delta'] are only used when query is a name; query is already "
        "a Shift instance: pass them to its constructor instead"
    )


def test_resolve_instance_of_another_kind_raises_type_error():
    expected = r"query must be a registered loss name \(str\) or a gclbt_plugin\.losses\.base\.Loss instance, got "
    with pytest.raises(TypeError, match=expected + r".*Shift instance"):
        Registry(entry_points=[]).resolve("losses", Shift())


def test_resolve_class_raises_type_error_suggesting_register():
    with pytest.raises(TypeError, match=r"to use a class, register it first: register\('augmentors', name, cls\)$"):
        Registry(entry_points=[]).resolve("augmentors", Shift)


def test_resolve_encoder_instance_without_sizes_raises_plugin_type_error():
    class Sizeless(Encoder):
        def forward(self, x, edge_index, edge_weight=None):
            return x

    expected = r"does not declare its sizes \(in_channels=None, out_channels=None, num_layers=None\)"
    with pytest.raises(PluginTypeError, match=expected):
        Registry(entry_points=[]).resolve("encoders", Sizeless())


def test_module_resolve_uses_the_default_registry(fresh_default):
    assert isinstance(registry.resolve("augmentors", "identity"), Identity)
