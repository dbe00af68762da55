"""Run configuration: one schema (:mod:`.schema`), one merge rule (:mod:`.merge`), one dotted-path
parser (:mod:`.paths`), and :func:`resolve_config` (:mod:`.resolve`) that puts them together."""

from gclbt_plugin.config.merge import (
    VIEW_KEYS,
    VIEW_SLOTS,
    component_keywords,
    component_kind,
    merge_config,
    needs_target_network,
)
from gclbt_plugin.config.paths import get_path, has_path, leaf_paths, nested, parse_assignment, set_path, split_path
from gclbt_plugin.config.resolve import (
    _sets_warmup,
    check_config,
    config_fingerprint,
    config_to_yaml,
    recipe_config,
    resolve_config,
    training_fingerprint,
)
from gclbt_plugin.config.schema import (
    DEFAULT_EPOCHS,
    DEFAULT_OPTIMIZER,
    PROBE_OPTIONS,
    TOP_LEVEL_KEYS,
    TUNED_SOURCE_PREFIX,
    Component,
    Evaluation,
    Features,
    Head,
    Optimizer,
    RunConfig,
    Scheduler,
    View,
    check_run_options,
    loss_dimension,
)

__all__ = [
    "_sets_warmup", "DEFAULT_EPOCHS", "DEFAULT_OPTIMIZER", "PROBE_OPTIONS", "TOP_LEVEL_KEYS", "TUNED_SOURCE_PREFIX",
    "VIEW_KEYS", "VIEW_SLOTS",
    "Component", "Evaluation", "Features", "Head", "Optimizer", "RunConfig", "Scheduler", "View",
    "check_config", "check_run_options", "component_keywords", "component_kind", "config_fingerprint",
    "config_to_yaml", "get_path", "has_path", "leaf_paths", "loss_dimension", "merge_config",
    "needs_target_network", "nested", "parse_assignment", "recipe_config", "resolve_config", "set_path",
    "split_path", "training_fingerprint",
]
