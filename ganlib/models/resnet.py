"""Residual generators and critics: the WGAN-GP paper's CIFAR-10 ResNet and the SNGAN ResNet.

Both follow the pre-activation residual block of the WGAN-GP paper's CIFAR-10 models
(Gulrajani et al., 2017, Appendix F) and of SNGAN (Miyato et al., 2018, Appendix B.4):

* a generator block: norm, activation, ×2 upsampling (nearest), 3x3 convolution, norm,
  activation, 3x3 convolution; the shortcut upsamples and, where the width changes, applies a
  1x1 convolution;
* a critic block: activation, 3x3 convolution, activation, 3x3 convolution, ×2 downsampling
  (average pooling); the shortcut is a 1x1 convolution and the same pooling. The first critic
  block is SNGAN's "optimized" block (no activation before its first convolution, and the
  shortcut pools first). Critic norms are pluggable and default to none: no batch statistics.

The generator maps ``z`` with a linear layer to a 4x4 map and doubles it up to the image
size, ending in norm, activation, a 3x3 convolution and Tanh; the critic halves down to
``final_size`` (8x8, as the papers' 32x32 critics, or 4x4), adds ``extra_blocks`` blocks
there without resampling, then activation, mean pooling over space and a linear score: no
sigmoid.

Named variants (:func:`~ganlib.models.register_model` with ``defaults``):

* ``wgangp-resnet-generator`` / ``wgangp-resnet-critic`` -- the WGAN-GP paper's CIFAR-10
  ResNet: 128 channels everywhere, BatchNorm in the generator, no normalization in the critic;
* ``sngan-resnet-generator`` / ``sngan-resnet-critic`` -- SNGAN: at 32x32 a 256-channel
  generator and a 128-channel critic with spectral normalization; from 64x64 up, widths that
  double with depth (generator 1024 at 4x4, then 512-256-128-64 at 64x64; critic 64-128-256-512-1024);
* ``resnet-generator`` / ``resnet-critic`` -- the general classes, any power-of-two size
  from 16 to 256, 1 or 3 channels, any normalization, ``activation="relu"`` or
  ``"leaky_relu"`` and ``downsample="avgpool"`` or ``"maxpool"`` (the GAN lecture's advice to
  avoid sparse gradients: LeakyReLU and average pooling).
"""

from __future__ import annotations

import math
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.models.dcgan import MAX_LATENT_DIM, MAX_WIDTH
from ganlib.models.registry import register_model
from ganlib.nn import NormLike, norm_name, resolve_norm

__all__ = ["ResNetCritic", "ResNetGenerator", "resnet_widths", "sngan_resnet_critic", "sngan_resnet_generator"]

_SIZES = [2**k for k in range(4, 9)]
_ACTIVATIONS = ("relu", "leaky_relu")
_DOWNSAMPLE = ("avgpool", "maxpool")


def _check(image_size: int, channels: int, activation: str) -> int:
    if isinstance(image_size, bool) or image_size not in _SIZES:
        raise ValueError(f"image_size={image_size!r} is not supported; expected a power of two from 16 to 256: {_SIZES}")
    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"channels={channels!r} is not supported; expected 1 (grey) or 3 (RGB)")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is invalid; expected one of {', '.join(map(repr, _ACTIVATIONS))}")
    return int(math.log2(image_size)) - 2


def _activation(name: str) -> nn.Module:
    return nn.LeakyReLU(0.2) if name == "leaky_relu" else nn.ReLU()


def resnet_widths(base: int, stages: int, *, doubling: bool, reverse: bool) -> list[int]:
    """Channel widths of the stages: constant ``base``, or doubling with depth.

    Args:
        base: The width of the first critic stage (or the last generator stage).
        stages: Number of stages.
        doubling: Double the width at each stage (SNGAN from 64x64 up); constant otherwise.
        reverse: For a generator: widest first.

    Returns:
        One width per stage.

    Example:
        >>> resnet_widths(64, 4, doubling=True, reverse=True), resnet_widths(128, 3, doubling=False, reverse=False)
        ([512, 256, 128, 64], [128, 128, 128])
    """
    widths = [base * 2**i if doubling else base for i in range(stages)]
    return widths[::-1] if reverse else widths


class _UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, norm: NormLike, activation: str) -> None:
        super().__init__()
        spec = resolve_norm(norm)
        self.norm1, self.norm2 = spec.layer(cin), spec.layer(cout)
        self.act1, self.act2 = _activation(activation), _activation(activation)
        self.conv1 = spec.weight(nn.Conv2d(cin, cout, 3, padding=1))
        self.conv2 = spec.weight(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = spec.weight(nn.Conv2d(cin, cout, 1)) if cin != cout else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = F.interpolate(self.act1(self.norm1(x)), scale_factor=2.0, mode="nearest")
        h = self.conv2(self.act2(self.norm2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class _DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, norm: NormLike, activation: str, *, resample: bool, first: bool, pool: str) -> None:
        super().__init__()
        spec = resolve_norm(norm)
        self.first, self.resample = first, resample
        self.pool = nn.AvgPool2d(2) if pool == "avgpool" else nn.MaxPool2d(2)
        self.act1, self.act2 = (nn.Identity() if first else _activation(activation)), _activation(activation)
        self.norm1 = nn.Identity() if first else spec.layer(cin)
        self.conv1 = spec.weight(nn.Conv2d(cin, cout, 3, padding=1))
        self.norm2 = spec.layer(cout)
        self.conv2 = spec.weight(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = spec.weight(nn.Conv2d(cin, cout, 1)) if (cin != cout or resample) else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(self.act1(self.norm1(x)))
        h = self.conv2(self.act2(self.norm2(h)))
        if self.resample:
            h = self.pool(h)
        if self.first:  # pool, then 1x1: the optimized first block
            skip = self.shortcut(self.pool(x) if self.resample else x)
        else:
            skip = self.shortcut(x)
            skip = self.pool(skip) if self.resample else skip
        return h + skip


def _init(module: nn.Module) -> None:
    # Xavier-uniform on the weights, as both reference implementations (gain 1, sqrt 2 for the
    # residual convolutions in SNGAN is a detail that spectral normalization absorbs).
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        parametrized = getattr(module, "parametrizations", None)
        weight: Tensor = parametrized.weight.original if parametrized is not None else module.weight
        nn.init.xavier_uniform_(weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


@register_model("resnet-generator")
class ResNetGenerator(nn.Module):
    """Residual generator: ``z`` -> 4x4 -> upsampling residual blocks -> image in [-1, 1].

    Args:
        latent_dim: Size of ``z``.
        image_size: Output side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: Channels of the last stage (every stage with ``doubling=False``).
        norm: Normalization in the blocks (BatchNorm, as both papers).
        activation: ``"relu"`` (the papers) or ``"leaky_relu"``.
        doubling: Widths that double toward the input (SNGAN at 64x64 and up).

    Shape:
        ``(N, latent_dim) -> (N, channels, image_size, image_size)``.

    Example:
        >>> import torch
        >>> ResNetGenerator(latent_dim=8, image_size=16, channels=1, width=8)(torch.randn(2, 8)).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(
        self,
        latent_dim: int = 128,
        image_size: int = 32,
        channels: int = 3,
        width: int = 128,
        norm: NormLike = "batch",
        activation: str = "relu",
        doubling: bool = False,
    ) -> None:
        super().__init__()
        check_int("latent_dim", latent_dim, maximum=MAX_LATENT_DIM, expected=f"an integer from 1 to {MAX_LATENT_DIM}")
        check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
        stages = _check(image_size, channels, activation)
        widths = resnet_widths(width, stages + 1, doubling=doubling, reverse=True)
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        self.config: dict[str, Any] = {
            "latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width,
            "norm": norm_name(norm), "activation": activation, "doubling": doubling,
        }
        spec = resolve_norm(norm)
        self.project = spec.weight(nn.Linear(latent_dim, widths[0] * 16))
        self.blocks = nn.Sequential(*(_UpBlock(widths[i], widths[i + 1], norm, activation) for i in range(stages)))
        self.out = nn.Sequential(spec.layer(widths[-1]), _activation(activation), spec.weight(nn.Conv2d(widths[-1], channels, 3, padding=1)), nn.Tanh())
        self._first = widths[0]
        self.apply(_init)

    def forward(self, z: Tensor) -> Tensor:
        """Map noise ``(N, latent_dim)`` to images."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z has shape {tuple(z.shape)}; expected (N, latent_dim) = (N, {self.latent_dim})")
        return self.out(self.blocks(self.project(z).view(-1, self._first, 4, 4)))


@register_model("resnet-critic")
class ResNetCritic(nn.Module):
    """Residual critic: image -> downsampling residual blocks -> mean-pooled features -> a linear score.

    No batch statistics by default (``norm="none"``), so it can be trained under a gradient
    penalty; no sigmoid.

    Args:
        image_size: Input side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: Channels of the first stage (every stage with ``doubling=False``).
        norm: Normalization of the convolutions: ``"none"`` (the WGAN-GP paper),
            ``"spectral"`` (SNGAN), ``"layer"``, or any other.
        activation: ``"relu"`` (the papers) or ``"leaky_relu"``.
        downsample: ``"avgpool"`` (the papers) or ``"maxpool"``.
        doubling: Widths that double with depth (SNGAN at 64x64 and up).
        extra_blocks: Residual blocks at the last resolution, without resampling (2 in the
            papers' 32x32 critics).
        final_size: The resolution the critic halves down to: 8 (the papers' 32x32 critics)
            or 4.

    Shape:
        ``(N, channels, image_size, image_size) -> (N,)`` raw scores.

    Example:
        >>> import torch
        >>> ResNetCritic(image_size=16, channels=1, width=8)(torch.randn(3, 1, 16, 16)).shape
        torch.Size([3])
    """

    def __init__(
        self,
        image_size: int = 32,
        channels: int = 3,
        width: int = 128,
        norm: NormLike = "none",
        activation: str = "relu",
        downsample: str = "avgpool",
        doubling: bool = False,
        extra_blocks: int = 2,
        final_size: int = 8,
    ) -> None:
        super().__init__()
        check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
        check_int("extra_blocks", extra_blocks, minimum=0, maximum=8, expected="an integer from 0 to 8")
        if downsample not in _DOWNSAMPLE:
            raise ValueError(f"downsample={downsample!r} is invalid; expected one of {', '.join(map(repr, _DOWNSAMPLE))}")
        if final_size not in (4, 8):
            raise ValueError(f"final_size={final_size!r} is invalid; expected 4 or 8")
        halvings = _check(image_size, channels, activation) - (1 if final_size == 8 else 0)
        self.image_size, self.channels = image_size, channels
        self.config: dict[str, Any] = {
            "image_size": image_size, "channels": channels, "width": width, "norm": norm_name(norm),
            "activation": activation, "downsample": downsample, "doubling": doubling, "extra_blocks": extra_blocks,
            "final_size": final_size,
        }
        widths = resnet_widths(width, halvings + 1, doubling=doubling, reverse=False)
        blocks: list[nn.Module] = [_DownBlock(channels, widths[0], norm, activation, resample=True, first=True, pool=downsample)]
        blocks += [_DownBlock(widths[i], widths[i + 1], norm, activation, resample=True, first=False, pool=downsample) for i in range(halvings - 1)]
        last = widths[halvings - 1]
        blocks += [_DownBlock(last, last, norm, activation, resample=False, first=False, pool=downsample) for _ in range(extra_blocks)]
        self.blocks = nn.Sequential(*blocks)
        self.act = _activation(activation)
        self.score = resolve_norm(norm).weight(nn.Linear(last, 1))
        self.apply(_init)

    def forward(self, x: Tensor) -> Tensor:
        """Score images ``(N, channels, image_size, image_size)``; returns ``(N,)``."""
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x has shape {tuple(x.shape)}; expected (N, {', '.join(map(str, expected))})")
        features = self.act(self.blocks(x)).mean(dim=(2, 3))
        return self.score(features).flatten()


register_model("wgangp-resnet-generator", ResNetGenerator, defaults={"width": 128, "norm": "batch", "doubling": False})
register_model("wgangp-resnet-critic", ResNetCritic, defaults={"width": 128, "norm": "none", "doubling": False, "extra_blocks": 2, "final_size": 8})


@register_model("sngan-resnet-generator")
def sngan_resnet_generator(
    latent_dim: int = 128, image_size: int = 32, channels: int = 3, norm: NormLike = "batch", activation: str = "relu", width: int | None = None,
) -> ResNetGenerator:
    """SNGAN's ResNet generator (Miyato et al., 2018): 256 channels at 32x32 and below; from 64x64 up,
    widths that double toward the input from ``width`` (64 by default: 1024 at 4x4, then 512-256-128-64 at 64x64).

    Args:
        latent_dim: Size of ``z``.
        image_size: Output side.
        channels: 1 or 3.
        norm: Normalization (BatchNorm).
        activation: ``"relu"`` or ``"leaky_relu"``.
        width: Overrides the width (256 at 32x32, the last stage's 64 from 64x64 up).

    Returns:
        A :class:`ResNetGenerator`.
    """
    deep = image_size >= 64
    chosen = width if width is not None else 64 if deep else 256
    return ResNetGenerator(latent_dim, image_size, channels, chosen, norm, activation, doubling=deep)


@register_model("sngan-resnet-critic")
def sngan_resnet_critic(
    image_size: int = 32, channels: int = 3, norm: NormLike = "spectral", activation: str = "relu", width: int | None = None,
) -> ResNetCritic:
    """SNGAN's ResNet critic (Miyato et al., 2018), spectrally normalized: 128 channels and two
    blocks at 8x8 for 32x32 and below; from 64x64 up, widths doubling from 64 down to 4x4 and one
    block there.

    Args:
        image_size: Input side.
        channels: 1 or 3.
        norm: Normalization (spectral).
        activation: ``"relu"`` or ``"leaky_relu"``.
        width: Overrides the first stage's width (128 at 32x32, 64 from 64x64 up).

    Returns:
        A :class:`ResNetCritic`.
    """
    deep = image_size >= 64
    chosen = width if width is not None else 64 if deep else 128
    return ResNetCritic(image_size, channels, chosen, norm, activation, doubling=deep, extra_blocks=1 if deep else 2, final_size=4 if deep else 8)
