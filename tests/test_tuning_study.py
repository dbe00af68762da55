"""Optuna studies on Cora with a tiny encoder: stored parameters, pruning, failures, retries, report."""

import time

import optuna
import pytest
import torch
import yaml
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

import gclbt_plugin.tuning.study as study_module
from gclbt_plugin.experiment import resolve_config, run_experiment
from gclbt_plugin.tuning import default_search_space, export_config, make_storage, report_study, tune
from gclbt_plugin.tuning.study import open_study

TINY = {"epochs": 4, "encoder": {"hidden_channels": 32, "out_channels": 32}}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_tune(cora, tmp_path, **kwargs):
    options = {
        "n_trials": 3, "storage": f"sqlite:///{tmp_path / 'studies.db'}", "overrides": [TINY], "eval_every": 2,
        "num_splits": 1, "progress": False, "print_trials": False, "heartbeat_interval": None,
    }
    options.update(kwargs)
    return tune("gclbt", cora, **options)


def test_tune_stores_searched_parameters_under_constructor_names(cora, tmp_path):
    study = run_tune(cora, tmp_path, n_trials=2)
    expected = sorted(default_search_space(study.trials[0].user_attrs["config"]))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert all(sorted(t.params) == expected for t in study.trials)
    trial = study.trials[0]
    assert trial.user_attrs["config"]["view1"]["edge"]["p"] == trial.params["view1.edge.p"]
    assert trial.user_attrs["config"]["loss"]["lambda_"] == trial.params["loss.lambda_"]


def test_tune_reports_intermediate_validation_accuracy_every_k_epochs(cora, tmp_path):
    study = run_tune(cora, tmp_path, n_trials=1)
    assert list(study.trials[0].intermediate_values) == [2]  # epoch 4 is the final probe, not an intermediate


def test_tune_continues_the_study_up_to_n_trials(cora, tmp_path):
    first = [t.params for t in run_tune(cora, tmp_path, n_trials=1).trials]
    study = run_tune(cora, tmp_path, n_trials=2)
    assert len(study.trials) == 2 and [t.params for t in study.trials[:1]] == first


def test_tune_pruner_prunes_trials(cora, tmp_path):
    study = run_tune(cora, tmp_path, n_trials=2, pruner=optuna.pruners.ThresholdPruner(lower=100.0))
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert study.trials[0].user_attrs["pruned_epoch"] == 2


def failing_first(calls, error):
    def fake_run_experiment(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return run_experiment(*args, **kwargs)

    return fake_run_experiment


def test_tune_records_failing_trial_and_continues(cora, tmp_path, monkeypatch):
    monkeypatch.setattr(study_module, "run_experiment", failing_first([], RuntimeError("worker lost its data")))
    study = run_tune(cora, tmp_path, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert study.trials[0].user_attrs["fail_reason"] == "RuntimeError: worker lost its data"


def test_tune_records_cuda_out_of_memory_even_when_failing_fast(cora, tmp_path, monkeypatch):
    error = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    monkeypatch.setattr(study_module, "run_experiment", failing_first([], error))
    study = run_tune(cora, tmp_path, n_trials=1, catch=())
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert study.trials[0].user_attrs["fail_reason"].startswith("CUDA out of memory: CUDA out of memory. Tried")


def test_tune_stops_a_worker_after_consecutive_failures(cora, tmp_path):
    space = {"use_defaults": False, "parameters": {"encoder.act": ["bogus"]}}
    study = run_tune(cora, tmp_path, n_trials=5, search_space=space, max_failures=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert "act must be a name PyG resolves" in study.trials[0].user_attrs["fail_reason"]


def test_tune_fail_fast_raises_trial_error(cora, tmp_path):
    space = {"use_defaults": False, "parameters": {"encoder.act": ["bogus"]}}
    with pytest.raises(ValueError, match="act must be a name PyG resolves"):
        run_tune(cora, tmp_path, n_trials=1, search_space=space, catch=())


def test_tune_retries_the_trial_of_a_dead_worker(cora, tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    storage = make_storage(url, heartbeat_interval=1, grace_period=1)
    dead = open_study("gclbt-Cora", storage).ask()  # a worker took a trial, beat once, then died
    storage.record_heartbeat(dead._trial_id)
    time.sleep(2.5)
    study = run_tune(cora, tmp_path, n_trials=1, storage=storage)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(study.trials[1]) == 0


def test_tune_rejects_a_study_of_another_method(cora, tmp_path):
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    run_tune(cora, tmp_path, n_trials=1, storage=storage)
    with pytest.raises(ValueError, match="holds trials of method 'gclbt'"):
        tune("gbt", cora, n_trials=1, storage=storage, study_name="gclbt-Cora", progress=False)


def test_make_storage_rejects_a_non_url():
    with pytest.raises(ValueError, match="must be an Optuna database URL.*got 'studies.db'"):
        make_storage("studies.db")


def test_make_storage_unknown_dialect_is_value_error_hiding_password():
    with pytest.raises(ValueError, match=r"cannot open Optuna storage 'nosuchdb://user:\*\*\*@host/db'"):
        make_storage("nosuchdb://user:secret@host/db")


def test_exported_config_reproduces_best_validation_accuracy(cora, tmp_path):
    study = run_tune(cora, tmp_path, n_trials=2)
    document = yaml.safe_load(export_config(study, tmp_path / "best.yaml").read_text())
    assert (document.pop("method"), document.pop("dataset")) == ("gclbt", "Cora")
    result = run_experiment("gclbt", cora, overrides=[document], seeds=(0,), num_splits=1, progress=False)
    assert result.val_mean == pytest.approx(study.best_value, abs=1e-9)


def test_exported_config_cites_its_study_and_results_record_it(cora, tmp_path):
    study = run_tune(cora, tmp_path, n_trials=2)
    document = yaml.safe_load(export_config(study, tmp_path / "best.yaml").read_text())
    best = study.best_trial
    assert document["sources"][0] == (
        f"tuned by gclbt tune: Optuna study {study.study_name!r}, 2 finished trials (2 complete, 0 pruned), "
        f"chosen on validation only: best trial {best.number}, validation accuracy {best.value:.2f} %"
    )
    assert document["sources"][1:] == resolve_config("gclbt", "Cora")["sources"]
    assert (document.pop("method"), document.pop("dataset")) == ("gclbt", "Cora")
    result = run_experiment("gclbt", cora, overrides=[document], seeds=(0,), num_splits=1, progress=False)
    assert result.config["sources"][0].startswith(f"tuned by gclbt tune: Optuna study {study.study_name!r}")


def test_report_study_writes_config_report_and_plots(cora, tmp_path, shared_datasets_dir, dataset_cache):
    import matplotlib

    matplotlib.use("Agg")
    study = run_tune(cora, tmp_path, n_trials=2)
    # The retraining loads the dataset by name: point it at the test data, not the user's cache.
    report = report_study(
        study, tmp_path / "report", seeds=(0, 1), num_splits=1,
        data_cache=dataset_cache, data_mirror=shared_datasets_dir,
    )
    names = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert names == [
        "best-config.yaml", "optimization_history.png", "parallel_coordinate.png", "param_importances.png",
        "report.json",
    ]
    assert (report.num_evaluations, report.best_trial) == (2, study.best_trial.number)


def test_tune_objective_never_reads_a_test_label(cora, tmp_path, monkeypatch):
    # Every choice of a study is made on validation: the probe's test scorer (the one place test labels
    # are read) must not run in a trial, neither at the intermediate probes nor at the final one.
    import gclbt_plugin.evaluation.linear_probe as linear_probe

    def forbidden(*args, **kwargs):
        raise AssertionError("the test scorer was called inside a trial")

    monkeypatch.setattr(linear_probe, "test_accuracy", forbidden)
    study = run_tune(cora, tmp_path, n_trials=2, catch=())
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert all(0.0 < t.value <= 100.0 for t in study.trials)


def test_the_test_scorer_guard_can_fail(cora, monkeypatch):
    # the same patch does catch a run that scores test (so the test above can fail)
    import gclbt_plugin.evaluation.linear_probe as linear_probe

    monkeypatch.setattr(linear_probe, "test_accuracy", lambda *a, **k: (_ for _ in ()).throw(AssertionError("read")))
    with pytest.raises(AssertionError, match="read"):
        run_experiment("gclbt", cora, overrides=[TINY], progress=False)


def test_tune_records_the_augmenter_revisions_of_its_trials(cora, tmp_path):
    from gclbt_plugin.recipes.build import augmenter_revisions

    study = run_tune(cora, tmp_path, n_trials=1)
    revisions = augmenter_revisions(resolve_config("gclbt", "Cora"))
    assert revisions  # GCL-BT's adaptive augmenters are past revision 0
    assert study.user_attrs["augmenter_revisions"] == revisions


def test_study_augmenter_revisions_of_trials_older_than_the_attribute_are_all_zero():
    from gclbt_plugin.tuning import study_augmenter_revisions

    study = optuna.create_study()
    assert study_augmenter_revisions(study) is None  # nothing ran yet
    study.add_trial(optuna.trial.create_trial(value=1.0))
    assert study_augmenter_revisions(study) is None  # a trial that did not train through gclbt tune
    study.add_trial(optuna.trial.create_trial(value=1.0, user_attrs={"config": {"epochs": 1}}))
    assert study_augmenter_revisions(study) == {}
    study.set_user_attr("augmenter_revisions", {"view1.edge": 1})
    assert study_augmenter_revisions(study) == {"view1.edge": 1}


def test_tune_refuses_to_continue_a_study_whose_views_changed(cora, tmp_path, monkeypatch):
    from gclbt_plugin.augmentors import AdaptiveFeatureMasking

    run_tune(cora, tmp_path, n_trials=1)
    monkeypatch.setattr(AdaptiveFeatureMasking, "revision", AdaptiveFeatureMasking.revision + 1)
    with pytest.raises(ValueError, match="study 'gclbt-Cora' ran its trials with augmenter revisions .*choose another"):
        run_tune(cora, tmp_path, n_trials=2)


def test_provenance_says_when_the_study_ran_with_other_augmenter_revisions(cora, tmp_path, monkeypatch):
    from gclbt_plugin.augmentors import AdaptiveFeatureMasking
    from gclbt_plugin.tuning.report import provenance

    study = run_tune(cora, tmp_path, n_trials=1)
    assert "re-test" not in provenance(study)
    monkeypatch.setattr(AdaptiveFeatureMasking, "revision", AdaptiveFeatureMasking.revision + 1)
    assert "the views changed since; re-test the configuration" in provenance(study)
