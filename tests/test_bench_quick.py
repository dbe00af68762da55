"""CI run of the smoke suite (the quick suite shrunk) and the report it renders."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from gclbt_plugin.benchmarking.report import METHOD_DISPLAY, collect, render_markdown, write_report
from gclbt_plugin.benchmarking.runner import check_record, run_suite
from gclbt_plugin.benchmarking.suite import load_suite
from gclbt_plugin.cli.main import main
from gclbt_plugin.experiment import ExperimentResult

METHODS = ("grace", "gca", "bgrl", "gbt", "gclbt")
DATASETS = ("Cora", "CiteSeer")


@pytest.fixture(scope="module")
def smoke_dir(tmp_path_factory, shared_datasets_dir: Path, dataset_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("smoke")
    run_suite(load_suite("smoke"), out, data_mirror=shared_datasets_dir, data_cache=dataset_cache,
              isolate=False, threads=1, progress=False, log=None)
    write_report(out)
    return out


def test_smoke_suite_writes_a_trusted_cell_for_every_method_and_dataset(smoke_dir: Path):
    records = [json.loads(p.read_text()) for p in sorted((smoke_dir / "cells").glob("*.json"))]
    assert [check_record(r) for r in records] == [None] * 10
    assert sorted((r["method"], r["dataset"]) for r in records) == sorted((m, d) for m in METHODS for d in DATASETS)


def test_smoke_suite_report_files_parse_and_hold_every_cell(smoke_dir: Path):
    document = json.loads((smoke_dir / "results.json").read_text())
    with open(smoke_dir / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = sorted((m, d) for m in METHODS for d in DATASETS)
    assert sorted((r["method"], r["dataset"]) for r in document["rows"]) == expected
    assert sorted((r["method"], r["dataset"]) for r in rows) == expected
    assert {p.name for p in smoke_dir.glob("*.png")} == {"accuracy.png", "time_per_epoch.png", "memory.png"}


def test_smoke_suite_report_shows_each_cells_epochs_and_memory(smoke_dir: Path):
    text = (smoke_dir / "results.md").read_text()
    grace_cora = next(line for line in text.splitlines() if line.startswith("| grace |") and "83.30" in line)
    cells = [c.strip() for c in grace_cora.split("|")]
    assert cells[4] == "2 (publ. 200)"
    assert float(cells[11]) > 0  # peak RSS (MiB)


def test_report_published_numbers_carry_their_sources(smoke_dir: Path):
    published = yaml.safe_load((Path(__file__).parents[1] / "benchmarks" / "published.yaml").read_text())
    entry = published["GRACE"]["Cora"]
    text = (smoke_dir / "results.md").read_text()
    line = next(line for line in text.splitlines() if line.startswith("| grace |") and f"{entry['mean']:.2f}" in line)
    footnote = line.split("|")[8].strip()  # e.g. "[1]"
    assert f"{footnote[1:-1]}. {entry['source']}" in text
    assert entry["protocol"] in line


def _train_output(method: str, dataset: str, mean: float) -> dict:
    """What ``gclbt train --output`` writes (ExperimentResult.to_dict(), no memory fields)."""
    return ExperimentResult(
        method=method, dataset=dataset, protocol="random", test_mean=mean, test_std=0.5, val_mean=mean,
        val_std=0.5, num_evaluations=20, epochs=10, seconds=5.0, seconds_per_epoch=0.5, device="cpu",
        sparse_features=False, config={"epochs": 10},
    ).to_dict()


def test_report_renders_a_folder_of_train_outputs_with_published_difference(tmp_path: Path):
    published = tmp_path / "published.yaml"
    published.write_text(yaml.safe_dump({"BGRL": {"CS": {"mean": 93.0, "std": 0.1, "protocol": "p", "source": "S1"}}}))
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "bgrl-CS-e10.json").write_text(json.dumps(_train_output("bgrl", "CS", 90.5)))
    (tmp_path / "results" / "gbt-CS-e10.json").write_text(json.dumps(_train_output("gbt", "CS", 91.0)))
    report = write_report(tmp_path / "results", tmp_path / "report", published=published)
    assert [(r.method, r.published_source, r.difference) for r in report.rows] == [
        ("bgrl", "S1", pytest.approx(-2.5)),
        ("gbt", None, None),
    ]
    assert (tmp_path / "report" / "results.md").read_text().count("| bgrl |") == 1


def test_report_lists_unreadable_files_instead_of_failing(tmp_path: Path):
    (tmp_path / "bgrl-CS.json").write_text(json.dumps(_train_output("bgrl", "CS", 90.0)))
    (tmp_path / "broken.json").write_text('{"method": "gbt", "data')
    report = collect(tmp_path, published={})
    assert ([r.method for r in report.rows], [name for name, _ in report.unreadable]) == (["bgrl"], ["broken.json"])


def test_report_maps_every_builtin_method_to_a_published_display_name():
    published = yaml.safe_load((Path(__file__).parents[1] / "benchmarks" / "published.yaml").read_text())
    assert sorted(METHOD_DISPLAY) == sorted(METHODS)
    assert set(METHOD_DISPLAY.values()) <= set(published)


def test_bench_report_cli_renders_a_folder(tmp_path: Path, capsys):
    (tmp_path / "gbt-CS.json").write_text(json.dumps(_train_output("gbt", "CS", 91.0)))
    assert main(["bench", "report", str(tmp_path), "--no-plots"]) == 0
    assert capsys.readouterr().out.startswith("1 results, 0 not run, 0 unreadable files")
    assert (tmp_path / "results.md").is_file() and (tmp_path / "results.csv").is_file()


def test_report_lists_suite_cells_without_a_result_file_as_not_run(tmp_path: Path):
    suite_path = tmp_path / "tiny.yaml"
    suite_path.write_text(yaml.safe_dump(
        {"name": "tiny", "defaults": {"seeds": [0]}, "blocks": [{"methods": ["gbt", "bgrl"], "datasets": ["Cora"]}]}
    ))
    results = tmp_path / "results"
    (results / "cells").mkdir(parents=True)
    (results / "suite.json").write_text(json.dumps({"suite": "tiny", "path": str(suite_path)}))
    (results / "cells" / "gbt-Cora.json").write_text(json.dumps(_train_output("gbt", "Cora", 80.0)))
    report = collect(results, published={})
    assert [(r.method, r.dataset, r.status) for r in report.not_run()] == [("bgrl", "Cora", "not run")]
    assert "| bgrl / Cora | not run | no result file in this folder |" in render_markdown(report)


def test_report_does_not_list_an_unreadable_cell_file_as_not_run(tmp_path: Path):
    suite_path = tmp_path / "tiny.yaml"
    suite_path.write_text(yaml.safe_dump(
        {"name": "tiny", "defaults": {"seeds": [0]}, "blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}]}
    ))
    results = tmp_path / "results"
    (results / "cells").mkdir(parents=True)
    (results / "suite.json").write_text(json.dumps({"suite": "tiny", "path": str(suite_path)}))
    (results / "cells" / "gbt-Cora.json").write_text('{"method": "gbt", "data')
    report = collect(results, published={})
    assert ([name for name, _ in report.unreadable], report.not_run()) == (["cells/gbt-Cora.json"], [])


def test_report_compares_gclbt_with_gbt_over_shared_pairs(tmp_path: Path):
    for method, accuracies in (("gclbt", [0.82, 0.80, 0.81, 0.83]), ("gbt", [0.80, 0.80, 0.79, 0.80])):
        record = _train_output(method, "CS", 100 * sum(accuracies) / 4)
        record["runs"] = [{"seed": 0, "epochs": 10, "seconds": 5.0, "seconds_per_epoch": 0.5, "final_loss": 1.0,
                           "probe": {"test_accuracies": accuracies}, "resumed_from": 0}]
        (tmp_path / f"{method}-CS.json").write_text(json.dumps(record))
    text = render_markdown(collect(tmp_path, published={}))
    assert "## Paired comparisons" in text
    row = next(line for line in text.splitlines() if line.startswith("| CS | gclbt − gbt |"))
    assert row.startswith("| CS | gclbt − gbt | 4 | +1.75 |")
    assert row.endswith("| 1 | — | — | — |")  # one seed: no test over seeds


def test_report_compares_derived_variants_with_their_base_and_variants_with_the_recipe(tmp_path: Path):
    cells = {("gclbt", "tuned-pagerank"): [0.83, 0.82], ("gclbt", "tuned"): [0.81, 0.80],
             ("gbt", "tuned"): [0.80, 0.80], ("gbt", "tuned-pagerank"): [0.82, 0.82], ("gbt", ""): [0.79, 0.78]}
    for (method, variant), accuracies in cells.items():
        record = _train_output(method, "Cora", 100 * sum(accuracies) / 2)
        record["variant"] = variant
        record["runs"] = [{"seed": seed, "epochs": 10, "seconds": 5.0, "seconds_per_epoch": 0.5, "final_loss": 1.0,
                           "probe": {"test_accuracies": [accuracy]}, "resumed_from": 0}
                          for seed, accuracy in enumerate(accuracies)]
        (tmp_path / f"{method}-Cora-{variant}.json").write_text(json.dumps(record))
    rows = [line for line in render_markdown(collect(tmp_path, published={})).splitlines()
            if line.startswith("| Cora | ")]
    assert [row.split(" | ")[1] for row in rows] == [
        "gclbt [tuned] − gbt [tuned]",
        "gclbt [tuned-pagerank] − gbt [tuned-pagerank]",
        "gclbt [tuned-pagerank] − gbt [tuned]",
        "gclbt [tuned-pagerank] − gclbt [tuned]",
        "gbt [tuned] − gbt",  # a top-level variant against the method's recipe (no plain gclbt cell here)
    ]
    # two seeds, both +2 points: the same difference over pairs and over seeds
    assert rows[3] == ("| Cora | gclbt [tuned-pagerank] − gclbt [tuned] | 2 | +2.00 | [+2.00, +2.00] | 0 | 2 | "
                       "+2.00 | [+2.00, +2.00] | 0 |")


def test_report_names_the_study_that_chose_a_tuned_cell(tmp_path: Path):
    provenance = (
        "tuned by gclbt tune: Optuna study 'gbt-CS-e1000', 30 finished trials (12 complete, 18 pruned), "
        "chosen on validation only: best trial 7, validation accuracy 92.10 %"
    )
    tuned = _train_output("gbt", "CS", 91.0)
    tuned["config"]["sources"] = [provenance, "G-BT recipe"]
    (tmp_path / "gbt-CS-tuned.json").write_text(json.dumps({**tuned, "variant": "tuned"}))
    recipe = _train_output("gclbt", "CS", 90.0)
    recipe["config"]["sources"] = ["GCL-BT recipe"]
    (tmp_path / "gclbt-CS.json").write_text(json.dumps(recipe))
    (tmp_path / "published.yaml").write_text("{}\n")
    report = write_report(tmp_path, tmp_path / "report", published=tmp_path / "published.yaml")
    assert {r.method: r.tuned_by for r in report.rows} == {"gbt": provenance, "gclbt": None}
    assert f"| CS | gbt [tuned] | {provenance} |" in (tmp_path / "report" / "results.md").read_text()
    with open(tmp_path / "report" / "results.csv", newline="") as handle:
        assert {row["method"]: row["tuned_by"] for row in csv.DictReader(handle)} == {"gbt": provenance, "gclbt": ""}


def test_report_pairs_every_variant_with_the_suites_reference_variant(tmp_path: Path):
    suite_path = tmp_path / "ablation.yaml"
    suite_path.write_text(yaml.safe_dump({
        "name": "ablation", "reference_variant": "uniform", "defaults": {"seeds": [0, 1]},
        "blocks": [{"methods": ["gclbt"], "datasets": ["Cora"], "axes": {"aug": {"uniform": {}, "degree": {}}}}],
    }))
    results = tmp_path / "results"
    (results / "cells").mkdir(parents=True)
    (results / "suite.json").write_text(json.dumps({"suite": "ablation", "path": str(suite_path)}))
    for variant, accuracies in (("uniform", [0.80, 0.81]), ("degree", [0.83, 0.82])):
        record = _train_output("gclbt", "Cora", 100 * sum(accuracies) / 2)
        record["variant"] = variant
        record["runs"] = [{"seed": seed, "epochs": 10, "seconds": 5.0, "seconds_per_epoch": 0.5, "final_loss": 1.0,
                           "probe": {"test_accuracies": [accuracy]}, "resumed_from": 0}
                          for seed, accuracy in enumerate(accuracies)]
        (results / "cells" / f"gclbt-Cora-{variant}.json").write_text(json.dumps(record))
    rows = [line for line in render_markdown(collect(results, published={})).splitlines()
            if line.startswith("| Cora | ")]
    # +3 and +1 points on the two seeds: a mean of +2
    assert [row.split(" | ")[1:4] for row in rows] == [["gclbt [degree] − gclbt [uniform]", "2", "+2.00"]]
