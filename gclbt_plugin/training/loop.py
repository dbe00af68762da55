"""The training loop every trainer runs: full-batch, mini-batch and data-parallel.

One step, for any :class:`~gclbt_plugin.models.ContrastModel`::

    outputs = forward(batch_x, batch_edge_index, batch_edge_weight)  # the model or its DDP wrapper
    loss = model.loss(outputs, rows=batch.seeds)                     # the seed rows only
    loss.backward(); optimizer.step(); model.after_step(progress)

Everything the loop asks of the model is declared on ``ContrastModel`` (``loss``, ``after_step``,
``fit_full_graph`` / ``set_subgraph`` / ``release_full_graph``); the batches come from a sampler
of :mod:`gclbt_plugin.training.samplers`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.data import Data, Dataset

from gclbt_plugin._progress import progress_bar
from gclbt_plugin._validation import check_graph, check_positive, check_positive_int, mark_checked
from gclbt_plugin.models.base import ContrastModel
from gclbt_plugin.training import checkpoint as ckpt
from gclbt_plugin.training.interrupt import deferred_interrupts
from gclbt_plugin.training.optim import build_optimizer, build_scheduler
from gclbt_plugin.training.samplers import Sampler
from gclbt_plugin.training.state import (
    MiniBatchTrainResult,
    TrainingDivergedError,
    TrainingInterrupted,
    rng_state,
    set_rng_state,
)

logger = logging.getLogger(__name__)


def graph_inputs(
    graph: Tensor | Data | Dataset, edge_index: Tensor | None, edge_weight: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """``(x, edge_index, edge_weight)`` from tensors, a PyG ``Data`` or a one-graph PyG ``Dataset``.

    A ``Data`` gives ``data.x``, ``data.edge_index`` and ``data.edge_weight`` (when it has one).

    Raises:
        TypeError: a ``Data``/``Dataset`` together with ``edge_index``/``edge_weight``, a tensor
            without ``edge_index``, or a dataset of more than one graph.
    """
    if isinstance(graph, Dataset):
        if len(graph) != 1:
            raise TypeError(f"a PyG dataset of one graph is expected (node-level learning), got {len(graph)} graphs")
        graph = graph[0]
    if isinstance(graph, Data):
        if edge_index is not None or edge_weight is not None:
            raise TypeError("pass either a Data object or tensors (x, edge_index, edge_weight), not both")
        return graph.x, graph.edge_index, graph.edge_weight if "edge_weight" in graph else None
    if edge_index is None:
        raise TypeError(
            f"edge_index is required with a tensor x (or pass a torch_geometric Data), got {type(graph).__name__}"
        )
    return graph, edge_index, edge_weight


@contextmanager
def full_graph_augmentation(model: ContrastModel, x: Tensor, edge_index: Tensor) -> Iterator[None]:
    """Fit the model's augmenters on the training graph for the block, full-graph batches included.

    GCA (Zhu et al., WWW 2021; ``train.py`` of CRIPAC-DIG/GCA) computes every importance once, on
    the training graph: the edge-drop and the feature-mask probabilities alike. Without fitting, a
    view's chain (edge dropping, then feature masking) would give the feature masker the view with
    edges already dropped, and it would recompute a different centrality at every step.
    """
    try:
        model.fit_full_graph(x, edge_index)  # inside: a failing fit leaves no augmenter fitted
        yield
    finally:
        model.release_full_graph()


def _sampling_generator() -> torch.Generator:
    # Seeded from torch's global generator, so torch.manual_seed(seed) fixes the batches.
    return torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,)).item()))


def _check_checkpoint_options(checkpoint_every: int, checkpoint_minutes: float | None) -> None:
    check_positive_int("checkpoint_every", checkpoint_every)
    if checkpoint_minutes is not None:
        check_positive("checkpoint_minutes", checkpoint_minutes)


def train_loop(
    model: ContrastModel,
    forward: nn.Module,
    x: Tensor,
    edge_index: Tensor,
    edge_weight: Tensor | None,
    sampler: Sampler,
    *,
    epochs: int,
    optimizer: dict[str, Any],
    scheduler: dict[str, Any] | None,
    generator: torch.Generator | None,
    checkpoint_path: str | os.PathLike | None,
    checkpoint_every: int,
    fingerprint: str,
    progress: bool,
    callback: Callable[[int, ContrastModel, float], None] | None,
    loss_scale: float = 1.0,
    writes_checkpoints: bool = True,
    checkpoint_minutes: float | None = None,
    handle_signals: bool = True,
) -> MiniBatchTrainResult:
    """The loop of :func:`~gclbt_plugin.training.train`, :func:`~gclbt_plugin.training.minibatch.train_minibatch`
    and :func:`~gclbt_plugin.training.distributed.train_distributed`.

    ``forward`` is ``model`` itself or its ``DistributedDataParallel`` wrapper; the loss is
    multiplied by ``loss_scale`` before ``backward`` (the reported loss is not).

    Checkpoints (with ``checkpoint_path``): after every ``checkpoint_every``-th epoch, after the
    first epoch that ends ``checkpoint_minutes`` or more after the last save, after the last
    epoch, and -- with ``handle_signals`` -- after the epoch in which SIGINT or SIGTERM arrived,
    which then raises :class:`~gclbt_plugin.training.state.TrainingInterrupted`. An existing
    checkpoint is resumed from (logged as ``resumed from epoch E of FILE``); an unreadable one
    falls back to the previous one, else to a fresh start, with a warning
    (:func:`gclbt_plugin.training.checkpoint.load_latest`).
    """
    check_positive_int("epochs", epochs)
    _check_checkpoint_options(checkpoint_every, checkpoint_minutes)
    check_graph(x, edge_index, edge_weight)
    opt = build_optimizer(optimizer, model.parameters())
    sched = build_scheduler(scheduler, opt, epochs)
    sampling = _sampling_generator()
    result = MiniBatchTrainResult(sampler=sampler.name, batches_per_epoch=len(sampler))
    device = x.device

    if checkpoint_path is not None:
        found = ckpt.load_latest(checkpoint_path, map_location=device, clean=writes_checkpoints)
        if found is not None:
            state, source = found
            if state.get("fingerprint", "") != fingerprint:
                raise ValueError(
                    f"checkpoint {os.fspath(source)!r} was written by a different configuration; "
                    "remove it or pass another checkpoint path"
                )
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            set_rng_state(state["rng"], generator)
            sampling.set_state(state["sampling"])
            result.losses = list(state["losses"])
            result.epochs = result.resumed_from = int(state["epoch"])
            restored = state.get("seconds")  # absent from checkpoints written before it was recorded
            result.seconds_restored = float(restored) if restored is not None else None
            logger.info("resumed from epoch %d of %s", result.epochs, os.fspath(source))

    saves = checkpoint_path is not None and writes_checkpoints
    last_save = time.monotonic()

    def save(epoch: int) -> None:
        nonlocal last_save
        if not saves:
            return
        ckpt.atomic_save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "rng": rng_state(generator),
                "sampling": sampling.get_state(),
                "losses": result.losses,
                "fingerprint": fingerprint,
                # training seconds of epochs 1..epoch, over every process that trained them
                "seconds": None if result.seconds_restored is None
                else result.seconds_restored + time.perf_counter() - started,
            },
            checkpoint_path,
        )
        last_save = time.monotonic()

    def due(epoch: int) -> bool:
        if epoch % checkpoint_every == 0 or epoch == epochs:
            return True
        return checkpoint_minutes is not None and time.monotonic() - last_save >= 60.0 * checkpoint_minutes

    model.train()
    bar = progress_bar(
        range(result.epochs + 1, epochs + 1),
        total=epochs,
        initial=result.epochs,
        disable=not progress,
        desc=f"train ({sampler.name}, {len(sampler)} batches/epoch)",
        leave=False,
    )
    started = time.perf_counter()
    try:
        # a run restored from its last epoch trains nothing: no fit (GCA's centralities) to pay again
        fitted = full_graph_augmentation(model, x, edge_index) if result.epochs < epochs else nullcontext()
        with fitted, deferred_interrupts(
            handle_signals and saves
        ) as interrupted:
            for epoch in bar:
                total, steps = 0.0, 0
                for step, batch in enumerate(sampler.sample(sampling)):
                    if batch.node_ids is None:
                        batch_x, batch_weight = x, edge_weight
                    else:
                        batch_x = x.index_select(0, batch.node_ids.to(device))
                        batch_weight = None if edge_weight is None else edge_weight[batch.edge_ids.to(device)]
                    batch_edges = batch.edge_index.to(device)
                    mark_checked(batch_x, batch_edges, batch_weight)  # a sub-graph of the checked graph
                    if batch.node_ids is not None:
                        model.set_subgraph(None if batch.edge_ids is None else batch.edge_ids.to(device))
                    rows = batch.seeds if isinstance(batch.seeds, int) else batch.seeds.to(device)
                    if isinstance(rows, int) and rows >= batch_x.size(0):
                        rows = None  # every row
                    opt.zero_grad(set_to_none=True)
                    loss = model.loss(forward(batch_x, batch_edges, batch_weight), rows)
                    value = float(loss.detach())
                    if not math.isfinite(value):
                        where = f" (batch {step + 1})" if len(sampler) > 1 else ""
                        raise TrainingDivergedError(
                            f"loss became {value} at epoch {epoch}/{epochs}{where}; lower the learning rate"
                            + (", raise the batch size" if len(sampler) > 1 else "")
                            + " or check the inputs"
                        )
                    (loss * loss_scale if loss_scale != 1.0 else loss).backward()
                    opt.step()
                    model.after_step((epoch - 1 + (step + 1) / len(sampler)) / epochs)
                    total += value
                    steps += 1
                sched.step()
                value = total / max(steps, 1)
                result.losses.append(value)
                result.epochs = epoch
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)  # shown at the next redraw
                saved = due(epoch)
                if saved:
                    save(epoch)
                if callback is not None:
                    callback(epoch, model, value)
                if interrupted:
                    if not saved:
                        save(epoch)
                    raise TrainingInterrupted(interrupted.signum, epoch, epochs, os.fspath(checkpoint_path))
    finally:
        result.seconds = time.perf_counter() - started
        bar.close()
    return result
