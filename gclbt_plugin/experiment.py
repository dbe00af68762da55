"""The main job: train a registered method on a dataset and report linear-probe accuracy.

``run_experiment`` is what ``gclbt train`` runs, what each Optuna trial runs and what each
benchmark cell runs -- one code path for every method (recipes differ by configuration only).
"""

from __future__ import annotations

import copy
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import NormalizeFeatures

from gclbt_plugin import __version__

# The run configuration lives in gclbt_plugin.config; re-exported here for existing callers.
from gclbt_plugin.config import (  # noqa: F401
    DEFAULT_EPOCHS,
    DEFAULT_OPTIMIZER,
    PROBE_OPTIONS,
    check_config,
    check_run_options,
    config_fingerprint,
    resolve_config,
    training_fingerprint,
)
from gclbt_plugin.data import load_dataset
from gclbt_plugin.data.datasets import LoadedDataset, canonical_name, feature_density
from gclbt_plugin.evaluation import DEFAULT_PROBE, evaluate_embeddings, make_splits
from gclbt_plugin.evaluation.inference import full_graph_embeddings
from gclbt_plugin.evaluation.linear_probe import ProbeResult
from gclbt_plugin.functional.distributed import world_size
from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.recipes.build import augmenter_revisions, build_model, revision_fingerprint_parts
from gclbt_plugin.training import resolve_device, train
from gclbt_plugin.training.distributed import train_distributed
from gclbt_plugin.training.minibatch import train_minibatch
from gclbt_plugin.training.state import MiniBatchTrainResult

# Bag-of-words features below this density are fed to the encoder as a sparse matrix
# (the first layer's X @ W becomes a sparse-dense product); see README "Sparse features".
SPARSE_DENSITY_THRESHOLD = 0.05


def default_protocol(dataset: LoadedDataset) -> str:
    """``public`` for Planetoid data, ``wikics`` for WikiCS, ``random`` (10/10/80) otherwise."""
    if dataset.name == "WikiCS":
        return "wikics"
    if dataset.name in ("Cora", "CiteSeer", "PubMed"):
        return "public"
    return "random"


def normalize_features(data: Any) -> Any:
    """A copy of ``data`` whose rows of ``x`` sum to 1 (PyG's ``NormalizeFeatures``; zero rows stay 0)."""
    return NormalizeFeatures()(copy.copy(data))


@dataclass
class RunRecord:
    """One trained model (one seed) and its probe over the protocol's splits.

    ``seconds`` is the training time of ``timed_epochs`` epochs: all of them, those restored from a
    checkpoint at the time it recorded (:class:`gclbt_plugin.training.TrainResult`), or, after a
    checkpoint that did not record it, only the ``epochs - resumed_from`` trained in this call.
    """

    seed: int
    epochs: int
    seconds: float
    seconds_per_epoch: float
    final_loss: float
    probe: dict[str, Any]
    resumed_from: int = 0
    timed_epochs: int = 0


@dataclass
class ExperimentResult:
    """Accuracy (in %) as mean ± std over every (seed, split) pair, plus how it was obtained."""

    method: str
    dataset: str
    protocol: str
    test_mean: float
    test_std: float
    val_mean: float
    val_std: float
    num_evaluations: int
    epochs: int
    seconds: float
    seconds_per_epoch: float
    device: str
    sparse_features: bool
    config: dict[str, Any]
    runs: list[RunRecord] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    sampler: str | None = None
    batch_size: int | None = None
    world_size: int = 1
    probe: str = DEFAULT_PROBE
    features_normalized: bool = False
    schedule: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.method} on {self.dataset} ({self.protocol} split, {self.num_evaluations} evaluations): "
            f"test accuracy {self.test_mean:.2f} ± {self.test_std:.2f} % ({self.probe} probe), "
            f"val {self.val_mean:.2f} ± {self.val_std:.2f} %; {self.epochs} epochs, "
            f"{epoch_time_text(self.seconds_per_epoch)} on {self.device}"
            + (f" (mini-batch {self.batch_size}, sampler {self.sampler})" if self.batch_size else "")
            + (f" x {self.world_size} processes" if self.world_size > 1 else "")
        )


def epoch_time_text(seconds_per_epoch: float | None) -> str:
    """``"12.3 ms/epoch"``, or what happened when no epoch ran (every one came from a checkpoint)."""
    if seconds_per_epoch is None or not math.isfinite(seconds_per_epoch):
        return "no epoch run: restored from a finished checkpoint"
    return f"{seconds_per_epoch * 1000:.1f} ms/epoch"


def environment() -> dict[str, Any]:
    """Versions and machine facts written beside every result."""
    import torch_geometric

    info: dict[str, Any] = {
        "gclbt_plugin": __version__,
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


@dataclass
class PreparedData:
    """A graph ready for training and probing: tensors on the device, the probe's splits.

    Attributes:
        name: the dataset's canonical name (``"custom"`` for a user's ``Data``).
        x: ``[N, F]`` node features (row-normalised when the configuration says so).
        edge_index: ``[2, E]``.
        edge_weight: ``[E]`` or ``None``.
        y: ``[N]`` labels, for the probe.
        num_classes: ``K``.
        splits: the probe's train/val/test splits (:func:`gclbt_plugin.evaluation.make_splits`).
        protocol: ``public``, ``random`` or ``wikics``.
        features_normalized: whether the rows of ``x`` were scaled to sum 1.
        sparse: whether ``x`` is a sparse COO matrix (see :func:`use_sparse_features`).
    """

    name: str
    x: torch.Tensor
    edge_index: torch.Tensor
    edge_weight: torch.Tensor | None
    y: torch.Tensor
    num_classes: int
    splits: list
    protocol: str
    features_normalized: bool
    sparse: bool = False

    @property
    def num_features(self) -> int:
        return int(self.x.size(1))

    @property
    def graph(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        return self.x, self.edge_index, self.edge_weight


def prepare_data(
    dataset: str | LoadedDataset | Data,
    config: dict[str, Any],
    *,
    protocol: str | None = None,
    num_splits: int = 20,
    device: str | torch.device = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
) -> PreparedData:
    """Step 1: load the graph, apply the configuration's feature preprocessing, make the probe's splits.

    Args:
        dataset (str | LoadedDataset | Data): a dataset name (see
            :func:`gclbt_plugin.data.load_dataset`), a loaded one, or any PyG ``Data`` with ``x``,
            ``edge_index`` and labels ``y`` (its own ``train_mask``/``val_mask``/``test_mask``
            are used with ``protocol="public"``; default ``random`` 10/10/80 splits).
        config (dict): the resolved configuration (its ``features`` section).
        protocol (str, optional): ``public``, ``random`` or ``wikics``; default by dataset.
        num_splits (int): random splits for the ``random`` protocol. (default: 20)
        device (str | torch.device): ``auto``, ``cpu``, ``cuda`` or ``cuda:i``. (default: ``auto``)
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.

    Raises:
        TypeError: a ``Data`` without ``x``, ``edge_index`` or ``y``.
    """
    if isinstance(dataset, Data):
        missing = [key for key in ("x", "edge_index", "y") if getattr(dataset, key, None) is None]
        if missing:
            raise TypeError(
                f"dataset: a Data object needs x, edge_index and y (labels, for the probe); missing {missing}"
            )
        name, data, num_classes = "custom", dataset, int(dataset.y.max()) + 1
        protocol = protocol or "random"
    else:
        loaded = dataset if isinstance(dataset, LoadedDataset) else load_dataset(dataset, data_cache, data_mirror)
        name, data, num_classes = loaded.name, loaded.data, loaded.num_classes
        protocol = protocol or default_protocol(loaded)
    torch_device = resolve_device(device) if isinstance(device, str) else device
    features_normalized = bool((config.get("features") or {}).get("normalize", False))
    if features_normalized:  # before any sparse conversion, as the references load their data
        data = normalize_features(data)
    splits = make_splits(protocol, data, num_splits=num_splits, seed=0)
    edge_weight = data.edge_weight if "edge_weight" in data else None
    return PreparedData(
        name=name,
        x=data.x.to(torch_device),
        edge_index=data.edge_index.to(torch_device),
        edge_weight=None if edge_weight is None else edge_weight.to(torch_device),
        y=data.y.to(torch_device),
        num_classes=num_classes,
        splits=splits,
        protocol=protocol,
        features_normalized=features_normalized,
    )


def use_sparse_features(data: PreparedData, model: ContrastModel, sparse_features: bool | str = "auto") -> PreparedData:
    """``data`` with ``x`` as a sparse COO matrix when asked, or (``"auto"``) below 5 % density --
    and only when the model declares it accepts sparse features (encoder and augmenters).

    Raises:
        ValueError: ``sparse_features`` not ``"auto"``/``True``/``False``, or ``True`` for a model
            with a dense-only component.
    """
    if sparse_features not in ("auto", True, False):
        raise ValueError(f"sparse_features must be 'auto', True or False, got {sparse_features!r}")
    if sparse_features is False or data.sparse:
        return data
    if not model.supports_sparse_features:
        if sparse_features is True:
            parts = {"encoder": model.encoder, "view1": model.augmentor1, "view2": model.augmentor2}
            dense_only = [f"{key} {part!r}" for key, part in parts.items() if not part.supports_sparse_features]
            raise ValueError(
                f"sparse_features=True, but {'; '.join(dense_only)} do not declare supports_sparse_features"
            )
        return data
    if sparse_features is True or feature_density(data.x) < SPARSE_DENSITY_THRESHOLD:
        return replace(data, x=data.x.to_sparse_coo().coalesce(), sparse=True)
    return data


def dataset_config(
    method: str, dataset: str | LoadedDataset | Data, overrides: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """:func:`resolve_config` for ``dataset`` as :func:`run_experiment` names it: a dataset name
    (canonicalised), a loaded dataset's name, or no name for a bare PyG ``Data`` (the method's defaults)."""
    name = dataset.name if isinstance(dataset, LoadedDataset) else None
    if isinstance(dataset, str):
        name = canonical_name(dataset)
    return resolve_config(method, name, overrides)


def build_seeded_model(
    config: dict[str, Any], data: PreparedData, seed: int, sparse_features: bool | str = "auto"
) -> tuple[ContrastModel, torch.Generator, PreparedData]:
    """Step 2 for model seed ``seed``: ``(model, generator, data)`` as every run of this package draws them.

    ``torch.manual_seed(seed)`` draws the initialisation, a generator seeded ``seed + 1`` on the data's
    device the augmentations; the model is on the data's device and ``data`` has sparse features
    when asked (:func:`use_sparse_features`).
    """
    torch.manual_seed(seed)
    generator = torch.Generator(device=data.x.device).manual_seed(seed + 1)
    model = build_model(config, data.num_features, generator=generator).to(data.x.device)
    return model, generator, use_sparse_features(data, model, sparse_features)


def probe_options(data: PreparedData, config: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`~gclbt_plugin.evaluation.evaluate_embeddings` for ``data`` and ``config``."""
    return {"protocol": data.protocol, "num_classes": data.num_classes, **(config.get("evaluation") or {})}


def train_model(
    model: ContrastModel,
    data: PreparedData,
    config: dict[str, Any],
    *,
    generator: torch.Generator | None = None,
    batch_size: int | None = None,
    sampler: str = "auto",
    num_neighbors: Sequence[int] | None = None,
    distributed: bool = False,
    checkpoint_path: str | os.PathLike | None = None,
    checkpoint_every: int = 50,
    checkpoint_minutes: float | None = None,
    fingerprint: str = "",
    progress: bool = True,
    callback: Callable[[int, ContrastModel, float], None] | None = None,
) -> MiniBatchTrainResult:
    """Step 3: train ``model`` on ``data`` with the configuration's epochs, optimiser and schedule.

    Full-batch by default; mini-batches of ``batch_size`` seed nodes
    (:func:`~gclbt_plugin.training.minibatch.train_minibatch`) or data-parallel over the
    initialised process group (:func:`~gclbt_plugin.training.distributed.train_distributed`).
    The remaining arguments are those of :func:`gclbt_plugin.training.train`.
    """
    trainer: Callable[..., MiniBatchTrainResult] = train
    scale_options: dict[str, Any] = {}
    if distributed or batch_size is not None:
        trainer = train_distributed if distributed else train_minibatch
        scale_options = {"batch_size": batch_size, "sampler": sampler, "num_neighbors": num_neighbors}
    return trainer(
        model,
        *data.graph,
        epochs=int(config.get("epochs", DEFAULT_EPOCHS)),
        optimizer=config.get("optimizer", DEFAULT_OPTIMIZER),
        scheduler=config.get("scheduler"),
        generator=generator,
        checkpoint_path=checkpoint_path,
        fingerprint=fingerprint,
        progress=progress,
        callback=callback,
        checkpoint_every=checkpoint_every,
        checkpoint_minutes=checkpoint_minutes,
        **scale_options,
    )


def seed_checkpoint_name(method: str, dataset: str, seed: int, fingerprint: str) -> str:
    """File name of model seed ``seed``'s training checkpoint in :func:`run_experiment`'s ``checkpoint_dir``."""
    return f"{method}-{dataset}-seed{seed}-{fingerprint}.pt"


def find_seed_checkpoint(folder: str | os.PathLike, seed: int) -> Path:
    """The one checkpoint of model seed ``seed`` under ``folder`` (searched recursively; named by
    :func:`seed_checkpoint_name`, any method, dataset and fingerprint).

    Raises:
        FileNotFoundError: none, or more than one (checkpoints of several plans in ``folder``).
    """
    found = sorted(Path(folder).rglob(seed_checkpoint_name("*", "*", seed, "*")))
    if len(found) != 1:
        raise FileNotFoundError(
            f"expected one checkpoint of seed {seed} under {os.fspath(folder)!r} "
            f"({seed_checkpoint_name('METHOD', 'DATASET', seed, 'FINGERPRINT')}), found {[os.fspath(f) for f in found]}"
        )
    return found[0]


def embed(model: ContrastModel, data: PreparedData, layerwise: bool = False) -> torch.Tensor:
    """The frozen embeddings ``[N, d]`` of the clean graph (layer-wise in chunks for large graphs)."""
    if layerwise:
        return full_graph_embeddings(model, *data.graph)
    return model.embed(*data.graph)


def evaluate_model(
    model: ContrastModel,
    data: PreparedData,
    config: dict[str, Any],
    *,
    layerwise: bool = False,
    splits: list | None = None,
    score_test: bool = True,
) -> ProbeResult:
    """Step 4: the linear probe of ``model``'s frozen embeddings over ``data``'s splits.

    Args:
        layerwise (bool): compute the embeddings layer-wise in chunks
            (:func:`~gclbt_plugin.evaluation.inference.full_graph_embeddings`), bounded memory.
        splits (list, optional): a subset of ``data.splits`` (e.g. the first few, for pruning).
        score_test (bool): also score the chosen probe on the test nodes; ``False`` never reads a
            test label (NaN test accuracies), for hyper-parameter searches. (default: ``True``)
    """
    return evaluate_embeddings(
        embed(model, data, layerwise), data.y, data.splits if splits is None else splits,
        score_test=score_test, **probe_options(data, config),
    )


def _periodic_probe(
    every: int,
    epochs: int,
    on_evaluation: Callable[[int, ProbeResult], None],
    data: PreparedData,
    config: dict[str, Any],
    splits: list,
    layerwise: bool,
) -> Callable[[int, Any, float], None]:
    """A training callback that probes every ``every`` epochs (not at the last: that is the final probe)."""

    def callback(epoch: int, model: Any, loss: float) -> None:
        if epoch % every == 0 and epoch < epochs:
            # validation only: an intermediate probe steers pruning and never reads a test label
            probe = evaluate_model(model, data, config, layerwise=layerwise, splits=splits, score_test=False)
            on_evaluation(epoch, probe)

    return callback


def _seconds_per_epoch(runs: list[RunRecord]) -> float:
    """Training seconds per timed epoch over all seeds (NaN when no epoch is timed: every one came
    from checkpoints that did not record their time)."""
    timed = sum(r.timed_epochs for r in runs)
    return sum(r.seconds for r in runs) / timed if timed else float("nan")


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    t = torch.tensor(values, dtype=torch.float64) * 100
    return float(t.mean()), float(t.std(unbiased=False))


def run_experiment(
    method: str,
    dataset: str | LoadedDataset | Data,
    *,
    overrides: Sequence[dict[str, Any]] = (),
    config: dict[str, Any] | None = None,
    seeds: Sequence[int] = (0,),
    protocol: str | None = None,
    num_splits: int = 20,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    sparse_features: bool | str = "auto",
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
    eval_every: int | None = None,
    eval_splits: int | None = None,
    on_evaluation: Callable[[int, ProbeResult], None] | None = None,
    batch_size: int | None = None,
    sampler: str = "auto",
    num_neighbors: Sequence[int] | None = None,
    distributed: bool = False,
    checkpoint_every: int = 50,
    checkpoint_minutes: float | None = None,
    score_test: bool = True,
    on_run: Callable[[RunRecord], None] | None = None,
) -> ExperimentResult:
    """Train ``method`` on ``dataset`` once per seed and probe the frozen embeddings.

    The steps, each callable on its own from Python: :func:`dataset_config` (the configuration),
    :func:`prepare_data` (the graph and splits), :func:`build_seeded_model` (the model of a seed),
    :func:`train_model`, :func:`evaluate_model`.

    Args:
        method (str): a registered method (``gclbt list methods``).
        dataset (str | LoadedDataset | Data): a dataset name, a loaded dataset or a PyG ``Data``
            (see :func:`prepare_data`).
        overrides (sequence of dict): merged over the recipe's published defaults, in order.
        config (dict, optional): a complete configuration; replaces defaults and overrides.
        seeds (sequence of int): one model per seed (initialisation and augmentation draws).
        protocol (str, optional): ``public``, ``random`` or ``wikics``; default by dataset.
        num_splits (int): random splits per model for the ``random`` protocol. (default: 20)
        device (str): ``auto``, ``cpu``, ``cuda`` or ``cuda:i``. (default: ``auto``)
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.
        sparse_features (bool | "auto"): feed features as a sparse matrix; ``auto`` does so below
            5 % density when every component accepts it. (default: ``"auto"``)
        checkpoint_dir (path, optional): per-seed checkpoints; an interrupted run resumes.
        checkpoint_every (int): epochs between checkpoints. (default: ``50``)
        checkpoint_minutes (float, optional): also checkpoint after the first epoch ending this
            many minutes after the last checkpoint. (default: ``None``)
        progress (bool): progress bars. (default: ``True``)
        eval_every (int, optional): also probe every ``eval_every`` epochs on the first
            ``eval_splits`` splits and pass the result to ``on_evaluation(epoch, result)``
            (used for Optuna's pruning; it may raise ``optuna.TrialPruned``).
        batch_size (int, optional): train on mini-batches of this many seed nodes (see
            :func:`gclbt_plugin.training.minibatch.train_minibatch`) and compute evaluation
            embeddings layer-wise in chunks (:mod:`gclbt_plugin.evaluation.inference`); ``None``
            trains full-batch. (default: ``None``)
        sampler (str): with ``batch_size``: ``auto``, ``neighbor`` (needs pyg-lib or
            torch-sparse) or ``random-node``; the one used is ``ExperimentResult.sampler``.
            (default: ``auto``)
        num_neighbors (sequence of int, optional): neighbours sampled per hop (``neighbor``).
        distributed (bool): data-parallel training over the initialised ``torch.distributed``
            group (:func:`gclbt_plugin.training.distributed.train_distributed`); every rank
            calls this with the same arguments and gets the same result. (default: ``False``)
        score_test (bool): score the probe on the test nodes; ``False`` (Optuna's objective) never
            reads a test label and reports NaN test accuracy. (default: ``True``)
        on_run (callable, optional): called with each seed's :class:`RunRecord` as soon as that
            model is trained and probed (progress of long multi-seed runs).

    The configuration is checked (:func:`check_config`) before the dataset is loaded.

    Raises:
        ValueError, TypeError, LookupError: a bad argument or configuration key (named).
        TrainingInterrupted: SIGINT / SIGTERM during training with ``checkpoint_dir`` (the
            checkpoint was saved; the same call resumes from it).
    """
    if config is None:
        config = dataset_config(method, dataset, overrides)
    check_config(config)
    if eval_every is not None and on_evaluation is None:
        raise ValueError("eval_every needs on_evaluation")
    if sparse_features not in ("auto", True, False):
        raise ValueError(f"sparse_features must be 'auto', True or False, got {sparse_features!r}")
    data = prepare_data(
        dataset, config, protocol=protocol, num_splits=num_splits, device=device,
        data_cache=data_cache, data_mirror=data_mirror,
    )
    torch_device = data.x.device
    epochs = int(config.get("epochs", DEFAULT_EPOCHS))
    scheduler = config.get("scheduler") or {}
    schedule = {
        "epochs": epochs,
        "warmup_epochs": int(scheduler.get("warmup_epochs", 0)),
        "cosine": bool(scheduler.get("cosine", False)),
    }
    layerwise = batch_size is not None or distributed
    scale_key = (batch_size, sampler, num_neighbors, distributed) if layerwise else ()
    used_sampler: str | None = None
    runs: list[RunRecord] = []
    tests: list[float] = []
    vals: list[float] = []
    total_seconds = 0.0
    revision_key = revision_fingerprint_parts(augmenter_revisions(config))
    for seed in seeds:
        model, generator, data = build_seeded_model(config, data, seed, sparse_features)
        callback = None
        if eval_every is not None:
            callback = _periodic_probe(
                eval_every, epochs, on_evaluation, data, config, data.splits[: eval_splits or len(data.splits)],
                layerwise,
            )
        fingerprint = training_fingerprint(config, data.name, seed, data.sparse, *scale_key, *revision_key)
        checkpoint_path = None
        if checkpoint_dir is not None:
            checkpoint_path = Path(checkpoint_dir) / seed_checkpoint_name(method, data.name, seed, fingerprint)
        started = time.perf_counter()
        trained = train_model(
            model, data, config, generator=generator, batch_size=batch_size, sampler=sampler,
            num_neighbors=num_neighbors, distributed=distributed, checkpoint_path=checkpoint_path,
            checkpoint_every=checkpoint_every, checkpoint_minutes=checkpoint_minutes,
            fingerprint=fingerprint, progress=progress, callback=callback,
        )
        used_sampler = trained.sampler
        probe = evaluate_model(model, data, config, layerwise=layerwise, score_test=score_test)
        total_seconds += time.perf_counter() - started + (trained.seconds_restored or 0.0)
        tests.extend(probe.test_accuracies)
        vals.extend(probe.val_accuracies)
        runs.append(
            RunRecord(
                seed=seed,
                epochs=trained.epochs,
                seconds=trained.training_seconds,
                seconds_per_epoch=trained.seconds_per_epoch,
                final_loss=trained.losses[-1],
                probe=probe.to_dict(),
                resumed_from=trained.resumed_from,
                timed_epochs=trained.timed_epochs,
            )
        )
        if on_run is not None:
            on_run(runs[-1])

    test_mean, test_std = _mean_std(tests)
    val_mean, val_std = _mean_std(vals)
    return ExperimentResult(
        method=method,
        dataset=data.name,
        protocol=data.protocol,
        test_mean=test_mean,
        test_std=test_std,
        val_mean=val_mean,
        val_std=val_std,
        num_evaluations=len(vals),
        epochs=epochs,
        seconds=total_seconds,
        seconds_per_epoch=_seconds_per_epoch(runs),
        device=str(torch_device),
        sparse_features=data.sparse,
        config=config,
        runs=runs,
        environment=environment(),
        sampler=used_sampler,
        batch_size=batch_size,
        world_size=world_size() if distributed else 1,
        probe=probe_options(data, config).get("probe", DEFAULT_PROBE),
        features_normalized=data.features_normalized,
        schedule=schedule,
    )
