"""Benchmark datasets (PyG classes, offline mirror, cache) and feature-format helpers."""

from gclbt_plugin.data.datasets import (
    DatasetUnavailableError,
    LoadedDataset,
    available_offline,
    canonical_name,
    dataset_names,
    feature_density,
    load_dataset,
    resolve_cache_dir,
    resolve_mirror,
    to_sparse_features,
)

__all__ = [
    "DatasetUnavailableError",
    "LoadedDataset",
    "available_offline",
    "canonical_name",
    "dataset_names",
    "feature_density",
    "load_dataset",
    "resolve_cache_dir",
    "resolve_mirror",
    "to_sparse_features",
]
