"""Objectives: what the critic and the generator minimize, returned as named terms.

An objective reads a :class:`~ganlib.losses.Step` (real and fake batches, labels, noise,
counters, the critic) and returns a dict whose ``"loss"`` entry is the tensor to
backpropagate and whose other entries are detached diagnostics for logging. It never
samples noise, never touches an optimizer and never calls ``.item()``; the
:class:`~ganlib.train.Trainer` owns the steps. Two hooks leave that purity on purpose:
:meth:`Objective.after_critic_step` (weight clipping acts on the weights after the update)
and :meth:`Objective.state_dict` (objectives with state, such as BEGAN's :math:`k_t`, are
checkpointed with the run).

Most objectives are a :class:`ComposedObjective`: an adversarial loss
(:mod:`ganlib.losses.adversarial`) plus any number of penalties
(:mod:`ganlib.losses.penalties`), each with a weight and an optional lazy interval, plus
optional weight clipping. :func:`~ganlib.losses.get_objective` builds them by name.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable
from dataclasses import replace
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganlib.contract import NonNegativeFloat, PositiveFloat, Probability
from ganlib.losses.adversarial import (
    AdversarialLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    Terms,
    WassersteinLoss,
)
from ganlib.losses.constraints import WeightClip
from ganlib.losses.penalties import GradientPenalty, Penalty
from ganlib.losses.step import Scores, Step

__all__ = ["SIGN_REAL", "WGANGP", "ComposedObjective", "Minimax", "NonSaturating", "Objective", "WGANClip"]


class Objective:
    """Base class of objectives: the contract between an objective and the Trainer.

    Override :meth:`critic_loss` and :meth:`generator_loss`; everything else has a default.

    Attributes:
        name: A short name for messages and run configs.
        needs_real_in_generator_step: Whether :meth:`generator_loss` reads ``step.real``
            (the relativistic losses do). The Trainer then draws a real batch for the
            generator step too.
        lipschitz: Whether a part of it asks for, or enforces, a Lipschitz critic (read from
            its parts' ``lipschitz``: the 2-D landscape then draws the gradient-norm panel).
    """

    name: ClassVar[str] = ""
    needs_real_in_generator_step: bool = False
    lipschitz: bool = False

    def critic_loss(self, step: Step) -> Terms:
        """Critic terms for one critic step.

        Args:
            step: The critic step: ``step.real``, ``step.fake`` (detached), ``step.labels``,
                ``step.critic``, ``step.critic_step`` ...

        Returns:
            ``loss`` (differentiable) plus detached diagnostics, e.g. ``critic/d_real``,
            ``critic/d_fake``, ``accuracy/real``, ``accuracy/fake``. The set of names may differ
            from step to step.
        """
        raise NotImplementedError

    def generator_loss(self, step: Step) -> Terms:
        """Generator terms for one generator step.

        Args:
            step: The generator step: ``step.fake`` carries the generator's graph; the
                critic's parameters are frozen.

        Returns:
            ``loss`` (differentiable) plus detached diagnostics.
        """
        raise NotImplementedError

    def after_critic_step(self, critic: nn.Module) -> None:
        """Hook called by the Trainer after every critic optimizer step. Does nothing here.

        Args:
            critic: The critic whose parameters were just updated.
        """

    def schedule(self, critic_step: int) -> Hashable:
        """A key for the work :meth:`critic_loss` does at ``critic_step``.

        Objectives whose work changes from step to step (a lazy penalty) return different
        keys for different steps; the Trainer's CUDA-graph capture, which records one
        iteration's work once, uses it to tell whether every iteration does the same work.

        Args:
            critic_step: The critic step's index (0-based).

        Returns:
            ``None`` here: the same work at every step.
        """
        return None

    def generator_schedule(self, iteration: int) -> Hashable:
        """A key for the work :meth:`generator_loss` does at generator iteration ``iteration``.

        Like :meth:`schedule`, for generator-side regularizers that apply lazily.

        Args:
            iteration: The generator iteration (0-based).

        Returns:
            ``None`` here: the same work at every iteration.
        """
        return None

    def state_dict(self) -> dict[str, Any]:
        """The objective's resumable state (none here). Tensors only, for ``weights_only`` loading."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`.

        Raises:
            ValueError: If ``state`` is not empty (this objective has no state).
        """
        if state:
            raise ValueError(f"{type(self).__name__} has no state, but the checkpoint holds {sorted(state)}")


def _check_scores(scores: Tensor, samples: Tensor, which: str) -> None:
    # A critic must give one score per sample: a (N, 2) output or a scalar would broadcast
    # through every loss and change it silently.
    if scores.ndim != 1 or scores.shape[0] != samples.shape[0]:
        raise ValueError(
            f"the critic returned scores of shape {tuple(scores.shape)} for a {which} batch of {samples.shape[0]} samples; "
            f"expected ({samples.shape[0]},), one score per sample (flatten a (N, 1) output)"
        )


SIGN_REAL = "critic/sign_real"
"""The term every critic step of a score-based objective reports: the mean sign of the real
scores, :math:`r_t = \\mathbb{E}[\\operatorname{sign} D(x)]`, the overfitting signal that adaptive
augmentation (:class:`~ganlib.augment.AdaptiveAugment`) steers by (Karras et al. 2020): about 0
while the critic cannot tell its training reals from fakes, towards 1 as it memorizes them."""


def _score_terms(loss: AdversarialLoss, real_scores: Tensor, fake_scores: Tensor) -> Terms:
    acc_real, acc_fake = loss.accuracy(real_scores, fake_scores)
    return {
        "critic/d_real": real_scores.detach().mean(),
        "critic/d_fake": fake_scores.detach().mean(),
        "accuracy/real": acc_real,
        "accuracy/fake": acc_fake,
        SIGN_REAL: real_scores.detach().sign().mean(),
        **loss.extras(real_scores, fake_scores),
    }


def _apply_penalties(penalties: list[Penalty], step: Step, loss: Tensor, terms: Terms) -> Tensor:
    """``loss`` plus each penalty's weighted value (the penalties read ``step.scores``); their
    terms are added to ``terms``."""
    for penalty in penalties:
        reported = penalty(step)
        loss = loss + penalty.weight_at(step) * reported[penalty.name]
        _add_penalty_terms(terms, penalty, reported)
    return loss


def _add_penalty_terms(terms: Terms, penalty: Penalty, reported: Terms) -> None:
    for key, term in reported.items():
        name = f"penalty/{key}"
        if name in terms:  # a second penalty's extra of the same name (grad_norm): prefix it
            name = f"penalty/{penalty.name}_{key}"
        terms[name] = term.detach()


class ComposedObjective(Objective):
    """An adversarial loss plus penalties (critic penalties and generator-side regularizers)
    and optional weight clipping.

    Critic loss:

    .. math::

        L_D = \\ell_D(D(x), D(\\tilde{x})) + \\sum_p [\\text{step} \\bmod k_p = 0]\\; k_p\\, w_p\\, P_p,

    for penalties :math:`P_p` with weights :math:`w_p` and lazy intervals :math:`k_p`; the
    generator loss is the loss's own plus any generator-side regularizers
    (:attr:`Penalty.phase` ``"generator"``), lazy over generator iterations.

    Each real and each fake batch is scored **once** per step: the scores go to the loss and,
    through :attr:`Step.scores`, to the penalties; a penalty that differentiates them (R1 on
    the reals, R2 on the fakes) has its batch marked ``requires_grad`` before the forward.
    Only penalties with points of their own (the interpolates of GP, LP and DRAGAN) score
    anything else.

    Terms: ``loss``, ``critic/d_real``, ``critic/d_fake``, ``accuracy/real``,
    ``accuracy/fake``, :data:`SIGN_REAL` (``critic/sign_real``), the loss's extras
    (``wasserstein``, logged as ``critic/wasserstein``),
    and each applied penalty's value as ``penalty/<name>`` with its extras
    (``penalty/grad_norm``; a second penalty's extras of the same name are prefixed with its
    name).

    The penalties' states (LeCam's anchors) are saved by :meth:`state_dict` under their names.

    Args:
        loss: The adversarial loss.
        penalties: Penalties and regularizers (distinct names).
        clip: Weight clipping after every critic step, or ``None``.

    Raises:
        ValueError: If two penalties share a name.

    Example:
        >>> from ganlib.losses import HingeLoss, R1Penalty
        >>> ComposedObjective(HingeLoss(), [R1Penalty(weight=1.0, every=16)]).name
        'hinge+r1'
    """

    def __init__(self, loss: AdversarialLoss, penalties: Iterable[Penalty] = (), clip: WeightClip | None = None) -> None:
        self.loss = loss
        given = tuple(penalties)
        names = [p.name for p in given]
        if len(set(names)) != len(names):
            raise ValueError(f"penalties {names} repeat a name; combine each penalty at most once")
        for penalty in given:
            if penalty.phase not in ("critic", "generator"):
                raise ValueError(f"penalty {penalty.name!r} has phase={penalty.phase!r}; expected 'critic' or 'generator'")
        self.penalties: tuple[Penalty, ...] = tuple(p for p in given if p.phase == "critic")
        self.generator_regularizers: tuple[Penalty, ...] = tuple(p for p in given if p.phase == "generator")
        self.clip = clip
        self.lipschitz = loss.lipschitz or any(p.lipschitz for p in given) or (clip is not None and clip.lipschitz)

    @property
    def name(self) -> str:  # type: ignore[override]
        """``loss`` or ``loss+penalty+...``, e.g. ``"wasserstein+gp"``."""
        parts = [self.loss.name, *(p.name for p in self.all_penalties), *(["clip"] if self.clip else [])]
        return "+".join(parts)

    @property
    def all_penalties(self) -> tuple[Penalty, ...]:
        """The critic penalties, then the generator-side regularizers."""
        return self.penalties + self.generator_regularizers

    @property
    def needs_real_in_generator_step(self) -> bool:  # type: ignore[override]
        """Whether the loss needs the real batch in the generator step."""
        return self.loss.needs_real_in_generator_step

    def critic_loss(self, step: Step) -> Terms:  # noqa: D102
        applying = [p for p in self.penalties if p.applies(step.critic_step)]
        marked = {side for p in applying for side in p.gradient_at}
        if marked:  # score the batches a penalty differentiates as leaves that require grad
            real, fake = step.require_real(), step.fake
            step = replace(
                step,
                real=real.detach().requires_grad_(True) if "real" in marked else real,
                fake=fake.detach().requires_grad_(True) if "fake" in marked else fake,
            )
        real_scores, fake_scores = step.score_pair()
        _check_scores(real_scores, step.require_real(), "real")
        _check_scores(fake_scores, step.fake, "fake")
        loss = self.loss.critic(real_scores, fake_scores)
        terms = _score_terms(self.loss, real_scores, fake_scores)
        if applying:
            loss = _apply_penalties(applying, replace(step, scores=Scores(real_scores, fake_scores)), loss, terms)
        return {"loss": loss, **terms}

    def generator_loss(self, step: Step) -> Terms:  # noqa: D102
        fake_scores = step.score(step.fake)
        _check_scores(fake_scores, step.fake, "fake")
        real_scores = None
        if self.loss.needs_real_in_generator_step:
            with torch.no_grad():
                real_scores = step.score(step.require_real())
        loss = self.loss.generator(fake_scores, real_scores)
        terms: Terms = {"d_fake": fake_scores.detach().mean()}
        applying = [p for p in self.generator_regularizers if p.applies(step.iteration)]
        if applying:
            loss = _apply_penalties(applying, replace(step, scores=Scores(real_scores, fake_scores)), loss, terms)
        return {"loss": loss, **terms}

    def after_critic_step(self, critic: nn.Module) -> None:  # noqa: D102
        if self.clip is not None:
            self.clip.apply(critic)

    def schedule(self, critic_step: int) -> Hashable:  # noqa: D102
        return tuple(p.name for p in self.penalties if p.applies(critic_step))

    def generator_schedule(self, iteration: int) -> Hashable:  # noqa: D102
        return tuple(p.name for p in self.generator_regularizers if p.applies(iteration))

    def state_dict(self) -> dict[str, Any]:
        """The penalties' states, by name (only those that have state)."""
        states = {p.name: p.state_dict() for p in self.all_penalties}
        states = {name: state for name, state in states.items() if state}
        return {"penalties": states} if states else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the penalties' states.

        A penalty with state that the checkpoint does not hold (it was added on resume)
        starts fresh, with a warning.

        Raises:
            ValueError: If the checkpoint holds state for penalties this objective does not have.
        """
        saved = dict(state.get("penalties", {}))
        unknown = sorted(set(saved) - {p.name for p in self.all_penalties}) + sorted(set(state) - {"penalties"})
        if unknown:
            raise ValueError(f"the checkpoint holds state for {unknown}, which objective {self.name!r} does not have; resume with the same --penalty")
        for penalty in self.all_penalties:
            if penalty.name in saved:
                penalty.load_state_dict(saved[penalty.name])
            elif penalty.state_dict():
                warnings.warn(f"the checkpoint holds no state for penalty {penalty.name!r}; it starts fresh", RuntimeWarning, stacklevel=2)

    def __repr__(self) -> str:
        clip = f", clip={self.clip!r}" if self.clip is not None else ""
        return f"{type(self).__name__}(loss={self.loss!r}, penalties={list(self.all_penalties)!r}{clip})"


# --- The 0.1.0 objectives, kept by name ------------------------------------------------------


class Minimax(ComposedObjective):
    """The original minimax GAN (Goodfellow et al., 2014): :class:`~ganlib.losses.MinimaxLoss`.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing
            (Salimans et al., 2016). Off (1.0) by default.

    Raises:
        ValueError: If ``real_label`` is outside (0, 1].
    """

    name = "minimax"

    def __init__(self, real_label: Probability = 1.0) -> None:
        super().__init__(MinimaxLoss(real_label))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(real_label={self.loss.real_label!r})"  # type: ignore[attr-defined]


class NonSaturating(Minimax):
    """Minimax critic with the non-saturating generator loss: :class:`~ganlib.losses.NonSaturatingLoss`.

    Args:
        real_label: Target for real samples; 0.9 gives one-sided label smoothing.
    """

    name = "non-saturating"

    def __init__(self, real_label: Probability = 1.0) -> None:
        ComposedObjective.__init__(self, NonSaturatingLoss(real_label))


class WGANClip(ComposedObjective):
    """Wasserstein GAN with weight clipping (Arjovsky et al., 2017, Algorithm 1).

    :class:`~ganlib.losses.WassersteinLoss` plus :class:`~ganlib.losses.WeightClip`: after
    **every** critic optimizer step, each critic parameter is clamped to :math:`[-c, c]`. The
    paper pairs it with RMSProp, lr=5e-5, n_critic=5.

    Args:
        clip: The clipping bound :math:`c` (0.01 in the paper).

    Raises:
        ValueError: If ``clip`` is not positive.
    """

    name = "wgan-clip"

    def __init__(self, clip: PositiveFloat = 0.01) -> None:
        super().__init__(WassersteinLoss(), clip=WeightClip(clip))

    def __repr__(self) -> str:
        assert self.clip is not None
        return f"WGANClip(clip={self.clip.clip!r})"


class WGANGP(ComposedObjective):
    """Wasserstein GAN with gradient penalty (Gulrajani et al., 2017, Algorithm 1).

    .. math::

        L_D = \\mathbb{E}[D(\\tilde{x})] - \\mathbb{E}[D(x)]
              + \\lambda\\, \\mathbb{E}_{\\hat{x}}\\big[(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2\\big].

    :class:`~ganlib.losses.WassersteinLoss` plus :class:`~ganlib.losses.GradientPenalty`. The
    paper's settings: :math:`\\lambda = 10`, n_critic = 5, Adam(lr=1e-4, betas=(0, 0.9)).
    Besides the Wasserstein terms it reports ``gp`` (the unweighted penalty) and ``grad_norm``
    (the mean gradient norm at the interpolates, which should approach 1).

    BatchNorm mixes the samples of a batch, so a BatchNorm critic's per-sample gradient is
    not the gradient being penalized; the paper recommends layer norm instead. A penalty on
    a critic that contains BatchNorm emits a :class:`~ganlib.losses.BatchNormPenaltyWarning`
    (once per critic).

    Args:
        gp_weight: The penalty weight :math:`\\lambda`.
        target: Target gradient norm.
        one_sided: Penalize only norms above the target.

    Raises:
        ValueError: If ``gp_weight`` is negative or not finite, or ``target`` is not positive and finite.
    """

    name = "wgan-gp"

    def __init__(self, gp_weight: NonNegativeFloat = 10.0, target: NonNegativeFloat = 1.0, one_sided: bool = False) -> None:
        try:
            penalty = GradientPenalty(gp_weight, target=target, one_sided=one_sided)
        except ValueError as error:
            raise ValueError(str(error).replace("weight=", "gp_weight=", 1)) from None
        super().__init__(WassersteinLoss(), [penalty])

    @property
    def gp_weight(self) -> float:
        """The penalty weight λ."""
        return self.penalties[0].weight

    def __repr__(self) -> str:
        penalty = self.penalties[0]
        assert isinstance(penalty, GradientPenalty)
        return f"WGANGP(gp_weight={penalty.weight!r}, target={penalty.target!r}, one_sided={penalty.one_sided!r})"
