"""The two logistic-regression fits behind the linear probe's named protocols.

* :func:`fit_regularisation_path` -- scikit-learn's ``LogisticRegression`` (multinomial, L-BFGS)
  over a grid of inverse regularisation strengths ``C``, converged to its optimum (the probe of
  BGRL, Thakoor et al. 2022, and Graph Barlow Twins, Bielak et al. 2022).
* :func:`fit_adam_early_stopping` -- a linear layer trained with full-batch Adam, validation
  accuracy read every few epochs (the probe of GRACE's and GCA's code, Zhu et al. 2020 / 2021).

Both take one split's train / validation rows and never see test rows: they return what is
needed to score the chosen model once, afterwards, on test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass
class PathFit:
    """Validation accuracy of every ``C`` and the models, for one split.

    Attributes:
        val_accuracy: Validation accuracy per grid value ``[G]``.
        models: The fitted :class:`LinearClassifier` per grid value.
        not_converged: How many grid values stopped at ``max_iter`` before ``tol``.
    """

    val_accuracy: list[float]
    models: list[LinearClassifier]
    not_converged: int


@dataclass(frozen=True)
class LinearClassifier:
    """A fitted multinomial (or binary) linear model: ``coef [K or 1, d]``, ``intercept [K or 1]``."""

    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class labels ``[m]`` of rows ``x [m, d]``."""
        if self.classes.size == 1:  # trained on one class: the optimum predicts it
            return np.full(x.shape[0], self.classes[0])
        scores = x @ self.coef.T + self.intercept
        if scores.shape[1] == 1:  # scikit-learn's binary parametrisation: one score, > 0 -> classes[1]
            return self.classes[(scores[:, 0] > 0).astype(int)]
        return self.classes[scores.argmax(1)]


def fit_regularisation_path(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    grid: Sequence[float],
    *,
    max_iter: int,
    tol: float,
) -> PathFit:
    """Fit multinomial L2 logistic regression for every ``C`` in ``grid`` (ascending order).

    Objective (scikit-learn's): ``0.5 ||W||^2 + C * sum_i CE(softmax(x_i W + b), y_i)``, the bias
    not regularised. The fits run from the strongest regularisation to the weakest, each starting
    from the previous optimum (``warm_start``): the objective is strictly convex, so the optimum
    does not depend on the start, only the number of L-BFGS iterations does.

    Shapes: ``x_train [n, d]``, ``y_train [n]``, ``x_val [m, d]``, ``y_val [m]`` (float64 /
    int64 NumPy arrays).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    classes = np.unique(y_train)
    if classes.size == 1:  # scikit-learn refuses one class; the optimum predicts it
        constant = LinearClassifier(classes, np.zeros((1, x_train.shape[1])), np.zeros(1))
        accuracy = float((constant.predict(x_val) == y_val).mean())
        return PathFit([accuracy] * len(grid), [constant] * len(grid), 0)
    order = sorted(range(len(grid)), key=lambda i: grid[i])
    models: list = [None] * len(grid)
    accuracy = [math.nan] * len(grid)
    not_converged = 0
    model = LogisticRegression(solver="lbfgs", max_iter=max_iter, tol=tol, warm_start=True)
    for i in order:
        model.set_params(C=float(grid[i]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(x_train, y_train)
        not_converged += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        models[i] = LinearClassifier(model.classes_.copy(), model.coef_.copy(), model.intercept_.copy())
        accuracy[i] = float((models[i].predict(x_val) == y_val).mean())
    return PathFit(accuracy, models, not_converged)


@dataclass
class EarlyStoppingFit:
    """Validation accuracy at every checkpoint epoch and the weights at the chosen one, per split.

    Attributes:
        epochs: The checkpoint epochs (1-based) ``[T]``.
        val_accuracy: ``[S][T]`` validation accuracy.
        chosen: Index into ``epochs`` of the first checkpoint with the best validation accuracy,
            per split.
        weight: ``[S, d, K]`` weights at the chosen checkpoint.
        bias: ``[S, K]`` biases at the chosen checkpoint.
    """

    epochs: list[int]
    val_accuracy: list[list[float]]
    chosen: list[int]
    weight: Tensor
    bias: Tensor


def fit_adam_early_stopping(
    x_train: Tensor,
    labels: Tensor,
    row_weights: Tensor,
    x_val: Tensor,
    val_labels: Tensor,
    val_weights: Tensor,
    num_classes: int,
    *,
    epochs: int,
    eval_every: int,
    lr: float,
    generator: torch.Generator,
) -> EarlyStoppingFit:
    """Train one linear layer per split with full-batch Adam and keep the best-validation weights.

    GCA's ``log_regression``: ``Linear(d, K)`` with Xavier-uniform weights and zero bias,
    ``Adam(lr, weight_decay=0)`` on the mean cross-entropy of the training rows; every
    ``eval_every`` epochs the validation accuracy is read and the weights with the *strictly*
    best accuracy so far are kept (the earliest of equals, as GCA's ``>``).

    All splits train at once as batched tensors; Adam's update is per coordinate and a split's
    loss touches only its own weights, so this is each split's fit on its own.

    Shapes: ``x_train [S, n, d]`` (rows padded), ``labels [S, n]``, ``row_weights [S, n]``
    (``1 / |train_s|`` for real rows, 0 for padding); likewise ``x_val [S, m, d]``,
    ``val_labels [S, m]``, ``val_weights [S, m]`` (1 for real rows, 0 for padding).
    """
    num_splits, _, dim = x_train.shape
    bound = math.sqrt(6.0 / (dim + num_classes))  # xavier_uniform_ on a [K, d] weight
    weight = (torch.rand(num_splits, dim, num_classes, generator=generator, dtype=x_train.dtype) * 2 - 1) * bound
    weight = weight.to(x_train.device).requires_grad_()
    bias = torch.zeros(num_splits, 1, num_classes, device=x_train.device, dtype=x_train.dtype, requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=lr, weight_decay=0.0)
    target = torch.zeros(*labels.shape, num_classes, device=x_train.device, dtype=x_train.dtype)
    target.scatter_(-1, labels.unsqueeze(-1), row_weights.unsqueeze(-1))
    x_train_t = x_train.transpose(1, 2).contiguous()
    val_count = val_weights.sum(1)
    best = torch.full((num_splits,), -1.0, device=x_train.device, dtype=x_train.dtype)
    chosen = torch.zeros(num_splits, dtype=torch.long)
    best_weight, best_bias = weight.detach().clone(), bias.detach().clone()
    checkpoints: list[int] = []
    history: list[Tensor] = []
    with torch.no_grad():
        for epoch in range(1, epochs + 1):
            logits = torch.baddbmm(bias, x_train, weight)
            # d(mean CE)/d(logits) = w_i * (softmax - onehot), per row
            grad_logits = torch.softmax(logits, dim=-1).mul_(row_weights.unsqueeze(-1)).sub_(target)
            weight.grad = torch.bmm(x_train_t, grad_logits)
            bias.grad = grad_logits.sum(1, keepdim=True)
            optimizer.step()
            if epoch % eval_every == 0:
                predicted = torch.baddbmm(bias, x_val, weight).argmax(-1)
                accuracy = ((predicted == val_labels).to(x_val.dtype) * val_weights).sum(1) / val_count
                improved = accuracy > best
                best = torch.where(improved, accuracy, best)
                best_weight[improved] = weight[improved]
                best_bias[improved] = bias[improved]
                chosen[improved.cpu()] = len(checkpoints)
                checkpoints.append(epoch)
                history.append(accuracy.cpu())
    val_accuracy = torch.stack(history, dim=1).tolist() if history else [[] for _ in range(num_splits)]
    return EarlyStoppingFit(checkpoints, val_accuracy, chosen.tolist(), best_weight, best_bias.squeeze(1))
