"""Class-conditional DCGANs: a generator that embeds the label, and a projection discriminator.

The generator concatenates a learned embedding of the class label to the noise (the
conditional GAN of Mirza & Osindero, 2014, on the DCGAN generator). The critic is the
*projection discriminator* of Miyato & Koyama (2018): the DCGAN critic's last feature map
:math:`\\phi(x)`, summed over space, scores

.. math::

    D(x, y) = \\psi(\\phi(x)) + \\langle e_y, \\textstyle\\sum_{h,w} \\phi(x) \\rangle,

an unconditional score plus the inner product with the class's embedding :math:`e_y`.
Both take labels as a second argument and expose ``num_classes``, which tells the Trainer to
draw labelled batches and generate fakes for the real batch's labels.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.models.dcgan import DCGANCritic, DCGANGenerator
from ganlib.models.registry import MODELS, register_model
from ganlib.nn import NormLike, norm_name, resolve_norm

__all__ = ["ConditionalDCGANGenerator", "ProjectionCritic"]


def _check_labels(labels: Tensor, num_classes: int) -> None:
    if labels.ndim != 1:
        raise ValueError(f"labels have shape {tuple(labels.shape)}; expected (N,) class indices")


@register_model("conditional-dcgan-generator")
class ConditionalDCGANGenerator(nn.Module):
    """DCGAN generator conditioned on a class label through a learned embedding.

    Args:
        num_classes: Number of classes.
        latent_dim: Size of the noise (the embedding is added to it as extra inputs).
        image_size: Output side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: As in :class:`~ganlib.models.DCGANGenerator`.
        norm: As in :class:`~ganlib.models.DCGANGenerator`.
        embed_dim: Size of the label embedding.

    Shape:
        ``(N, latent_dim), (N,) -> (N, channels, image_size, image_size)``.

    Example:
        >>> import torch
        >>> g = ConditionalDCGANGenerator(10, latent_dim=8, image_size=16, width=4)
        >>> g(torch.randn(3, 8), torch.tensor([0, 7, 9])).shape
        torch.Size([3, 1, 16, 16])
    """

    def __init__(
        self, num_classes: PositiveInt, latent_dim: PositiveInt = 100, image_size: PositiveInt = 64, channels: PositiveInt = 1, width: PositiveInt = 64, norm: NormLike = "batch", embed_dim: PositiveInt = 32,
    ) -> None:
        super().__init__()
        check_int("num_classes", num_classes, minimum=2, maximum=100000, expected="an integer from 2 to 100000")
        check_int("embed_dim", embed_dim, maximum=4096, expected="an integer from 1 to 4096")
        self.num_classes, self.latent_dim = num_classes, latent_dim
        self.config: dict[str, Any] = {
            "num_classes": num_classes, "latent_dim": latent_dim, "image_size": image_size, "channels": channels,
            "width": width, "norm": norm_name(norm), "embed_dim": embed_dim,
        }
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.body = DCGANGenerator(latent_dim + embed_dim, image_size, channels, width, norm)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        """Images for noise ``z`` and class ``labels``."""
        _check_labels(labels, self.num_classes)
        return self.body(torch.cat([z, self.embed(labels)], dim=1))


@register_model("projection-critic")
class ProjectionCritic(nn.Module):
    """The projection discriminator (Miyato & Koyama, 2018) on the DCGAN critic.

    With ``norm="spectral"`` the class embedding is spectrally normalized too, as in the paper.

    Args:
        num_classes: Number of classes.
        image_size: Input side; a power of two from 16 to 256.
        channels: 1 or 3.
        width: As in :class:`~ganlib.models.DCGANCritic`.
        norm: As in :class:`~ganlib.models.DCGANCritic`.

    Shape:
        ``(N, channels, image_size, image_size), (N,) -> (N,)`` raw scores.

    Example:
        >>> import torch
        >>> d = ProjectionCritic(10, image_size=16, width=4)
        >>> d(torch.randn(3, 1, 16, 16), torch.tensor([1, 2, 3])).shape
        torch.Size([3])
    """

    def __init__(self, num_classes: PositiveInt, image_size: PositiveInt = 64, channels: PositiveInt = 1, width: PositiveInt = 64, norm: NormLike = "layer") -> None:
        super().__init__()
        check_int("num_classes", num_classes, minimum=2, maximum=100000, expected="an integer from 2 to 100000")
        self.num_classes = num_classes
        self.config: dict[str, Any] = {"num_classes": num_classes, "image_size": image_size, "channels": channels, "width": width, "norm": norm_name(norm)}
        critic = DCGANCritic(image_size, channels, width, norm)
        self.features = critic.net[:-1]  # down to the last 4x4 feature map
        self.score = critic.net[-1]  # psi: the unconditional 4x4 convolution to one score
        embed = nn.Embedding(num_classes, int(self.score.in_channels))  # type: ignore[arg-type]
        nn.init.normal_(embed.weight, 0.0, 0.02)
        self.embed = resolve_norm(norm).weight(embed)  # spectral norm wraps the embedding too; others leave it
        self.image_size, self.channels = image_size, channels

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        """Score images ``x`` as members of class ``labels``."""
        _check_labels(labels, self.num_classes)
        phi = self.features(x)
        return self.score(phi).flatten() + (self.embed(labels) * phi.sum(dim=(2, 3))).sum(dim=1)


# ``--model dcgan --conditional`` picks FAMILY-conditional-generator and FAMILY-conditional-critic.
MODELS.alias("dcgan-conditional-generator", "conditional-dcgan-generator")
MODELS.alias("dcgan-conditional-critic", "projection-critic")
