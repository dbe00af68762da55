"""The augmentor interface (PyGCL's ``GCL.augmentors.Augmentor``), ``Compose`` and ``RandomChoice``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import Tensor

from gclbt_plugin._validation import check_graph, check_positive_int
from gclbt_plugin.graph import Graph


class Augmentor(ABC):
    """Base class of graph augmenters: a random map ``Graph -> Graph``.

    Subclasses implement :meth:`augment`. Calling an augmenter as
    ``aug(x, edge_index, edge_weight=None)`` validates the input once and returns the tuple
    ``(x, edge_index, edge_weight)`` of the augmented view, exactly like PyGCL.

    Contract for every subclass: inputs are never modified in place; ``edge_weight`` (if
    given) stays aligned with the kept edges; randomness is drawn from ``self.generator`` when
    one is given, so that the same seed gives the same views.

    Args:
        generator (torch.Generator, optional): source of randomness. (default: ``None``,
            torch's global generator)
    """

    #: Whether :meth:`augment` accepts a sparse COO feature matrix (bag-of-words data are fed
    #: sparse when every component of a recipe declares this; see ``gclbt_plugin.experiment``).
    supports_sparse_features: bool = False

    def __init__(self, generator: torch.Generator | None = None) -> None:
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        self.generator = generator

    @abstractmethod
    def augment(self, g: Graph) -> Graph:
        """Return an augmented copy of ``g`` (no validation; see :meth:`__call__`)."""

    def __call__(
        self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        check_graph(x, edge_index, edge_weight)
        return self.augment(Graph(x, edge_index, edge_weight)).unfold()

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class Identity(Augmentor):
    """The do-nothing augmenter: returns the graph unchanged (no copy is needed: nothing is modified)."""

    supports_sparse_features = True

    def augment(self, g: Graph) -> Graph:
        return g


class Compose(Augmentor):
    """Apply ``augmentors`` one after another.

    Args:
        augmentors (Sequence[Augmentor]): applied in order.
    """

    def __init__(self, augmentors: Sequence[Augmentor]) -> None:
        super().__init__()
        augmentors = list(augmentors)
        for i, aug in enumerate(augmentors):
            if not isinstance(aug, Augmentor):
                raise TypeError(f"augmentors[{i}] must be an Augmentor, got {type(aug).__name__}")
        self.augmentors = augmentors

    def augment(self, g: Graph) -> Graph:
        for aug in self.augmentors:
            g = aug.augment(g)
        return g

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.augmentors)
        return f"Compose([{inner}])"


class RandomChoice(Augmentor):
    """Apply ``num_choices`` augmenters drawn without replacement from ``augmentors``, in random order.

    Args:
        augmentors (Sequence[Augmentor]): the candidates.
        num_choices (int): how many to apply per call, ``1 <= num_choices <= len(augmentors)``.
        generator (torch.Generator, optional): source of the choice. (default: ``None``)
    """

    def __init__(
        self,
        augmentors: Sequence[Augmentor],
        num_choices: int,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(generator)
        self.augmentors = Compose(augmentors).augmentors
        check_positive_int("num_choices", num_choices)
        if num_choices > len(self.augmentors):
            raise ValueError(
                f"num_choices must be in [1, {len(self.augmentors)}] (the number of augmentors), "
                f"got {num_choices}"
            )
        self.num_choices = num_choices

    def augment(self, g: Graph) -> Graph:
        device = self.generator.device if self.generator is not None else "cpu"
        order = torch.randperm(len(self.augmentors), generator=self.generator, device=device)
        for i in order[: self.num_choices].tolist():
            g = self.augmentors[i].augment(g)
        return g

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.augmentors)
        return f"RandomChoice([{inner}], num_choices={self.num_choices})"
