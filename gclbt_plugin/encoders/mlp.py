"""Multi-layer perceptron heads (projection heads, BGRL's predictor) on PyG's ``MLP``."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MLP as PyGMLP
from torch_geometric.nn.resolver import activation_resolver, normalization_resolver

from gclbt_plugin._validation import check_positive_int, check_probability


def resolve_activation(act: str | nn.Module | None, act_kwargs: dict[str, Any] | None = None) -> nn.Module:
    """A fresh activation module for ``act``, through PyG's ``activation_resolver``.

    Args:
        act (str or nn.Module or None): a ``torch.nn`` activation's name, matched as PyG does
            (``"relu"``, ``"prelu"``, ``"elu"``, ``"rrelu"``, ``"leaky_relu"``, ...), an
            ``nn.Module`` instance (deep-copied, so each call gets its own parameters), or
            ``None`` for no activation (``nn.Identity``).
        act_kwargs (dict, optional): keyword arguments of the activation's constructor (only
            with a name). (default: ``None``)

    Raises:
        ValueError: ``act`` is a name PyG cannot resolve, or ``act_kwargs`` are given with an
            instance or ``None``.
        TypeError: ``act`` is neither a ``str``, an ``nn.Module`` nor ``None``.
    """
    return _resolve("act", act, act_kwargs, activation_resolver, ())


def resolve_normalization(
    norm: str | nn.Module | None, channels: int, norm_kwargs: dict[str, Any] | None = None
) -> nn.Module:
    """A fresh normalisation module of width ``channels``, through PyG's ``normalization_resolver``.

    Args:
        norm (str or nn.Module or None): a ``torch_geometric.nn.norm`` class name
            (``"batch_norm"``, ``"layer_norm"``, ...), an ``nn.Module`` instance (deep-copied),
            or ``None`` for no normalisation (``nn.Identity``).
        channels (int): the normalised width.
        norm_kwargs (dict, optional): further constructor keywords (only with a name), e.g.
            ``{"momentum": 0.01}`` for ``"batch_norm"`` or ``{"mode": "node"}`` for a per-node
            ``"layer_norm"`` (PyG's default ``mode="graph"`` normalises over the whole graph).
            (default: ``None``)

    Raises:
        ValueError: ``norm`` is a name PyG cannot resolve, or ``norm_kwargs`` are given with an
            instance or ``None``.
        TypeError: ``norm`` is neither a ``str``, an ``nn.Module`` nor ``None``, or
            ``norm_kwargs`` holds a keyword the class does not accept.
    """
    return _resolve("norm", norm, norm_kwargs, normalization_resolver, (channels,))


def _resolve(name: str, query: Any, kwargs: dict[str, Any] | None, resolver: Any, args: tuple) -> nn.Module:
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError(f"{name}_kwargs must be a dict or None, got {kwargs!r} ({type(kwargs).__name__})")
    if not isinstance(query, str):
        if kwargs:
            raise ValueError(f"{name}_kwargs={kwargs!r} is only used with a {name} name, got {name}={query!r}")
        if query is None:
            return nn.Identity()
        if isinstance(query, nn.Module):
            return copy.deepcopy(query)
        raise TypeError(
            f"{name} must be a name (str), a torch.nn.Module instance or None, got {query!r} "
            f"({type(query).__name__})"
        )
    try:
        module = resolver(query, *args, **(kwargs or {}))
    except ValueError as error:  # PyG: "Could not resolve '<query>' among choices [...]"
        raise ValueError(f"{name} must be a name PyG resolves, got {query!r}: {error}") from error
    except TypeError as error:  # a keyword the resolved class does not take: name the valid ones
        accepted = sorted(set(inspect.signature(type(resolver(query, *args)).__init__).parameters) - {"self"})
        raise TypeError(
            f"{name}_kwargs {sorted(kwargs or {})} for {name}={query!r}: {error}; accepted keywords: {accepted}"
        ) from error
    if not isinstance(module, nn.Module):  # e.g. PyG's plain function "swish"
        raise ValueError(f"{name} must name a torch.nn.Module class, got {query!r} (resolves to {module!r})")
    return module


class MLP(PyGMLP):
    r"""A stack of linear layers with normalisation and activation between them, plain last layer.

    A thin subclass of :class:`torch_geometric.nn.MLP` (same layers: ``lins``, ``norms``;
    same keywords ``act``, ``act_kwargs``, ``norm``, ``norm_kwargs``, ``dropout``) whose
    activation is a separate module per hidden layer, so that each ``PReLU`` learns its own
    slope as in the reference implementations. Serves as GRACE's projection head (Zhu et al.
    2020: ``Linear-ELU-Linear``, i.e. ``MLP(d, d_proj, d, act="elu")``) and BGRL's predictor
    (Thakoor et al. 2022, code: ``Linear-PReLU-Linear``, i.e. ``MLP(d, d_pred, d)``; the paper's
    ``Linear-BatchNorm-PReLU-Linear`` is ``norm="batch_norm"``):

    .. math::
        h^{(l)} = \sigma_l\big(\mathrm{Norm}_l(h^{(l-1)} W^{(l)} + b^{(l)})\big) \quad (l < L),
        \qquad \mathrm{out} = h^{(L-1)} W^{(L)} + b^{(L)}.

    No normalisation, activation or dropout follows the last layer.

    Shapes:
        input: ``[N, in_channels]``; output: ``[N, out_channels]``.

    Args:
        in_channels (int): input width.
        hidden_channels (int): width of the hidden layers (unused when ``num_layers=1``).
        out_channels (int): output width.
        num_layers (int): number of linear layers. (default: ``2``)
        act (str or nn.Module or None): activation after each hidden layer, see
            :func:`resolve_activation`. (default: ``"prelu"``)
        act_kwargs (dict, optional): keywords of the activation's constructor. (default: ``None``)
        norm (str or nn.Module or None): normalisation before each hidden activation, see
            :func:`resolve_normalization`; ``None`` for none. (default: ``None``)
        norm_kwargs (dict, optional): keywords of the normalisation's constructor, e.g.
            ``{"momentum": 0.01}``. (default: ``None``)
        dropout (float): dropout probability after each hidden activation. (default: ``0.0``)

    Raises:
        ValueError: non-positive widths or ``num_layers``, an unknown ``act`` or ``norm`` name,
            ``dropout`` outside ``[0, 1]``.
        TypeError: ``act`` or ``norm`` of another type.

    Example:
        >>> head = MLP(128, 128, 128, act="elu")
        >>> z = head(torch.randn(10, 128))   # [10, 128]
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        act: str | nn.Module | None = "prelu",
        act_kwargs: dict[str, Any] | None = None,
        norm: str | nn.Module | None = None,
        norm_kwargs: dict[str, Any] | None = None,
        dropout: float = 0.0,
    ) -> None:
        check_positive_int("in_channels", in_channels)
        check_positive_int("hidden_channels", hidden_channels)
        check_positive_int("out_channels", out_channels)
        check_positive_int("num_layers", num_layers)
        dropout = float(check_probability("dropout", dropout))
        # Resolve once up front: errors name our keywords, and PyG receives modules only.
        activation = resolve_activation(act, act_kwargs)
        hidden = [hidden_channels] * (num_layers - 1)
        norms = [resolve_normalization(norm, width, norm_kwargs) for width in hidden]
        # PyG's Linear initialises itself when built and PyG's MLP re-initialises every layer: two draws
        # per layer. Building without touching the global generator and drawing once per layer, in
        # order, gives the weights of the nn.Linear stack the recipes were measured with (same seed,
        # same numbers: Kaiming-uniform weights, uniform(1/sqrt(fan_in)) biases, as nn.Linear).
        with torch.random.fork_rng(devices=[]):
            super().__init__(
                in_channels=in_channels,
                hidden_channels=hidden_channels,
                out_channels=out_channels,
                num_layers=num_layers,
                dropout=dropout,
                act=None,
                norm=None,
                plain_last=True,
            )
        for lin in self.lins:
            lin.reset_parameters()
        self.norms = nn.ModuleList(norms)
        self.acts = nn.ModuleList([copy.deepcopy(activation) for _ in hidden])
        self.hidden_channels = hidden_channels
        self.act_name = act if isinstance(act, str) or act is None else type(act).__name__
        self.norm_name = norm if isinstance(norm, str) or norm is None else type(norm).__name__

    def reset_parameters(self) -> None:
        """Re-initialise every layer (linear weights, normalisation statistics, PReLU slopes)."""
        super().reset_parameters()
        for act in self._modules.get("acts", ()):  # PyG's constructor calls this before acts exist
            if hasattr(act, "reset_parameters"):
                act.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"x must have shape [N, in_channels={self.in_channels}], got {list(x.shape)}"
            )
        for lin, norm, act, p in zip(self.lins[:-1], self.norms, self.acts, self.dropout[:-1]):
            x = F.dropout(act(norm(lin(x))), p=p, training=self.training)
        return self.lins[-1](x)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, "
            f"{self.out_channels}, num_layers={self.num_layers}, act={self.act_name!r}, "
            f"norm={self.norm_name!r})"
        )
