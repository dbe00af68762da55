"""The main job: train a registered method on a dataset and report linear-probe accuracy.

``run_experiment`` is what ``gclbt train`` runs, what each Optuna trial runs and what each
benchmark cell runs -- one code path for every method (recipes differ by configuration only).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch_geometric.transforms import NormalizeFeatures

from gclbt_plugin import __version__, registry
from gclbt_plugin.data import load_dataset
from gclbt_plugin.data.datasets import LoadedDataset, canonical_name, feature_density
from gclbt_plugin.evaluation import DEFAULT_PROBE, PREPROCESSING, PROBES, evaluate_embeddings, make_splits
from gclbt_plugin.evaluation.inference import full_graph_embeddings
from gclbt_plugin.evaluation.linear_probe import ProbeResult
from gclbt_plugin.functional.distributed import world_size
from gclbt_plugin.recipes.build import build_model
from gclbt_plugin.recipes.recipe import Recipe, merge_config
from gclbt_plugin.training import resolve_device, train
from gclbt_plugin.training.distributed import train_distributed
from gclbt_plugin.training.minibatch import train_minibatch
from gclbt_plugin.training.optim import build_optimizer, build_scheduler

# Bag-of-words features below this density are fed to the encoder as a sparse matrix
# (the first layer's X @ W becomes a sparse-dense product); see README "Sparse features".
SPARSE_DENSITY_THRESHOLD = 0.05

#: Keys of the configuration's ``evaluation`` section and their allowed values.
PROBE_OPTIONS: dict[str, tuple[str, ...]] = {"probe": PROBES, "preprocess": PREPROCESSING}


def default_protocol(dataset: LoadedDataset) -> str:
    """``public`` for Planetoid data, ``wikics`` for WikiCS, ``random`` (10/10/80) otherwise."""
    if dataset.name == "WikiCS":
        return "wikics"
    if dataset.name in ("Cora", "CiteSeer", "PubMed"):
        return "public"
    return "random"


def _sets_warmup(override: dict[str, Any]) -> bool:
    scheduler = override.get("scheduler")
    return isinstance(scheduler, dict) and "warmup_epochs" in scheduler


def resolve_config(
    method: str,
    dataset: str | None = None,
    overrides: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The recipe's published defaults for ``dataset`` with each override deep-merged in order.

    Schedules follow the budget. A warm-up belongs to the epochs it was written for: the recipe's,
    or those of an override that sets ``scheduler.warmup_epochs`` together with ``epochs`` (a
    complete schedule, e.g. a tuned configuration file). When a later override changes ``epochs``
    (``--epochs``, a suite's ``--max-epochs``), the warm-up is scaled by the same factor (at least 1
    epoch, and shorter than the run), so a shortened run keeps its shape of warm-up then decay. A
    warm-up set by an override without ``epochs`` (``--set scheduler.warmup_epochs=5``) is taken as
    it is, for the final epochs; it must be shorter than the run.
    The probe defaults to :data:`~gclbt_plugin.evaluation.DEFAULT_PROBE` and feature row
    normalisation to off, each unless the recipe or an override says otherwise, so the resolved
    configuration shows both.

    Raises:
        ValueError: a warm-up set for the run that is not shorter than ``epochs``; a malformed
            ``features`` or ``evaluation`` section (see :func:`check_run_options`).
    """
    recipe = registry.create("methods", method)
    if not isinstance(recipe, Recipe):  # pragma: no cover - the registry checks the kind
        raise TypeError(f"method {method!r} is not a Recipe")
    config = recipe.config_for(dataset)
    written_for = config.get("epochs")  # the epochs the current warm-up was written for
    pinned = False  # the warm-up was set for whatever the final epochs are
    for override in overrides:
        config = merge_config(config, override)
        if _sets_warmup(override):
            pinned = "epochs" not in override
            written_for = config.get("epochs")
    scheduler = config.get("scheduler")
    warmup = scheduler.get("warmup_epochs", 0) if isinstance(scheduler, dict) else 0
    epochs = config.get("epochs")
    numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (warmup, epochs, written_for))
    if warmup and numbers:  # other values: check_config names them
        if not pinned and epochs != written_for:
            # at least 1 epoch, and shorter than the run (a 1-epoch run has none)
            warmup = scheduler["warmup_epochs"] = min(epochs - 1, max(1, round(warmup * epochs / written_for)))
        if warmup >= epochs:
            raise ValueError(
                f"scheduler.warmup_epochs ({warmup}) must be shorter than epochs ({epochs}); "
                "lower it, or leave it unset to scale the recipe's warm-up with the epochs"
            )
    features = config.setdefault("features", {})
    if isinstance(features, dict):
        features.setdefault("normalize", False)
    evaluation = config.setdefault("evaluation", {})
    if isinstance(evaluation, dict):
        evaluation.setdefault("probe", DEFAULT_PROBE)
    check_run_options(config)
    return config


def check_run_options(config: dict[str, Any]) -> None:
    """Check the ``features`` and ``evaluation`` sections before any work starts.

    ``features: {normalize: bool}`` -- scale each node's feature row to sum 1 before training
    (PyG's ``NormalizeFeatures``, as GRACE, GCA, BGRL and G-BT load every dataset).
    ``evaluation: {probe: bgrl | gca, preprocess: l2 | none | standardize}`` -- the linear probe
    (:func:`gclbt_plugin.evaluation.evaluate_embeddings`).
    """
    features = config.get("features", {})
    if not isinstance(features, dict) or set(features) - {"normalize"}:
        raise ValueError(f"features accepts only 'normalize' (true or false), got {features!r}")
    if not isinstance(features.get("normalize", False), bool):
        raise ValueError(f"features.normalize must be true or false, got {features['normalize']!r}")
    evaluation = config.get("evaluation", {})
    if not isinstance(evaluation, dict) or set(evaluation) - set(PROBE_OPTIONS):
        unknown = sorted(set(evaluation) - set(PROBE_OPTIONS)) if isinstance(evaluation, dict) else evaluation
        raise ValueError(f"evaluation accepts {list(PROBE_OPTIONS)}, got unknown {unknown!r}")
    for key, allowed in PROBE_OPTIONS.items():
        if key in evaluation and evaluation[key] not in allowed:
            raise ValueError(f"evaluation.{key} must be one of {list(allowed)}, got {evaluation[key]!r}")


#: Input width of the throw-away model :func:`check_config` builds (the real one is built per dataset).
_PREFLIGHT_CHANNELS = 4


def check_config(config: dict[str, Any]) -> None:
    """Check a whole configuration before any data is loaded or any epoch is run.

    The ``features`` and ``evaluation`` sections (:func:`check_run_options`), ``epochs``, and
    every component: a small throw-away model is built from the configuration with its
    optimiser and learning-rate schedule, so a bad key or value fails now, with a message that
    starts with its key (``view1.edge.p must be in [0, 1], got 1.5``;
    ``optimizer.learning_rate is not an option of the adamw optimizer ...; accepted keys: ...``).

    Raises:
        ValueError, TypeError, LookupError: the first problem found, naming its key.
    """
    check_run_options(config)
    epochs = config.get("epochs", 100)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    model = build_model(config, _PREFLIGHT_CHANNELS)
    optimizer = build_optimizer(config.get("optimizer", {"name": "adam", "lr": 1e-3}), model.parameters())
    build_scheduler(config.get("scheduler"), optimizer, epochs)


def normalize_features(data: Any) -> Any:
    """A copy of ``data`` whose rows of ``x`` sum to 1 (PyG's ``NormalizeFeatures``; zero rows stay 0)."""
    return NormalizeFeatures()(copy.copy(data))


def training_fingerprint(config: dict[str, Any], *extra: Any) -> str:
    """:func:`config_fingerprint` of what decides the trained model (not the probe settings)."""
    return config_fingerprint({k: v for k, v in config.items() if k != "evaluation"}, *extra)


def config_fingerprint(config: dict[str, Any], *extra: Any) -> str:
    """A short stable hash of a configuration (and e.g. dataset name and seed)."""
    text = json.dumps([config, *extra], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class RunRecord:
    """One trained model (one seed) and its probe over the protocol's splits."""

    seed: int
    epochs: int
    seconds: float
    seconds_per_epoch: float
    final_loss: float
    probe: dict[str, Any]
    resumed_from: int = 0


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


def _dense_only_components(config: dict[str, Any]) -> list[str]:
    """Names of the configured encoder / augmenters that do not accept sparse features."""
    wanted = [("encoders", config["encoder"])]
    wanted += [("augmentors", spec) for view in ("view1", "view2") for spec in (config.get(view) or {}).values()]
    return [
        spec["name"]
        for kind, spec in wanted
        if isinstance(spec, dict) and not getattr(registry.get(kind, spec["name"]), "supports_sparse_features", False)
    ]


def _use_sparse(x: torch.Tensor, sparse_features: bool | str, config: dict[str, Any]) -> bool:
    if sparse_features not in ("auto", True, False):
        raise ValueError(f"sparse_features must be 'auto', True or False, got {sparse_features!r}")
    if sparse_features is False:
        return False
    dense_only = _dense_only_components(config)
    if sparse_features is True and dense_only:
        raise ValueError(f"sparse_features=True, but {dense_only} do not declare supports_sparse_features")
    if dense_only:
        return False
    return sparse_features is True or feature_density(x) < SPARSE_DENSITY_THRESHOLD


def _periodic_probe(
    every: int,
    epochs: int,
    on_evaluation: Callable[[int, ProbeResult], None],
    graph: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
    y: torch.Tensor,
    splits: list,
    probe_options: dict[str, Any],
    embed: Callable[..., torch.Tensor] | None = None,
) -> Callable[[int, Any, float], None]:
    """A training callback that probes every ``every`` epochs (not at the last: that is the final probe)."""

    def callback(epoch: int, model: Any, loss: float) -> None:
        if epoch % every == 0 and epoch < epochs:
            embeddings = model.embed(*graph) if embed is None else embed(model, *graph)
            on_evaluation(epoch, evaluate_embeddings(embeddings, y, splits, **probe_options))

    return callback


def _seconds_per_epoch(runs: list[RunRecord]) -> float:
    """Training seconds per epoch run in this call over all seeds (NaN when every epoch was restored)."""
    ran = sum(r.epochs - r.resumed_from for r in runs)
    return sum(r.seconds for r in runs) / ran if ran else float("nan")


def run_experiment(
    method: str,
    dataset: str | LoadedDataset,
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
) -> ExperimentResult:
    """Train ``method`` on ``dataset`` once per seed and probe the frozen embeddings.

    Args:
        method (str): a registered method (``gclbt list methods``).
        dataset (str | LoadedDataset): a dataset name (see :func:`gclbt_plugin.data.load_dataset`).
        overrides (sequence of dict): merged over the recipe's published defaults, in order.
        config (dict, optional): a complete configuration; replaces defaults and overrides.
        seeds (sequence of int): one model per seed (initialisation and augmentation draws).
        protocol (str, optional): ``public``, ``random`` or ``wikics``; default by dataset.
        num_splits (int): random splits per model for the ``random`` protocol. (default: 20)
        device (str): ``auto``, ``cpu``, ``cuda`` or ``cuda:i``. (default: ``auto``)
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.
        sparse_features (bool | "auto"): feed features as a sparse matrix; ``auto`` does so below
            5 % density. (default: ``"auto"``)
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

    The configuration is checked (:func:`check_config`) before the dataset is loaded.

    Raises:
        ValueError, TypeError, LookupError: a bad argument or configuration key (named).
        TrainingInterrupted: SIGINT / SIGTERM during training with ``checkpoint_dir`` (the
            checkpoint was saved; the same call resumes from it).
    """
    name = dataset.name if isinstance(dataset, LoadedDataset) else canonical_name(dataset)
    if config is None:
        config = resolve_config(method, name, overrides)
    check_config(config)
    loaded = dataset if isinstance(dataset, LoadedDataset) else load_dataset(dataset, data_cache, data_mirror)
    protocol = protocol or default_protocol(loaded)
    torch_device = resolve_device(device)
    data = loaded.data
    features_normalized = bool((config.get("features") or {}).get("normalize", False))
    if features_normalized:  # before the sparse conversion, as the references load their data
        data = normalize_features(data)
    splits = make_splits(protocol, data, num_splits=num_splits, seed=0)
    x = data.x.to(torch_device)
    sparse = _use_sparse(data.x, sparse_features, config)
    if sparse:
        x = x.to_sparse_coo().coalesce()
    edge_index = data.edge_index.to(torch_device)
    edge_weight = getattr(data, "edge_weight", None)
    edge_weight = edge_weight.to(torch_device) if edge_weight is not None else None
    y = data.y.to(torch_device)
    epochs = int(config.get("epochs", 100))
    probe_options = {"protocol": protocol, "num_classes": loaded.num_classes, **(config.get("evaluation") or {})}
    scheduler = config.get("scheduler") or {}
    schedule = {
        "epochs": epochs,
        "warmup_epochs": int(scheduler.get("warmup_epochs", 0)),
        "cosine": bool(scheduler.get("cosine", False)),
    }
    if eval_every is not None and on_evaluation is None:
        raise ValueError("eval_every needs on_evaluation")

    scaled = batch_size is not None or distributed
    embed = full_graph_embeddings if scaled else None
    used_sampler: str | None = None
    runs: list[RunRecord] = []
    tests: list[float] = []
    vals: list[float] = []
    total_seconds = 0.0
    for seed in seeds:
        torch.manual_seed(seed)
        generator = torch.Generator(device=torch_device).manual_seed(seed + 1)
        model = build_model(config, loaded.num_features, generator=generator).to(torch_device)

        callback = None
        if eval_every is not None:
            callback = _periodic_probe(
                eval_every, epochs, on_evaluation, (x, edge_index, edge_weight), y,
                splits[: eval_splits or len(splits)], probe_options, embed,
            )

        checkpoint_path = None
        scale_key = (batch_size, sampler, num_neighbors, distributed) if scaled else ()
        if checkpoint_dir is not None:
            fingerprint_name = training_fingerprint(config, loaded.name, seed, sparse, *scale_key)
            checkpoint_path = Path(checkpoint_dir) / f"{method}-{loaded.name}-seed{seed}-{fingerprint_name}.pt"
        started = time.perf_counter()
        trainer: Callable[..., Any] = train
        scale_options: dict[str, Any] = {}
        if distributed:
            trainer = train_distributed
            scale_options = {"batch_size": batch_size, "sampler": sampler, "num_neighbors": num_neighbors}
        elif batch_size is not None:
            trainer = train_minibatch
            scale_options = {"batch_size": batch_size, "sampler": sampler, "num_neighbors": num_neighbors}
        trained = trainer(
            model,
            x,
            edge_index,
            edge_weight,
            epochs=epochs,
            optimizer=config.get("optimizer", {"name": "adam", "lr": 1e-3}),
            scheduler=config.get("scheduler"),
            generator=generator,
            checkpoint_path=checkpoint_path,
            fingerprint=training_fingerprint(config, loaded.name, seed, sparse, *scale_key),
            progress=progress,
            callback=callback,
            checkpoint_every=checkpoint_every,
            checkpoint_minutes=checkpoint_minutes,
            **scale_options,
        )
        used_sampler = getattr(trained, "sampler", None)
        if scaled:
            embeddings = full_graph_embeddings(model, x, edge_index, edge_weight)
        else:
            embeddings = model.embed(x, edge_index, edge_weight)
        probe = evaluate_embeddings(embeddings, y, splits, **probe_options)
        total_seconds += time.perf_counter() - started
        tests.extend(probe.test_accuracies)
        vals.extend(probe.val_accuracies)
        runs.append(
            RunRecord(
                seed=seed,
                epochs=trained.epochs,
                seconds=trained.seconds,
                seconds_per_epoch=trained.seconds_per_epoch,
                final_loss=trained.losses[-1],
                probe=probe.to_dict(),
                resumed_from=trained.resumed_from,
            )
        )

    def mean_std(values: list[float]) -> tuple[float, float]:
        if not values:
            return float("nan"), float("nan")
        t = torch.tensor(values, dtype=torch.float64) * 100
        return float(t.mean()), float(t.std(unbiased=False))

    test_mean, test_std = mean_std(tests)
    val_mean, val_std = mean_std(vals)
    return ExperimentResult(
        method=method,
        dataset=loaded.name,
        protocol=protocol,
        test_mean=test_mean,
        test_std=test_std,
        val_mean=val_mean,
        val_std=val_std,
        num_evaluations=len(vals),
        epochs=epochs,
        seconds=total_seconds,
        seconds_per_epoch=_seconds_per_epoch(runs),
        device=str(torch_device),
        sparse_features=sparse,
        config=config,
        runs=runs,
        environment=environment(),
        sampler=used_sampler,
        batch_size=batch_size,
        world_size=world_size() if distributed else 1,
        probe=probe_options.get("probe", DEFAULT_PROBE),
        features_normalized=features_normalized,
        schedule=schedule,
    )
