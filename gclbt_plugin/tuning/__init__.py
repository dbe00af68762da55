"""Optuna studies over recipe hyper-parameters (``gclbt tune``).

* :mod:`~gclbt_plugin.tuning.search_space`: parameters named by dotted configuration paths whose
  leaf is a constructor keyword (``view1.edge.p``, ``loss.lambda_``), the default space derived
  from the resolved configuration, and search-space files;
* :mod:`~gclbt_plugin.tuning.study`: the objective (validation accuracy, intermediate values for
  pruning), storage with heartbeats, samplers, pruners and callbacks, and :func:`tune`;
* :mod:`~gclbt_plugin.tuning.report`: retraining the best configuration on test, exporting it as
  a ``gclbt train --config`` file, and plots.
"""

from gclbt_plugin.tuning.report import TuneReport, best_config, export_config, report_study, write_plots
from gclbt_plugin.tuning.search_space import (
    Parameter,
    apply_params,
    default_search_space,
    load_search_space,
    suggest_params,
    valid_names,
)
from gclbt_plugin.tuning.study import (
    DEFAULT_STORAGE,
    Objective,
    make_pruner,
    make_sampler,
    make_storage,
    open_study,
    study_augmenter_revisions,
    tune,
)

__all__ = [
    "DEFAULT_STORAGE",
    "Objective",
    "Parameter",
    "TuneReport",
    "apply_params",
    "best_config",
    "default_search_space",
    "export_config",
    "load_search_space",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "open_study",
    "report_study",
    "study_augmenter_revisions",
    "suggest_params",
    "tune",
    "valid_names",
    "write_plots",
]
