"""Random draws that honour an optional ``torch.Generator`` on any device."""

from __future__ import annotations

import torch
from torch import Tensor


def uniform(shape: int | tuple[int, ...], device: torch.device, generator: torch.Generator | None) -> Tensor:
    """``U[0, 1)`` samples of ``shape`` on ``device``.

    With a generator that lives on another device (e.g. a CPU generator and CUDA data) the
    draw happens on the generator's device and is moved, so a seed means the same views on
    every device.
    """
    if isinstance(shape, int):
        shape = (shape,)
    if generator is None:
        return torch.rand(shape, device=device)
    draw = torch.rand(shape, device=generator.device, generator=generator)
    return draw.to(device)


def bernoulli_mask(probability: Tensor, generator: torch.Generator | None) -> Tensor:
    """Boolean mask with ``mask[i] ~ Bernoulli(probability[i])``."""
    return uniform(tuple(probability.shape), probability.device, generator) < probability
