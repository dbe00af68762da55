"""Benchmark suites (YAML grids of cells), a resumable runner, reports and the scaling benchmark.

* :mod:`~gclbt_plugin.benchmarking.suite`: load and validate suite files, expand them into cells.
* :mod:`~gclbt_plugin.benchmarking.runner`: run cells (one process each), resumably.
* :mod:`~gclbt_plugin.benchmarking.cell`: what one cell process does and records.
* :mod:`~gclbt_plugin.benchmarking.report`: results.md / .csv / .json and plots, beside published numbers.
* :mod:`~gclbt_plugin.benchmarking.scaling`: time and memory on synthetic SBM graphs of growing size.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use (PEP 562): cells run as ``python -m gclbt_plugin.benchmarking.cell``, and an
# eager import of the runner here would load ``cell`` before runpy executes it as __main__.
_EXPORTS = {
    "Cell": "suite", "Suite": "suite", "load_suite": "suite", "parse_suite": "suite",
    "CellOutcome": "runner", "plan_cell": "runner", "run_suite": "runner",
    "write_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
