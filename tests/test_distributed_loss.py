import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from gclbt_plugin.functional.distributed import (
    all_reduce_sum,
    is_distributed,
    scale_gradient,
    world_size,
)
from gclbt_plugin.losses import BarlowTwinsLoss

WORLD_SIZE = 2


def embeddings(n=12, d=6):
    g = torch.Generator().manual_seed(0)
    h1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    h2 = h1 + 0.5 * torch.randn(n, d, generator=g, dtype=torch.float64)
    return h1, h2


def _worker(rank, sizes, lambda_, directory):
    # Runs in a spawned process: rank holds rows [offset, offset + sizes[rank]) of the views.
    dist.init_process_group(
        "gloo",
        init_method=f"file://{os.path.join(directory, 'rendezvous')}",
        rank=rank,
        world_size=WORLD_SIZE,
    )
    try:
        h1, h2 = embeddings(n=sum(sizes))
        offset = sum(sizes[:rank])
        rows = slice(offset, offset + sizes[rank])
        h1 = h1[rows].clone().requires_grad_()
        h2 = h2[rows].clone().requires_grad_()
        loss = BarlowTwinsLoss(lambda_=lambda_)(h1, h2)
        loss.backward()
        torch.save(
            {"loss": loss.detach(), "grad1": h1.grad, "grad2": h2.grad, "world": world_size()},
            os.path.join(directory, f"rank{rank}.pt"),
        )
    finally:
        dist.destroy_process_group()


def run_distributed(tmp_path, sizes, lambda_=None):
    mp.spawn(_worker, args=(sizes, lambda_, str(tmp_path)), nprocs=WORLD_SIZE, join=True)
    return [torch.load(tmp_path / f"rank{rank}.pt") for rank in range(WORLD_SIZE)]


@pytest.mark.distributed
@pytest.mark.parametrize("sizes", [(6, 6), (7, 5)])
def test_barlow_twins_loss_distributed_equals_single_process_on_all_nodes(tmp_path, sizes):
    results = run_distributed(tmp_path, sizes, lambda_=0.2)
    h1, h2 = embeddings(n=sum(sizes))
    h1.requires_grad_()
    h2.requires_grad_()
    expected = BarlowTwinsLoss(lambda_=0.2)(h1, h2)
    expected.backward()
    offsets = [0, sizes[0], sum(sizes)]
    for rank, result in enumerate(results):
        assert result["world"] == WORLD_SIZE
        assert torch.allclose(result["loss"], expected.detach())
        rows = slice(offsets[rank], offsets[rank + 1])
        assert torch.allclose(result["grad1"], h1.grad[rows])
        assert torch.allclose(result["grad2"], h2.grad[rows])


def test_barlow_twins_loss_local_halves_differ_from_global_loss():
    # Guards the distributed test: without the reduction each half would give another value.
    h1, h2 = embeddings(n=12)
    loss = BarlowTwinsLoss(lambda_=0.2)
    assert not torch.allclose(loss(h1[:7], h2[:7]), loss(h1, h2))


def test_distributed_helpers_are_identity_without_process_group():
    t = torch.randn(3, requires_grad=True)
    assert not is_distributed()
    assert world_size() == 1
    assert all_reduce_sum(t) is t


def test_scale_gradient_keeps_value_and_scales_gradient():
    t = torch.tensor([1.0, -2.0], requires_grad=True)
    out = scale_gradient(t * 3.0, 0.25)
    assert out.tolist() == [3.0, -6.0]
    out.sum().backward()
    assert t.grad.tolist() == [0.75, 0.75]
