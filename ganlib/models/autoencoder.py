"""An autoencoder discriminator, for the energy-based GANs (EBGAN, BEGAN).

EBGAN (Zhao et al., 2017) and BEGAN (Berthelot et al., 2017) replace the classifier by an
autoencoder: the discriminator's *energy* of a sample is how badly it reconstructs it. This
critic returns the reconstruction; the objectives in :mod:`ganlib.losses.energy` turn it into
an energy per sample.
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.models.dcgan import MAX_WIDTH, dcgan_init_
from ganlib.models.registry import MODELS, register_model
from ganlib.nn import DownBlock, NormLike, UpBlock, norm_name, resolve_norm

__all__ = ["AutoencoderCritic"]


@register_model("autoencoder-critic")
class AutoencoderCritic(nn.Module):
    """Convolutional autoencoder: DCGAN-style encoder to a code, decoder back to the image.

    Encoder: 4x4 stride-2 convolutions (LeakyReLU) down to 4x4, then a linear code. Decoder:
    a linear layer back to 4x4 and 4x4 stride-2 transposed convolutions (ReLU) up to the image.
    The output is linear, as in BEGAN's decoder: with a Tanh there, measured on MNIST 3s, the
    BEGAN generator never left its grey start (its reconstruction error stayed at 0.3 for
    600 iterations), while with the linear output it fell to 0.05.

    Args:
        image_size: Side of the images; a power of two from 16 to 256.
        channels: 1 or 3.
        width: Channels of the first encoder layer (doubling with depth).
        code_dim: Size of the code (the bottleneck).
        norm: Normalization of the hidden layers (none by default, as in BEGAN).

    Shape:
        ``(N, channels, image_size, image_size) -> (N, channels, image_size, image_size)``.

    Example:
        >>> import torch
        >>> AutoencoderCritic(image_size=16, width=4, code_dim=8)(torch.zeros(2, 1, 16, 16)).shape
        torch.Size([2, 1, 16, 16])
    """

    def __init__(self, image_size: PositiveInt = 64, channels: PositiveInt = 1, width: PositiveInt = 64, code_dim: PositiveInt = 64, norm: NormLike = "none") -> None:
        super().__init__()
        sizes = [2**k for k in range(4, 9)]
        if isinstance(image_size, bool) or image_size not in sizes:
            raise ValueError(f"image_size={image_size!r} is not supported; expected a power of two from 16 to 256: {sizes}")
        if channels not in (1, 3):
            raise ValueError(f"channels={channels!r} is not supported; expected 1 (grey) or 3 (RGB)")
        check_int("width", width, maximum=MAX_WIDTH, expected=f"an integer from 1 to {MAX_WIDTH}")
        check_int("code_dim", code_dim, maximum=1 << 14, expected="an integer from 1 to 16384")
        spec = resolve_norm(norm)
        self.image_size, self.channels = image_size, channels
        self.config: dict[str, Any] = {"image_size": image_size, "channels": channels, "width": width, "code_dim": code_dim, "norm": norm_name(norm)}
        halvings = int(math.log2(image_size)) - 2
        encoder: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        now = width
        for _ in range(halvings - 1):
            encoder.append(DownBlock(now, now * 2, spec))
            now *= 2
        self.top = now
        encoder += [nn.Flatten(), nn.Linear(now * 16, code_dim)]
        decoder: list[nn.Module] = [nn.Linear(code_dim, now * 16), nn.Unflatten(1, (now, 4, 4)), nn.ReLU(inplace=True)]
        for _ in range(halvings - 1):
            decoder.append(UpBlock(now, now // 2, spec))
            now //= 2
        decoder.append(nn.ConvTranspose2d(now, channels, 4, stride=2, padding=1))
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)
        self.apply(dcgan_init_)

    def encode(self, x: Tensor) -> Tensor:
        """Encode images into codes.

        Args:
            x: Images ``(N, C, H, W)``.

        Returns:
            Codes ``(N, code_dim)``.
        """
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """Decode codes into images.

        Args:
            code: Codes ``(N, code_dim)``.

        Returns:
            Images ``(N, C, H, W)``.
        """
        return self.decoder(code)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruct images ``(N, C, H, W)``."""
        return self.decode(self.encode(x))


MODELS.alias("dcgan-autoencoder-critic", "autoencoder-critic")  # the DCGAN family's, for EBGAN and BEGAN
