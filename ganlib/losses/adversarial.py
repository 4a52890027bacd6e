"""Adversarial losses: each pairs a critic loss with its generator loss, on critic scores.

A loss here is a thin object over the pure functions of :mod:`ganlib.losses.functional`: it
knows which generator loss goes with which critic loss, whether the generator loss needs the
real scores (the relativistic losses do), how to read the critic's accuracy from its scores,
and which extra diagnostics to report. It never calls the critic; the objective
(:mod:`ganlib.losses.objectives`) does that and combines a loss with penalties.

Critic accuracy
---------------
For the losses on logits (minimax, non-saturating, hinge), a sample counts as classified
real when its score is above 0. Least squares with targets ``a`` (fake) and ``b`` (real)
uses their midpoint :math:`(a + b)/2`. The Wasserstein and relativistic losses are
invariant to shifting every score by a constant, so they use a shift-invariant threshold:
the midpoint of the batch's mean real and mean fake scores,

.. math::

    t = \\tfrac{1}{2}\\big(\\bar{f}_{\\text{real}} + \\bar{f}_{\\text{fake}}\\big),

so ``acc_real`` is the fraction of reals scored above :math:`t` and ``acc_fake`` the fraction
of fakes below it: 0.5/0.5 when the critic cannot tell the two apart, 1/1 when it separates
them completely.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor

from ganlib.contract import Probability
from ganlib.losses.functional import (
    hinge_critic_loss,
    hinge_generator_loss,
    least_squares_critic_loss,
    least_squares_generator_loss,
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    relativistic_average_critic_loss,
    relativistic_average_generator_loss,
    relativistic_critic_loss,
    relativistic_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganlib.registry import Registry

__all__ = [
    "LOSSES",
    "AdversarialLoss",
    "HingeLoss",
    "LeastSquaresLoss",
    "MinimaxLoss",
    "NonSaturatingLoss",
    "RelativisticAverageLoss",
    "RelativisticLoss",
    "Terms",
    "WassersteinLoss",
    "logit_accuracy",
    "midpoint_accuracy",
    "register_loss",
    "threshold_accuracy",
]

Terms = dict[str, Tensor]
"""Named scalar terms; ``"loss"`` is differentiable, every other entry is detached."""


def threshold_accuracy(real_scores: Tensor, fake_scores: Tensor, threshold: Tensor | float) -> tuple[Tensor, Tensor]:
    """Fraction of reals scored above ``threshold`` and of fakes scored below it.

    Args:
        real_scores: Scores on real samples, shape ``(N,)``.
        fake_scores: Scores on generated samples, shape ``(M,)``.
        threshold: The decision threshold.

    Returns:
        ``(acc_real, acc_fake)``, detached.

    Example:
        >>> import torch
        >>> [a.item() for a in threshold_accuracy(torch.tensor([0.7, 0.2]), torch.tensor([0.1]), 0.5)]
        [0.5, 1.0]
    """
    real_scores, fake_scores = real_scores.detach(), fake_scores.detach()
    return (real_scores > threshold).float().mean(), (fake_scores < threshold).float().mean()


def logit_accuracy(real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:
    """Critic accuracy for logit scores: real if the logit is above 0.

    Args:
        real_scores: Logits on real samples, shape ``(N,)``.
        fake_scores: Logits on generated samples, shape ``(M,)``.

    Returns:
        ``(acc_real, acc_fake)``: fraction of reals with logit > 0 and of fakes with logit < 0.

    Example:
        >>> import torch
        >>> [a.item() for a in logit_accuracy(torch.tensor([1.0, -1.0]), torch.tensor([-2.0]))]
        [0.5, 1.0]
    """
    return threshold_accuracy(real_scores, fake_scores, 0.0)


def midpoint_accuracy(real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:
    """Critic accuracy for shift-invariant (Wasserstein, relativistic) scores.

    The threshold is the midpoint :math:`t` of the mean real and mean fake scores.

    Args:
        real_scores: Scores on real samples, shape ``(N,)``.
        fake_scores: Scores on generated samples, shape ``(M,)``.

    Returns:
        ``(acc_real, acc_fake)``: fraction of reals above :math:`t` and of fakes below it.

    Example:
        >>> import torch
        >>> # means 6 and 1.5, threshold 3.75: one real of two above, both fakes below
        >>> [a.item() for a in midpoint_accuracy(torch.tensor([10.0, 2.0]), torch.tensor([0.0, 3.0]))]
        [0.5, 1.0]
    """
    threshold = 0.5 * (real_scores.detach().mean() + fake_scores.detach().mean())
    return threshold_accuracy(real_scores, fake_scores, threshold)


class AdversarialLoss:
    """Base class: a critic loss and its generator loss, on scores.

    Attributes:
        name: The registry name, e.g. ``"hinge"``.
        needs_real_in_generator_step: Whether :meth:`generator` needs the real scores.
        lipschitz: It needs a Lipschitz critic (the Wasserstein loss does): the 2-D landscape
            then draws the gradient-norm panel.
    """

    name: ClassVar[str] = ""
    needs_real_in_generator_step: ClassVar[bool] = False
    lipschitz: ClassVar[bool] = False

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """The critic's loss.

        Args:
            real_scores: Float scores on real samples, shape ``(N,)``.
            fake_scores: Float scores on generated samples, shape ``(M,)``.

        Returns:
            The scalar loss.
        """
        raise NotImplementedError

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:
        """The generator's loss.

        Args:
            fake_scores: Scores on generated samples, with the generator's graph, ``(N,)``.
            real_scores: Detached scores on real samples when
                :attr:`needs_real_in_generator_step` is true, else ``None``.

        Returns:
            The scalar loss.
        """
        raise NotImplementedError

    def accuracy(self, real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:
        """The critic's accuracy on real and on fake (see the module docstring).

        Args:
            real_scores: Scores on real samples, shape ``(N,)``.
            fake_scores: Scores on generated samples, shape ``(M,)``.

        Returns:
            ``(acc_real, acc_fake)``, detached.
        """
        return logit_accuracy(real_scores, fake_scores)

    def extras(self, real_scores: Tensor, fake_scores: Tensor) -> Terms:
        """Detached diagnostics besides the losses and accuracies.

        Args:
            real_scores: Scores on real samples, shape ``(N,)``.
            fake_scores: Scores on generated samples, shape ``(M,)``.

        Returns:
            Named detached scalars; none by default.
        """
        return {}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _check_real_label(real_label: float) -> float:
    if not 0.0 < real_label <= 1.0:
        raise ValueError(f"real_label={real_label!r} is invalid; expected a value in (0, 1]")
    return real_label


class MinimaxLoss(AdversarialLoss):
    """The minimax GAN loss with the saturating generator loss (Goodfellow et al., 2014).

    Critic: :func:`~ganlib.losses.minimax_critic_loss` (binary cross-entropy on logits).
    Generator: :func:`~ganlib.losses.minimax_generator_loss`,
    :math:`\\mathbb{E}[\\log(1 - D(G(z)))]`, which saturates when the critic wins.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing
            (Salimans et al., 2016). Off (1.0) by default.

    Raises:
        ValueError: If ``real_label`` is outside (0, 1].
    """

    name = "minimax"

    def __init__(self, real_label: Probability = 1.0) -> None:
        self.real_label = _check_real_label(real_label)

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return minimax_critic_loss(real_scores, fake_scores, real_label=self.real_label)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        return minimax_generator_loss(fake_scores)


class NonSaturatingLoss(MinimaxLoss):
    """The minimax critic loss with the non-saturating generator loss (Goodfellow et al., 2014).

    Generator: :func:`~ganlib.losses.nonsaturating_generator_loss`,
    :math:`-\\mathbb{E}[\\log D(G(z))]`. This is what most "vanilla GAN" code trains.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing.
    """

    name = "non-saturating"

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        return nonsaturating_generator_loss(fake_scores)


class WassersteinLoss(AdversarialLoss):
    """The Wasserstein GAN loss (Arjovsky et al., 2017).

    Critic: :func:`~ganlib.losses.wasserstein_critic_loss`; generator:
    :func:`~ganlib.losses.wasserstein_generator_loss`. Reports ``critic/wasserstein``, the critic's
    estimate :math:`\\mathbb{E}[f(x)] - \\mathbb{E}[f(G(z))]`. It needs a Lipschitz constraint:
    a gradient penalty or weight clipping.
    """

    name = "wasserstein"
    lipschitz = True

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return wasserstein_critic_loss(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        return wasserstein_generator_loss(fake_scores)

    def accuracy(self, real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        return midpoint_accuracy(real_scores, fake_scores)

    def extras(self, real_scores: Tensor, fake_scores: Tensor) -> Terms:  # noqa: D102
        return {"critic/wasserstein": real_scores.detach().mean() - fake_scores.detach().mean()}


class HingeLoss(AdversarialLoss):
    """The hinge loss (Lim & Ye, 2017; Miyato et al., 2018).

    Critic: :func:`~ganlib.losses.hinge_critic_loss`; generator:
    :func:`~ganlib.losses.hinge_generator_loss`.
    """

    name = "hinge"

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return hinge_critic_loss(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        return hinge_generator_loss(fake_scores)


class LeastSquaresLoss(AdversarialLoss):
    """The least-squares GAN loss (LSGAN, Mao et al., 2017) with the a-b-c coding.

    Critic: :func:`~ganlib.losses.least_squares_critic_loss` (fakes to ``a``, reals to ``b``);
    generator: :func:`~ganlib.losses.least_squares_generator_loss` (fakes to ``c``). The
    default 0-1-1 coding is the paper's Eq. 2 choice; a sample is classified real when its
    score is above :math:`(a + b)/2`.

    Args:
        a: Target score of fake samples for the critic.
        b: Target score of real samples for the critic.
        c: Target score of fake samples for the generator.

    Raises:
        ValueError: If ``a == b`` (no decision threshold) or a target is not finite.
    """

    name = "least-squares"

    def __init__(self, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> None:
        for key, value in (("a", a), ("b", b), ("c", c)):
            if not (isinstance(value, (int, float)) and abs(value) < float("inf")):
                raise ValueError(f"{key}={value!r} is invalid; expected a finite target score")
        if a == b:
            raise ValueError(f"a={a!r} and b={b!r} are equal; the fake and real targets must differ")
        self.a, self.b, self.c = float(a), float(b), float(c)

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return least_squares_critic_loss(real_scores, fake_scores, a=self.a, b=self.b)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        return least_squares_generator_loss(fake_scores, c=self.c)

    def accuracy(self, real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        real_acc, fake_acc = threshold_accuracy(real_scores, fake_scores, 0.5 * (self.a + self.b))
        # With b < a the real side of the threshold is below it.
        return (real_acc, fake_acc) if self.b > self.a else (1.0 - real_acc, 1.0 - fake_acc)


class _Relativistic(AdversarialLoss):
    needs_real_in_generator_step = True

    def accuracy(self, real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:  # noqa: D102
        return midpoint_accuracy(real_scores, fake_scores)


class RelativisticLoss(_Relativistic):
    """The relativistic pairing loss on the non-saturating GAN (RpGAN / RSGAN).

    Jolicoeur-Martineau (2018): the critic estimates how much more real sample *i* looks than
    its paired fake *i*. Critic: :func:`~ganlib.losses.relativistic_critic_loss`; generator:
    :func:`~ganlib.losses.relativistic_generator_loss`, which needs the real batch in the
    generator step. Real and fake batches must have the same size.
    """

    name = "relativistic"

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return relativistic_critic_loss(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        assert real_scores is not None, "the relativistic generator loss needs the real scores"
        return relativistic_generator_loss(fake_scores, real_scores)


class RelativisticAverageLoss(_Relativistic):
    """The relativistic average loss on the non-saturating GAN (RaGAN / RaSGAN).

    Jolicoeur-Martineau (2018): each sample is compared with the mean score of the other
    kind. Critic: :func:`~ganlib.losses.relativistic_average_critic_loss`; generator:
    :func:`~ganlib.losses.relativistic_average_generator_loss`.
    """

    name = "relativistic-average"

    def critic(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:  # noqa: D102
        return relativistic_average_critic_loss(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor, real_scores: Tensor | None) -> Tensor:  # noqa: D102
        assert real_scores is not None, "the relativistic generator loss needs the real scores"
        return relativistic_average_generator_loss(fake_scores, real_scores)


LOSSES: Registry[type[AdversarialLoss]] = Registry("loss", accepts=lambda obj: isinstance(obj, type) and issubclass(obj, AdversarialLoss), expects="a subclass of ganlib.losses.AdversarialLoss")
"""Adversarial losses by name, and those given to :func:`register_loss`."""


def register_loss(name: str, loss: type[AdversarialLoss] | None = None, *, replace: bool = False) -> Any:
    """Register an adversarial loss class under ``name`` (a class decorator when ``loss`` is omitted).

    The name becomes a valid objective for :func:`~ganlib.losses.get_objective` and
    ``--objective``, with any penalty.

    Args:
        name: The name, e.g. ``"hinge"``.
        loss: An :class:`AdversarialLoss` subclass.
        replace: Replace another loss registered under ``name``.

    Returns:
        The class unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken (and ``replace`` is false).
        TypeError: If ``loss`` is not an :class:`AdversarialLoss` subclass.
    """
    return LOSSES.register(name, loss, replace=replace)


for _loss in (MinimaxLoss, NonSaturatingLoss, WassersteinLoss, HingeLoss, LeastSquaresLoss, RelativisticLoss, RelativisticAverageLoss):
    register_loss(_loss.name, _loss)
