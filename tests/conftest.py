"""Shared fixtures: the offline dataset mirror, a session cache, Cora loaded from them, benchmark scripts."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from gclbt_plugin.data import LoadedDataset, load_dataset


@pytest.fixture(scope="session")
def shared_datasets_dir() -> Path:
    """The read-only dataset mirror: ``$GCLBT_TEST_DATASETS`` or ``<repo>/../shared/datasets``.

    Skips the requesting test when the folder is absent.
    """
    env = os.environ.get("GCLBT_TEST_DATASETS")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not path.is_dir():
        pytest.skip(
            f"dataset mirror not found at {path}; set GCLBT_TEST_DATASETS to a folder with "
            "Planetoid/Cora/raw/ind.cora.* (PyG layout, see shared/datasets/README.md)"
        )
    return path


@pytest.fixture(scope="session")
def dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable dataset cache shared by the whole test session."""
    return tmp_path_factory.mktemp("dataset_cache")


@pytest.fixture(scope="session")
def cora(shared_datasets_dir: Path, dataset_cache: Path) -> LoadedDataset:
    """Cora (Planetoid public split) loaded through ``load_dataset`` from the mirror."""
    return load_dataset("Cora", cache_dir=dataset_cache, mirror=shared_datasets_dir)


@pytest.fixture(scope="session")
def load_benchmark():
    """Import a script of ``benchmarks/`` (a folder of scripts, not a package) by name, e.g. ``"probe_check"``."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
