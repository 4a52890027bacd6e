"""Residual generators and critics: the WGAN-GP paper's CIFAR-10 ResNet and the SNGAN ResNets.

Both papers use the same pre-activation residual blocks (Gulrajani et al., 2017, Appendix F,
code ``gan_cifar_resnet.py`` in igul222/improved_wgan_training; Miyato et al., 2018,
Appendix B.4, code ``gen_models/resblocks.py`` and ``dis_models/resblocks.py`` in
pfnet-research/sngan_projection). This module builds what that code builds:

* a generator block: norm, activation, ×2 nearest upsampling, 3x3 convolution (in -> out),
  norm, activation, 3x3 convolution (out -> out); the shortcut is always a learned 1x1
  convolution of the upsampled input (upsampling changes the shape, so both references learn
  it even where the width stays the same);
* a critic block: activation, 3x3 convolution (in -> in), activation, 3x3 convolution
  (in -> out), ×2 average pooling; the shortcut is a 1x1 convolution and the same pooling,
  learned where the block resamples or changes the width and the identity otherwise. The first
  critic block is the "optimized" block: 3x3 (in -> out), activation, 3x3 (out -> out),
  pooling, and a shortcut that pools first and then applies its 1x1 convolution;
* initialization as in both references: Xavier-uniform with gain :math:`\\sqrt 2` on the
  residual 3x3 convolutions, gain 1 on the shortcuts, the input projection, the output
  convolution and the score; biases zero;
* the critic ends in the activation, pooling over space and a linear score (no sigmoid):
  the WGAN-GP critic takes the *mean* over space and has a bias on its score; SNGAN's critics
  take the *sum* (at 8x8 the scores are 64 times the mean's), and its 32x32 critic's score has
  no bias (``pooling`` and ``score_bias``).

The generator maps ``z`` with a linear layer to a 4x4 map and doubles it up to the image
size, ending in norm, activation, a 3x3 convolution and Tanh.

Named variants (:func:`~ganlib.models.register_model` with ``defaults``):

* ``wgangp-resnet-generator`` / ``wgangp-resnet-critic`` -- the WGAN-GP paper's CIFAR-10
  ResNet: 128 channels everywhere, BatchNorm in the generator, no normalization in the critic,
  two blocks at 8x8 after the two halvings, mean pooling, a score with a bias;
* ``sngan-resnet-generator`` / ``sngan-resnet-critic`` -- SNGAN, spectrally normalized critic
  with sum pooling. At 32x32 (``resnet_32.py``, ``snresnet_32.py``): a 256-channel generator and
  a 128-channel critic (two halvings, two blocks at 8x8, a score without bias). At 64x64
  (``resnet_64.py``, ``snresnet_64.py``), with ``width`` = 64: generator 1024 at 4x4, then
  512-256-128-64; critic 64-128-256-512-1024 halving down to 2x2. At 128 (``resnet.py``,
  ``snresnet.py``) and 256 (``resnet_256.py``, ``snresnet_256.py``) the layouts of those files;
* ``resnet-generator`` / ``resnet-critic`` -- the general classes, any power-of-two size
  from 16 to 256, 1 or 3 channels, any normalization, ``activation="relu"`` or
  ``"leaky_relu"`` and ``downsample="avgpool"`` or ``"maxpool"`` (the GAN lecture's advice to
  avoid sparse gradients: LeakyReLU and average pooling).

Deliberate differences from the references, each tested in ``tests/reference/test_resnet.py``:
BatchNorm uses PyTorch's :math:`\\epsilon = 10^{-5}` (TensorFlow's in the WGAN-GP code; Chainer's
default in SNGAN's is :math:`2 \\cdot 10^{-5}`); spectral normalization is PyTorch's
:func:`~torch.nn.utils.parametrizations.spectral_norm`, one power iteration per step like
Chainer's, but it keeps both singular vectors and updates ``u`` first, so a step's estimate of
:math:`\\sigma` differs from Chainer's before the iteration has converged; and the generator's
1x1 shortcut is applied before the nearest upsampling rather than after (the two are the same
function, and this is four times cheaper).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import NonNegativeInt, PositiveInt
from ganlib.models.dcgan import MAX_LATENT_DIM, MAX_WIDTH
from ganlib.models.registry import register_model
from ganlib.nn import Norm, NormLike, norm_name, resolve_norm

__all__ = [
    "SNGAN_CRITIC_LAYOUTS",
    "SNGAN_GENERATOR_LAYOUTS",
    "ResNetCritic",
    "ResNetGenerator",
    "resnet_widths",
    "sngan_resnet_critic",
    "sngan_resnet_generator",
]

_SIZES = [2**k for k in range(4, 9)]
_ACTIVATIONS = ("relu", "leaky_relu")
_DOWNSAMPLE = ("avgpool", "maxpool")
_POOLING = ("mean", "sum")
_FINAL_SIZES = (2, 4, 8)
_RESIDUAL_GAIN = math.sqrt(2.0)

SNGAN_GENERATOR_LAYOUTS: dict[int, tuple[int, ...]] = {
    64: (16, 8, 4, 2, 1),
    128: (16, 16, 8, 4, 2, 1),
    256: (16, 16, 8, 8, 4, 2, 1),
}
"""SNGAN's generator widths from 64x64 up, as multiples of ``ch`` (64): the 4x4 map, then each
block's output (pfnet-research/sngan_projection, ``gen_models/resnet_64.py``, ``resnet.py``,
``resnet_256.py``)."""

SNGAN_CRITIC_LAYOUTS: dict[int, tuple[tuple[int, ...], int]] = {
    64: ((1, 2, 4, 8, 16), 0),
    128: ((1, 2, 4, 8, 16), 1),
    256: ((1, 2, 4, 8, 8, 16), 1),
}
"""SNGAN's critic from 64x64 up: the halving blocks' widths as multiples of ``ch`` (64) and the
number of blocks without resampling after them (``dis_models/snresnet_64.py``, ``snresnet.py``,
``snresnet_256.py``)."""


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


def _layer(layer: nn.Conv2d | nn.Linear, gain: float, spec: Norm) -> nn.Module:
    """Xavier-uniform with ``gain``, zero bias, then the norm's reparametrization (spectral)."""
    nn.init.xavier_uniform_(layer.weight, gain=gain)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return spec.weight(layer)


def _conv(cin: int, cout: int, size: int, spec: Norm, gain: float) -> nn.Module:
    return _layer(nn.Conv2d(cin, cout, size, padding=size // 2), gain, spec)


def _widths(width: int, multipliers: Sequence[int] | None, count: int, default: list[int], name: str) -> list[int]:
    if multipliers is None:
        widths = default
    else:
        values = list(multipliers)
        if len(values) != count or not all(isinstance(m, int) and not isinstance(m, bool) and m > 0 for m in values):
            raise ValueError(f"multipliers={multipliers!r} is invalid; expected {count} positive integers for this {name}")
        widths = [width * m for m in values]
    if max(widths) > MAX_WIDTH:
        raise ValueError(f"width={width!r} is too large for this layout: its widest stage has {max(widths)} channels, more than {MAX_WIDTH}")
    return widths


def resnet_widths(base: int, stages: int, *, doubling: bool, reverse: bool) -> list[int]:
    """Channel widths of the stages: constant ``base``, or doubling with depth.

    Args:
        base: The width of the first critic stage (or the last generator stage).
        stages: Number of stages.
        doubling: Double the width at each stage; constant otherwise.
        reverse: For a generator: widest first.

    Returns:
        One width per stage.

    Example:
        >>> resnet_widths(64, 4, doubling=True, reverse=True), resnet_widths(128, 3, doubling=False, reverse=False)
        ([512, 256, 128, 64], [128, 128, 128])
    """
    widths = [base * 2**i if doubling else base for i in range(stages)]
    return widths[::-1] if reverse else widths


def _upsample(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class _UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, norm: NormLike, activation: str) -> None:
        super().__init__()
        spec = resolve_norm(norm)
        self.norm1, self.norm2 = spec.layer(cin), spec.layer(cout)
        self.act1, self.act2 = _activation(activation), _activation(activation)
        self.conv1 = _conv(cin, cout, 3, spec, _RESIDUAL_GAIN)
        self.conv2 = _conv(cout, cout, 3, spec, _RESIDUAL_GAIN)
        self.shortcut = _conv(cin, cout, 1, spec, 1.0)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(_upsample(self.act1(self.norm1(x))))
        h = self.conv2(self.act2(self.norm2(h)))
        return h + _upsample(self.shortcut(x))  # a 1x1 convolution commutes with nearest upsampling


class _DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, norm: NormLike, activation: str, *, resample: bool, first: bool, pool: str) -> None:
        super().__init__()
        spec = resolve_norm(norm)
        hidden = cout if first else cin
        self.first, self.resample = first, resample
        self.pool = nn.AvgPool2d(2) if pool == "avgpool" else nn.MaxPool2d(2)
        self.act1, self.act2 = (nn.Identity() if first else _activation(activation)), _activation(activation)
        self.norm1 = nn.Identity() if first else spec.layer(cin)
        self.conv1 = _conv(cin, hidden, 3, spec, _RESIDUAL_GAIN)
        self.norm2 = spec.layer(hidden)
        self.conv2 = _conv(hidden, cout, 3, spec, _RESIDUAL_GAIN)
        self.shortcut = _conv(cin, cout, 1, spec, 1.0) if (cin != cout or resample) else nn.Identity()

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
        doubling: Widths that double toward the input.
        multipliers: The widths as multiples of ``width``: the 4x4 map's, then each block's
            output (one more than the number of blocks); overrides ``doubling`` (SNGAN's
            layouts from 64x64 up, :data:`SNGAN_GENERATOR_LAYOUTS`).

    Shape:
        ``(N, latent_dim) -> (N, channels, image_size, image_size)``.

    Example:
        >>> import torch
        >>> ResNetGenerator(latent_dim=8, image_size=16, channels=1, width=8)(torch.randn(2, 8)).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(
        self,
        latent_dim: PositiveInt = 128,
        image_size: PositiveInt = 32,
        channels: PositiveInt = 3,
        width: PositiveInt = 128,
        norm: NormLike = "batch",
        activation: str = "relu",
        doubling: bool = False,
        multipliers: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        check_int("latent_dim", latent_dim, maximum=MAX_LATENT_DIM, expected=f"an integer from 1 to {MAX_LATENT_DIM}")
        check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
        stages = _check(image_size, channels, activation)
        default = resnet_widths(width, stages + 1, doubling=doubling, reverse=True)
        widths = _widths(width, multipliers, stages + 1, default, f"{image_size}x{image_size} generator")
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        self.config: dict[str, Any] = {
            "latent_dim": latent_dim, "image_size": image_size, "channels": channels, "width": width,
            "norm": norm_name(norm), "activation": activation, "doubling": doubling,
            "multipliers": None if multipliers is None else list(multipliers),
        }
        spec = resolve_norm(norm)
        self.project = _layer(nn.Linear(latent_dim, widths[0] * 16), 1.0, spec)
        self.blocks = nn.Sequential(*(_UpBlock(widths[i], widths[i + 1], norm, activation) for i in range(stages)))
        self.out = nn.Sequential(spec.layer(widths[-1]), _activation(activation), _conv(widths[-1], channels, 3, spec, 1.0), nn.Tanh())
        self._first = widths[0]

    def forward(self, z: Tensor) -> Tensor:
        """Map noise ``(N, latent_dim)`` to images."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z has shape {tuple(z.shape)}; expected (N, latent_dim) = (N, {self.latent_dim})")
        return self.out(self.blocks(self.project(z).view(-1, self._first, 4, 4)))


@register_model("resnet-critic")
class ResNetCritic(nn.Module):
    """Residual critic: image -> downsampling residual blocks -> pooled features -> a linear score.

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
        doubling: Widths that double with depth.
        extra_blocks: Residual blocks at the last resolution, without resampling (2 in the
            papers' 32x32 critics).
        final_size: The resolution the critic halves down to: 8 (the papers' 32x32 critics),
            4 or 2 (SNGAN at 64x64).
        multipliers: The halving blocks' widths as multiples of ``width`` (one per halving);
            overrides ``doubling`` (SNGAN's layouts, :data:`SNGAN_CRITIC_LAYOUTS`).
        pooling: ``"mean"`` (the WGAN-GP code) or ``"sum"`` (SNGAN's) over the last map.
        score_bias: Whether the final linear layer has a bias (WGAN-GP: yes; SNGAN at 32x32: no).

    Shape:
        ``(N, channels, image_size, image_size) -> (N,)`` raw scores.

    Example:
        >>> import torch
        >>> ResNetCritic(image_size=16, channels=1, width=8)(torch.randn(3, 1, 16, 16)).shape
        torch.Size([3])
    """

    def __init__(
        self,
        image_size: PositiveInt = 32,
        channels: PositiveInt = 3,
        width: PositiveInt = 128,
        norm: NormLike = "none",
        activation: str = "relu",
        downsample: str = "avgpool",
        doubling: bool = False,
        extra_blocks: NonNegativeInt = 2,
        final_size: PositiveInt = 8,
        multipliers: Sequence[int] | None = None,
        pooling: str = "mean",
        score_bias: bool = True,
    ) -> None:
        super().__init__()
        check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
        check_int("extra_blocks", extra_blocks, minimum=0, maximum=8, expected="an integer from 0 to 8")
        if downsample not in _DOWNSAMPLE:
            raise ValueError(f"downsample={downsample!r} is invalid; expected one of {', '.join(map(repr, _DOWNSAMPLE))}")
        if pooling not in _POOLING:
            raise ValueError(f"pooling={pooling!r} is invalid; expected one of {', '.join(map(repr, _POOLING))}")
        if isinstance(final_size, bool) or final_size not in _FINAL_SIZES:
            raise ValueError(f"final_size={final_size!r} is invalid; expected one of {', '.join(map(str, _FINAL_SIZES))}")
        _check(image_size, channels, activation)
        if final_size >= image_size:
            raise ValueError(f"final_size={final_size!r} is invalid for image_size={image_size}; expected a size below the image's")
        halvings = int(math.log2(image_size // final_size))
        self.image_size, self.channels, self.pooling = image_size, channels, pooling
        self.config: dict[str, Any] = {
            "image_size": image_size, "channels": channels, "width": width, "norm": norm_name(norm),
            "activation": activation, "downsample": downsample, "doubling": doubling, "extra_blocks": extra_blocks,
            "final_size": final_size, "multipliers": None if multipliers is None else list(multipliers),
            "pooling": pooling, "score_bias": bool(score_bias),
        }
        default = resnet_widths(width, halvings, doubling=doubling, reverse=False)
        widths = _widths(width, multipliers, halvings, default, f"{image_size}x{image_size} critic halving to {final_size}x{final_size}")
        blocks: list[nn.Module] = [_DownBlock(channels, widths[0], norm, activation, resample=True, first=True, pool=downsample)]
        blocks += [_DownBlock(widths[i], widths[i + 1], norm, activation, resample=True, first=False, pool=downsample) for i in range(halvings - 1)]
        last = widths[-1]
        blocks += [_DownBlock(last, last, norm, activation, resample=False, first=False, pool=downsample) for _ in range(extra_blocks)]
        self.blocks = nn.Sequential(*blocks)
        self.act = _activation(activation)
        self.score = _layer(nn.Linear(last, 1, bias=bool(score_bias)), 1.0, resolve_norm(norm))

    def forward(self, x: Tensor) -> Tensor:
        """Score images ``(N, channels, image_size, image_size)``; returns ``(N,)``."""
        expected = (self.channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x has shape {tuple(x.shape)}; expected (N, {', '.join(map(str, expected))})")
        h = self.act(self.blocks(x))
        features = h.sum(dim=(2, 3)) if self.pooling == "sum" else h.mean(dim=(2, 3))
        return self.score(features).flatten()


register_model("wgangp-resnet-generator", ResNetGenerator, defaults={"width": 128, "norm": "batch", "doubling": False})
register_model(
    "wgangp-resnet-critic", ResNetCritic,
    defaults={"width": 128, "norm": "none", "doubling": False, "extra_blocks": 2, "final_size": 8, "pooling": "mean", "score_bias": True},
)


@register_model("sngan-resnet-generator")
def sngan_resnet_generator(
    latent_dim: PositiveInt = 128, image_size: PositiveInt = 32, channels: PositiveInt = 3, norm: NormLike = "batch", activation: str = "relu", width: PositiveInt | None = None,
) -> ResNetGenerator:
    """SNGAN's ResNet generator (Miyato et al., 2018; pfnet-research/sngan_projection).

    256 channels at every stage at 32x32 and below (``gen_models/resnet_32.py``); from 64x64
    up, the layouts of :data:`SNGAN_GENERATOR_LAYOUTS` with ``ch = width`` (64): at 64x64, 1024
    at 4x4, then 512-256-128-64 (``resnet_64.py``).

    Args:
        latent_dim: Size of ``z``.
        image_size: Output side.
        channels: 1 or 3.
        norm: Normalization (BatchNorm).
        activation: ``"relu"`` or ``"leaky_relu"``.
        width: Overrides the width (256 at 32x32; ``ch``, 64, from 64x64 up).

    Returns:
        A :class:`ResNetGenerator`.
    """
    layout = SNGAN_GENERATOR_LAYOUTS.get(image_size)
    chosen = width if width is not None else 64 if layout else 256
    return ResNetGenerator(latent_dim, image_size, channels, chosen, norm, activation, multipliers=layout)


@register_model("sngan-resnet-critic")
def sngan_resnet_critic(
    image_size: PositiveInt = 32, channels: PositiveInt = 3, norm: NormLike = "spectral", activation: str = "relu", width: PositiveInt | None = None,
) -> ResNetCritic:
    """SNGAN's ResNet critic (Miyato et al., 2018; pfnet-research/sngan_projection), spectrally
    normalized, summing its last features over space.

    At 32x32 and below (``dis_models/snresnet_32.py``): 128 channels, halving to 8x8, two blocks
    there and a score without bias. From 64x64 up, the layouts of :data:`SNGAN_CRITIC_LAYOUTS`
    with ``ch = width`` (64) and a score with a bias: at 64x64, 64-128-256-512-1024 halving down
    to 2x2 (``snresnet_64.py``).

    Args:
        image_size: Input side.
        channels: 1 or 3.
        norm: Normalization (spectral).
        activation: ``"relu"`` or ``"leaky_relu"``.
        width: Overrides the first stage's width (128 at 32x32; ``ch``, 64, from 64x64 up).

    Returns:
        A :class:`ResNetCritic`.
    """
    if image_size not in SNGAN_CRITIC_LAYOUTS:
        chosen = width if width is not None else 128
        return ResNetCritic(image_size, channels, chosen, norm, activation, extra_blocks=2, final_size=8, pooling="sum", score_bias=False)
    multipliers, extra = SNGAN_CRITIC_LAYOUTS[image_size]
    final = image_size // 2 ** len(multipliers)
    chosen = width if width is not None else 64
    return ResNetCritic(
        image_size, channels, chosen, norm, activation, extra_blocks=extra, final_size=final, multipliers=multipliers, pooling="sum", score_bias=True,
    )
