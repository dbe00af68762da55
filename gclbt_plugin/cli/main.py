"""The ``gclbt`` command: ``list``, ``train``, ``tune`` and ``bench`` subcommands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func=run``. Errors the user can fix are printed as one line with exit code 1
(tracebacks only with ``--debug``), like Optuna's CLI.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gclbt_plugin import __version__
from gclbt_plugin.registry import PluginError

# The order in which subcommands appear in ``gclbt --help``.
SUBCOMMAND_MODULES = ("list_command", "train_command", "tune_command", "bench_command")


class UsageError(Exception):
    """An error caused by the user's input: printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gclbt", description="Graph self-supervised learning plugins.")
    parser.add_argument("--version", action="version", version=f"gclbt-plugin {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"gclbt_plugin.cli.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"gclbt_plugin.cli.{module_name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (UsageError, PluginError, ValueError, TypeError, FileNotFoundError, LookupError) as error:
        if args.debug:
            raise
        print(f"gclbt {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"gclbt {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
