"""Data-parallel training over 2 gloo processes equals single-process training on the union of nodes."""

import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from gclbt_plugin.augmentors import EdgeDropping, FeatureMasking
from gclbt_plugin.augmentors.base import Compose, Identity
from gclbt_plugin.encoders.gcn import GCN
from gclbt_plugin.losses import BarlowTwinsLoss
from gclbt_plugin.models import DualBranchModel
from gclbt_plugin.training import train
from gclbt_plugin.training.distributed import shard_nodes, train_distributed
from gclbt_plugin.training.minibatch import neighbor_sampling_available

WORLD_SIZE = 2
NUM_NODES = 41  # odd: the two ranks hold 21 and 20 nodes
OPTIMIZER = {"name": "adamw", "lr": 0.01, "weight_decay": 1e-5}


def graph():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(NUM_NODES, 8, generator=g, dtype=torch.float64)
    edge_index = torch.randint(0, NUM_NODES, (2, 160), generator=g)
    edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    return x, edge_index


def make_model(augmented: bool):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    if augmented:
        views = [
            Compose([EdgeDropping(0.3, generator=generator), FeatureMasking(0.2, generator=generator)])
            for _ in range(2)
        ]
    else:
        views = [Identity(), Identity()]
    encoder = GCN(8, 16, 8, norm="batch_norm", plain_last=True)
    model = DualBranchModel(encoder, views[0], views[1], BarlowTwinsLoss()).double()
    return model, generator


def snapshot(model, losses):
    return {
        "losses": torch.tensor(losses, dtype=torch.float64),
        "params": {name: p.detach().clone() for name, p in model.named_parameters()},
        "grads": {name: p.grad.detach().clone() for name, p in model.named_parameters()},
    }


def _worker(rank, directory):
    dist.init_process_group(
        "gloo",
        init_method=f"file://{os.path.join(directory, 'rendezvous')}",
        rank=rank,
        world_size=WORLD_SIZE,
    )
    try:
        x, edge_index = graph()
        results = {}
        for augmented in (False, True):
            model, generator = make_model(augmented)
            trained = train_distributed(
                model, x, edge_index, epochs=1, optimizer=OPTIMIZER, generator=generator, progress=False
            )
            results[f"full-augmented={augmented}"] = snapshot(model, trained.losses)
        samplers = ["random-node"] + (["neighbor"] if neighbor_sampling_available() else [])
        for sampler in samplers:
            model, generator = make_model(True)
            trained = train_distributed(
                model, x, edge_index, epochs=2, optimizer=OPTIMIZER, generator=generator,
                batch_size=8, sampler=sampler, progress=False,
            )
            results[f"minibatch-{sampler}"] = snapshot(model, trained.losses)
            results[f"minibatch-{sampler}"]["steps"] = trained.batches_per_epoch
        results["reduces"] = BarlowTwinsLoss().reduces_over_ranks()
        torch.save(results, os.path.join(directory, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(str(directory),), nprocs=WORLD_SIZE, join=True)
    return [torch.load(directory / f"rank{rank}.pt") for rank in range(WORLD_SIZE)]


def single_process(augmented: bool):
    x, edge_index = graph()
    model, generator = make_model(augmented)
    trained = train(model, x, edge_index, epochs=1, optimizer=OPTIMIZER, generator=generator, progress=False)
    return snapshot(model, trained.losses)


def assert_same_step(result, expected):
    assert torch.allclose(result["losses"], expected["losses"])
    for name, grad in expected["grads"].items():
        assert torch.allclose(result["grads"][name], grad, atol=1e-10), name
    for name, param in expected["params"].items():
        if expected["grads"][name].abs().max() < 1e-8:
            # A bias followed by batch norm has a zero gradient up to rounding noise, which
            # Adam's first step normalises to +-lr: only its gradient can be compared.
            continue
        assert torch.allclose(result["params"][name], param, atol=1e-10), name


@pytest.mark.distributed
def test_train_distributed_identity_views_step_equals_single_process(rank_results):
    expected = single_process(augmented=False)
    for result in rank_results:
        assert_same_step(result["full-augmented=False"], expected)


@pytest.mark.distributed
def test_train_distributed_seeded_augmentation_step_equals_single_process(rank_results):
    expected = single_process(augmented=True)
    for result in rank_results:
        assert_same_step(result["full-augmented=True"], expected)


@pytest.mark.distributed
def test_train_distributed_gradient_is_not_the_ddp_average_of_local_losses(rank_results):
    # Guards the scaling: without multiplying the global loss by the world size, DDP's average
    # would halve every gradient, which the equality tests above would then reject.
    expected = single_process(augmented=False)
    halved = {name: grad / WORLD_SIZE for name, grad in expected["grads"].items()}
    result = rank_results[0]["full-augmented=False"]["grads"]
    assert not all(torch.allclose(result[name], halved[name]) for name in halved)
    assert rank_results[0]["reduces"] is True


@pytest.mark.distributed
@pytest.mark.parametrize("sampler", ["random-node", "neighbor"])
def test_train_distributed_minibatch_keeps_ranks_identical(rank_results, sampler):
    key = f"minibatch-{sampler}"
    if key not in rank_results[0]:
        pytest.skip("neighbor sampling needs pyg-lib or torch-sparse, neither is installed")
    first, second = (result[key] for result in rank_results)
    assert first["steps"] == second["steps"] == 3  # ceil(21 / 8) batches on both ranks
    assert torch.isfinite(first["losses"]).all()
    assert torch.allclose(first["losses"], second["losses"])  # the Barlow Twins loss is global
    for name, param in first["params"].items():
        assert torch.equal(param, second["params"][name]), name


def test_shard_nodes_balanced_contiguous_cover():
    shards = [shard_nodes(7, rank, 3).tolist() for rank in range(3)]
    assert shards == [[0, 1, 2], [3, 4], [5, 6]]


def test_shard_nodes_rejects_rank_outside_world():
    with pytest.raises(ValueError, match="rank must be in"):
        shard_nodes(7, 3, 3)


def test_loss_reduces_over_ranks_false_without_process_group():
    assert BarlowTwinsLoss().reduces_over_ranks() is False


def test_train_distributed_without_process_group_raises():
    x, edge_index = graph()
    model, generator = make_model(False)
    with pytest.raises(RuntimeError, match="init_process_group"):
        train_distributed(model, x, edge_index, epochs=1, optimizer=OPTIMIZER, progress=False)


@pytest.mark.distributed
@pytest.mark.slow
def test_torchrun_entry_trains_two_epochs_on_cora(shared_datasets_dir, dataset_cache, tmp_path):
    output = tmp_path / "result.json"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "gclbt_plugin", "train", "--distributed", "--method", "gbt", "--dataset", "Cora",
        "--epochs", "2", "--batch-size", "512", "--sampler", "random-node",
        "--set", "encoder.hidden_channels=32", "--set", "encoder.out_channels=32", "--no-progress",
        "--data-cache", str(dataset_cache), "--data-mirror", str(shared_datasets_dir), "--output", str(output),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "mini-batch 512, sampler random-node) x 2 processes" in completed.stdout
    assert output.is_file()


def test_train_distributed_outside_torchrun_is_a_one_line_error(capsys, monkeypatch):
    from gclbt_plugin.cli.main import main

    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert main(["train", "--distributed", "--method", "gbt", "--dataset", "Cora", "--output", "/tmp/x.json"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "torchrun --nproc_per_node N -m gclbt_plugin train --distributed" in err[0]


def test_training_distributed_has_no_second_command_line():
    import gclbt_plugin.training.distributed as distributed

    assert not hasattr(distributed, "main") and not hasattr(distributed, "build_parser")
