"""benchmarks/probe_check.py: the seed selection and the command it records for its report."""

import argparse

import pytest


@pytest.fixture(scope="module")
def probe_check(load_benchmark):
    return load_benchmark("probe_check")


RECORD = {"method": "gclbt", "runs": [{"seed": 0, "epochs": 5}, {"seed": 1, "epochs": 5}, {"seed": 2, "epochs": 5}]}


def test_select_seeds_keeps_the_chosen_runs_in_the_records_order(probe_check):
    chosen = probe_check.select_seeds(RECORD, [2, 0])
    assert [run["seed"] for run in chosen["runs"]] == [0, 2]
    assert [run["seed"] for run in RECORD["runs"]] == [0, 1, 2]  # the record itself is left as it was


def test_select_seeds_names_the_flag_and_the_recorded_seeds_for_an_unknown_seed(probe_check):
    with pytest.raises(SystemExit, match=r"--seeds 7: not in the cell's record; its seeds are 0 1 2"):
        probe_check.select_seeds(RECORD, [1, 7])


def test_rendered_command_repeats_the_mirror_and_the_seeds(probe_check):
    args = argparse.Namespace(cell="OUT/cells/c.json", checkpoints="OUT/checkpoints/c", cases=None, seeds=[0],
                              data_mirror="../shared/datasets", reference=True, reference_splits=1, threads=1,
                              out="DIR")
    assert probe_check.render_command(args) == (
        "OMP_NUM_THREADS=1 python benchmarks/probe_check.py --cell OUT/cells/c.json --checkpoints OUT/checkpoints/c "
        "--seeds 0 --data-mirror ../shared/datasets --reference --reference-splits 1 --out DIR"
    )
