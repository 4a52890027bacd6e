"""Drawing samples from a generator: the noise (plain, truncated, spherical) and the forward pass.

The latent tricks trade diversity for quality at sampling time only (training always uses
plain Gaussian noise):

* **truncation** (Brock et al., 2019, BigGAN): every noise component whose magnitude exceeds
  a threshold ``t`` is drawn again, so ``z`` comes from a truncated normal; after 64 rounds
  (only a small ``t`` gets there) the components still outside are drawn from the truncated
  normal's inverse CDF, the same distribution in one step, so any positive ``t`` ends at once;
* **ψ** (Karras et al., 2019): the noise is pulled toward the mean of its distribution,
  :math:`z' = \\bar{z} + \\psi (z - \\bar{z})` with :math:`\\bar{z} = 0` for a centred Gaussian,
  so ``psi=1`` changes nothing and ``psi=0`` gives the mean sample;
* **spherical**: each ``z`` is rescaled to norm :math:`\\sqrt{d}`, the radius on which high-
  dimensional Gaussian noise concentrates (the walks of :func:`~ganlib.models.slerp` stay there).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["generate_samples", "sample_noise"]

_REDRAW_ROUNDS = 64
"""Rounds of redrawing for ``truncation``, after which the rest is drawn by inverse CDF: at
``t = 0.5`` a component is still outside after 64 rounds with probability 4e-14, at
``t = 1e-6`` redrawing alone would take millions of rounds."""


def sample_noise(
    num: int,
    latent_dim: int,
    *,
    seed: int = 0,
    truncation: float | None = None,
    psi: float = 1.0,
    spherical: bool = False,
    device: torch.device | str | None = None,
) -> Tensor:
    """``num`` noise vectors from a seeded CPU generator, optionally truncated, pulled in, or spherical.

    Args:
        num: Number of vectors.
        latent_dim: Their size.
        seed: Seed of the generator (the same seed gives the same noise on every device).
        truncation: Redraw components whose magnitude exceeds this threshold (> 0, any size:
            a tiny one gives noise near 0); ``None``: off.
        psi: Pull toward the mean, ``z * psi``; 1 is off.
        spherical: Rescale each vector to norm :math:`\\sqrt{d}`.
        device: Where to put the result.

    Returns:
        Noise ``(num, latent_dim)``.

    Raises:
        ValueError: If ``truncation`` is not positive or ``psi`` is outside [0, 1].

    Example:
        >>> z = sample_noise(1000, 8, truncation=1.0)
        >>> bool(z.abs().max() <= 1.0)
        True
        >>> round(float(sample_noise(4, 100, spherical=True).norm(dim=1).mean()), 3)
        10.0
    """
    if truncation is not None and not (isinstance(truncation, (int, float)) and 0 < truncation < math.inf):
        raise ValueError(f"truncation={truncation!r} is invalid; expected a positive threshold (BigGAN uses 0.5 to 2)")
    if not (isinstance(psi, (int, float)) and 0.0 <= psi <= 1.0):
        raise ValueError(f"psi={psi!r} is invalid; expected a value in [0, 1] (1: off)")
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(num, latent_dim, generator=rng)
    if truncation is not None:
        outside = z.abs() > truncation
        for _ in range(_REDRAW_ROUNDS):  # redraw only what lies outside: a truncated normal
            if not outside.any():
                break
            z[outside] = torch.randn(int(outside.sum()), generator=rng)
            outside = z.abs() > truncation
        if outside.any():
            z[outside] = _truncated_normal(int(outside.sum()), truncation, rng)
    if spherical:
        z = z / z.norm(dim=1, keepdim=True).clamp_min(1e-12) * math.sqrt(latent_dim)
    if psi != 1.0:
        z = z * psi
    return z.to(device) if device is not None else z


def _truncated_normal(num: int, threshold: float, rng: torch.Generator) -> Tensor:
    """``num`` draws of a standard normal truncated to ``[-threshold, threshold]``, by inverse CDF (float64 inside)."""
    low = torch.special.ndtr(torch.tensor(-float(threshold), dtype=torch.float64))
    u = torch.rand(num, generator=rng, dtype=torch.float64)
    return torch.special.ndtri(low + u * (1 - 2 * low)).clamp(-threshold, threshold).float()


@torch.no_grad()
def generate_samples(generator: nn.Module, noise: Tensor, batch_size: int = 256, labels: Tensor | None = None) -> Tensor:
    """Generate samples in eval mode without side effects, restoring the generator's mode.

    Args:
        generator: Maps ``(N, latent_dim)`` (and labels, when conditional) to samples.
        noise: Noise of shape ``(N, latent_dim)`` on the generator's device.
        batch_size: Largest chunk passed to the generator at once.
        labels: Class labels ``(N,)`` for a conditional generator, else ``None``.

    Returns:
        Samples of shape ``(N, *)``, on the generator's device.
    """
    was_training = generator.training
    generator.eval()
    try:
        if labels is None:
            return torch.cat([generator(chunk) for chunk in noise.split(batch_size)])
        return torch.cat([generator(z, y) for z, y in zip(noise.split(batch_size), labels.to(noise.device).split(batch_size), strict=True)])
    finally:
        generator.train(was_training)
