"""A small fully connected critic for toy data and for Lipschitz experiments."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.models.registry import register_model
from ganlib.nn import resolve_norm

__all__ = ["MLPCritic"]

_MLP_NORMS = ("none", "spectral", "layer")
_MAX_FEATURES = 1 << 16


@register_model("mlp-critic")
class MLPCritic(nn.Module):
    """Fully connected critic: ``Linear -> [norm] -> LeakyReLU`` blocks, then a linear score.

    With ``norm="spectral"`` every linear layer is spectrally normalized and LeakyReLU is
    1-Lipschitz, so the whole critic is 1-Lipschitz up to the power-iteration error
    (Miyato et al., 2018).

    Args:
        in_features: Number of input features; inputs of shape ``(N, ...)`` are flattened.
        hidden: Widths of the hidden layers.
        norm: ``"none"``, ``"spectral"`` or ``"layer"``.
        negative_slope: LeakyReLU slope for negative inputs.

    Shape:
        ``(N, *)`` with ``prod(*) == in_features`` -> ``(N,)``.

    Raises:
        ValueError: If ``norm`` is not one of the valid names, or a size is not positive.

    Example:
        >>> import torch
        >>> MLPCritic(2, hidden=(8, 8))(torch.zeros(5, 2)).shape
        torch.Size([5])
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (64, 64),
        norm: str = "none",
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        if norm not in _MLP_NORMS:
            raise ValueError(f"norm={norm!r} is not supported by MLPCritic; expected one of {_MLP_NORMS}")
        check_int("in_features", in_features, maximum=_MAX_FEATURES, expected=f"an integer from 1 to {_MAX_FEATURES}")
        for width in hidden:
            check_int("hidden", width, maximum=_MAX_FEATURES, expected=f"layer widths from 1 to {_MAX_FEATURES}")
        self.config = {"in_features": in_features, "hidden": list(hidden), "norm": norm, "negative_slope": negative_slope}
        spec = resolve_norm(norm)
        layers: list[nn.Module] = []
        width = in_features
        for out in hidden:
            layers += [spec.weight(nn.Linear(width, out)), spec.layer(out), nn.LeakyReLU(negative_slope)]
            width = out
        layers.append(spec.weight(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Score inputs.

        Args:
            x: Inputs of shape ``(N, *)``.

        Returns:
            Scores of shape ``(N,)``.
        """
        return self.net(x.flatten(1)).flatten()
