"""The DCGAN generator and critic of Radford et al. (2015), at any power-of-two size.

The layer plan follows the PyTorch DCGAN tutorial: the generator projects ``z`` to a 4x4
map with a 4x4 transposed convolution and doubles the size with 4x4 stride-2 transposed
convolutions (norm + ReLU) up to a Tanh output; the critic halves the size with 4x4 stride-2
convolutions (LeakyReLU 0.2, no norm on the first layer) down to 4x4 and maps that to one
score with a 4x4 convolution. The critic has **no sigmoid**: it returns raw scores (logits
for the minimax objectives, potentials for the Wasserstein ones).

Deliberate differences from the reference (pytorch/examples ``dcgan/main.py``, checked in
``tests/reference/test_dcgan.py``): besides the missing sigmoid and the critic's default layer
norm (for the gradient penalty), three convolutions carry a bias the reference omits (the
generator's output layer, the critic's first and its score layer: 3 + 65 parameters at 64x64,
zero at initialization), kept so that 0.3 checkpoints load; the layer list, the
initialization draws, the outputs and the gradients are otherwise the reference's.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.models.registry import register_model
from ganlib.nn import DownBlock, NormLike, UpBlock, norm_name, resolve_norm

__all__ = ["MAX_IMAGE_SIZE", "MAX_LATENT_DIM", "MAX_WIDTH", "MIN_IMAGE_SIZE", "DCGANCritic", "DCGANGenerator", "dcgan_init_"]

MIN_IMAGE_SIZE = 16
MAX_IMAGE_SIZE = 256
MAX_WIDTH = 1024
"""Largest ``width`` accepted: checked before any layer is allocated."""
MAX_LATENT_DIM = 4096
_CHANNELS = (1, 3)


def _check_architecture(image_size: int, channels: int, width: int) -> int:
    """Validate the shared architecture arguments; return the number of 2x resamplings."""
    valid_sizes = [2**k for k in range(4, 9)]
    if isinstance(image_size, bool) or image_size not in valid_sizes:
        raise ValueError(
            f"image_size={image_size!r} is not supported; expected a power of two from "
            f"{MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE}: {valid_sizes}"
        )
    if isinstance(channels, bool) or channels not in _CHANNELS:
        raise ValueError(f"channels={channels!r} is not supported; expected 1 (grey) or 3 (RGB)")
    check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
    return int(math.log2(image_size)) - 2  # 4x4 <-> image_size


def dcgan_init_(module: nn.Module) -> None:
    """Apply the DCGAN initialization to one module, in place.

    Convolution weights are drawn from N(0, 0.02), normalization scales from N(1, 0.02), and
    biases are zeroed (Radford et al., 2015, Section 4). A parametrized weight (spectral or
    weight normalization) is initialized through its parametrization's inverse, so the
    unnormalized parameters hold the drawn weight. Use with :meth:`torch.nn.Module.apply`.

    Args:
        module: Any module; modules other than convolutions, linear layers and affine norms
            are left alone.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        if parametrize.is_parametrized(module, "weight"):
            # Assigning goes through the parametrization's right_inverse: spectral norm stores
            # the value as its unnormalized original, weight norm splits it into g and v.
            with torch.no_grad():
                module.weight = torch.empty_like(module.weight).normal_(0.0, 0.02)
        else:
            nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)):
        if getattr(module, "weight", None) is not None:
            nn.init.normal_(module.weight, 1.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)


@register_model("dcgan-generator")
class DCGANGenerator(nn.Module):
    """DCGAN generator: ``z -> image`` in [-1, 1].

    Channel widths halve at each doubling of the spatial size and end at ``width`` before
    the output layer; at 64x64 with ``width=64`` this is the tutorial's 512-256-128-64 plan.

    Args:
        latent_dim: Size of the noise vector ``z``.
        image_size: Output height and width; a power of two from 16 to 256.
        channels: Output channels, 1 or 3.
        width: Channels of the last hidden layer (``ngf`` in the tutorial).
        norm: Normalization after each hidden transposed convolution, see
            :func:`ganlib.nn.resolve_norm`. BatchNorm by default, as in DCGAN.

    Shape:
        ``z``: ``(N, latent_dim)`` -> ``(N, channels, image_size, image_size)``.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> import torch
        >>> g = DCGANGenerator(latent_dim=8, image_size=16, width=4)
        >>> g(torch.randn(2, 8)).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(
        self,
        latent_dim: PositiveInt = 100,
        image_size: PositiveInt = 64,
        channels: PositiveInt = 1,
        width: PositiveInt = 64,
        norm: NormLike = "batch",
    ) -> None:
        super().__init__()
        check_int("latent_dim", latent_dim, maximum=MAX_LATENT_DIM, expected=f"an integer from 1 to {MAX_LATENT_DIM}")
        doublings = _check_architecture(image_size, channels, width)
        spec = resolve_norm(norm)
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.channels = channels
        self.config: dict[str, Any] = {
            "latent_dim": latent_dim,
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "norm": norm_name(norm),
        }
        top = width * 2 ** (doublings - 1)
        stem = nn.ConvTranspose2d(latent_dim, top, 4, stride=1, padding=0, bias=not spec.has_layer)
        layers: list[nn.Module] = [spec.weight(stem), spec.layer(top), nn.ReLU(inplace=True)]
        channels_now = top
        for _ in range(doublings - 1):
            layers.append(UpBlock(channels_now, channels_now // 2, spec))
            channels_now //= 2
        layers += [nn.ConvTranspose2d(channels_now, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, z: Tensor) -> Tensor:
        """Map noise to images.

        Args:
            z: Noise of shape ``(N, latent_dim)``.

        Returns:
            Images of shape ``(N, channels, image_size, image_size)`` in [-1, 1].

        Raises:
            ValueError: If ``z`` is not of shape ``(N, latent_dim)``.
        """
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"z has shape {tuple(z.shape)}; expected (N, latent_dim) = (N, {self.latent_dim})"
            )
        return self.net(z[:, :, None, None])


@register_model("dcgan-critic")
class DCGANCritic(nn.Module):
    """DCGAN discriminator (critic) with the final sigmoid removed.

    The first convolution has no feature norm (as in DCGAN); spectral normalization, when
    chosen, wraps every convolution including the first and the last, so the whole network
    is 1-Lipschitz up to the power-iteration error.

    Args:
        image_size: Input height and width; a power of two from 16 to 256.
        channels: Input channels, 1 or 3.
        width: Channels of the first layer (``ndf`` in the tutorial).
        norm: Normalization of the hidden convolutions, see :func:`ganlib.nn.resolve_norm`.
            Layer norm by default, as the WGAN-GP paper recommends; avoid ``"batch"`` with a
            gradient penalty (see :class:`ganlib.losses.WGANGP`).

    Shape:
        ``(N, channels, image_size, image_size) -> (N,)`` raw scores.

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Example:
        >>> import torch
        >>> d = DCGANCritic(image_size=16, width=4)
        >>> d(torch.randn(3, 1, 16, 16)).shape
        torch.Size([3])
    """

    def __init__(
        self,
        image_size: PositiveInt = 64,
        channels: PositiveInt = 1,
        width: PositiveInt = 64,
        norm: NormLike = "layer",
    ) -> None:
        super().__init__()
        halvings = _check_architecture(image_size, channels, width)
        spec = resolve_norm(norm)
        self.image_size = image_size
        self.channels = channels
        self.config: dict[str, Any] = {
            "image_size": image_size,
            "channels": channels,
            "width": width,
            "norm": norm_name(norm),
        }
        first = nn.Conv2d(channels, width, 4, stride=2, padding=1, bias=True)
        layers: list[nn.Module] = [spec.weight(first), nn.LeakyReLU(0.2, inplace=True)]
        channels_now = width
        for _ in range(halvings - 1):
            layers.append(DownBlock(channels_now, channels_now * 2, spec))
            channels_now *= 2
        last = nn.Conv2d(channels_now, 1, 4, stride=1, padding=0, bias=True)
        layers.append(spec.weight(last))
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, x: Tensor) -> Tensor:
        """Score images.

        Args:
            x: Images of shape ``(N, channels, image_size, image_size)``.

        Returns:
            Raw scores of shape ``(N,)``; no sigmoid is applied.

        Raises:
            ValueError: If ``x`` does not have the expected shape.
        """
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x has shape {tuple(x.shape)}; expected (N, {', '.join(map(str, expected))})")
        return self.net(x).flatten()
