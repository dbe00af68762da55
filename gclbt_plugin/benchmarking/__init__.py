"""Benchmark suites (YAML grids of cells), a resumable runner, reports and the scaling benchmark.

* :mod:`~gclbt_plugin.benchmarking.suite`: load and validate suite files, expand them into cells.
* :mod:`~gclbt_plugin.benchmarking.runner`: run cells (one process each), resumably.
* :mod:`~gclbt_plugin.benchmarking.cell`: what one cell process does and records.
* :mod:`~gclbt_plugin.benchmarking.report`: results.md / .csv / .json and plots, beside published numbers.
* :mod:`~gclbt_plugin.benchmarking.scaling`: time and memory on synthetic SBM graphs of growing size.
"""

from gclbt_plugin.benchmarking.report import write_report
from gclbt_plugin.benchmarking.runner import CellOutcome, plan_cell, run_suite
from gclbt_plugin.benchmarking.suite import Cell, Suite, load_suite, parse_suite

__all__ = ["Cell", "CellOutcome", "Suite", "load_suite", "parse_suite", "plan_cell", "run_suite", "write_report"]
