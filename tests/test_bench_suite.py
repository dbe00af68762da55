"""Suite files: validation, grid expansion, config-file cells, and the epoch plan of a cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from gclbt_plugin.benchmarking.runner import plan_cell
from gclbt_plugin.benchmarking.suite import Cell, available_suites, load_suite, parse_suite


def _suite(**block):
    return {"name": "t", "blocks": [block]}


def test_parse_suite_expands_methods_times_datasets():
    suite = parse_suite(_suite(methods=["gbt", "grace"], datasets=["cora", "citeseer"]))
    assert [c.id for c in suite.cells] == ["gbt-Cora", "gbt-CiteSeer", "grace-Cora", "grace-CiteSeer"]


def test_parse_suite_expands_axes_into_named_variants():
    suite = parse_suite(
        _suite(
            methods=["gbt"],
            datasets=["Cora"],
            axes={"aug": {"a": {"view1": {"edge": {"p": 0.1}}}, "b": {}}, "loss": {"x": {"loss": {"tau": 1}}}},
        )
    )
    assert [(c.variant, c.levels) for c in suite.cells] == [
        ("a+x", {"aug": "a", "loss": "x"}),
        ("b+x", {"aug": "b", "loss": "x"}),
    ]


def test_parse_suite_merges_defaults_block_and_axis_overrides_in_order():
    document = {
        "defaults": {"overrides": {"encoder": {"hidden_channels": 8, "out_channels": 8}}},
        "blocks": [
            {
                "methods": ["gbt"],
                "datasets": ["Cora"],
                "overrides": {"encoder": {"out_channels": 4}},
                "axes": {"lr": {"small": {"optimizer": {"lr": 0.5}}}},
            }
        ],
    }
    (cell,) = parse_suite(document).cells
    assert cell.overrides == {"encoder": {"hidden_channels": 8, "out_channels": 4}, "optimizer": {"lr": 0.5}}


def test_parse_suite_block_settings_beat_defaults():
    block = {"methods": "gbt", "datasets": "Cora", "epochs": 2}
    document = {"defaults": {"seeds": [0, 1], "epochs": 5}, "blocks": [block]}
    (cell,) = parse_suite(document).cells
    assert (cell.seeds, cell.epochs, cell.num_splits) == ((0, 1), 2, 20)


def test_parse_suite_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"suite.blocks\[0\] has unknown keys \['epoch'\]"):
        parse_suite(_suite(methods=["gbt"], datasets=["Cora"], epoch=3))


def test_parse_suite_keeps_a_reference_variant_of_its_cells():
    block = _suite(methods=["gbt"], datasets=["Cora"], axes={"aug": {"u": {}, "d": {}}})
    document = {**block, "reference_variant": "u"}
    assert parse_suite(document).reference_variant == "u"


def test_parse_suite_rejects_a_reference_variant_no_cell_has():
    block = _suite(methods=["gbt"], datasets=["Cora"], axes={"aug": {"u": {}, "d": {}}})
    document = {**block, "reference_variant": "x"}
    with pytest.raises(ValueError, match=r"suite.reference_variant must be one of the suite's variants \['d', 'u'\], "
                                         r"got 'x'"):
        parse_suite(document)


def test_load_suite_ablation_full_pairs_every_centrality_with_uniform_dropping():
    suite = load_suite("ablation-full")
    assert (suite.reference_variant, suite.path.name) == ("uniform", "ablation-full.yaml")


def test_parse_suite_rejects_unregistered_method():
    with pytest.raises(ValueError, match="method 'nope' is not registered"):
        parse_suite(_suite(methods=["nope"], datasets=["Cora"]))


def test_parse_suite_rejects_unknown_dataset():
    with pytest.raises(ValueError, match="name must be one of"):
        parse_suite(_suite(methods=["gbt"], datasets=["NoSuchGraph"]))


def test_parse_suite_rejects_non_positive_epochs():
    with pytest.raises(ValueError, match=r"epochs must be a positive integer or null.*got 0"):
        parse_suite(_suite(methods=["gbt"], datasets=["Cora"], epochs=0))


def test_parse_suite_rejects_duplicate_cells():
    document = {"blocks": [{"methods": ["gbt"], "datasets": ["Cora"]}, {"methods": ["gbt"], "datasets": ["cora"]}]}
    with pytest.raises(ValueError, match=r"duplicate cells \['gbt-Cora'\]"):
        parse_suite(document)


def test_parse_suite_reads_method_and_dataset_from_config_files(tmp_path: Path):
    (tmp_path / "best-a.yaml").write_text("method: gbt\ndataset: cora\nloss: {lambda_: 0.01}\nepochs: 7\n")
    (tmp_path / "best-b.yaml").write_text("method: grace\ndataset: CiteSeer\n")
    suite = parse_suite({"blocks": [{"configs": "*.yaml"}]}, base_dir=tmp_path)
    assert [(c.id, c.overrides) for c in suite.cells] == [
        ("gbt-Cora-best-a", {"loss": {"lambda_": 0.01}, "epochs": 7}),
        ("grace-CiteSeer-best-b", {}),
    ]


def test_parse_suite_named_config_block_gives_every_file_its_variant(tmp_path: Path):
    (tmp_path / "gbt-Cora.yaml").write_text("method: gbt\ndataset: Cora\n")
    (tmp_path / "gclbt-Cora.yaml").write_text("method: gclbt\ndataset: Cora\n")
    suite = parse_suite({"blocks": [{"configs": "*.yaml", "name": "tuned"}]}, base_dir=tmp_path)
    assert [(c.id, c.variant) for c in suite.cells] == [("gbt-Cora-tuned", "tuned"), ("gclbt-Cora-tuned", "tuned")]


def test_parse_suite_config_block_datasets_replace_the_files_dataset(tmp_path: Path):
    (tmp_path / "gbt-Computers.yaml").write_text("method: gbt\ndataset: Computers\nloss: {lambda_: 0.01}\n")
    block = {"configs": "*.yaml", "datasets": ["cora", "CiteSeer"], "name": "from-Computers"}
    suite = parse_suite({"blocks": [block]}, base_dir=tmp_path)
    assert [(c.id, c.dataset, c.overrides) for c in suite.cells] == [
        ("gbt-Cora-from-Computers", "Cora", {"loss": {"lambda_": 0.01}}),
        ("gbt-CiteSeer-from-Computers", "CiteSeer", {"loss": {"lambda_": 0.01}}),
    ]


def test_parse_suite_config_file_without_dataset_needs_the_block_to_name_one(tmp_path: Path):
    (tmp_path / "gbt.yaml").write_text("method: gbt\n")
    with pytest.raises(ValueError, match=r"must name method: and dataset:"):
        parse_suite({"blocks": [{"configs": "*.yaml"}]}, base_dir=tmp_path)


def test_parse_suite_rejects_missing_config_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        parse_suite({"blocks": [{"config": "absent.yaml"}]}, base_dir=tmp_path)


def test_load_suite_loads_every_shipped_suite():
    names = available_suites()
    assert {"quick", "smoke", "paper", "ablation", "tuned"} <= set(names)
    sizes = {name: len(load_suite(name).cells) for name in names}
    assert (sizes["quick"], sizes["smoke"], sizes["ablation"]) == (10, 10, 60)


def test_load_suite_ablation_crosses_four_augmentations_with_three_losses():
    cells = [c for c in load_suite("ablation").cells if c.dataset == "Cora"]
    augmentations = ("uniform", "degree", "pagerank", "eigenvector")
    losses = ("infonce", "barlow", "bootstrap")
    assert sorted(c.variant for c in cells) == sorted(f"{a}+{loss}" for a in augmentations for loss in losses)


def test_load_suite_unknown_name_lists_available_suites():
    with pytest.raises(FileNotFoundError, match=r"available suites .*'quick'"):
        load_suite("no-such-suite")


def test_plan_cell_uses_published_epochs_by_default():
    plan = plan_cell(Cell(id="gbt-Computers", method="gbt", dataset="Computers"))
    assert (plan["epochs_requested"], plan["config"]["epochs"], plan["epochs_published"]) == (1000, 1000, 1000)


def test_plan_cell_caps_epochs_and_scales_warmup():
    plan = plan_cell(Cell(id="gbt-Cora", method="gbt", dataset="Cora"), max_epochs=100)
    config = plan["config"]
    assert (config["epochs"], config["scheduler"]["warmup_epochs"], plan["max_epochs"]) == (100, 10, 100)


def test_plan_cell_fingerprint_changes_with_the_configuration():
    base = Cell(id="c", method="gbt", dataset="Cora", epochs=3)
    other = Cell(id="c", method="gbt", dataset="Cora", epochs=3, overrides={"loss": {"lambda_": 0.1}})
    assert plan_cell(base)["fingerprint"] == plan_cell(base)["fingerprint"]
    assert plan_cell(base)["fingerprint"] != plan_cell(other)["fingerprint"]
