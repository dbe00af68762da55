"""The synthetic SBM generator, the log-log fit and the resumable scaling benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gclbt_plugin.benchmarking.scaling import fit_exponent, run_scaling, sbm_graph, write_scaling_report


def test_sbm_graph_is_undirected_without_self_loops():
    _, edge_index, _ = sbm_graph(200, seed=1)
    pairs = set(map(tuple, edge_index.t().tolist()))
    assert all((b, a) in pairs for a, b in pairs)
    assert all(a != b for a, b in pairs)


def test_sbm_graph_has_the_requested_shapes_and_blocks():
    x, edge_index, y = sbm_graph(1000, num_blocks=5, num_features=7)
    assert (list(x.shape), edge_index.size(0), y.tolist()[:6]) == ([1000, 7], 2, [0, 1, 2, 3, 4, 0])


def test_sbm_graph_average_degree_is_close_to_the_requested_one():
    _, edge_index, _ = sbm_graph(20_000, avg_degree=10.0)
    # Duplicates and self-loops are removed: about 0.05 % of 100,000 draws at this size.
    assert edge_index.size(1) / 20_000 == pytest.approx(10.0, rel=0.01)


def test_sbm_graph_share_of_intra_block_edges_matches_homophily():
    _, edge_index, y = sbm_graph(20_000, homophily=0.8, num_blocks=10)
    same = (y[edge_index[0]] == y[edge_index[1]]).double().mean().item()
    # Expected 0.8 + 0.2 / K = 0.82; 200,000 directed edges give a standard error below 0.002.
    assert same == pytest.approx(0.82, abs=0.01)


def test_sbm_graph_features_depend_on_the_class():
    x, _, y = sbm_graph(2000, signal=3.0, num_features=16)
    means = torch.stack([x[y == k].mean(0) for k in range(10)])
    spread_between = means.std(0).mean().item()
    assert spread_between > 1.0  # class means ~ N(0, 9) per dimension; noise-only means would be ~0.07


def test_sbm_graph_rejects_more_blocks_than_nodes():
    with pytest.raises(ValueError, match="num_nodes must be an int >= num_blocks"):
        sbm_graph(5, num_blocks=10)


def test_fit_exponent_recovers_a_power_law():
    sizes = [1e3, 1e4, 1e5]
    exponent, scale = fit_exponent(sizes, [3e-6 * n**1.5 for n in sizes])
    assert (exponent, scale) == (pytest.approx(1.5), pytest.approx(3e-6))


def test_fit_exponent_needs_two_points():
    with pytest.raises(ValueError, match="at least two"):
        fit_exponent([10], [1.0])


def _tiny(out: Path, **kwargs):
    kwargs.setdefault("sizes", [100, 200])
    kwargs.setdefault("variants", ["gbt"])
    return run_scaling(out, epochs=1, device="cpu", threads=1, isolate=False, log=None, memory_limit_mb=1e9, **kwargs)


def test_run_scaling_measures_time_memory_and_augmentation_share(tmp_path: Path):
    records = _tiny(tmp_path)
    assert [(r["variant"], r["num_nodes"], r["status"]) for r in records] == [("gbt", 100, "ok"), ("gbt", 200, "ok")]
    assert all(r["seconds_per_epoch"] > 0 and 0 < r["augmentation_share"] < 1 and r["peak_rss_mb"] > 0
               for r in records)


def test_run_scaling_rerun_reuses_finished_points(tmp_path: Path):
    _tiny(tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "points").glob("*.json")}
    _tiny(tmp_path)
    assert {p.name: p.read_bytes() for p in (tmp_path / "points").glob("*.json")} == before


def test_run_scaling_skips_sizes_estimated_over_the_time_budget(tmp_path: Path):
    records = _tiny(tmp_path, sizes=[100, 10**6], max_epoch_seconds=1e-9)
    assert [r["status"] for r in records] == ["ok", "skipped"]
    assert "s/epoch > max_epoch_seconds" in records[1]["reason"]


def test_write_scaling_report_fits_exponents_and_plots(tmp_path: Path):
    records = _tiny(tmp_path)
    summary = write_scaling_report(records, tmp_path)
    keys = ["points", "fit_sizes", "time_exponent", "memory_exponent", "max_augmentation_share", "largest_nodes"]
    assert sorted(summary["gbt"]) == sorted([*keys, "skipped"])
    assert (tmp_path / "scaling.png").stat().st_size > 0
    assert json.loads((tmp_path / "scaling.json").read_text())["summary"]["gbt"]["fit_sizes"] == [100, 200]
