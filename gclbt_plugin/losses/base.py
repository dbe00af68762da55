"""The loss interface: ``nn.Module`` with ``forward(h1, h2) -> scalar``, PyGCL keywords accepted."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class Loss(nn.Module):
    """Base class of self-supervised losses between two views' node embeddings.

    Subclasses implement ``forward(h1, h2)`` with ``h1, h2`` of shape ``[N, d]`` (row ``i`` of
    both is node ``i``) and return a scalar. Besides ``loss(h1, h2)`` the PyGCL spelling
    ``loss(anchor=h1, sample=h2)`` is accepted.

    What a loss needs from the code around it is declared here, and read from here only
    (``gclbt_plugin.recipes.build`` and ``gclbt_plugin.training`` never look at a concrete class):

    * :attr:`requires_target_network` -- the model wiring: ``True`` makes
      :func:`~gclbt_plugin.recipes.build.build_model` build the online/target network with a
      predictor (:class:`~gclbt_plugin.models.BootstrapModel`, BGRL), where ``h1`` is the online
      prediction and ``h2`` the target; ``False`` a shared encoder on both views.
    * :meth:`reduces_over_ranks` -- in data-parallel training, whether the value returned on
      each rank is already the loss of *all* ranks' nodes (so the trainer rescales the gradient);
      ``False``: each rank's loss covers its own nodes and DDP averages the gradients.
    """

    #: Whether the loss compares an online prediction with a target network's embedding (BGRL).
    requires_target_network: bool = False

    def reduces_over_ranks(self) -> bool:
        """Whether a call returns the loss over every rank's nodes (default: ``False``, local)."""
        return False

    def __call__(self, *args: Any, anchor: Tensor | None = None, sample: Tensor | None = None, **kwargs: Any):
        if anchor is not None or sample is not None:
            if args:
                raise TypeError("pass the embeddings either positionally (h1, h2) or as anchor=, sample=, not both")
            if anchor is None or sample is None:
                raise TypeError("both anchor= and sample= must be given")
            args = (anchor, sample)
        return super().__call__(*args, **kwargs)


def check_pair(h1: Tensor, h2: Tensor) -> None:
    """Check that two views' embeddings are ``[N, d]`` tensors of the same shape with ``d >= 1``."""
    if h1.dim() != 2 or h2.dim() != 2:
        raise ValueError(f"h1 and h2 must be 2-D [N, d], got shapes {list(h1.shape)} and {list(h2.shape)}")
    if h1.shape != h2.shape:
        raise ValueError(f"h1 and h2 must have the same shape, got {list(h1.shape)} and {list(h2.shape)}")
    if h1.size(1) == 0:
        raise ValueError(
            f"h1 and h2 must have at least one embedding dimension (d >= 1), got shape {list(h1.shape)}"
        )
