"""Penalties: regularizers added to a player's loss, each with a weight and a lazy interval.

The gradient penalties (GP, LP, DRAGAN, R1, R2) take their gradients through the functional
layer (:mod:`ganlib.losses.gradients`); LeCam's regularizer, which reads the critic's scores,
is in :mod:`ganlib.losses.lecam`. Each is registered in :data:`PENALTIES` by name. Weight clipping is a
constraint, not a penalty: :mod:`ganlib.losses.constraints`.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganlib import _compat
from ganlib._validation import check_int
from ganlib.contract import NonNegativeFloat, PositiveFloat, PositiveInt
import ganlib.losses.gradients as gradients
from ganlib.losses.step import Step
from ganlib.registry import Registry
from ganlib.schedules import half_cosine

__all__ = [
    "PENALTIES",
    "BatchNormPenaltyWarning",
    "DRAGANPenalty",
    "GradientPenalty",
    "LipschitzPenalty",
    "Penalty",
    "R1Penalty",
    "R2Penalty",
    "register_penalty",
]


# --- Penalty objects: a weight, a lazy interval, and where the gradient is taken -------------


class BatchNormPenaltyWarning(UserWarning):
    """A gradient penalty is applied to a critic that contains BatchNorm."""


def _check_weight(weight: float) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < math.inf:
        raise ValueError(f"weight={weight!r} is invalid; expected a finite, non-negative penalty weight")
    return float(weight)


def _check_number(name: str, value: object, low: float, high: float, what: str, *, open_low: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (low < value if open_low else low <= value) and value <= high
    if not ok:
        raise ValueError(f"{name}={value!r} is invalid; expected {what}")
    return float(value)  # type: ignore[arg-type]


class Penalty:
    """Base class of regularizers: a term added to a player's loss with a weight.

    A penalty reads the :class:`~ganlib.losses.Step` of the update it joins. In a
    :class:`~ganlib.losses.ComposedObjective` that step carries the scores the objective has
    already computed (:attr:`Step.scores`), so a penalty that needs the critic's scores on the
    real or the fake batch reuses them instead of scoring the batch again; a penalty that
    differentiates those scores with respect to the batch (R1, R2) lists the batch in
    :attr:`gradient_at`, and the objective marks it ``requires_grad`` before scoring.

    A penalty is *lazy* with ``every=k > 1`` (Karras et al., 2020): it is computed only on
    steps whose index is a multiple of ``k``, and then weighted by ``weight * k``, so its
    average pull per step stays the same while it costs ``1/k`` as much. Its value is
    reported under :attr:`name` (logged as ``penalty/<name>``) on the steps that compute it.

    Subclasses implement :meth:`compute`, and may keep state (running averages) through
    :meth:`state_dict` and :meth:`load_state_dict`, which the objective saves in checkpoints.
    Their own parameters are keyword arguments of their constructor, so that
    ``get_objective(..., penalty="lecam", penalty_args={"decay": 0.9})`` and
    ``--penalty-arg decay=0.9`` reach them.

    Args:
        weight: The penalty weight (λ or γ, see each penalty); :attr:`default_weight` when ``None``.
        every: Apply every this many steps (1: every step).

    Raises:
        ValueError: If ``weight`` is negative or not finite, or ``every`` is not a positive integer.

    Attributes:
        name: The registry name and the reported term.
        default_weight: The weight of the penalty's paper.
        phase: ``"critic"`` (added to the critic's loss) or ``"generator"`` (a generator-side
            regularizer, added to the generator's loss).
        gradient_at: The batches (``"real"``, ``"fake"``) whose scores this penalty
            differentiates with respect to the batch.
        lipschitz: It holds the critic's gradient norm near 1 (a Lipschitz constraint):
            the 2-D landscape then draws the gradient-norm panel.
        kind_defaults: The ``train`` settings it proposes per kind of data (``"toy"``,
            ``"images"``), where the command line leaves them unset.
    """

    name: ClassVar[str] = ""
    default_weight: ClassVar[float] = 10.0
    lipschitz: ClassVar[bool] = False
    kind_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    phase: ClassVar[str] = "critic"
    gradient_at: ClassVar[tuple[str, ...]] = ()

    def __init__(self, weight: float | None = None, every: int = 1) -> None:
        self.weight = _check_weight(self.default_weight if weight is None else weight)
        self.every = check_int("every", every, expected="a positive number of steps")
        self._checked: weakref.WeakSet[nn.Module] = weakref.WeakSet()

    def applies(self, step_index: int) -> bool:
        """Whether the penalty is computed on a step.

        Args:
            step_index: The critic step's index for critic penalties, the generator
                iteration's for generator regularizers (0-based).

        Returns:
            ``step_index % every == 0``.
        """
        return step_index % self.every == 0

    @property
    def effective_weight(self) -> float:
        """The weight the value is multiplied by when it is applied: ``weight * every``."""
        return self.weight * self.every

    def weight_at(self, step: Step) -> float | Tensor:
        """The weight applied at ``step``: :attr:`effective_weight`, unless the penalty schedules it.

        Args:
            step: The step being penalized (its :attr:`~ganlib.losses.Step.clock` and
                :attr:`~ganlib.losses.Step.horizon` place it in the run).

        Returns:
            The weight, a device tensor where it follows a schedule (so that a captured graph reads it).
        """
        return self.effective_weight

    def compute(self, step: Step) -> dict[str, Tensor]:
        """The penalty's terms for one step.

        Args:
            step: The step; ``step.scores`` holds the scores the objective computed.

        Returns:
            ``{name: value}`` with the differentiable, unweighted value, plus detached extras.
        """
        raise NotImplementedError

    def __call__(self, step: Step) -> dict[str, Tensor]:
        """Warn once per critic about BatchNorm, then :meth:`compute`."""
        self._warn_on_batch_norm(step.critic)
        return self.compute(step)

    def state_dict(self) -> dict[str, Any]:
        """The penalty's resumable state (none here); tensors and plain data only."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`.

        Raises:
            ValueError: If ``state`` is not empty (this penalty has no state).
        """
        if state:
            raise ValueError(f"penalty {self.name!r} has no state, but the checkpoint holds {sorted(state)}")

    def _warn_on_batch_norm(self, critic: object) -> None:
        if not self.gradient_based or not isinstance(critic, nn.Module) or critic in self._checked:
            return
        self._checked.add(critic)
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules()):
            warnings.warn(
                f"{type(self).__name__} on a critic with BatchNorm: BatchNorm mixes the samples of a "
                "batch, so the per-sample gradient penalty no longer constrains what it should, and "
                "such critics often fail to learn. Use norm='layer' (the WGAN-GP paper's choice), "
                "'instance', 'spectral' or 'none'.",
                BatchNormPenaltyWarning,
                stacklevel=4,
            )

    gradient_based: ClassVar[bool] = True
    """Whether the penalty constrains input gradients (and so warns about BatchNorm critics)."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class GradientPenalty(Penalty):
    """The WGAN-GP penalty at random interpolates (Gulrajani et al., 2017): ``gp``.

    .. math::

        \\mathrm{GP} = \\mathbb{E}_{\\hat{x}}\\big[(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - t)^2\\big],
        \\qquad \\hat{x} = \\epsilon x + (1 - \\epsilon)\\tilde{x}, \\ \\epsilon \\sim U[0, 1] \\text{ per sample}.

    The interpolates are the penalty's own points: it scores them itself (one critic forward
    per application). Also reports ``grad_norm``, the mean gradient norm at the interpolates,
    which should settle near (slightly above) ``target``. The paper's weight is λ = 10.

    Args:
        weight: λ.
        every: Lazy interval.
        target: The target norm :math:`t`.
        one_sided: Penalize only norms above the target (see :class:`LipschitzPenalty`).

    Raises:
        ValueError: If ``target`` is not positive and finite.
    """

    name = "gp"
    lipschitz = True  # so are LP and DRAGAN, its subclasses
    # On the 2-D toys, the WGAN-GP paper's toy code: lambda 0.1 and Adam betas (0.5, 0.9).
    kind_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {"toy": {"penalty_weight": 0.1, "betas": [0.5, 0.9]}}

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, target: NonNegativeFloat = 1.0, one_sided: bool = False) -> None:
        super().__init__(weight, every)
        self.target = _check_number("target", target, 0.0, math.inf, "a positive, finite gradient norm", open_low=True)
        if self.target == math.inf:
            raise ValueError(f"target={target!r} is invalid; expected a positive, finite gradient norm")
        self.one_sided = bool(one_sided)

    def points(self, step: Step) -> Tensor:
        """Where the gradient is taken: interpolates between paired real and fake samples.

        Args:
            step: The critic step.

        Returns:
            Points that require grad, shape ``(N, *)``.
        """
        return gradients.interpolate(step.require_real(), step.fake)

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        norms = gradients.critic_gradient_norm(step.score, self.points(step), grad_scale=step.grad_scale)
        value = gradients.penalty_from_norms(norms, target=self.target, one_sided=self.one_sided)
        return {self.name: value, "grad_norm": norms.detach().mean()}


class LipschitzPenalty(GradientPenalty):
    """The one-sided Lipschitz penalty (WGAN-LP, Petzka et al., 2018): ``lp``.

    .. math::

        \\mathrm{LP} = \\mathbb{E}_{\\hat{x}}\\big[\\max(0, \\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2\\big],

    at the same interpolates as :class:`GradientPenalty`. It is zero wherever the critic's
    slope is at most 1, so it enforces the Lipschitz constraint without pulling flat regions
    up to slope 1.

    Args:
        weight: λ (10 in the paper's comparison).
        every: Lazy interval.
    """

    name = "lp"

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1) -> None:
        super().__init__(weight, every, target=1.0, one_sided=True)


class DRAGANPenalty(GradientPenalty):
    """DRAGAN's penalty around the real data (Kodali et al., 2017): ``dragan``.

    .. math::

        \\mathbb{E}\\big[(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2\\big],

    with :math:`\\hat{x}` drawn by :func:`~ganlib.losses.gradients.perturb`: at random points near the real samples instead of between real and fake. It needs
    no fakes, so it suits the minimax losses it was proposed for (λ = 10).

    Args:
        weight: λ.
        every: Lazy interval.
        scale: The perturbation scale :math:`c` of :func:`~ganlib.losses.gradients.perturb` (0.5).
    """

    name = "dragan"

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, scale: PositiveFloat = 0.5) -> None:
        super().__init__(weight, every, target=1.0)
        self.scale = _check_number("scale", scale, 0.0, math.inf, "a finite, non-negative noise scale")
        if self.scale == math.inf:
            raise ValueError(f"scale={scale!r} is invalid; expected a finite, non-negative noise scale")

    def points(self, step: Step) -> Tensor:  # noqa: D102
        return gradients.perturb(step.require_real(), scale=self.scale)


class R1Penalty(Penalty):
    """The zero-centred R1 penalty on real data (Mescheder et al., 2018): ``r1``.

    .. math::

        R_1 = \\frac{\\gamma}{2}\\, \\mathbb{E}_{x \\sim p_{\\text{data}}}\\big[\\lVert \\nabla_x D(x) \\rVert_2^2\\big].

    ``weight`` is γ; the reported ``r1`` is :math:`\\tfrac{1}{2}\\mathbb{E}\\lVert\\nabla D\\rVert^2`, so
    the term added to the loss is ``weight * r1`` (times ``every`` when lazy). γ = 10 is the
    paper's common choice; StyleGAN2 applies it lazily every 16 steps.

    Inside a :class:`~ganlib.losses.ComposedObjective` it differentiates the scores the
    objective computed for the loss (the batch is scored once); called on a step without
    scores, it scores the batch itself.

    γ can follow R3GAN's schedule (Huang et al., 2024: 0.05 to 0.005 on CIFAR-10): with
    ``weight_end``, a half cosine from ``weight`` to ``weight_end`` over ``horizon`` generator
    iterations (the run's length by default), then held (:func:`ganlib.schedules.half_cosine`).

    Args:
        weight: γ.
        every: Lazy interval.
        weight_end: γ at the end of the schedule; ``None``: γ stays ``weight``.
        horizon: Generator iterations of the schedule; ``None``: the run's.

    Raises:
        ValueError: If ``weight_end`` is negative or given with a zero ``weight``, or
            ``horizon`` is not a positive integer.
    """

    name = "r1"
    side: ClassVar[str] = "real"
    gradient_at = ("real",)

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, weight_end: NonNegativeFloat | None = None, horizon: PositiveInt | None = None) -> None:
        super().__init__(weight, every)
        self.weight_end = None if weight_end is None else _check_weight(weight_end)
        if self.weight_end is not None and self.weight == 0:
            raise ValueError(f"weight_end={weight_end!r} needs a positive weight to start from; got weight=0")
        self.horizon = None if horizon is None else check_int("horizon", horizon, expected="a positive number of generator iterations")

    def weight_at(self, step: Step) -> float | Tensor:  # noqa: D102
        if self.weight_end is None:
            return self.effective_weight
        clock = step.clock if step.clock is not None else torch.tensor(float(step.iteration))
        horizon = self.horizon or step.horizon or 1
        return self.every * half_cosine(clock, self.weight, self.weight_end, horizon)

    def samples(self, step: Step) -> tuple[Tensor, Tensor | None]:
        """The samples the gradient is taken at, with their scores when the step has them.

        Args:
            step: The critic step.

        Returns:
            ``(samples, scores)``: the batch on :attr:`side`, and its scores from
            ``step.scores`` if they were computed from that very batch with gradients, else ``None``.
        """
        samples = step.require_real() if self.side == "real" else step.fake
        scores = None if step.scores is None else getattr(step.scores, self.side)
        return samples, scores if scores is not None and samples.requires_grad else None

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        samples, scores = self.samples(step)
        if scores is None:  # no scores to reuse (a hand-written loop): score a marked copy
            samples = samples.detach().requires_grad_(True)
            scores = step.score(samples)
        grad = gradients.input_gradient(scores, samples, grad_scale=step.grad_scale)
        return {self.name: 0.5 * gradients.squared_gradient_norm(grad)}


class R2Penalty(R1Penalty):
    """The zero-centred R2 penalty on generated data (Mescheder et al., 2018): ``r2``.

    .. math::

        R_2 = \\frac{\\gamma}{2}\\, \\mathbb{E}_{x \\sim p_G}\\big[\\lVert \\nabla_x D(x) \\rVert_2^2\\big].

    Args:
        weight: γ.
        every: Lazy interval.
        weight_end: γ at the end of R3GAN's schedule (see :class:`R1Penalty`).
        horizon: Generator iterations of the schedule; ``None``: the run's.
    """

    name = "r2"
    side = "fake"
    gradient_at = ("fake",)


PENALTIES: Registry[type[Penalty]] = Registry("penalty", accepts=lambda obj: isinstance(obj, type) and issubclass(obj, Penalty), expects="a subclass of ganlib.losses.Penalty")
"""Penalties by name: ``gp``, ``lp``, ``dragan``, ``r1``, ``r2``, ``lecam``, and those given to
:func:`register_penalty`."""


def register_penalty(name: str, penalty: type[Penalty] | None = None, *, replace: bool = False) -> Any:
    """Register a penalty class under ``name`` (a class decorator when ``penalty`` is omitted).

    The class's constructor takes ``weight`` and ``every`` and its own parameters as keyword
    arguments; :func:`~ganlib.losses.get_objective` and ``--penalty NAME --penalty-arg KEY=VALUE``
    build it by name.

    Args:
        name: The name, e.g. ``"lecam"``.
        penalty: A :class:`Penalty` subclass.
        replace: Replace another penalty registered under ``name``.

    Returns:
        The class unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken (and ``replace`` is false).
        TypeError: If ``penalty`` is not a :class:`Penalty` subclass.
    """
    return PENALTIES.register(name, penalty, replace=replace)


for _penalty in (GradientPenalty, LipschitzPenalty, DRAGANPenalty, R1Penalty, R2Penalty):
    register_penalty(_penalty.name, _penalty)


def __getattr__(name: str) -> Any:
    return _compat.moved_attribute(__name__, name)
