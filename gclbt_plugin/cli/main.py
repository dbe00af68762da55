"""The ``gclbt`` command: ``list``, ``train``, ``tune`` and ``bench`` subcommands.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func=run``. Errors the user can fix are printed as one line with exit code 1
(tracebacks only with ``--debug``), like Optuna's CLI; warnings are one line each
(``gclbt train: warning: ...``, no echoed source line) and the library's progress messages
(``resumed from epoch E of FILE``) one line each on stderr. A training run interrupted with
Ctrl-C or SIGTERM saves a checkpoint when it has a ``--checkpoint-dir`` and exits with
``128 + signal``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from gclbt_plugin import __version__
from gclbt_plugin.errors import UsageError
from gclbt_plugin.registry import PluginError
from gclbt_plugin.training.state import TrainingDivergedError, TrainingInterrupted

__all__ = ["UsageError", "build_parser", "main"]

# The order in which subcommands appear in ``gclbt --help``.
SUBCOMMAND_MODULES = ("list_command", "train_command", "tune_command", "bench_command")

#: Errors printed as one line (exit status 1) unless ``--debug`` is given.
USER_ERRORS = (UsageError, PluginError, ValueError, TypeError, LookupError, OSError, TrainingDivergedError)


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


@contextmanager
def one_line_messages(prefix: str) -> Iterator[None]:
    """Within the block: warnings as ``<prefix>: warning: <first line>`` and the package's log as
    ``<prefix>: <message>``, both on stderr; the previous settings come back afterwards."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = str(message).strip().splitlines()
        print(f"{prefix}: warning: {text[0] if text else category.__name__}", file=file or sys.stderr)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{prefix}: %(message)s"))
    logger = logging.getLogger("gclbt_plugin")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = show
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    prefix = f"gclbt {args.command}"
    with one_line_messages(prefix):
        try:
            return int(args.func(args) or 0)
        except USER_ERRORS as error:
            if args.debug:
                raise
            print(f"{prefix}: error: {error}", file=sys.stderr)
            return 1
        except TrainingInterrupted as interrupted:
            print(f"{prefix}: {interrupted}", file=sys.stderr)
            return 128 + interrupted.signum
        except KeyboardInterrupt:
            print(f"{prefix}: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
