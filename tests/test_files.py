"""Output locations checked before any work; atomic text and JSON writes (NaN as null); the fallback file."""

from __future__ import annotations

import json
import os
import stat

import pytest

from gclbt_plugin import files
from gclbt_plugin.errors import UsageError
from gclbt_plugin.files import (
    check_output_dir,
    check_output_file,
    write_fallback_json,
    write_json_atomic,
    write_text_atomic,
)


def test_check_output_file_accepts_a_new_file_in_missing_folders_without_creating_them(tmp_path):
    path = tmp_path / "new" / "deeper" / "r.json"
    assert check_output_file(path, "--output") == path
    assert list(tmp_path.iterdir()) == []


def test_check_output_file_below_a_file_names_the_flag_and_the_blocking_file(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(UsageError, match=rf"^--output '{blocker}/x/r.json' cannot be created: '{blocker}' is a file"):
        check_output_file(blocker / "x" / "r.json", "--output")


def test_check_output_file_refuses_a_folder(tmp_path):
    with pytest.raises(UsageError, match=f"--output '{tmp_path}' is a folder"):
        check_output_file(tmp_path, "--output")


def test_check_output_dir_refuses_an_existing_file(tmp_path):
    path = tmp_path / "f"
    path.write_text("")
    with pytest.raises(UsageError, match=f"--out '{path}' is a file, not a folder"):
        check_output_dir(path, "--out")


def test_check_output_dir_accepts_a_folder_to_be_created(tmp_path):
    assert check_output_dir(tmp_path / "a" / "b", "--out") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()


def test_write_json_atomic_writes_non_finite_numbers_as_null(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic({"a": float("nan"), "b": [1.5, float("inf")], "c": (float("-inf"),)}, path)

    def refuse(constant):
        raise ValueError(constant)

    assert json.loads(path.read_text(), parse_constant=refuse) == {"a": None, "b": [1.5, None], "c": [None]}


def test_write_fallback_json_writes_a_new_file_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_fallback_json({"x": 1}, "gbt-Cora.json")
    assert path.parent == tmp_path and path.name.startswith("gbt-Cora-") and path.suffix == ".json"
    assert json.loads(path.read_text()) == {"x": 1}


def test_write_json_atomic_gives_the_file_the_mode_a_plain_open_would(tmp_path):
    # mkstemp alone would leave 0o600: results written by one user must stay readable by the group
    previous = os.umask(0o027)
    try:
        write_json_atomic({"a": 1}, tmp_path / "result.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "result.json").stat().st_mode) == 0o640


def test_write_text_atomic_leaves_the_old_file_and_no_temporary_file_when_the_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "probe.md"
    path.write_text("old report\n")

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_text_atomic("new report\n", path)
    assert path.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.md"]


def test_write_text_atomic_creates_missing_folders_and_replaces_the_file(tmp_path):
    path = tmp_path / "a" / "b" / "results.md"
    write_text_atomic("first\n", path)
    write_text_atomic("second\n", path)
    assert path.read_text() == "second\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.md"]


def test_write_json_atomic_leaves_the_old_file_when_the_object_cannot_be_serialised(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"a": 1}\n')
    with pytest.raises(TypeError):
        write_json_atomic({("tuple", "key"): 1}, path)
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
