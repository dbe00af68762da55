"""``gclbt tune`` workers sharing one study on a real PostgreSQL server: no lost trials, dead workers' trials retried.

The server's SQLAlchemy URL comes from ``$GCLBT_TEST_POSTGRES_URL`` (``bash .ci/postgres.sh`` installs and
starts a local server and prints one, ``postgresql+psycopg://...``); without it, without a reachable
server or without the driver (``psycopg``), every test here is skipped with the reason. Workers are
separate ``gclbt tune`` processes, as they would be on separate machines; each test uses a study
name of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import optuna
import pytest
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from gclbt_plugin.tuning.study import hide_password, make_storage

URL_ENV = "GCLBT_TEST_POSTGRES_URL"

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]


@pytest.fixture(scope="module")
def postgres_url() -> str:
    """``$GCLBT_TEST_POSTGRES_URL`` once a connection to it succeeded within 3 s; skips otherwise."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        pytest.skip(f"{URL_ENV} is not set; `export {URL_ENV}=$(bash .ci/postgres.sh | tail -1)` starts a server")
    if not url.startswith("postgresql"):
        pytest.skip(f"{URL_ENV} must be a postgresql:// URL, got {hide_password(url)!r}")
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    except ImportError as error:
        pytest.skip(
            f"no PostgreSQL driver for {hide_password(url)!r} ({error}); "
            "pip install 'psycopg[binary]' (the driver of postgresql+psycopg:// URLs)"
        )
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except Exception as error:
        reason = " ".join(str(error).split())[:300]
        pytest.skip(f"no PostgreSQL server reachable at {hide_password(url)!r}: {reason}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def study_name(postgres_url: str) -> Iterator[str]:
    """A fresh study name, the study deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    storage = make_storage(postgres_url, heartbeat_interval=None)
    try:
        optuna.delete_study(study_name=name, storage=storage)
    except KeyError:  # the workers never created it
        pass
    finally:
        storage.engine.dispose()


@pytest.fixture
def start_worker(postgres_url, study_name, shared_datasets_dir, dataset_cache, cora):
    """Start a ``gclbt tune`` worker process: ``start_worker(seed, *extra_args)``; all are killed at the end.

    ``cora`` fills the dataset cache first, so the workers only read it.
    """
    workers: list[subprocess.Popen] = []

    def start(seed: int, *args: str) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "gclbt_plugin", "tune", "--method", "gclbt", "--dataset", "Cora",
            "--set", "encoder.hidden_channels=16", "--set", "encoder.out_channels=16", "--num-splits", "2",
            "--pruner", "none", "--storage", postgres_url, "--study-name", study_name, "--optuna-seed", str(seed),
            "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache), "-q", *args,
        ]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()


def load_trials(storage: RDBStorage, name: str) -> list[optuna.trial.FrozenTrial]:
    """The trials of study ``name``; none while no worker has created it yet."""
    try:
        return optuna.load_study(study_name=name, storage=storage).get_trials()
    except KeyError:
        return []


@pytest.fixture
def storage(postgres_url: str) -> Iterator[RDBStorage]:
    """The test's own connection to the study (no heartbeats: it runs no trial)."""
    storage = make_storage(postgres_url, heartbeat_interval=None)
    yield storage
    storage.engine.dispose()


def worker_of(trial: optuna.trial.FrozenTrial) -> int | None:
    """The pid of the worker that ran ``trial`` (user attribute ``worker``, ``host:pid``)."""
    worker = trial.user_attrs.get("worker")
    return int(worker.rsplit(":", 1)[1]) if worker else None


def test_postgres_two_workers_finish_n_trials_without_losing_any(storage, study_name, start_worker):
    workers = [start_worker(seed, "--epochs", "20", "--n-trials", "4") for seed in (0, 1)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    trials = load_trials(storage, study_name)
    states = [trial.state for trial in trials]
    # MaxTrialsCallback counts the other worker's running trial, so the study holds 4 finished
    # trials; two workers finishing at the same instant may each start one more.
    assert TrialState.RUNNING not in states and TrialState.FAIL not in states, states
    assert states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED) in (4, 5), states
    assert {worker_of(trial) for trial in trials} == {worker.pid for worker in workers}


def test_postgres_trial_of_a_killed_worker_is_retried_by_the_other(storage, study_name, start_worker):
    # Heartbeat every second, stale after one more. The survivor starts once the doomed worker is dead:
    # its start-up (seconds) outlasts the grace period, so it fails the dead trial and takes its retry.
    # (Started side by side, a worker starved of CPU for over a second -- e.g. beside other jobs -- could
    # have its own live trial failed by the other's stale-trial check: Optuna's heartbeat is a timeout.)
    args = ("--epochs", "80", "--n-trials", "4", "--heartbeat-interval", "1", "--grace-period", "1")
    doomed = start_worker(0, *args)
    deadline = time.monotonic() + 60
    while True:  # wait until the doomed worker is inside its first trial
        assert doomed.poll() is None and time.monotonic() < deadline, doomed.communicate()
        running = [
            trial for trial in load_trials(storage, study_name)
            if trial.state is TrialState.RUNNING and worker_of(trial) == doomed.pid
        ]
        if running:
            break
        time.sleep(0.05)
    killed = running[0]
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate()
    survivor = start_worker(1, *args)
    out, err = survivor.communicate(timeout=120)
    assert survivor.returncode == 0, (out, err)

    trials = load_trials(storage, study_name)
    assert trials[killed.number].state is TrialState.FAIL
    retries = [trial for trial in trials if RetryHeartbeatStaleTrialCallback.retried_trial_number(trial) is not None]
    assert [RetryHeartbeatStaleTrialCallback.retried_trial_number(trial) for trial in retries] == [killed.number]
    assert retries[0].state is TrialState.COMPLETE and worker_of(retries[0]) == survivor.pid
    assert retries[0].params == killed.params
    states = [trial.state for trial in trials]
    assert TrialState.RUNNING not in states and states.count(TrialState.COMPLETE) == 4, states

