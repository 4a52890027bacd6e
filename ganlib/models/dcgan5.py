"""The homework's DCGAN variant: a linear projection of the noise, then 5x5 (transposed) convolutions.

Where the DCGAN of :mod:`ganlib.models.dcgan` starts from a 4x4 transposed convolution of the
noise, this variant projects the noise with a linear layer to a small feature map (4x4 or
8x8) and grows it with 5x5 transposed convolutions of stride 2 (padding 2, output padding 1,
which exactly double the size). The critic mirrors it with 5x5 convolutions of stride 2 down
to the small map and a linear score. It is the "strong baseline" architecture trained with
WGAN-clip and WGAN-GP in the course (after the TensorFlow DCGAN of Kim, and Gulrajani et al.'s
released code, which use the same layer plan).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.models.dcgan import MAX_LATENT_DIM, MAX_WIDTH, dcgan_init_
from ganlib.models.registry import register_model
from ganlib.nn import NormLike, norm_name, resolve_norm

__all__ = ["DCGAN5Critic", "DCGAN5Generator"]

_STARTS = (4, 8)


def _plan(image_size: int, channels: int, width: int, start: int) -> int:
    sizes = [2**k for k in range(4, 9)]
    if isinstance(image_size, bool) or image_size not in sizes:
        raise ValueError(f"image_size={image_size!r} is not supported; expected a power of two from 16 to 256: {sizes}")
    if isinstance(start, bool) or start not in _STARTS:
        raise ValueError(f"start={start!r} is invalid; expected 4 or 8 (the side of the projected feature map)")
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not supported; expected 1 (grey) or 3 (RGB)")
    check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
    return int(math.log2(image_size // start))


@register_model("dcgan5-generator")
class DCGAN5Generator(nn.Module):
    """Linear projection to ``start x start``, then 5x5 stride-2 transposed convolutions.

    Args:
        latent_dim: Size of the noise.
        image_size: Output side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: Channels of the last hidden layer (doubling toward the projection).
        norm: Normalization after the projection and each hidden layer (BatchNorm by default).
        start: Side of the projected feature map, 4 or 8.

    Shape:
        ``(N, latent_dim) -> (N, channels, image_size, image_size)`` in [-1, 1].

    Example:
        >>> import torch
        >>> DCGAN5Generator(latent_dim=8, image_size=32, width=4)(torch.randn(2, 8)).shape
        torch.Size([2, 1, 32, 32])
    """

    def __init__(self, latent_dim: PositiveInt = 128, image_size: PositiveInt = 64, channels: PositiveInt = 1, width: PositiveInt = 64, norm: NormLike = "batch", start: int = 4) -> None:
        super().__init__()
        check_int("latent_dim", latent_dim, maximum=MAX_LATENT_DIM, expected=f"an integer from 1 to {MAX_LATENT_DIM}")
        doublings = _plan(image_size, channels, width, start)
        spec = resolve_norm(norm)
        self.latent_dim, self.image_size, self.channels, self.start = latent_dim, image_size, channels, start
        self.config: dict[str, Any] = {
            "latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width, "norm": norm_name(norm), "start": start,
        }
        self.top = width * 2 ** (doublings - 1)
        self.project = spec.weight(nn.Linear(latent_dim, self.top * start * start, bias=not spec.has_layer))
        layers: list[nn.Module] = [spec.layer(self.top), nn.ReLU(inplace=True)]
        now = self.top
        for _ in range(doublings - 1):
            conv = nn.ConvTranspose2d(now, now // 2, 5, stride=2, padding=2, output_padding=1, bias=not spec.has_layer)
            layers += [spec.weight(conv), spec.layer(now // 2), nn.ReLU(inplace=True)]
            now //= 2
        layers += [nn.ConvTranspose2d(now, channels, 5, stride=2, padding=2, output_padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, z: Tensor) -> Tensor:
        """Map noise ``(N, latent_dim)`` to images."""
        return self.net(self.project(z).view(-1, self.top, self.start, self.start))


@register_model("dcgan5-critic")
class DCGAN5Critic(nn.Module):
    """5x5 stride-2 convolutions down to ``start x start``, then a linear score (no sigmoid).

    Args:
        image_size: Input side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: Channels of the first layer (doubling with depth).
        norm: Normalization of the hidden layers (layer norm by default; not BatchNorm under a
            gradient penalty).
        start: Side of the last feature map, 4 or 8.

    Shape:
        ``(N, channels, image_size, image_size) -> (N,)``.

    Example:
        >>> import torch
        >>> DCGAN5Critic(image_size=32, width=4)(torch.randn(3, 1, 32, 32)).shape
        torch.Size([3])
    """

    def __init__(self, image_size: PositiveInt = 64, channels: PositiveInt = 1, width: PositiveInt = 64, norm: NormLike = "layer", start: int = 4) -> None:
        super().__init__()
        halvings = _plan(image_size, channels, width, start)
        spec = resolve_norm(norm)
        self.image_size, self.channels = image_size, channels
        self.config: dict[str, Any] = {"image_size": image_size, "channels": channels, "width": width, "norm": norm_name(norm), "start": start}
        layers: list[nn.Module] = [spec.weight(nn.Conv2d(channels, width, 5, stride=2, padding=2)), nn.LeakyReLU(0.2, inplace=True)]
        now = width
        for _ in range(halvings - 1):
            layers += [spec.weight(nn.Conv2d(now, now * 2, 5, stride=2, padding=2, bias=not spec.has_layer)), spec.layer(now * 2), nn.LeakyReLU(0.2, inplace=True)]
            now *= 2
        layers += [nn.Flatten(), spec.weight(nn.Linear(now * start * start, 1))]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, x: Tensor) -> Tensor:
        """Score images; returns ``(N,)`` raw scores."""
        return self.net(x).flatten()
