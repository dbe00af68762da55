"""Progress bars in a redirected stream: plain lines, no carriage returns."""

from __future__ import annotations

import io

import torch

from gclbt_plugin._progress import progress_bar
from gclbt_plugin.augmentors import Compose
from gclbt_plugin.encoders import GCN
from gclbt_plugin.losses import BarlowTwinsLoss
from gclbt_plugin.models import DualBranchModel
from gclbt_plugin.training import train


def test_progress_bar_in_a_redirected_stream_writes_plain_lines():
    stream = io.StringIO()
    for _ in progress_bar(range(1000), file=stream, desc="work", mininterval=0, miniters=1):
        pass
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines and all(line.startswith("work:") for line in lines)


def test_progress_bar_in_a_redirected_stream_updates_rarely():
    stream = io.StringIO()
    for _ in progress_bar(range(1000), file=stream, desc="work"):
        pass
    assert len(stream.getvalue().splitlines()) <= 2  # the first line and the last, not 1000


def _train_tiny(epochs: int) -> None:
    torch.manual_seed(0)
    model = DualBranchModel(GCN(2, hidden_channels=4), Compose([]), Compose([]), BarlowTwinsLoss())
    x = torch.rand(5, 2)
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    train(model, x, edge_index, epochs=epochs, optimizer={"name": "adam", "lr": 0.01}, progress=True)


def test_training_progress_in_a_redirected_stderr_has_no_carriage_returns(capsys):
    _train_tiny(3)
    err = capsys.readouterr().err
    assert "train (full-graph" in err and "\r" not in err


def test_training_progress_in_a_redirected_stderr_is_not_a_line_per_epoch(capsys):
    _train_tiny(50)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("train (")]
    assert 1 <= len(lines) <= 3  # the first line and the last (a fast run), not one per epoch's loss
