"""Optuna studies over a recipe's hyper-parameters: objective, storage, sampler, pruner, callbacks.

Each trial draws its parameters from a :mod:`search space <gclbt_plugin.tuning.search_space>`,
trains the method once per seed with :func:`~gclbt_plugin.experiment.run_experiment` and returns
the linear probe's mean **validation** accuracy in % (the test accuracy is never looked at while
tuning). Every ``eval_every`` epochs the probe's validation accuracy on the first ``eval_splits``
splits is reported with ``trial.report(value, epoch)``, so Optuna's pruner (median by default,
Hyperband, or none) can stop a poor trial early (``optuna.TrialPruned``).

Studies live in Optuna's own storage: by default the embedded SQLite file
``sqlite:///gclbt-studies.db`` in the current directory; any SQLAlchemy URL otherwise
(``--storage``, else ``$OPTUNA_STORAGE`` as Optuna's CLI does). Heartbeats mark a trial whose worker
died as failed, and :class:`optuna.storages.RetryFailedTrialCallback` queues it again. Several
processes given the same storage and study name share the work: ``n_trials`` is the number of
finished (complete or pruned) trials the *study* should hold, enforced with
:class:`optuna.study.MaxTrialsCallback`, so N workers together finish ``n_trials`` trials and a
re-run (with a larger ``n_trials`` to add trials) continues the same study.

Example:
    >>> study = tune("gclbt", "Cora", n_trials=20, storage="sqlite:///studies.db",
    ...              overrides=[{"epochs": 200}])                           # doctest: +SKIP
    >>> study.best_params                                                   # doctest: +SKIP
    {'loss.lambda_': 0.0043, 'view1.edge.p': 0.31, ...}
"""

from __future__ import annotations

import gc
import math
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
import torch
from optuna.exceptions import ExperimentalWarning
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.study import MaxTrialsCallback
from optuna.trial import FrozenTrial, TrialState
from tqdm import tqdm

from gclbt_plugin._progress import progress_bar
from gclbt_plugin.config import DEFAULT_EPOCHS
from gclbt_plugin.data import load_dataset
from gclbt_plugin.data.datasets import LoadedDataset
from gclbt_plugin.evaluation.linear_probe import ProbeResult
from gclbt_plugin.experiment import resolve_config, run_experiment
from gclbt_plugin.recipes.build import augmenter_revisions, build_model
from gclbt_plugin.training import resolve_device
from gclbt_plugin.tuning.search_space import (
    Parameter,
    apply_params,
    load_search_space,
    search_space_to_dict,
    suggest_params,
)

#: The storage used when neither ``storage`` nor ``$OPTUNA_STORAGE`` is given.
DEFAULT_STORAGE = "sqlite:///gclbt-studies.db"
#: The environment variable Optuna's CLI reads for the storage URL.
STORAGE_ENV = "OPTUNA_STORAGE"
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "hyperband", "none")
#: Trial states that count towards ``n_trials`` (running ones too, so workers do not overshoot).
COUNTED_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


# ---------------------------------------------------------------------------------------------
# Storage, sampler, pruner
# ---------------------------------------------------------------------------------------------


def resolve_storage_url(storage: str | None = None) -> str:
    """``storage``, else ``$OPTUNA_STORAGE``, else :data:`DEFAULT_STORAGE`."""
    return storage or os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE


def sqlite_file(url: str) -> Path | None:
    """The database file of a ``sqlite:///FILE`` storage URL; ``None`` for other or in-memory URLs."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:  # not a URL: make_storage reports it
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def hide_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL has no password to hide
        return url


def make_storage(
    url: str,
    *,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
) -> RDBStorage:
    """An :class:`optuna.storages.RDBStorage` with heartbeats and retries of failed (dead) trials.

    Args:
        url (str): a SQLAlchemy URL, e.g. ``sqlite:///gclbt-studies.db`` or
            ``postgresql://user:password@host/db``.
        heartbeat_interval (int, optional): seconds between a running trial's heartbeats; ``None``
            disables heartbeats (a dead worker's trial then stays ``RUNNING``). (default: ``60``)
        grace_period (int, optional): seconds without heartbeat after which a trial is failed
            (default: Optuna's, twice the interval).
        max_retry (int, optional): how often a trial failed that way is queued again. (default: ``3``)

    Raises:
        ValueError: ``url`` is not a database URL, or the storage cannot be opened (the message
            gives the reason, with any password hidden).
    """
    if not isinstance(url, str) or "://" not in url:
        raise ValueError(
            f"storage must be an Optuna database URL such as {DEFAULT_STORAGE} or "
            f"postgresql://user:password@host/db, got {url!r}"
        )
    heartbeat: dict[str, Any] = {}
    if heartbeat_interval is not None:
        if heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval must be a positive number of seconds, got {heartbeat_interval!r}")
        heartbeat = {
            "heartbeat_interval": int(heartbeat_interval),
            "grace_period": grace_period,
            "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(max_retry=max_retry),
        }
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None
    try:
        for attempt in range(5):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ExperimentalWarning)
                    return RDBStorage(url, engine_kwargs=engine_kwargs, **heartbeat)
            except Exception as error:
                # Workers started together on a new database race to create its tables: the loser retries.
                racing = ("already exists", "UNIQUE constraint failed", "database is locked")
                if not any(text in str(error) for text in racing) or attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
    except Exception as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        shown = hide_password(url)
        raise ValueError(f"cannot open Optuna storage {shown!r}: {type(error).__name__}: {reason}") from None


def make_sampler(
    sampler: str | optuna.samplers.BaseSampler = "tpe", seed: int | None = 0
) -> optuna.samplers.BaseSampler:
    """``"tpe"`` (:class:`~optuna.samplers.TPESampler`) or ``"random"``, seeded; a sampler object as is.

    Raises:
        ValueError: an unknown sampler name.
    """
    if isinstance(sampler, optuna.samplers.BaseSampler):
        return sampler
    if sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"sampler must be one of {list(SAMPLERS)} or an optuna sampler, got {sampler!r}")


def make_pruner(
    pruner: str | optuna.pruners.BasePruner = "median",
    *,
    n_startup_trials: int = 5,
    n_warmup_steps: int = 0,
    max_resource: int | str = "auto",
) -> optuna.pruners.BasePruner:
    """Optuna's pruner by name; steps are training epochs.

    Args:
        pruner (str | BasePruner): ``median`` (:class:`~optuna.pruners.MedianPruner`),
            ``hyperband`` (:class:`~optuna.pruners.HyperbandPruner`) or ``none``; an object is returned as is.
        n_startup_trials (int): median: trials finished before pruning starts. (default: ``5``)
        n_warmup_steps (int): median: epochs of each trial never pruned. (default: ``0``)
        max_resource (int | "auto"): hyperband: the epochs of a full trial. (default: ``"auto"``)

    Raises:
        ValueError: an unknown pruner name.
    """
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(max_resource=max_resource)
    if pruner == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {list(PRUNERS)} or an optuna pruner, got {pruner!r}")


def default_study_name(method: str, dataset: str) -> str:
    """``<method>-<dataset>``, e.g. ``gclbt-Computers``."""
    return f"{method}-{dataset}"


def count_trials(study: optuna.Study, states: Iterable[TrialState] = COUNTED_STATES) -> int:
    """Trials of ``study`` in ``states`` (default: complete, pruned and running)."""
    return len(study.get_trials(deepcopy=False, states=tuple(states)))


# ---------------------------------------------------------------------------------------------
# Objective
# ---------------------------------------------------------------------------------------------


def _without_sources(config: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key != "sources"}


def failure_reason(error: BaseException) -> str:
    """One line saying why a trial failed (``CUDA out of memory: ...`` for OOM)."""
    text = " ".join(str(error).split())
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return f"CUDA out of memory: {text[:300]}"
    return f"{type(error).__name__}: {text[:300]}"


class Objective:
    """The trial function: draw parameters, train, probe, return validation accuracy in %.

    Args:
        method (str): a registered method.
        dataset (LoadedDataset): the loaded dataset (loaded once for every trial).
        config (dict): the resolved configuration the parameters are applied to.
        space (dict[str, Parameter]): the search space.
        seeds (sequence of int): one model per seed; the value is the mean over seeds and splits.
            (default: ``(0,)``)
        num_splits (int): random splits of the probe (``random`` protocol). (default: ``5``)
        protocol (str, optional): split protocol; default by dataset.
        eval_every (int, optional): report the probe's validation accuracy every this many
            epochs (``0``: never); ``None``: a tenth of the trial's epochs.
        eval_splits (int): splits used by those intermediate probes. (default: ``2``)
        device (str): ``auto``, ``cpu``, ``cuda`` or ``cuda:i``. (default: ``auto``)

    Trial user attributes: ``config`` (the trained configuration), ``worker`` (host:pid), ``val_std``, ``epochs``,
    ``seconds``, ``device``; ``pruned_epoch`` for pruned trials; ``fail_reason`` for failed ones.
    """

    def __init__(
        self,
        method: str,
        dataset: LoadedDataset,
        config: Mapping[str, Any],
        space: Mapping[str, Parameter],
        *,
        seeds: Sequence[int] = (0,),
        num_splits: int = 5,
        protocol: str | None = None,
        eval_every: int | None = None,
        eval_splits: int = 2,
        device: str = "auto",
    ) -> None:
        if eval_every is not None and (not isinstance(eval_every, int) or eval_every < 0):
            raise ValueError(f"eval_every must be a non-negative integer or None, got {eval_every!r}")
        if not isinstance(eval_splits, int) or eval_splits < 1:
            raise ValueError(f"eval_splits must be a positive integer, got {eval_splits!r}")
        if not seeds:
            raise ValueError("seeds must name at least one seed")
        self.method = method
        self.dataset = dataset
        self.config = dict(config)
        self.space = dict(space)
        self.seeds = tuple(seeds)
        self.num_splits = num_splits
        self.protocol = protocol
        self.eval_every = eval_every
        self.eval_splits = eval_splits
        self.device = device

    def __call__(self, trial: optuna.Trial) -> float:
        params = suggest_params(trial, self.space, self.config)
        config = apply_params(self.config, params)
        trial.set_user_attr("config", _without_sources(config))
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        epochs = int(config.get("epochs", DEFAULT_EPOCHS))
        every = self.eval_every if self.eval_every is not None else max(1, epochs // 10)
        reported: set[int] = set()

        def on_evaluation(epoch: int, probe: ProbeResult) -> None:
            if epoch in reported:  # a later seed: the first seed's curve is the one reported
                return
            reported.add(epoch)
            value = 100.0 * probe.val_mean
            trial.report(value, epoch)
            if trial.should_prune():
                trial.set_user_attr("pruned_epoch", epoch)
                raise optuna.TrialPruned(f"pruned at epoch {epoch} with validation accuracy {value:.2f} %")

        try:
            result = run_experiment(
                self.method,
                self.dataset,
                config=config,
                seeds=self.seeds,
                protocol=self.protocol,
                num_splits=self.num_splits,
                device=self.device,
                progress=False,
                eval_every=every or None,
                eval_splits=self.eval_splits,
                on_evaluation=on_evaluation if every else None,
                score_test=False,  # the objective is validation accuracy; no test label is read
            )
        except optuna.TrialPruned:
            raise
        except Exception as error:
            trial.set_user_attr("fail_reason", failure_reason(error))
            raise
        trial.set_user_attr("val_std", result.val_std)
        trial.set_user_attr("epochs", result.epochs)
        trial.set_user_attr("seconds", round(result.seconds, 3))
        trial.set_user_attr("device", result.device)
        if not math.isfinite(result.val_mean):
            trial.set_user_attr("fail_reason", "the probe returned no validation accuracy (NaN)")
        return result.val_mean


# ---------------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------------


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_trial(study: optuna.Study, trial: FrozenTrial, target: int | None = None) -> str:
    """One line for a finished trial: number, state, value, best so far, duration, parameters."""
    finished = count_trials(study, (TrialState.COMPLETE, TrialState.PRUNED))
    progress = f"[{finished}/{target}] " if target else ""
    parts = [f"{progress}trial {trial.number} {trial.state.name}"]
    if trial.state is TrialState.COMPLETE and trial.value is not None:
        parts.append(f"val {trial.value:.2f} %")
    elif trial.state is TrialState.PRUNED:
        epoch = trial.user_attrs.get("pruned_epoch", trial.last_step)
        last = trial.intermediate_values.get(trial.last_step) if trial.last_step is not None else None
        parts.append(f"at epoch {epoch}" + (f" (val {last:.2f} %)" if last is not None else ""))
    elif trial.state is TrialState.FAIL:
        parts.append(trial.user_attrs.get("fail_reason", "failed"))
    try:
        best = study.best_trial
        parts.append(f"best {best.value:.2f} % (trial {best.number})")
    except ValueError:  # no completed trial yet
        pass
    if trial.duration is not None:
        parts.append(f"{trial.duration.total_seconds():.1f} s")
    if trial.params:
        parts.append(" ".join(f"{k}={_format_value(v)}" for k, v in sorted(trial.params.items())))
    return " | ".join(parts)


class TrialPrinter:
    """An Optuna callback printing :func:`format_trial` for every finished trial (above any progress bar).

    Args:
        target (int, optional): the study's ``n_trials``, shown as ``[finished/target]``.
        file: the stream. (default: ``sys.stdout``)
    """

    def __init__(self, target: int | None = None, file: Any = None) -> None:
        self.target = target
        self.file = file

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        tqdm.write(format_trial(study, trial, self.target), file=self.file or sys.stdout)


class StudyProgress:
    """An Optuna callback keeping a tqdm bar at the study's finished trials out of ``n_trials``.

    The bar counts the whole study's complete and pruned trials, so with several workers it shows
    the shared progress. Call :meth:`close` when done.
    """

    def __init__(self, study: optuna.Study, n_trials: int) -> None:
        finished = count_trials(study, (TrialState.COMPLETE, TrialState.PRUNED))
        self.bar = progress_bar(total=n_trials, initial=min(finished, n_trials), desc=study.study_name, unit="trial")

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        finished = count_trials(study, (TrialState.COMPLETE, TrialState.PRUNED))
        self.bar.update(max(0, min(finished, self.bar.total) - self.bar.n))
        try:
            self.bar.set_postfix(best=f"{study.best_value:.2f}%", refresh=False)
        except ValueError:
            pass

    def close(self) -> None:
        self.bar.close()


class StopAfterFailures:
    """An Optuna callback stopping this worker after ``max_consecutive`` failed trials in a row.

    Failed trials do not count towards ``n_trials``, so this bounds a study whose every trial fails
    (e.g. a search space that only yields invalid configurations).

    Args:
        max_consecutive (int): failures in a row that stop the worker. (default: ``10``)

    Raises:
        ValueError: ``max_consecutive`` is not a positive integer.
    """

    def __init__(self, max_consecutive: int = 10) -> None:
        if not isinstance(max_consecutive, int) or max_consecutive < 1:
            raise ValueError(f"max_consecutive must be a positive integer, got {max_consecutive!r}")
        self.max_consecutive = max_consecutive
        self.failures = 0

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.failures = self.failures + 1 if trial.state is TrialState.FAIL else 0
        if self.failures >= self.max_consecutive:
            tqdm.write(f"stopping: {self.failures} trials failed in a row", file=sys.stderr)
            study.stop()


def release_cuda_memory(study: optuna.Study, trial: FrozenTrial) -> None:
    """An Optuna callback: after a failed trial, collect garbage and empty the CUDA cache."""
    if trial.state is TrialState.FAIL and torch.cuda.is_available():
        gc.collect()
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------
# Studies
# ---------------------------------------------------------------------------------------------


def open_study(
    study_name: str,
    storage: str | BaseStorage | None = None,
    *,
    create: bool = True,
    pruner: optuna.pruners.BasePruner | None = None,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
) -> optuna.Study:
    """Create (``load_if_exists=True``) or load the maximising study ``study_name`` in ``storage``.

    Raises:
        ValueError: a bad storage URL; ``create=False`` and the study does not exist (the message
            lists the studies present).
    """
    if not isinstance(storage, BaseStorage):
        storage = make_storage(
            resolve_storage_url(storage),
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            max_retry=max_retry,
        )
    if create:
        return optuna.create_study(
            storage=storage, study_name=study_name, direction="maximize", load_if_exists=True, pruner=pruner
        )
    try:
        return optuna.load_study(study_name=study_name, storage=storage, pruner=pruner)
    except KeyError:
        names = sorted(s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False))
        raise ValueError(f"no study named {study_name!r} in the storage; studies present: {names}") from None


def study_augmenter_revisions(study: optuna.Study) -> dict[str, int] | None:
    """The augmenter revisions (:func:`gclbt_plugin.recipes.build.augmenter_revisions`) the study's
    trials ran with.

    Its ``augmenter_revisions`` attribute; ``{}`` for a study whose trials trained (they record
    their ``config``) before the attribute existed: every augmenter was then at revision 0;
    ``None`` for a study without the attribute or such trials.
    """
    recorded = study.user_attrs.get("augmenter_revisions")
    if isinstance(recorded, dict):
        return recorded
    trained = any("config" in trial.user_attrs for trial in study.get_trials(deepcopy=False))
    return {} if trained else None


def _check_study(study: optuna.Study, method: str, dataset: str, revisions: Mapping[str, int]) -> None:
    attrs = study.user_attrs
    if attrs.get("method", method) != method or attrs.get("dataset", dataset) != dataset:
        raise ValueError(
            f"study {study.study_name!r} holds trials of method {attrs.get('method')!r} on dataset "
            f"{attrs.get('dataset')!r}, not {method!r} on {dataset!r}; choose another study name"
        )
    recorded = study_augmenter_revisions(study)
    if recorded is not None and recorded != dict(revisions):
        # the augmenters now give other views for the same parameters: new trials would not be
        # comparable with the study's, and its sampler would learn from both
        raise ValueError(
            f"study {study.study_name!r} ran its trials with augmenter revisions {recorded}, today's code "
            f"has {dict(revisions)} (an augmenter's views changed since); choose another study name"
        )


def tune(
    method: str,
    dataset: str | LoadedDataset,
    *,
    n_trials: int = 20,
    timeout: float | None = None,
    search_space: str | os.PathLike | Mapping[str, Any] | None = None,
    overrides: Sequence[Mapping[str, Any]] = (),
    storage: str | BaseStorage | None = None,
    study_name: str | None = None,
    sampler: str | optuna.samplers.BaseSampler = "tpe",
    seed: int | None = 0,
    pruner: str | optuna.pruners.BasePruner = "median",
    pruner_startup_trials: int = 5,
    pruner_warmup_epochs: int = 0,
    eval_every: int | None = None,
    eval_splits: int = 2,
    num_splits: int = 5,
    seeds: Sequence[int] = (0,),
    protocol: str | None = None,
    device: str = "auto",
    data_cache: str | os.PathLike | None = None,
    data_mirror: str | os.PathLike | None = None,
    heartbeat_interval: int | None = 60,
    grace_period: int | None = None,
    max_retry: int | None = 3,
    catch: Iterable[type[Exception]] = (Exception,),
    max_failures: int = 10,
    callbacks: Iterable[Callable[[optuna.Study, FrozenTrial], None]] = (),
    progress: bool = True,
    print_trials: bool = True,
) -> optuna.Study:
    """Run (or continue) an Optuna study of ``method`` on ``dataset`` until it holds ``n_trials`` trials.

    Args:
        method (str): a registered method (``gclbt list methods``).
        dataset (str | LoadedDataset): a dataset name or a loaded dataset.
        n_trials (int): finished (complete or pruned) trials the study should hold, shared by every
            worker on the same storage and study; a re-run continues up to it. (default: ``20``)
        timeout (float, optional): stop starting trials after this many seconds.
        search_space (path | dict, optional): a search-space file or mapping (see
            :func:`~gclbt_plugin.tuning.search_space.load_search_space`); default space otherwise.
        overrides (sequence of dict): merged over the recipe's defaults before searching (e.g.
            ``[{"epochs": 200}]``).
        storage (str | BaseStorage, optional): an Optuna storage URL; default ``$OPTUNA_STORAGE``,
            else :data:`DEFAULT_STORAGE`.
        study_name (str, optional): default ``<method>-<dataset>``.
        sampler (str | BaseSampler): ``tpe`` or ``random``. (default: ``tpe``)
        seed (int, optional): the sampler's seed, offset by the number of trials already in the
            study so that a resumed study does not redraw its first points; give each concurrent
            worker its own seed. (default: ``0``)
        pruner (str | BasePruner): ``median``, ``hyperband`` or ``none``. (default: ``median``)
        pruner_startup_trials (int): median: finished trials before pruning. (default: ``5``)
        pruner_warmup_epochs (int): median: epochs of a trial never pruned. (default: ``0``)
        eval_every, eval_splits, num_splits, seeds, protocol, device: see :class:`Objective`.
        data_cache, data_mirror: see :func:`gclbt_plugin.data.load_dataset`.
        heartbeat_interval, grace_period, max_retry: see :func:`make_storage`.
        catch (iterable of exception types): trial errors recorded as failed trials (the study goes
            on); ``torch.cuda.OutOfMemoryError`` is always caught. (default: ``(Exception,)``)
        max_failures (int): this worker stops after so many failed trials in a row; failed
            trials do not count towards ``n_trials``. (default: ``10``)
        callbacks (iterable): extra Optuna callbacks ``callback(study, frozen_trial)``.
        progress (bool): a progress bar of the study's finished trials (:class:`StudyProgress`).
            (default: ``True``)
        print_trials (bool): one line per finished trial (:class:`TrialPrinter`). (default: ``True``)

    Returns:
        optuna.Study: the study (``study.best_trial``, ``study.trials_dataframe()``, ...).

    Raises:
        ValueError: a bad argument, storage URL or search space; the study exists for another
            method or dataset, or its trials ran with other augmenter revisions
            (:func:`study_augmenter_revisions`).
    """
    if not isinstance(n_trials, int) or isinstance(n_trials, bool) or n_trials < 0:
        raise ValueError(f"n_trials must be a non-negative integer, got {n_trials!r}")
    loaded = dataset if isinstance(dataset, LoadedDataset) else load_dataset(dataset, data_cache, data_mirror)
    config = resolve_config(method, loaded.name, overrides)
    space = load_search_space(search_space, config)
    build_model(config, loaded.num_features)  # a broken base configuration fails here, not in every trial
    resolve_device(device)
    objective = Objective(
        method, loaded, config, space, seeds=seeds, num_splits=num_splits, protocol=protocol,
        eval_every=eval_every, eval_splits=eval_splits, device=device,
    )
    epochs = int(config.get("epochs", DEFAULT_EPOCHS))
    study = open_study(
        study_name or default_study_name(method, loaded.name),
        storage,
        pruner=make_pruner(
            pruner, n_startup_trials=pruner_startup_trials, n_warmup_steps=pruner_warmup_epochs, max_resource=epochs
        ),
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        max_retry=max_retry,
    )
    revisions = augmenter_revisions(config)
    _check_study(study, method, loaded.name, revisions)
    if "method" not in study.user_attrs:
        study.set_user_attr("method", method)
        study.set_user_attr("dataset", loaded.name)
    if "augmenter_revisions" not in study.user_attrs:
        study.set_user_attr("augmenter_revisions", revisions)
    study.set_user_attr("search_space", search_space_to_dict(space))
    study.set_user_attr("n_trials", n_trials)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # with heartbeats: a dead worker's trial is failed and queued again
    remaining = n_trials - count_trials(study)
    if remaining <= 0:
        return study
    study.sampler = make_sampler(sampler, None if seed is None else seed + len(study.get_trials(deepcopy=False)))
    all_callbacks: list[Callable[[optuna.Study, FrozenTrial], None]] = [
        MaxTrialsCallback(n_trials, states=COUNTED_STATES),
        StopAfterFailures(max_failures),
        release_cuda_memory,
    ]
    if print_trials:
        all_callbacks.append(TrialPrinter(n_trials))
    bar = StudyProgress(study, n_trials) if progress else None
    if bar is not None:
        all_callbacks.append(bar)
    all_callbacks.extend(callbacks)
    verbosity = optuna.logging.get_verbosity()
    if print_trials:  # our line replaces Optuna's "Trial N finished ..." INFO message
        optuna.logging.set_verbosity(max(verbosity, optuna.logging.WARNING))
    try:
        study.optimize(
            objective,
            n_trials=None,
            timeout=timeout,
            catch=tuple({*catch, torch.cuda.OutOfMemoryError}),
            callbacks=all_callbacks,
            gc_after_trial=True,
        )
    finally:
        optuna.logging.set_verbosity(verbosity)
        if bar is not None:
            bar.close()
    return study


def trial_counts(study: optuna.Study) -> dict[str, int]:
    """How many trials of ``study`` are in each state, e.g. ``{"COMPLETE": 18, "PRUNED": 2}``."""
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts

