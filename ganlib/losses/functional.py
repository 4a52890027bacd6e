"""Pure GAN losses on critic scores.

Every function takes raw critic scores (logits, no sigmoid) and returns a scalar batch mean.
The minimax family is written with softplus, using

.. math::

    -\\log \\sigma(s) = \\operatorname{softplus}(-s), \\qquad
    -\\log(1 - \\sigma(s)) = \\operatorname{softplus}(s),

so it stays finite for scores of any magnitude where ``log(sigmoid(s))`` would give ``-inf``.
The functions sample nothing, touch no optimizer and never call ``.item()``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "minimax_critic_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]


def minimax_critic_loss(real_scores: Tensor, fake_scores: Tensor, *, real_label: float = 1.0) -> Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al., 2014).

    The discriminator maximizes :math:`\\log D(x) + \\log(1 - D(G(z)))`; as a loss to
    minimize, on logits :math:`s`:

    .. math::

        L_D = \\mathbb{E}_x\\big[\\ell(s_x, y)\\big] + \\mathbb{E}_z\\big[\\operatorname{softplus}(s_{G(z)})\\big],
        \\quad \\ell(s, y) = y \\operatorname{softplus}(-s) + (1 - y) \\operatorname{softplus}(s),

    the binary cross-entropy with target :math:`y` for real samples. ``real_label=0.9`` is the
    one-sided label smoothing of Salimans et al. (2016): only the real target is smoothed.

    Args:
        real_scores: Critic logits on real samples, shape ``(N,)``.
        fake_scores: Critic logits on generated samples, shape ``(M,)``.
        real_label: Target for real samples, in (0, 1]; 1 means no smoothing.

    Returns:
        The scalar loss.

    Raises:
        ValueError: If ``real_label`` is outside (0, 1].

    Example:
        >>> import torch
        >>> round(minimax_critic_loss(torch.zeros(4), torch.zeros(4)).item(), 4)  # 2 log 2
        1.3863
    """
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label={real_label!r} is invalid; expected a value in (0, 1]")
    real_term = F.softplus(-real_scores)
    if real_label != 1.0:
        real_term = real_label * real_term + (1.0 - real_label) * F.softplus(real_scores)
    return real_term.mean() + F.softplus(fake_scores).mean()


def minimax_generator_loss(fake_scores: Tensor) -> Tensor:
    """Saturating generator loss of the original minimax game (Goodfellow et al., 2014).

    .. math::

        L_G = \\mathbb{E}_z\\big[\\log(1 - D(G(z)))\\big] = -\\mathbb{E}_z\\big[\\operatorname{softplus}(s_{G(z)})\\big].

    It is never positive, and its gradient vanishes when the critic confidently rejects
    the fakes (:math:`s \\to -\\infty`), which is why the non-saturating loss exists.

    Args:
        fake_scores: Critic logits on generated samples, shape ``(N,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> round(minimax_generator_loss(torch.zeros(3)).item(), 4)  # log(1/2)
        -0.6931
    """
    return -F.softplus(fake_scores).mean()


def nonsaturating_generator_loss(fake_scores: Tensor) -> Tensor:
    """Non-saturating ("heuristic") generator loss (Goodfellow et al., 2014, Section 3).

    .. math::

        L_G = -\\mathbb{E}_z\\big[\\log D(G(z))\\big] = \\mathbb{E}_z\\big[\\operatorname{softplus}(-s_{G(z)})\\big].

    It has the same fixed point as the minimax loss but strong gradients early in training,
    when the critic rejects the fakes easily.

    Args:
        fake_scores: Critic logits on generated samples, shape ``(N,)``.

    Returns:
        The scalar loss, never negative.

    Example:
        >>> import torch
        >>> round(nonsaturating_generator_loss(torch.zeros(3)).item(), 4)  # log 2
        0.6931
    """
    return F.softplus(-fake_scores).mean()


def wasserstein_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Critic loss of the Wasserstein GAN (Arjovsky et al., 2017).

    .. math::

        L_D = \\mathbb{E}_z[f(G(z))] - \\mathbb{E}_x[f(x)].

    Its negative is the critic's estimate of the Wasserstein-1 distance (up to the
    Lipschitz constant).

    Args:
        real_scores: Critic scores on real samples, shape ``(N,)``.
        fake_scores: Critic scores on generated samples, shape ``(M,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> wasserstein_critic_loss(torch.tensor([3.0, 5.0]), torch.tensor([1.0])).item()
        -3.0
    """
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    """Generator loss of the Wasserstein GAN (Arjovsky et al., 2017).

    .. math::

        L_G = -\\mathbb{E}_z[f(G(z))].

    Args:
        fake_scores: Critic scores on generated samples, shape ``(N,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> wasserstein_generator_loss(torch.tensor([1.0, 3.0])).item()
        -2.0
    """
    return -fake_scores.mean()
