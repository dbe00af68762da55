"""Evaluation protocols: node splits and the linear probe on frozen embeddings."""

from gclbt_plugin.evaluation.linear_probe import (
    DEFAULT_GRID,
    DEFAULT_PROBE,
    PREPROCESSING,
    PROBES,
    ProbeResult,
    evaluate_embeddings,
    evaluate_protocol,
    format_result,
    preprocess_embeddings,
    standardize,
)
from gclbt_plugin.evaluation.splits import (
    PROTOCOLS,
    Split,
    make_splits,
    public_split,
    random_splits,
    wikics_splits,
)

__all__ = [
    "DEFAULT_GRID",
    "DEFAULT_PROBE",
    "PREPROCESSING",
    "PROBES",
    "PROTOCOLS",
    "ProbeResult",
    "Split",
    "evaluate_embeddings",
    "evaluate_protocol",
    "format_result",
    "make_splits",
    "preprocess_embeddings",
    "public_split",
    "random_splits",
    "standardize",
    "wikics_splits",
]
