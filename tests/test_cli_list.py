"""Tests of ``gclbt list`` on a registry of fake entry points (nothing is installed)."""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import sys
import textwrap

import pytest

from gclbt_plugin.cli import list_command
from gclbt_plugin.cli.main import build_parser, main
from gclbt_plugin.registry import PluginLoadError, Registry

COMPONENTS = '''
from gclbt_plugin.augmentors.base import Augmentor
from gclbt_plugin.losses.base import Loss


class Shift(Augmentor):
    """Add a constant to every node feature."""

    def augment(self, g):
        return g


class MeanLoss(Loss):
    """Mean difference
    of the two views."""

    def forward(self, h1, h2):
        return (h1 - h2).mean()
'''

_module_ids = itertools.count()


class FakeDistribution:
    """Stands in for ``importlib.metadata.Distribution``: only what the registry reads."""

    def __init__(self, name: str, version: str) -> None:
        self.metadata = {"Name": name}
        self.version = version


def ep(name, value, group="gclbt.augmentors", dist="acme-gcl", version="1.2.3"):
    """An entry point as ``importlib.metadata`` finds it, from distribution ``dist``."""
    return importlib.metadata.EntryPoint(name, value, group)._for(FakeDistribution(dist, version))


@pytest.fixture
def mod(tmp_path, monkeypatch):
    """The name of a fresh module (in ``tmp_path``, on ``sys.path``) holding fake components."""
    name = f"_gclbt_fake_list_plugin_{next(_module_ids)}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(COMPONENTS))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def use_entry_points(monkeypatch):
    """Make ``gclbt list`` see exactly the given entry points."""

    def use(*entry_points):
        monkeypatch.setattr(list_command, "default_registry", lambda: Registry(entry_points))

    return use


def test_list_is_a_gclbt_subcommand():
    assert build_parser().parse_args(["list"]).func is list_command.run


def test_list_table_shows_name_provider_and_description(mod, use_entry_points, capsys):
    use_entry_points(ep("Shift", f"{mod}:Shift", dist="acme-gcl", version="1.2.3"))
    assert main(["list", "augmentors"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "augmentors:",
        "  NAME   PROVIDER        DESCRIPTION",
        "  Shift  acme-gcl 1.2.3  Add a constant to every node feature.",
    ]


def test_list_without_kind_shows_every_kind_in_order(mod, use_entry_points, capsys):
    use_entry_points(ep("MeanLoss", f"{mod}:MeanLoss", group="gclbt.losses"))
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if not line.startswith(" ")]
    assert headers == ["augmentors:", "encoders:", "losses:", "methods:"]
    assert "  MeanLoss  acme-gcl 1.2.3  Mean difference of the two views." in out


def test_list_kind_without_entries_says_none_registered(use_entry_points, capsys):
    use_entry_points()
    assert main(["list", "encoders"]) == 0
    assert capsys.readouterr().out == "encoders:\n  (none registered)\n"


def test_list_kind_accepts_singular_spelling(mod, use_entry_points, capsys):
    use_entry_points(
        ep("Shift", f"{mod}:Shift"), ep("MeanLoss", f"{mod}:MeanLoss", group="gclbt.losses")
    )
    assert main(["list", "loss"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("losses:\n") and "MeanLoss" in out and "Shift" not in out


def test_list_unknown_kind_is_a_one_line_error_with_status_1(use_entry_points, capsys):
    use_entry_points()
    assert main(["list", "optimizers"]) == 1
    assert capsys.readouterr().err == (
        "gclbt list: error: kind must be one of ['augmentors', 'encoders', 'losses', 'methods'], "
        "got 'optimizers'\n"
    )


def test_list_json_has_one_object_per_entry(mod, use_entry_points, capsys):
    use_entry_points(ep("Shift", f"{mod}:Shift", dist="acme-gcl", version="1.2.3"))
    assert main(["list", "augmentors", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "kind": "augmentors",
            "name": "Shift",
            "normalized_name": "shift",
            "distribution": "acme-gcl",
            "version": "1.2.3",
            "provider": "acme-gcl 1.2.3",
            "value": f"{mod}:Shift",
            "description": "Add a constant to every node feature.",
            "error": None,
        }
    ]


def test_list_broken_entry_is_an_error_row_and_others_still_listed(mod, use_entry_points, capsys):
    use_entry_points(ep("Broken", "_gclbt_no_such_module:Broken"), ep("Shift", f"{mod}:Shift"))
    assert main(["list", "augmentors"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[2:] == [
        "  Broken  acme-gcl 1.2.3  ERROR: cannot import: ModuleNotFoundError: "
        "No module named '_gclbt_no_such_module'",
        "  Shift   acme-gcl 1.2.3  Add a constant to every node feature.",
    ]
    assert captured.err.startswith("gclbt list: 1 entry could not be loaded")


def test_list_entry_of_wrong_kind_is_an_error_row(mod, use_entry_points, capsys):
    use_entry_points(ep("Oops", f"{mod}:MeanLoss"))
    assert main(["list", "augmentors", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["description"] == ""
    assert row["error"].endswith(
        f"must be a subclass of gclbt_plugin.augmentors.base.Augmentor, found class {mod}.MeanLoss"
    )


def test_list_conflicting_names_are_error_rows(mod, use_entry_points, capsys):
    use_entry_points(
        ep("Shift", f"{mod}:Shift", dist="acme-gcl"), ep("shift", f"{mod}:Shift", dist="other-gcl")
    )
    assert main(["list", "augmentors", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["distribution"] for row in rows] == ["acme-gcl", "other-gcl"]
    assert all("is registered 2 times" in row["error"] for row in rows)


def test_list_debug_reraises_first_load_error(use_entry_points, capsys):
    use_entry_points(ep("Broken", "_gclbt_no_such_module:Broken"))
    with pytest.raises(PluginLoadError, match="_gclbt_no_such_module"):
        main(["--debug", "list"])
