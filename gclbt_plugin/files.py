"""Output files: check a location before the work, write text and JSON atomically, fall back when it fails.

Every output location a command is given (``--output``, ``--checkpoint-dir``, ``--out``, a
SQLite ``--storage`` file, ...) is checked *before* any training with
:func:`check_output_file` / :func:`check_output_dir`: nothing is created, the nearest existing
folder on the path must be a writable folder. Results and reports are written with
:func:`write_text_atomic` / :func:`write_json_atomic` (temporary file, then ``os.replace``), so a
failed write never leaves a half-written file; non-finite floats become ``null`` so the file is
valid JSON.

Example:
    >>> check_output_file("results/gbt-Cora.json", "--output")
    PosixPath('results/gbt-Cora.json')
    >>> write_json_atomic({"test_mean": float("nan")}, "results/gbt-Cora.json")  # {"test_mean": null}
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from gclbt_plugin.errors import UsageError


def _nearest_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (the folder a new path would be created in)."""
    path = path.absolute()
    while not path.exists() and not path.is_symlink() and path != path.parent:
        path = path.parent
    return path


def _check_creatable(path: Path, flag: str) -> None:
    """Raise :class:`UsageError` unless every missing folder of ``path`` can be created."""
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        raise UsageError(
            f"{flag} {os.fspath(path)!r} cannot be created: {os.fspath(existing)!r} is a file, not a folder; "
            "pass a path in a writable folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"{flag} {os.fspath(path)!r} cannot be created: the folder {os.fspath(existing)!r} is not writable; "
            "pass a path in a writable folder"
        )


def check_output_file(path: str | os.PathLike, flag: str) -> Path:
    """Check, without creating anything, that the file ``path`` can be written.

    The file may exist (then it must be a writable file) or not (then the nearest existing folder
    on its path must be a writable folder, in which the missing folders will be created).

    Args:
        path (path): the output file.
        flag (str): how messages name it, e.g. ``"--output"``.

    Returns:
        Path: ``path``.

    Raises:
        UsageError: naming ``flag``, the path and why it cannot be written.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise UsageError(
            f"{flag} {os.fspath(path)!r} is a folder; pass a file path (e.g. {os.fspath(path / 'result.json')!r})"
        )
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{flag} {os.fspath(path)!r} exists and is not writable; pass another file path")
        return path
    _check_creatable(path, flag)
    return path


def check_output_dir(path: str | os.PathLike, flag: str) -> Path:
    """Check, without creating anything, that files can be written into the folder ``path``.

    Args:
        path (path): the output folder (it may not exist yet).
        flag (str): how messages name it, e.g. ``"--checkpoint-dir"``.

    Returns:
        Path: ``path``.

    Raises:
        UsageError: naming ``flag``, the path and why nothing can be written there.
    """
    path = Path(path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{flag} {os.fspath(path)!r} is a file, not a folder; pass a folder path")
        if not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"{flag} {os.fspath(path)!r} is not a writable folder; pass a writable folder")
        return path
    _check_creatable(path, flag)
    return path


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by ``None`` (dicts, lists and tuples recursively)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: json_safe(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(value) for value in obj]
    return obj


def make_temporary_file(path: Path) -> tuple[int, str]:
    """Open a new temporary file beside ``path`` for an atomic replace; returns ``(fd, name)``.

    ``tempfile.mkstemp`` creates its file readable by the owner only; the file is given the mode a
    plain ``open`` would have given it (``0o666`` less the umask), so that results and checkpoints
    stay readable by the group and other users as any other output.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


def write_text_atomic(text: str, path: str | os.PathLike) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and ``os.replace``.

    Missing folders are created. A reader sees the old file or the new one, never a part of it;
    on any failure (disk full, interrupt) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temporary_file(path)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON to ``path`` with :func:`write_text_atomic`.

    NaN and infinities are written as ``null`` (:func:`json_safe`); objects JSON does not know are
    written as their ``str``. The object is serialised before anything is written, so an object
    that cannot be serialised leaves no file behind.
    """
    text = json.dumps(json_safe(obj), indent=2, sort_keys=False, default=str, allow_nan=False)
    write_text_atomic(text + "\n", path)


def write_fallback_json(obj: Any, name: str) -> Path:
    """Write ``obj`` to a new file ``<stem>-XXXX.json`` in the working folder, else the temporary folder.

    For a result whose own output path failed at the end of a run: the caller names the returned
    path in its message.

    Raises:
        OSError: neither folder could be written.
    """
    stem = Path(name).stem or "result"
    error: OSError | None = None
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f"{stem}-", suffix=".json", dir=folder)
            os.close(fd)
            write_json_atomic(obj, tmp)
            return Path(tmp)
        except OSError as failure:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            error = failure
    assert error is not None
    raise error
