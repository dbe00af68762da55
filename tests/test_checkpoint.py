"""Checkpoints: killed while writing, unreadable, interrupted by a signal -- the run resumes to the
result of an uninterrupted one; the interval is set by epochs or by wall time."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from _training_helpers import OPTIMIZER, make_model, small_graph

from gclbt_plugin.training import checkpoint as ckpt
from gclbt_plugin.training import train
from gclbt_plugin.training.checkpoint import REQUIRED_KEYS, atomic_save, load_latest, previous_path, unreadable_path
from gclbt_plugin.training.state import TrainingInterrupted


@pytest.fixture
def graph():
    return small_graph()


def fake_state(epoch: int) -> dict:
    return {key: epoch if key == "epoch" else None for key in REQUIRED_KEYS}


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


class Stop(Exception):
    pass


def stop_at(stop_epoch: int):
    def callback(epoch, _model, _loss):
        if epoch == stop_epoch:
            raise Stop

    return callback


def test_atomic_save_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "run.pt"
    atomic_save(fake_state(1), path)
    atomic_save(fake_state(2), path)
    assert torch.load(path, weights_only=False)["epoch"] == 2
    assert torch.load(previous_path(path), weights_only=False)["epoch"] == 1


def test_atomic_save_gives_the_checkpoint_the_mode_a_plain_open_would(tmp_path):
    previous = os.umask(0o027)
    try:
        ckpt.atomic_save({"epoch": 1}, tmp_path / "run.pt")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "run.pt").stat().st_mode) == 0o640


def test_load_latest_falls_back_to_the_previous_checkpoint_with_one_line_naming_the_file(tmp_path):
    path = tmp_path / "run.pt"
    atomic_save(fake_state(1), path)
    atomic_save(fake_state(2), path)
    truncate(path)
    with pytest.warns(UserWarning) as record:
        state, source = load_latest(path)
    assert state["epoch"] == 1 and source == previous_path(path)
    [warning] = record
    message = str(warning.message)
    assert "\n" not in message and message.startswith(f"checkpoint {path} is unreadable (")
    assert message.endswith(f"resuming from the previous checkpoint {previous_path(path)}")


def test_load_latest_starts_from_scratch_when_no_checkpoint_is_readable(tmp_path):
    path = tmp_path / "run.pt"
    path.write_bytes(b"not a checkpoint")
    previous_path(path).write_bytes(b"nor this")
    with pytest.warns(UserWarning) as record:
        assert load_latest(path) is None
    assert [str(w.message).rsplit("; ", 1)[1] for w in record] == [
        f"resuming from the previous checkpoint {previous_path(path)}",
        "starting from scratch",
    ]


def test_load_latest_moves_an_unreadable_checkpoint_aside_so_the_next_save_keeps_the_good_one(tmp_path):
    path = tmp_path / "run.pt"
    atomic_save(fake_state(1), path)
    atomic_save(fake_state(2), path)
    truncate(path)
    with pytest.warns(UserWarning, match=f"moved to {unreadable_path(path)}"):
        load_latest(path)
    atomic_save(fake_state(2), path)  # the resumed run's next save
    assert torch.load(previous_path(path), weights_only=False)["epoch"] == 1


def test_load_latest_removes_the_temporary_file_of_a_killed_writer(tmp_path):
    path = tmp_path / "run.pt"
    atomic_save(fake_state(1), path)
    (tmp_path / ".run.pt.k1llx.tmp").write_bytes(b"half a checkpoint")
    state, _ = load_latest(path)
    assert state["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]


def test_train_resumes_from_the_previous_checkpoint_when_the_newest_is_corrupt(graph, tmp_path):
    x, edge_index = graph
    model, generator = make_model()
    full = train(model, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator, progress=False)
    path = tmp_path / "run.pt"
    interrupted, generator = make_model()
    with pytest.raises(Stop):
        train(interrupted, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator, checkpoint_path=path,
              checkpoint_every=1, progress=False, callback=stop_at(4))
    truncate(path)  # epoch 4 is lost, epoch 3 is kept as run.pt.prev
    resumed, generator = make_model(seed=123)
    with pytest.warns(UserWarning, match="is unreadable"):
        result = train(resumed, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator,
                       checkpoint_path=path, checkpoint_every=1, progress=False)
    assert result.resumed_from == 3
    assert result.losses == pytest.approx(full.losses, rel=1e-5)


def test_train_logs_the_epoch_and_file_it_resumed_from(graph, tmp_path, caplog):
    x, edge_index = graph
    path = tmp_path / "run.pt"
    model, generator = make_model()
    with pytest.raises(Stop):
        train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, generator=generator, checkpoint_path=path,
              checkpoint_every=1, progress=False, callback=stop_at(2))
    model, generator = make_model()
    with caplog.at_level(logging.INFO, logger="gclbt_plugin"):
        train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, generator=generator, checkpoint_path=path,
              checkpoint_every=1, progress=False)
    assert f"resumed from epoch 2 of {path}" in caplog.messages


def saved_epochs(monkeypatch) -> list[int]:
    epochs: list[int] = []
    real = ckpt.atomic_save

    def recording(obj, path):
        epochs.append(obj["epoch"])
        real(obj, path)

    monkeypatch.setattr(ckpt, "atomic_save", recording)
    return epochs


def test_checkpoint_every_sets_the_epochs_saved(graph, tmp_path, monkeypatch):
    x, edge_index = graph
    epochs = saved_epochs(monkeypatch)
    model, generator = make_model()
    train(model, x, edge_index, epochs=7, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt",
          checkpoint_every=3, progress=False)
    assert epochs == [3, 6, 7]


def test_checkpoint_minutes_saves_after_the_first_epoch_past_the_interval(graph, tmp_path, monkeypatch):
    x, edge_index = graph
    epochs = saved_epochs(monkeypatch)
    clock = {"now": 0.0}
    monkeypatch.setattr(time, "monotonic", lambda: clock["now"])

    def forty_seconds_per_epoch(epoch, _model, _loss):
        clock["now"] = 40.0 * epoch

    model, generator = make_model()
    train(model, x, edge_index, epochs=7, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt",
          checkpoint_every=100, checkpoint_minutes=1.0, progress=False, callback=forty_seconds_per_epoch)
    assert epochs == [3, 5, 7]  # 80 s after the start, 80 s after epoch 3, the last epoch


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"checkpoint_every": 0}, "checkpoint_every must be a positive integer, got 0"),
        ({"checkpoint_minutes": 0}, "checkpoint_minutes must be a finite number > 0, got 0"),
    ],
)
def test_checkpoint_interval_must_be_positive(graph, tmp_path, options, message):
    x, edge_index = graph
    model, _ = make_model()
    with pytest.raises(ValueError, match=message):
        train(model, x, edge_index, epochs=2, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt",
              progress=False, **options)


def send_at(stop_epoch: int, signum: int, times: int = 1):
    def callback(epoch, _model, _loss):
        if epoch == stop_epoch:
            for _ in range(times):
                os.kill(os.getpid(), signum)

    return callback


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_saves_the_epoch_and_the_resumed_run_equals_an_uninterrupted_one(graph, tmp_path, signum):
    x, edge_index = graph
    model, generator = make_model()
    full = train(model, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator, progress=False)
    path = tmp_path / "run.pt"
    interrupted, generator = make_model()
    with pytest.raises(TrainingInterrupted) as raised:
        train(interrupted, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator, checkpoint_path=path,
              progress=False, callback=send_at(3, signum))  # checkpoint_every=50: only the signal saves
    assert (raised.value.signum, raised.value.epoch, raised.value.checkpoint_path) == (signum, 3, str(path))
    assert f"after epoch 3 of 6; checkpoint saved to {path}" in str(raised.value)
    resumed, generator = make_model(seed=123)
    result = train(resumed, x, edge_index, epochs=6, optimizer=OPTIMIZER, generator=generator,
                   checkpoint_path=path, progress=False)
    assert result.resumed_from == 3
    assert result.losses == pytest.approx(full.losses, rel=1e-5)


def test_second_signal_stops_at_once(graph, tmp_path):
    x, edge_index = graph
    model, _ = make_model()
    with pytest.raises(KeyboardInterrupt) as raised:
        train(model, x, edge_index, epochs=4, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt",
              progress=False, callback=send_at(2, signal.SIGTERM, times=2))
    assert not isinstance(raised.value, TrainingInterrupted)
    assert not (tmp_path / "run.pt").exists()


def test_signal_handlers_are_restored_after_training(graph, tmp_path):
    x, edge_index = graph
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    model, _ = make_model()
    train(model, x, edge_index, epochs=2, optimizer=OPTIMIZER, checkpoint_path=tmp_path / "run.pt", progress=False)
    assert {signum: signal.getsignal(signum) for signum in before} == before


KILL_SCRIPT = """
import io, os, signal, sys
import torch

torch.set_num_threads(1)
kill_at = int(sys.argv[1])
real_save = torch.save
saves = 0


def save_then_die_halfway(obj, handle, *args, **kwargs):
    global saves
    saves += 1
    if saves != kill_at:
        return real_save(obj, handle, *args, **kwargs)
    buffer = io.BytesIO()
    real_save(obj, buffer, *args, **kwargs)
    data = buffer.getvalue()
    handle.write(data[: len(data) // 2])
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)


torch.save = save_then_die_halfway
from gclbt_plugin.cli.main import main


sys.exit(main(sys.argv[2:]))
"""


def test_sigkill_while_writing_a_checkpoint_then_resume_gives_the_uninterrupted_result(
    tmp_path, cora, shared_datasets_dir, dataset_cache
):
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT)
    common = [
        "train", "--method", "gbt", "--dataset", "Cora", "--epochs", "5", "--checkpoint-every", "1", "--no-progress",
        "--set", "encoder.hidden_channels=8", "--set", "encoder.out_channels=8",
        "--data-mirror", str(shared_datasets_dir), "--data-cache", str(dataset_cache),
    ]

    def start(kill_at: int, name: str) -> subprocess.Popen:
        command = [sys.executable, str(script), str(kill_at), *common, "--checkpoint-dir", str(tmp_path / name),
                   "--output", str(tmp_path / f"{name}.json")]
        return subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    uninterrupted, killed = start(0, "full"), start(3, "killed")  # killed while writing epoch 3's checkpoint
    outputs = [uninterrupted.communicate(timeout=300), killed.communicate(timeout=300)]
    assert (uninterrupted.returncode, killed.returncode) == (0, -signal.SIGKILL), outputs
    assert any(p.suffix == ".tmp" for p in (tmp_path / "killed").iterdir())  # it died mid-write
    assert not (tmp_path / "killed.json").exists()

    resumed = start(0, "killed")
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, (out, err)
    assert "resumed from epoch 2 of" in err
    assert not any(p.suffix == ".tmp" for p in (tmp_path / "killed").iterdir())
    full, again = (json.loads((tmp_path / f"{name}.json").read_text()) for name in ("full", "killed"))
    assert again["runs"][0]["resumed_from"] == 2
    assert again["runs"][0]["final_loss"] == full["runs"][0]["final_loss"]
    assert (again["test_mean"], again["val_mean"]) == (full["test_mean"], full["val_mean"])
