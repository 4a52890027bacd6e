"""Objectives: a critic loss paired with a generator loss, returning named terms.

An objective is pure: it scores samples with the critic and returns a dict whose ``"loss"``
entry is the tensor to backpropagate and whose other entries are detached diagnostics for
logging. It never samples noise, never touches an optimizer and never calls ``.item()``; the
:class:`~ganlib.train.Trainer` owns the steps. The one exception to purity is
:meth:`Objective.after_critic_step`, a hook the Trainer calls after every critic optimizer
step (weight clipping lives there, Arjovsky et al., 2017, Algorithm 1).

Critic accuracy
---------------
For the logit objectives (minimax, non-saturating), a sample counts as classified real when
its logit is above 0, i.e. :math:`D(x) > 1/2`. A Wasserstein critic has no such threshold:
its scores are defined up to an additive constant. ganlib measures it against the midpoint of
the batch's mean real and mean fake scores,

.. math::

    t = \\tfrac{1}{2}\\big(\\bar{f}_{\\text{real}} + \\bar{f}_{\\text{fake}}\\big),

so ``acc_real`` is the fraction of real samples scored above :math:`t` and ``acc_fake`` the
fraction of fakes scored below it. It is shift-invariant, 0.5/0.5 when the critic cannot
tell the two apart and 1/1 when it separates them completely.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganlib.losses.functional import (
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganlib.losses.penalties import critic_gradient_norm, interpolate, penalty_from_norms

__all__ = [
    "OBJECTIVES",
    "BatchNormPenaltyWarning",
    "Critic",
    "Minimax",
    "NonSaturating",
    "Objective",
    "Terms",
    "WGANClip",
    "WGANGP",
    "get_objective",
    "logit_accuracy",
    "midpoint_accuracy",
]

Critic = Callable[[Tensor], Tensor]
"""Anything that maps a batch ``(N, *)`` to scores ``(N,)``, usually an ``nn.Module``."""

Terms = dict[str, Tensor]
"""Named scalar terms; ``"loss"`` is differentiable, every other entry is detached."""


class BatchNormPenaltyWarning(UserWarning):
    """A gradient penalty is applied to a critic that contains BatchNorm."""


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
    real_scores, fake_scores = real_scores.detach(), fake_scores.detach()
    return (real_scores > 0).float().mean(), (fake_scores < 0).float().mean()


def midpoint_accuracy(real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:
    """Critic accuracy for shift-invariant (Wasserstein) scores.

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
    real_scores, fake_scores = real_scores.detach(), fake_scores.detach()
    threshold = 0.5 * (real_scores.mean() + fake_scores.mean())
    return (real_scores > threshold).float().mean(), (fake_scores < threshold).float().mean()


class Objective:
    """Base class of objectives. Subclasses implement the two losses.

    Attributes:
        name: The registry name, e.g. ``"wgan-gp"``.
    """

    name: ClassVar[str] = ""

    def critic_loss(self, critic: Critic, real: Tensor, fake: Tensor) -> Terms:
        """Critic terms for one batch.

        Args:
            critic: Maps ``(N, *)`` to scores ``(N,)``.
            real: Real samples, shape ``(N, *)``.
            fake: Generated samples (detached), shape ``(M, *)``.

        Returns:
            ``loss`` plus detached ``d_real``, ``d_fake``, ``acc_real``, ``acc_fake`` and the
            objective's own extras.
        """
        raise NotImplementedError

    def generator_loss(self, critic: Critic, fake: Tensor) -> Terms:
        """Generator terms for one batch.

        Args:
            critic: Maps ``(N, *)`` to scores ``(N,)``.
            fake: Generated samples with their graph, shape ``(N, *)``.

        Returns:
            ``loss`` plus the detached mean fake score ``d_fake``.
        """
        raise NotImplementedError

    def after_critic_step(self, critic: nn.Module) -> None:
        """Hook called by the Trainer after every critic optimizer step. Does nothing here.

        Args:
            critic: The critic whose parameters were just updated.
        """

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _score_terms(real_scores: Tensor, fake_scores: Tensor, accuracy: Callable[..., tuple[Tensor, Tensor]]) -> Terms:
    acc_real, acc_fake = accuracy(real_scores, fake_scores)
    return {
        "d_real": real_scores.detach().mean(),
        "d_fake": fake_scores.detach().mean(),
        "acc_real": acc_real,
        "acc_fake": acc_fake,
    }


class Minimax(Objective):
    """The original minimax GAN (Goodfellow et al., 2014) with the saturating generator loss.

    Critic: :func:`~ganlib.losses.minimax_critic_loss`. Generator:
    :func:`~ganlib.losses.minimax_generator_loss`, :math:`\\mathbb{E}[\\log(1 - D(G(z)))]`.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing
            (Salimans et al., 2016). Off (1.0) by default.

    Raises:
        ValueError: If ``real_label`` is outside (0, 1].
    """

    name = "minimax"

    def __init__(self, real_label: float = 1.0) -> None:
        if not 0.0 < real_label <= 1.0:
            raise ValueError(f"real_label={real_label!r} is invalid; expected a value in (0, 1]")
        self.real_label = real_label

    def critic_loss(self, critic: Critic, real: Tensor, fake: Tensor) -> Terms:  # noqa: D102
        real_scores, fake_scores = critic(real), critic(fake)
        loss = minimax_critic_loss(real_scores, fake_scores, real_label=self.real_label)
        return {"loss": loss, **_score_terms(real_scores, fake_scores, logit_accuracy)}

    def generator_loss(self, critic: Critic, fake: Tensor) -> Terms:  # noqa: D102
        fake_scores = critic(fake)
        return {"loss": minimax_generator_loss(fake_scores), "d_fake": fake_scores.detach().mean()}


class NonSaturating(Minimax):
    """Minimax critic with the non-saturating generator loss (Goodfellow et al., 2014).

    Generator: :func:`~ganlib.losses.nonsaturating_generator_loss`,
    :math:`-\\mathbb{E}[\\log D(G(z))]`. This is what most "vanilla GAN" code trains.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing.
    """

    name = "non-saturating"

    def generator_loss(self, critic: Critic, fake: Tensor) -> Terms:  # noqa: D102
        fake_scores = critic(fake)
        return {"loss": nonsaturating_generator_loss(fake_scores), "d_fake": fake_scores.detach().mean()}


class _Wasserstein(Objective):
    def _wasserstein_terms(self, critic: Critic, real: Tensor, fake: Tensor) -> tuple[Tensor, Terms]:
        real_scores, fake_scores = critic(real), critic(fake)
        loss = wasserstein_critic_loss(real_scores, fake_scores)
        terms = _score_terms(real_scores, fake_scores, midpoint_accuracy)
        terms["wasserstein"] = -loss.detach()
        return loss, terms

    def generator_loss(self, critic: Critic, fake: Tensor) -> Terms:  # noqa: D102
        fake_scores = critic(fake)
        return {"loss": wasserstein_generator_loss(fake_scores), "d_fake": fake_scores.detach().mean()}


class WGANClip(_Wasserstein):
    """Wasserstein GAN with weight clipping (Arjovsky et al., 2017, Algorithm 1).

    After **every** critic optimizer step, each critic parameter is clamped to
    :math:`[-c, c]`. The paper pairs it with RMSProp, lr=5e-5, n_critic=5.

    Args:
        clip: The clipping bound :math:`c` (0.01 in the paper).

    Raises:
        ValueError: If ``clip`` is not positive.
    """

    name = "wgan-clip"

    def __init__(self, clip: float = 0.01) -> None:
        if not clip > 0:
            raise ValueError(f"clip={clip!r} is invalid; expected a positive bound")
        self.clip = clip

    def critic_loss(self, critic: Critic, real: Tensor, fake: Tensor) -> Terms:  # noqa: D102
        loss, terms = self._wasserstein_terms(critic, real, fake)
        return {"loss": loss, **terms}

    @torch.no_grad()
    def after_critic_step(self, critic: nn.Module) -> None:
        """Clamp every critic parameter to ``[-clip, clip]`` in place.

        Args:
            critic: The critic whose parameters were just updated.
        """
        for param in critic.parameters():
            param.clamp_(-self.clip, self.clip)


class WGANGP(_Wasserstein):
    """Wasserstein GAN with gradient penalty (Gulrajani et al., 2017, Algorithm 1).

    .. math::

        L_D = \\mathbb{E}[D(\\tilde{x})] - \\mathbb{E}[D(x)]
              + \\lambda\\, \\mathbb{E}_{\\hat{x}}\\big[(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2\\big].

    The paper's settings: :math:`\\lambda = 10`, n_critic = 5, Adam(lr=1e-4, betas=(0, 0.9)).
    Besides the Wasserstein terms it reports ``gp`` (the unweighted penalty) and
    ``grad_norm`` (the mean gradient norm at the interpolates, which should approach 1).

    BatchNorm mixes the samples of a batch, so a BatchNorm critic's per-sample gradient is
    not the gradient being penalized; the paper recommends layer norm instead. Using this
    objective with a critic that contains BatchNorm emits a :class:`BatchNormPenaltyWarning`
    (once per critic).

    Args:
        gp_weight: The penalty weight :math:`\\lambda`.
        target: Target gradient norm.
        one_sided: Penalize only norms above the target.

    Raises:
        ValueError: If ``gp_weight`` is negative or ``target`` is not positive.
    """

    name = "wgan-gp"

    def __init__(self, gp_weight: float = 10.0, target: float = 1.0, one_sided: bool = False) -> None:
        if not gp_weight >= 0:
            raise ValueError(f"gp_weight={gp_weight!r} is invalid; expected a non-negative weight")
        if not target > 0:
            raise ValueError(f"target={target!r} is invalid; expected a positive gradient norm")
        self.gp_weight = gp_weight
        self.target = target
        self.one_sided = one_sided
        self._checked: weakref.WeakSet[nn.Module] = weakref.WeakSet()

    def _warn_on_batch_norm(self, critic: Critic) -> None:
        if not isinstance(critic, nn.Module) or critic in self._checked:
            return
        self._checked.add(critic)
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules()):
            warnings.warn(
                "WGAN-GP with a BatchNorm critic: BatchNorm mixes the samples of a batch, so the "
                "per-sample gradient penalty no longer constrains what it should, and such "
                "critics often fail to learn. Use norm='layer' (the paper's choice), "
                "'instance', 'spectral' or 'none'.",
                BatchNormPenaltyWarning,
                stacklevel=3,
            )

    def critic_loss(self, critic: Critic, real: Tensor, fake: Tensor) -> Terms:  # noqa: D102
        self._warn_on_batch_norm(critic)
        loss, terms = self._wasserstein_terms(critic, real, fake)
        norms = critic_gradient_norm(critic, interpolate(real, fake))
        gp = penalty_from_norms(norms, target=self.target, one_sided=self.one_sided)
        terms["gp"] = gp.detach()
        terms["grad_norm"] = norms.detach().mean()
        return {"loss": loss + self.gp_weight * gp, **terms}


OBJECTIVES: dict[str, type[Objective]] = {
    cls.name: cls for cls in (Minimax, NonSaturating, WGANClip, WGANGP)
}
"""Registry of objective names: ``minimax``, ``non-saturating``, ``wgan-clip``, ``wgan-gp``."""


def get_objective(name: str, **kwargs: Any) -> Objective:
    """Build an objective by name.

    Args:
        name: One of ``"minimax"``, ``"non-saturating"``, ``"wgan-clip"``, ``"wgan-gp"``.
        **kwargs: Passed to the objective's constructor, e.g. ``gp_weight=10``.

    Returns:
        The objective.

    Raises:
        ValueError: If ``name`` is unknown (the message lists the valid names).
        TypeError: If a keyword argument is not accepted by that objective.

    Example:
        >>> get_objective("wgan-gp", gp_weight=5.0)
        WGANGP(gp_weight=5.0, target=1.0, one_sided=False)
    """
    try:
        cls = OBJECTIVES[name]
    except KeyError:
        raise ValueError(
            f"objective {name!r} is unknown; valid names are {', '.join(map(repr, OBJECTIVES))}"
        ) from None
    return cls(**kwargs)
