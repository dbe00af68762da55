"""Multi-layer perceptrons (projection heads, BGRL's predictor) and the activation names."""

from __future__ import annotations

from torch import Tensor, nn

from gclbt_plugin._validation import check_choice, check_positive_int, check_probability

ACTIVATIONS = ("elu", "identity", "prelu", "relu", "rrelu")


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module for ``name``.

    ``"prelu"`` is ``nn.PReLU()`` with one learnable slope per layer, as in GRACE, BGRL and
    Graph Barlow Twins.

    Args:
        name (str): one of ``"elu"``, ``"identity"``, ``"prelu"``, ``"relu"``, ``"rrelu"``.

    Raises:
        ValueError: ``name`` is not one of those.
    """
    check_choice("activation", name, ACTIVATIONS)
    return {
        "elu": nn.ELU,
        "identity": nn.Identity,
        "prelu": nn.PReLU,
        "relu": nn.ReLU,
        "rrelu": nn.RReLU,
    }[name]()


class MLP(nn.Module):
    r"""A stack of linear layers with an activation (and optional batch norm) between them.

    Serves as GRACE's projection head (Zhu et al. 2020: ``Linear-ELU-Linear``, i.e.
    ``MLP(d, d_proj, d, activation="elu")``) and BGRL's predictor (Thakoor et al. 2022:
    ``Linear-BatchNorm-PReLU-Linear``, i.e. ``MLP(d, d_pred, d, batch_norm=True)``):

    .. math::
        h^{(l)} = \sigma\big(\mathrm{BN}(h^{(l-1)} W^{(l)} + b^{(l)})\big) \quad (l < L), \qquad
        \mathrm{out} = h^{(L-1)} W^{(L)} + b^{(L)}.

    No activation follows the last layer.

    Shapes:
        input: ``[N, in_channels]``; output: ``[N, out_channels]``.

    Args:
        in_channels (int): input width.
        hidden_channels (int): width of the hidden layers (unused when ``num_layers=1``).
        out_channels (int): output width.
        num_layers (int): number of linear layers. (default: ``2``)
        activation (str): activation between layers, see :func:`make_activation`.
            (default: ``"prelu"``)
        batch_norm (bool): ``BatchNorm1d`` before each hidden activation. (default: ``False``)
        batch_norm_momentum (float): momentum of those running statistics; BGRL uses ``0.01``.
            (default: ``0.1``, PyTorch's)

    Raises:
        ValueError: non-positive widths or ``num_layers``, an unknown ``activation``, or a
            momentum outside ``[0, 1]``.

    Example:
        >>> head = MLP(128, 128, 128, activation="elu")
        >>> z = head(torch.randn(10, 128))   # [10, 128]
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        activation: str = "prelu",
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.hidden_channels = check_positive_int("hidden_channels", hidden_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.batch_norm = bool(batch_norm)
        self.batch_norm_momentum = check_probability("batch_norm_momentum", batch_norm_momentum)

        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        layers: list[nn.Module] = []
        for layer in range(num_layers):
            layers.append(nn.Linear(widths[layer], widths[layer + 1]))
            if layer < num_layers - 1:
                if batch_norm:
                    layers.append(nn.BatchNorm1d(widths[layer + 1], momentum=batch_norm_momentum))
                layers.append(make_activation(activation))
        self.layers = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        """Re-initialise every layer (linear weights, batch-norm statistics, PReLU slopes)."""
        for module in self.layers:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(
                f"x must have shape [N, in_channels={self.in_channels}], got {list(x.shape)}"
            )
        return self.layers(x)

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, hidden_channels={self.hidden_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers}, "
            f"activation={self.activation!r}, batch_norm={self.batch_norm}"
        )
