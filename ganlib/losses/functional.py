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
    "hinge_critic_loss",
    "hinge_generator_loss",
    "least_squares_critic_loss",
    "least_squares_generator_loss",
    "minimax_critic_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "relativistic_average_critic_loss",
    "relativistic_average_generator_loss",
    "relativistic_critic_loss",
    "relativistic_generator_loss",
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


# --- Hinge loss (Lim & Ye, 2017; Miyato et al., 2018) -------------------------------------


def hinge_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Critic hinge loss (Lim & Ye, 2017), as used by SN-GAN (Miyato et al., 2018).

    .. math::

        L_D = \\mathbb{E}_x\\big[\\max(0, 1 - D(x))\\big] + \\mathbb{E}_z\\big[\\max(0, 1 + D(G(z)))\\big].

    It is zero once every real score is at least 1 and every fake score at most -1: the
    critic stops pushing samples that are already on the right side of the margin.

    Args:
        real_scores: Critic scores on real samples, shape ``(N,)``.
        fake_scores: Critic scores on generated samples, shape ``(M,)``.

    Returns:
        The scalar loss, never negative.

    Example:
        >>> import torch
        >>> hinge_critic_loss(torch.tensor([2.0, 0.5]), torch.tensor([-3.0, 0.0])).item()  # 0.25 + 0.5
        0.75
    """
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_generator_loss(fake_scores: Tensor) -> Tensor:
    """Generator loss paired with the hinge critic loss: :math:`L_G = -\\mathbb{E}_z[D(G(z))]`.

    Args:
        fake_scores: Critic scores on generated samples, shape ``(N,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> hinge_generator_loss(torch.tensor([1.0, 3.0])).item()
        -2.0
    """
    return -fake_scores.mean()


# --- Least squares (LSGAN, Mao et al., 2017) ------------------------------------------------


def least_squares_critic_loss(real_scores: Tensor, fake_scores: Tensor, *, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Critic loss of the least-squares GAN (Mao et al., 2017, Eq. 2).

    .. math::

        L_D = \\tfrac{1}{2}\\mathbb{E}_x\\big[(D(x) - b)^2\\big] + \\tfrac{1}{2}\\mathbb{E}_z\\big[(D(G(z)) - a)^2\\big],

    with the 0-1 coding :math:`a = 0` (fake), :math:`b = 1` (real) by default.

    Args:
        real_scores: Critic scores on real samples, shape ``(N,)``.
        fake_scores: Critic scores on generated samples, shape ``(M,)``.
        a: Target score of fake samples.
        b: Target score of real samples.

    Returns:
        The scalar loss, never negative.

    Example:
        >>> import torch
        >>> least_squares_critic_loss(torch.tensor([1.0, 3.0]), torch.tensor([2.0])).item()  # (0 + 4)/4 + 4/2
        3.0
    """
    return 0.5 * (real_scores - b).square().mean() + 0.5 * (fake_scores - a).square().mean()


def least_squares_generator_loss(fake_scores: Tensor, *, c: float = 1.0) -> Tensor:
    """Generator loss of the least-squares GAN (Mao et al., 2017, Eq. 2).

    .. math::

        L_G = \\tfrac{1}{2}\\mathbb{E}_z\\big[(D(G(z)) - c)^2\\big],

    with :math:`c = 1`: the generator wants its samples scored as real.

    Args:
        fake_scores: Critic scores on generated samples, shape ``(N,)``.
        c: The score the generator aims for.

    Returns:
        The scalar loss, never negative.

    Example:
        >>> import torch
        >>> least_squares_generator_loss(torch.tensor([0.0, 3.0])).item()  # (1 + 4)/2/2
        1.25
    """
    return 0.5 * (fake_scores - c).square().mean()


# --- Relativistic losses (Jolicoeur-Martineau, 2018) -----------------------------------------


def _check_paired(real_scores: Tensor, fake_scores: Tensor) -> None:
    if real_scores.shape != fake_scores.shape:
        raise ValueError(
            f"real_scores has shape {tuple(real_scores.shape)} but fake_scores has shape "
            f"{tuple(fake_scores.shape)}; the paired relativistic loss compares sample i with sample i"
        )


def relativistic_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Critic loss of the relativistic pairing GAN (RpGAN / RSGAN, Jolicoeur-Martineau, 2018).

    Each real sample is compared with **its paired** fake sample:

    .. math::

        L_D = \\mathbb{E}_{(x_r, x_f)}\\big[-\\log \\sigma(C(x_r) - C(x_f))\\big]
            = \\mathbb{E}\\big[\\operatorname{softplus}(C(x_f) - C(x_r))\\big].

    Args:
        real_scores: Critic scores on real samples, shape ``(N,)``.
        fake_scores: Critic scores on generated samples, shape ``(N,)``, paired with the reals.

    Returns:
        The scalar loss.

    Raises:
        ValueError: If the two score tensors do not have the same shape.

    Example:
        >>> import torch
        >>> round(relativistic_critic_loss(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])).item(), 4)  # log 2
        0.6931
    """
    _check_paired(real_scores, fake_scores)
    return F.softplus(fake_scores - real_scores).mean()


def relativistic_generator_loss(fake_scores: Tensor, real_scores: Tensor) -> Tensor:
    """Generator loss of the relativistic pairing GAN (RpGAN / RSGAN, Jolicoeur-Martineau, 2018).

    .. math::

        L_G = \\mathbb{E}_{(x_r, x_f)}\\big[-\\log \\sigma(C(x_f) - C(x_r))\\big]
            = \\mathbb{E}\\big[\\operatorname{softplus}(C(x_r) - C(x_f))\\big].

    Args:
        fake_scores: Critic scores on generated samples, shape ``(N,)``.
        real_scores: Critic scores on the paired real samples, shape ``(N,)``.

    Returns:
        The scalar loss.

    Raises:
        ValueError: If the two score tensors do not have the same shape.

    Example:
        >>> import torch
        >>> round(relativistic_generator_loss(torch.tensor([3.0]), torch.tensor([3.0])).item(), 4)
        0.6931
    """
    _check_paired(real_scores, fake_scores)
    return F.softplus(real_scores - fake_scores).mean()


def relativistic_average_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Critic loss of the relativistic average GAN (RaGAN / RaSGAN, Jolicoeur-Martineau, 2018).

    Each sample is compared with the **mean** score of the other kind:

    .. math::

        L_D = \\mathbb{E}_{x_r}\\big[\\operatorname{softplus}(-(C(x_r) - \\bar{C}_f))\\big]
            + \\mathbb{E}_{x_f}\\big[\\operatorname{softplus}(C(x_f) - \\bar{C}_r)\\big],

    where :math:`\\bar{C}_r` and :math:`\\bar{C}_f` are the batch means of the real and fake scores.

    Args:
        real_scores: Critic scores on real samples, shape ``(N,)``.
        fake_scores: Critic scores on generated samples, shape ``(M,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> round(relativistic_average_critic_loss(torch.zeros(3), torch.zeros(2)).item(), 4)  # 2 log 2
        1.3863
    """
    return F.softplus(fake_scores.mean() - real_scores).mean() + F.softplus(fake_scores - real_scores.mean()).mean()


def relativistic_average_generator_loss(fake_scores: Tensor, real_scores: Tensor) -> Tensor:
    """Generator loss of the relativistic average GAN (RaGAN / RaSGAN, Jolicoeur-Martineau, 2018).

    The critic loss with the roles of real and fake exchanged:

    .. math::

        L_G = \\mathbb{E}_{x_f}\\big[\\operatorname{softplus}(-(C(x_f) - \\bar{C}_r))\\big]
            + \\mathbb{E}_{x_r}\\big[\\operatorname{softplus}(C(x_r) - \\bar{C}_f)\\big].

    Args:
        fake_scores: Critic scores on generated samples, shape ``(M,)``.
        real_scores: Critic scores on real samples, shape ``(N,)``.

    Returns:
        The scalar loss.

    Example:
        >>> import torch
        >>> round(relativistic_average_generator_loss(torch.zeros(2), torch.zeros(3)).item(), 4)
        1.3863
    """
    return relativistic_average_critic_loss(fake_scores, real_scores)
