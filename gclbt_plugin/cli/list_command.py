"""``gclbt list [KIND] [--format table|json]``: every registered component and its provider.

Each entry is imported to read its one-line description; an entry that cannot be imported (or
is not of its group's kind, or shares its name with another distribution's entry) is shown as
an ``ERROR`` row instead of stopping the listing. The exit status is 0 either way; a summary of
the failures goes to stderr, and ``gclbt --debug list`` re-raises the first one with its
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from gclbt_plugin.registry import (
    PluginError,
    PluginLoadError,
    Registry,
    default_registry,
    resolve_kind,
)

_COLUMNS = ("name", "provider", "description")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``list`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "list",
        help="list registered augmentors, losses, encoders and methods",
        description=(
            "List every component registered under the gclbt.* entry-point groups, with the "
            "distribution that provides it and the first line of its docstring."
        ),
    )
    parser.add_argument(
        "kind",
        nargs="?",
        default=None,
        metavar="KIND",
        help=f"only this kind, one of {Registry.kinds()} (default: all)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="output format (default: table)",
    )
    parser.set_defaults(func=run)


def _error_text(error: Exception) -> str:
    if isinstance(error, PluginLoadError) and error.__cause__ is not None:
        cause = error.__cause__
        text = f"cannot import: {type(cause).__name__}: {cause}"
    else:
        text = str(error)
    return " ".join(text.split())


def collect_rows(
    registry: Registry, kinds: list[str]
) -> tuple[list[dict[str, Any]], list[Exception]]:
    """One row per entry of ``kinds``, loading each to read its description.

    Returns:
        ``(rows, errors)``: the rows (keys ``kind``, ``name``, ``normalized_name``,
        ``distribution``, ``version``, ``provider``, ``value``, ``description`` and ``error``,
        the latter ``None`` for a healthy entry) and the exceptions behind the error rows.
    """
    rows: list[dict[str, Any]] = []
    errors: list[Exception] = []
    for kind in kinds:
        infos = registry.available(kind)
        counts = Counter(info.normalized_name for info in infos)
        for info in infos:
            row: dict[str, Any] = {
                "kind": kind,
                "name": info.name,
                "normalized_name": info.normalized_name,
                "distribution": info.distribution,
                "version": info.version,
                "provider": info.provider,
                "value": info.value,
                "description": "",
                "error": None,
            }
            try:
                if counts[info.normalized_name] > 1:
                    registry.find(kind, info.name)  # raises DuplicatePluginError
                row["description"] = info.description
            except PluginError as error:
                row["error"] = _error_text(error)
                errors.append(error)
            rows.append(row)
    return rows, errors


def format_table(rows: list[dict[str, Any]], kinds: list[str]) -> str:
    """Render ``rows`` as one aligned section per kind; error rows read ``ERROR: ...``."""
    headers = tuple(column.upper() for column in _COLUMNS)
    cells = [
        (
            row["kind"],
            row["name"],
            row["provider"],
            f"ERROR: {row['error']}" if row["error"] else row["description"],
        )
        for row in rows
    ]
    # The last column (description) is not padded.
    widths = [max([len(headers[i])] + [len(cell[i + 1]) for cell in cells]) for i in range(2)]

    def line(values: tuple[str, ...]) -> str:
        padded = [value.ljust(width) for value, width in zip(values, widths, strict=False)]
        return "  " + "  ".join([*padded, values[-1]])

    out: list[str] = []
    for kind in kinds:
        out.append(f"{kind}:")
        kind_cells = [cell[1:] for cell in cells if cell[0] == kind]
        if not kind_cells:
            out.append("  (none registered)")
            continue
        out.append(line(headers).rstrip())
        out.extend(line(cell).rstrip() for cell in kind_cells)
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    """Print the listing; see the module docstring."""
    kinds = [resolve_kind(args.kind)] if args.kind is not None else Registry.kinds()
    rows, errors = collect_rows(default_registry(), kinds)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(rows, kinds))
    if errors:
        print(
            f"gclbt list: {len(errors)} entr{'y' if len(errors) == 1 else 'ies'} could not be "
            f"loaded (see the ERROR rows; `gclbt --debug list` shows the first traceback)",
            file=sys.stderr,
        )
        if getattr(args, "debug", False):
            raise errors[0]
    return 0
