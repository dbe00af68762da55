"""Checkpoints that survive being killed at any moment, and a corrupt file that is not fatal.

:func:`atomic_save` writes to a temporary file in the same folder, ``fsync``\\ s it, moves the
current checkpoint to ``<file>.prev`` and only then renames the new one into place, so at every
instant either ``<file>`` or ``<file>.prev`` is a complete checkpoint. :func:`load_latest` reads
``<file>``; when it is missing or unreadable (truncated, corrupt) it warns in one line naming the
file and falls back to ``<file>.prev``, and when neither can be read the run starts from scratch
with a warning. Temporary files left by a killed writer are removed.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import torch

from gclbt_plugin.files import make_temporary_file

#: Keys every checkpoint written by :func:`gclbt_plugin.training.minibatch.train_loop` holds.
REQUIRED_KEYS = ("epoch", "model", "optimizer", "scheduler", "rng", "sampling", "losses", "fingerprint")


def previous_path(path: str | os.PathLike) -> Path:
    """Where the checkpoint before the current one is kept: ``<file>.prev``."""
    path = Path(path)
    return path.with_name(path.name + ".prev")


def _temporary_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*.tmp")) if path.parent.is_dir() else []


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. a platform without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` ``obj`` to ``path`` without ever leaving no complete checkpoint behind.

    The new file is written and synced under a temporary name; then the current ``path`` becomes
    ``<path>.prev`` and the new file becomes ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temporary_file(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.replace(path, previous_path(path))
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read(path: Path, map_location: torch.device | str) -> dict[str, Any]:
    state = torch.load(path, map_location=map_location, weights_only=False)
    if not isinstance(state, dict) or any(key not in state for key in REQUIRED_KEYS):
        raise ValueError("not a gclbt training checkpoint")
    return state


def _reason(error: BaseException) -> str:
    """``"RuntimeError: PytorchStreamReader failed reading zip archive: ..."``: type and first sentence."""
    text = str(error).strip().splitlines()
    first = text[0].split(". ")[0].rstrip(".") if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def unreadable_path(path: str | os.PathLike) -> Path:
    """Where an unreadable checkpoint is moved aside: ``<file>.unreadable`` (never read again)."""
    path = Path(path)
    return path.with_name(path.name + ".unreadable")


def load_latest(
    path: str | os.PathLike, map_location: torch.device | str = "cpu", *, clean: bool = True
) -> tuple[dict[str, Any], Path] | None:
    """The newest readable checkpoint at ``path`` (else ``<path>.prev``) and the file it came from.

    An unreadable file is moved aside to ``<file>.unreadable`` (so the next save cannot rotate it
    over the good previous checkpoint), and the next candidate is tried.

    Args:
        path (path): the checkpoint file.
        map_location: as :func:`torch.load`.
        clean (bool): remove temporary files a killed writer left next to ``path`` and move
            unreadable files aside; pass ``False`` in a process that does not write the
            checkpoint. (default: ``True``)

    Returns:
        ``(state, file)``, or ``None`` when there is nothing to resume from (a warning is given
        when files were there but unreadable).

    Warns:
        UserWarning: one line per unreadable file, naming it, and what happens instead.
    """
    path = Path(path)
    if clean:
        for leftover in _temporary_files(path):
            leftover.unlink(missing_ok=True)
    candidates = [p for p in (path, previous_path(path)) if p.exists()]
    for index, candidate in enumerate(candidates):
        try:
            return _read(candidate, map_location), candidate
        except Exception as error:  # truncated zip, unpickling error, wrong content, ...
            following = candidates[index + 1 :]
            then = (
                f"resuming from the previous checkpoint {os.fspath(following[0])}"
                if following
                else "starting from scratch"
            )
            kept = ""
            if clean:
                os.replace(candidate, unreadable_path(candidate))
                kept = f", moved to {os.fspath(unreadable_path(candidate))}"
            warnings.warn(
                f"checkpoint {os.fspath(candidate)} is unreadable ({_reason(error)}){kept}; {then}", stacklevel=2
            )
    return None


def load(path: str | os.PathLike, map_location: torch.device | str = "cpu") -> dict[str, Any] | None:
    """The state of :func:`load_latest` (without the file it came from), or ``None``."""
    found = load_latest(path, map_location)
    return None if found is None else found[0]
