"""benchmarks/probe_curve.py: probes along the recipe's full schedule, and the end of the curve is the cell."""

import pytest
import torch
from torch_geometric.data import Data

from gclbt_plugin.experiment import run_experiment

OVERRIDES = [{"epochs": 4, "encoder": {"hidden_channels": 16, "out_channels": 8}}]


@pytest.fixture(scope="module")
def probe_curve(load_benchmark):
    return load_benchmark("probe_curve")


def _graph() -> Data:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(60) % 3
    x = torch.rand(60, 12, generator=g) + torch.nn.functional.one_hot(y, 12).float()
    edge_index = torch.randint(0, 60, (2, 240), generator=g)
    return Data(x=x, edge_index=edge_index, y=y)


def test_the_last_mark_of_the_schedule_reproduces_run_experiment(probe_curve):
    rows = probe_curve.probe_curve("gbt", _graph(), 1, [2, 4], overrides=OVERRIDES, num_splits=2)
    cell = run_experiment("gbt", _graph(), overrides=OVERRIDES, seeds=(1,), num_splits=2, device="cpu", progress=False)
    assert [row["epoch"] for row in rows] == [2, 4]
    assert rows[-1]["test"] == pytest.approx(cell.test_mean)


def test_marks_outside_the_schedule_name_the_flag_and_the_range(probe_curve):
    with pytest.raises(SystemExit, match=r"--at 0 12: outside the recipe's schedule; allowed 1\.\.10"):
        probe_curve.check_marks([3, 0, 12], 10)
