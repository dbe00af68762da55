"""Train/validation/test node splits for the node-classification evaluation protocols.

Protocols (``make_splits``):

- ``"random"``: 20 random splits of 10% train / 10% validation / 80% test nodes, the protocol
  of GRACE (Zhu et al. 2020), GCA (Zhu et al. 2021), BGRL (Thakoor et al. 2022) and
  Graph Barlow Twins (Bielak et al. 2022) for Amazon, Coauthor and (for GRACE/GCA) Planetoid.
- ``"public"``: the fixed Planetoid split (Yang et al. 2016, "Revisiting Semi-Supervised
  Learning with Graph Embeddings"): 20 labelled nodes per class, 500 validation, 1000 test
  nodes; also ogbn-arxiv's official time-based split (Hu et al. 2020).
- ``"wikics"``: the 20 public train/validation splits of WikiCS with its single test set
  (Mernyei & Cangea 2020, "Wiki-CS: A Wikipedia-Based Benchmark for Graph Neural Networks").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from gclbt_plugin._validation import check_choice, check_positive_int

PROTOCOLS = ("public", "random", "wikics")


def _as_index(name: str, t: Tensor) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a 1-D index or bool mask tensor, got {type(t).__name__}")
    if t.dim() != 1:
        raise ValueError(f"{name} must be 1-D (index or bool mask), got shape {list(t.shape)}")
    if t.dtype == torch.bool:
        return t.nonzero().view(-1)
    if t.is_floating_point() or t.is_complex():
        raise ValueError(f"{name} must hold integer node ids or bools, got dtype {t.dtype}")
    return t.long()


@dataclass
class Split:
    """One train/validation/test split of the nodes.

    Each field is a 1-D tensor: either node indices (``long``) or a ``bool`` mask ``[N]``.
    :meth:`indices` returns the three as sorted-as-given index tensors.

    Args:
        train: Training nodes.
        val: Validation nodes (select hyper-parameters here).
        test: Test nodes (scored once, after selection).

    Example:
        >>> s = Split(torch.tensor([0]), torch.tensor([1]), torch.tensor([2, 3]))
        >>> [t.tolist() for t in s.indices()]
        [[0], [1], [2, 3]]
    """

    train: Tensor
    val: Tensor
    test: Tensor

    def indices(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(train, val, test)`` as ``long`` index tensors.

        Raises:
            TypeError, ValueError: If a field is not a 1-D index or bool mask tensor.
        """
        return (
            _as_index("train", self.train),
            _as_index("val", self.val),
            _as_index("test", self.test),
        )

    def masks(self, num_nodes: int) -> tuple[Tensor, Tensor, Tensor]:
        """``(train, val, test)`` as ``bool`` masks ``[num_nodes]``."""
        out = []
        for idx in self.indices():
            mask = torch.zeros(num_nodes, dtype=torch.bool, device=idx.device)
            mask[idx] = True
            out.append(mask)
        return out[0], out[1], out[2]


def _check_ratio(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def random_splits(
    num_nodes: int,
    num_splits: int = 20,
    train_ratio: float = 0.1,
    val_ratio: float = 0.1,
    seed: int = 0,
) -> list[Split]:
    """Random disjoint train/validation/test splits covering all nodes.

    The GRACE/GCA/BGRL/G-BT protocol: ``floor(train_ratio * N)`` training and
    ``floor(val_ratio * N)`` validation nodes drawn uniformly without replacement; every other
    node is a test node (80% by default). Split ``i`` is the ``i``-th draw of one
    ``torch.Generator`` seeded with ``seed``, so the list is reproducible and the first ``k``
    splits do not depend on ``num_splits``.

    Args:
        num_nodes: Number of nodes ``N``.
        num_splits: Number of splits (default: 20).
        train_ratio: Fraction of training nodes, in (0, 1) (default: 0.1).
        val_ratio: Fraction of validation nodes, in (0, 1) (default: 0.1).
        seed: Seed of the generator (default: 0).

    Returns:
        ``num_splits`` :class:`Split` objects holding sorted ``long`` index tensors.

    Raises:
        TypeError: If a ratio is not a number or ``seed`` is not an ``int``.
        ValueError: If ``num_nodes``/``num_splits`` are not positive integers, a ratio is outside
            (0, 1), ``train_ratio + val_ratio >= 1``, or a part would be empty.
    """
    check_positive_int("num_nodes", num_nodes)
    check_positive_int("num_splits", num_splits)
    train_ratio = _check_ratio("train_ratio", train_ratio)
    val_ratio = _check_ratio("val_ratio", val_ratio)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if train_ratio + val_ratio >= 1.0:
        raise ValueError(
            f"train_ratio + val_ratio must be < 1 to leave test nodes, got "
            f"{train_ratio} + {val_ratio}"
        )
    num_train = int(train_ratio * num_nodes)
    num_val = int(val_ratio * num_nodes)
    if num_train == 0 or num_val == 0 or num_train + num_val >= num_nodes:
        raise ValueError(
            f"num_nodes={num_nodes} is too small for train_ratio={train_ratio} and "
            f"val_ratio={val_ratio}: each of train/val/test needs at least one node"
        )
    generator = torch.Generator().manual_seed(seed)
    splits = []
    for _ in range(num_splits):
        perm = torch.randperm(num_nodes, generator=generator)
        splits.append(
            Split(
                train=perm[:num_train].sort().values,
                val=perm[num_train : num_train + num_val].sort().values,
                test=perm[num_train + num_val :].sort().values,
            )
        )
    return splits


def _mask(data: Any, key: str) -> Tensor | None:
    value = getattr(data, key, None)
    return value if isinstance(value, Tensor) else None


def _mask_dims(data: Any) -> int | None:
    """1: one public split (Planetoid), 2: many (WikiCS), None: no masks."""
    train = _mask(data, "train_mask")
    if train is None or _mask(data, "val_mask") is None or _mask(data, "test_mask") is None:
        return None
    return train.dim()


def _unwrap(data: Any) -> Any:
    """Accept a ``LoadedDataset`` (anything with ``.data``) as well as a PyG ``Data``."""
    inner = getattr(data, "data", None)
    return inner if inner is not None and hasattr(inner, "num_nodes") else data


def _working_protocols(data: Any) -> list[str]:
    dims = _mask_dims(data)
    return ["random"] + (["public"] if dims == 1 else ["wikics"] if dims == 2 else [])


def public_split(data: Any) -> Split:
    """The dataset's own split from ``data.train_mask``/``val_mask``/``test_mask`` (``[N]``).

    Planetoid public split (Yang et al. 2016): 140/500/1000 nodes on Cora,
    120/500/1000 on CiteSeer, 60/500/1000 on PubMed.

    Args:
        data: A PyG ``Data`` (or a ``LoadedDataset``) with 1-D bool masks.

    Raises:
        ValueError: If the masks are missing or not 1-D; the message names the protocols that
            do work for this data.
    """
    data = _unwrap(data)
    if _mask_dims(data) != 1:
        raise ValueError(
            "protocol 'public' needs 1-D train_mask/val_mask/test_mask on the data (Planetoid, "
            f"ogbn-arxiv); this data has none, so use one of {_working_protocols(data)}"
        )
    return Split(
        train=data.train_mask.nonzero().view(-1),
        val=data.val_mask.nonzero().view(-1),
        test=data.test_mask.nonzero().view(-1),
    )


def wikics_splits(data: Any) -> list[Split]:
    """The 20 public WikiCS splits: ``train_mask``/``val_mask`` ``[N, 20]``, ``test_mask`` ``[N]``.

    Mernyei & Cangea (2020). Every split shares the same test nodes.

    Args:
        data: A PyG ``Data`` (or a ``LoadedDataset``) as built by PyG's ``WikiCS``.

    Raises:
        ValueError: If ``train_mask``/``val_mask`` are not 2-D; the message names the protocols
            that do work for this data.
    """
    data = _unwrap(data)
    if _mask_dims(data) != 2 or data.val_mask.dim() != 2:
        raise ValueError(
            "protocol 'wikics' needs 2-D train_mask/val_mask [N, num_splits] and a test_mask "
            f"(WikiCS); this data has none, so use one of {_working_protocols(data)}"
        )
    test = data.test_mask.nonzero().view(-1)
    return [
        Split(
            train=data.train_mask[:, i].nonzero().view(-1),
            val=data.val_mask[:, i].nonzero().view(-1),
            test=test,
        )
        for i in range(data.train_mask.size(1))
    ]


def make_splits(protocol: str, data: Any, num_splits: int = 20, seed: int = 0) -> list[Split]:
    """Splits for an evaluation protocol (see the module docstring for the sources).

    Args:
        protocol: ``"public"`` (one split: the dataset's masks), ``"random"``
            (``num_splits`` random 10/10/80 splits drawn with ``seed``) or ``"wikics"``
            (the first ``num_splits`` of WikiCS's 20 public splits).
        data: A PyG ``Data`` (or a ``LoadedDataset``).
        num_splits: Number of splits for ``"random"`` and ``"wikics"`` (default: 20).
        seed: Seed for ``"random"`` (default: 0).

    Raises:
        ValueError: If ``protocol`` is unknown (the message lists the allowed values), the data
            lacks the masks the protocol needs (the message lists the protocols that work), or
            ``num_splits`` is not a positive integer / exceeds the public splits available.
    """
    check_choice("protocol", protocol, PROTOCOLS)
    check_positive_int("num_splits", num_splits)
    data = _unwrap(data)
    if protocol == "public":
        return [public_split(data)]
    if protocol == "wikics":
        splits = wikics_splits(data)
        if num_splits > len(splits):
            raise ValueError(
                f"num_splits must be <= {len(splits)} for protocol 'wikics', got {num_splits}"
            )
        return splits[:num_splits]
    return random_splits(int(data.num_nodes), num_splits, seed=seed)
