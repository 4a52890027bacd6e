"""The gradient penalty of WGAN-GP (Gulrajani et al., 2017) and its parts.

Algorithm 1 of the paper draws one :math:`\\epsilon \\sim U[0, 1]` **per sample**, forms

.. math::

    \\hat{x} = \\epsilon x + (1 - \\epsilon) \\tilde{x},

and penalizes :math:`(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2`, where the norm is
taken over **all** non-batch axes of each sample's gradient. The gradient is built with
``create_graph=True`` so that the penalty can be differentiated again with respect to the
critic's weights.

The later penalties reuse the same parts at other points: the one-sided Lipschitz penalty
(Petzka et al., 2018) at the same interpolates, DRAGAN (Kodali et al., 2017) around
perturbed real samples (:func:`perturb`), and the zero-centred R1 and R2 penalties
(Mescheder et al., 2018) at the real or the generated samples themselves
(:func:`zero_centered_penalty`).

Mixed precision
---------------
Under fp16 with a :class:`torch.amp.GradScaler`, small input gradients underflow unless the
scores are scaled before differentiating. Every function here takes ``grad_scale``: the
scaler's current scale as a tensor (never read on the host, so no synchronization). The mean score
is multiplied by it before :func:`torch.autograd.grad` (so each score's gradient is scaled as
the loss's would be), and the resulting gradient is cast to float32 and multiplied by
``N / scale`` before any norm is taken: the penalty is computed in float32 from the true
gradient, as in PyTorch's AMP recipe "gradient penalty".
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.contract import Fraction, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from ganlib.losses.step import Step, at_least_float32
from ganlib.registry import Registry
from ganlib.schedules import half_cosine

__all__ = [
    "PENALTIES",
    "BatchNormPenaltyWarning",
    "DRAGANPenalty",
    "GradientPenalty",
    "LeCamPenalty",
    "LeCamStyleGAN2Penalty",
    "LipschitzPenalty",
    "Penalty",
    "R1Penalty",
    "R2Penalty",
    "WeightClip",
    "critic_gradient_norm",
    "critic_input_gradient",
    "gradient_penalty",
    "input_gradient",
    "interpolate",
    "penalty_from_norms",
    "perturb",
    "register_penalty",
    "squared_gradient_norm",
    "zero_centered_penalty",
]


def _check_pair(real: Tensor, fake: Tensor) -> None:
    if real.shape != fake.shape:
        raise ValueError(
            f"real has shape {tuple(real.shape)} but fake has shape {tuple(fake.shape)}; "
            "the gradient penalty pairs them sample by sample, so the shapes must match"
        )
    if real.ndim < 2:
        raise ValueError(f"real has shape {tuple(real.shape)}; expected (N, *) with at least one feature axis")


def interpolate(real: Tensor, fake: Tensor, eps: Tensor | None = None) -> Tensor:
    """Random points on the segments between paired real and fake samples.

    .. math::

        \\hat{x}_i = \\epsilon_i x_i + (1 - \\epsilon_i) \\tilde{x}_i, \\qquad \\epsilon_i \\sim U[0, 1].

    Args:
        real: Real samples, shape ``(N, *)``.
        fake: Generated samples, same shape as ``real``.
        eps: Interpolation weights, shape ``(N,)`` or ``(N, 1, ..., 1)``; drawn from U[0, 1],
            one per sample, when ``None``.

    Returns:
        Detached interpolates of shape ``(N, *)`` that require grad, in the wider of the two
        inputs' dtypes (fakes generated under autocast may be half precision).

    Raises:
        ValueError: If the shapes of ``real``, ``fake`` and ``eps`` do not fit together.

    Example:
        >>> import torch
        >>> interpolate(torch.ones(2, 3), torch.zeros(2, 3), torch.tensor([0.25, 1.0]))
        tensor([[0.2500, 0.2500, 0.2500],
                [1.0000, 1.0000, 1.0000]], requires_grad=True)
    """
    _check_pair(real, fake)
    n = real.shape[0]
    weight_shape = (n,) + (1,) * (real.ndim - 1)
    # Fakes made under autocast may be half precision while the real batch is float32:
    # interpolate in the wider type.
    dtype = torch.promote_types(real.dtype, fake.dtype)
    if eps is None:
        eps = torch.rand(weight_shape, device=real.device, dtype=dtype)
    elif eps.numel() != n or (eps.ndim > 1 and eps.shape != weight_shape):
        raise ValueError(
            f"eps has shape {tuple(eps.shape)}; expected one weight per sample, (N,) or "
            f"{weight_shape}"
        )
    else:
        eps = eps.reshape(weight_shape)
    # lerp(fake, real, eps) = fake + eps * (real - fake) = eps * real + (1 - eps) * fake
    return torch.lerp(fake.detach().to(dtype), real.detach().to(dtype), eps.to(dtype)).requires_grad_(True)


def input_gradient(scores: Tensor, inputs: Tensor, *, grad_scale: Tensor | float | None = None) -> Tensor:
    """The gradient of already computed scores with respect to their inputs, in float32, kept differentiable.

    This is how a penalty reuses the scores an objective has already computed: the objective
    marks the batch ``requires_grad`` before scoring it, and the penalty differentiates those
    same scores, so the batch is scored once (as in stylegan2-ada's R1).

    Args:
        scores: Scores ``(N,)`` computed from ``inputs`` (sample *i*'s score from sample *i* only).
        inputs: The scored points, which required grad when they were scored, ``(N, *)``.
        grad_scale: The loss scale of fp16 training (see the module docstring), or ``None``.

    Returns:
        The gradient, shape ``(N, *)``, in at least float32 and unscaled, with a graph back to
        the critic's parameters (``create_graph=True``).

    Raises:
        ValueError: If ``inputs`` does not require grad.

    Example:
        >>> import torch
        >>> x = torch.ones(2, 3, requires_grad=True)
        >>> input_gradient((2.0 * x).sum(dim=1), x).tolist()
        [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """
    if not inputs.requires_grad:
        raise ValueError("inputs must require grad; use interpolate() or call .requires_grad_()")
    scores = at_least_float32(scores)
    # Under loss scaling, scale the *mean* score, as a loss would be scaled: each score's
    # upstream gradient is then scale / N, the magnitude the loss's own backward uses (the sum
    # would send the full scale, 65,536 by default, into each fp16 score and overflow). Both
    # factors are undone in float32 below.
    output = scores.sum() if grad_scale is None else scores.mean() * grad_scale
    (grad,) = torch.autograd.grad(output, inputs, create_graph=True)
    grad = at_least_float32(grad)
    if grad_scale is not None:
        grad = grad * (scores.numel() / grad_scale)
    return grad


def critic_input_gradient(
    critic: Callable[[Tensor], Tensor], inputs: Tensor, *, grad_scale: Tensor | float | None = None
) -> Tensor:
    """The critic's gradient with respect to its inputs, in float32, kept differentiable.

    Each score depends only on its own sample (for critics that do not mix the batch), so
    the gradient of the summed scores is the per-sample gradient :math:`\\nabla_x D(x_i)`.

    Args:
        critic: Maps ``(N, *)`` to scores ``(N,)``.
        inputs: Points that require grad, shape ``(N, *)``.
        grad_scale: The loss scale of fp16 training (see the module docstring), or ``None``.

    Returns:
        The gradient, shape ``(N, *)``, in at least float32 and unscaled, with a graph back to the
        critic's parameters (``create_graph=True``).

    Raises:
        ValueError: If ``inputs`` does not require grad.
    """
    if not inputs.requires_grad:
        raise ValueError("inputs must require grad; use interpolate() or call .requires_grad_()")
    return input_gradient(critic(inputs), inputs, grad_scale=grad_scale)


def critic_gradient_norm(
    critic: Callable[[Tensor], Tensor], inputs: Tensor, *, grad_scale: Tensor | float | None = None
) -> Tensor:
    """Per-sample L2 norm of the critic's input gradient, kept differentiable.

    .. math::

        g_i = \\big\\lVert \\nabla_{x} D(x) \\big|_{x = x_i} \\big\\rVert_2,

    the norm taken over every non-batch axis of sample :math:`i`.

    Args:
        critic: Maps ``(N, *)`` to scores ``(N,)``.
        inputs: Points that require grad, shape ``(N, *)``.
        grad_scale: The loss scale of fp16 training, or ``None``.

    Returns:
        Gradient norms of shape ``(N,)`` in at least float32, with a graph back to the critic's parameters.

    Raises:
        ValueError: If ``inputs`` does not require grad.
    """
    grad = critic_input_gradient(critic, inputs, grad_scale=grad_scale)
    return grad.flatten(1).norm(2, dim=1)


def penalty_from_norms(norms: Tensor, *, target: float = 1.0, one_sided: bool = False) -> Tensor:
    """Mean squared deviation of gradient norms from a target.

    .. math::

        \\mathrm{GP} = \\frac{1}{N} \\sum_i (g_i - t)^2 \\quad\\text{or, one-sided,}\\quad
        \\frac{1}{N} \\sum_i \\max(0, g_i - t)^2.

    The one-sided form only penalizes norms above the target (Gulrajani et al., 2017,
    Appendix; Petzka et al., 2018).

    Args:
        norms: Per-sample gradient norms, shape ``(N,)``.
        target: The target norm :math:`t` (the Lipschitz constant aimed at).
        one_sided: Penalize only :math:`g_i > t`.

    Returns:
        The scalar penalty, without the :math:`\\lambda` weight.
    """
    deviation = norms - target
    if one_sided:
        deviation = deviation.clamp(min=0.0)
    return deviation.square().mean()


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    *,
    eps: Tensor | None = None,
    target: float = 1.0,
    one_sided: bool = False,
) -> Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al., 2017, Algorithm 1), without :math:`\\lambda`.

    .. math::

        \\mathrm{GP} = \\frac{1}{N} \\sum_{i=1}^{N}
        \\big(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}_i) \\rVert_2 - t\\big)^2,
        \\qquad \\hat{x}_i = \\epsilon_i x_i + (1 - \\epsilon_i) \\tilde{x}_i.

    Args:
        critic: Maps ``(N, *)`` to scores ``(N,)``. It must not mix samples (no BatchNorm),
            or the per-sample gradient is not what is penalized.
        real: Real samples, shape ``(N, *)``.
        fake: Generated samples, same shape (detached internally).
        eps: Optional interpolation weights, shape ``(N,)`` or ``(N, 1, ..., 1)``; drawn
            per sample from U[0, 1] when omitted.
        target: Target gradient norm :math:`t`.
        one_sided: Penalize only norms above the target.

    Returns:
        The scalar penalty (batch mean), differentiable with respect to the critic's
        parameters.

    Raises:
        ValueError: If the shapes do not fit together.

    Example:
        >>> import torch
        >>> critic = lambda x: 3.0 * x.sum(dim=1)  # gradient norm 3 * sqrt(4) = 6
        >>> gradient_penalty(critic, torch.randn(5, 4), torch.randn(5, 4)).item()
        25.0
    """
    norms = critic_gradient_norm(critic, interpolate(real, fake, eps))
    return penalty_from_norms(norms, target=target, one_sided=one_sided)


def perturb(real: Tensor, *, scale: float = 0.5, alpha: Tensor | None = None, noise: Tensor | None = None) -> Tensor:
    """DRAGAN's penalty points: random points near the real samples (Kodali et al., 2017).

    Following the reference implementation (also used by Kurach et al., 2019), each real
    sample is pushed by uniform noise scaled by the batch's standard deviation, and the
    penalty point is drawn on the segment between the sample and its perturbed copy:

    .. math::

        x^p_i = x_i + c\\,\\operatorname{std}(x)\\,u_i, \\quad u_i \\sim U[0, 1)^d, \\qquad
        \\hat{x}_i = x_i + \\alpha_i (x^p_i - x_i), \\quad \\alpha_i \\sim U[0, 1].

    Args:
        real: Real samples, shape ``(N, *)``.
        scale: The noise scale :math:`c` (0.5 in the reference code).
        alpha: Optional weights :math:`\\alpha`, one per sample, shape ``(N,)``.
        noise: Optional noise :math:`u`, same shape as ``real``.

    Returns:
        Detached points of shape ``(N, *)`` that require grad.

    Raises:
        ValueError: If ``scale`` is negative or the shapes do not fit.

    Example:
        >>> import torch
        >>> x = torch.tensor([[0.0], [2.0]])  # std sqrt(2)
        >>> perturb(x, alpha=torch.ones(2), noise=torch.ones(2, 1)).detach().squeeze(1)
        tensor([0.7071, 2.7071])
    """
    if not scale >= 0:
        raise ValueError(f"scale={scale!r} is invalid; expected a non-negative noise scale")
    real = real.detach()
    if noise is None:
        noise = torch.rand_like(real)
    elif noise.shape != real.shape:
        raise ValueError(f"noise has shape {tuple(noise.shape)}; expected the shape of real, {tuple(real.shape)}")
    perturbed = real + scale * real.std() * noise
    return interpolate(perturbed, real, alpha)


def zero_centered_penalty(
    critic: Callable[[Tensor], Tensor], samples: Tensor, *, grad_scale: Tensor | float | None = None
) -> Tensor:
    """Mean squared gradient norm at the samples: the R1 / R2 penalty without :math:`\\gamma/2`.

    .. math::

        \\frac{1}{N} \\sum_i \\big\\lVert \\nabla_x D(x) \\big|_{x = x_i} \\big\\rVert_2^2.

    On real samples this is R1, on generated samples R2 (Mescheder et al., 2018); the paper
    weights it by :math:`\\gamma / 2`. It is zero for a critic that is flat on the samples,
    which is the equilibrium these penalties stabilise. The squared norm is summed directly
    (no square root), so a zero gradient has a finite derivative.

    Args:
        critic: Maps ``(N, *)`` to scores ``(N,)``.
        samples: The points, shape ``(N, *)``; a detached copy that requires grad is used, so
            the caller's tensor is never modified.
        grad_scale: The loss scale of fp16 training, or ``None``.

    Returns:
        The scalar penalty, differentiable with respect to the critic's parameters.

    Example:
        >>> import torch
        >>> critic = lambda x: (x * torch.tensor([3.0, 4.0])).sum(dim=1)  # gradient norm 5
        >>> zero_centered_penalty(critic, torch.randn(6, 2)).item()
        25.0
    """
    inputs = samples.detach().requires_grad_(True)
    return squared_gradient_norm(critic_input_gradient(critic, inputs, grad_scale=grad_scale))



def squared_gradient_norm(grad: Tensor) -> Tensor:
    """Mean over samples of the squared gradient norm over all non-batch axes.

    Args:
        grad: Input gradients ``(N, *)``.

    Returns:
        :math:`\\frac{1}{N}\\sum_i \\lVert g_i \\rVert_2^2`, summed directly (no square root, so a
        zero gradient has a finite derivative).
    """
    return grad.flatten(1).square().sum(dim=1).mean()


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
    """

    name: ClassVar[str] = ""
    default_weight: ClassVar[float] = 10.0
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
        return interpolate(step.require_real(), step.fake)

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        norms = critic_gradient_norm(step.score, self.points(step), grad_scale=step.grad_scale)
        value = penalty_from_norms(norms, target=self.target, one_sided=self.one_sided)
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

    with :math:`\\hat{x}` drawn by :func:`perturb`: at random points near the real samples instead of between real and fake. It needs
    no fakes, so it suits the minimax losses it was proposed for (λ = 10).

    Args:
        weight: λ.
        every: Lazy interval.
        scale: The perturbation scale :math:`c` of :func:`perturb` (0.5).
    """

    name = "dragan"

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, scale: PositiveFloat = 0.5) -> None:
        super().__init__(weight, every, target=1.0)
        self.scale = _check_number("scale", scale, 0.0, math.inf, "a finite, non-negative noise scale")
        if self.scale == math.inf:
            raise ValueError(f"scale={scale!r} is invalid; expected a finite, non-negative noise scale")

    def points(self, step: Step) -> Tensor:  # noqa: D102
        return perturb(step.require_real(), scale=self.scale)


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
        grad = input_gradient(scores, samples, grad_scale=step.grad_scale)
        return {self.name: 0.5 * squared_gradient_norm(grad)}


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


class LeCamPenalty(Penalty):
    """LeCam regularization (Tseng et al., 2021), as the authors' BigGAN code runs it: ``lecam``.

    The critic's scores are pulled toward anchors, exponential moving averages of its mean
    score on real (:math:`\\alpha_R`) and on generated (:math:`\\alpha_F`) samples:

    .. math::

        R_{LC} = \\mathbb{E}_x\\big[\\max(0, D(x) - \\alpha_F)^2\\big]
               + \\mathbb{E}_z\\big[\\max(0, \\alpha_R - D(G(z)))^2\\big],

    so real scores above the fake anchor and fake scores below the real anchor are
    penalized; it keeps the critic's two outputs from drifting apart, which the paper shows
    matters most with little data.

    The defaults are those of google/lecam-gan's BigGAN (PyTorch) code, the paper's CIFAR
    experiments (``third_party/utils.py`` ``ema_losses``, ``biggan_cifar/losses.py``,
    ``third_party/train_fns.py``, ``scripts/lc-biggan-cifar10.sh``): λ = 0.3, decay 0.9, and a
    warm-up of ``start`` = 1,000 generator iterations during which each anchor is the latest
    batch mean and the term is off; it counts from iteration ``start + 1`` on (the reference's
    ``itr > start_itr``). The anchors are updated with this step's mean scores *before* the term
    is taken, at every critic step. ``lecam-stylegan2`` is the authors' TensorFlow StyleGAN2
    version (``stylegan2/lecam_loss.py``): decay 0.99, a zero-debiased average (TensorFlow's
    ``assign_moving_average(..., zero_debias=True)``), no warm-up, λ = 1e-6 (their CIFAR script).
    With ``start=0`` and no debiasing, the first update copies the batch means (the BigGAN code
    would average them with its initial value of 1000).

    It reads the scores the objective computed (no extra critic forward) and keeps the anchors,
    its update count and its iteration clock on the device (no host synchronization; under
    CUDA-graph capture it reads the Trainer's device clock, :attr:`Step.clock`), and saves them
    in checkpoints, so a resumed run continues with the same anchors.

    Args:
        weight: λ (0.3).
        every: Lazy interval.
        decay: The anchors' decay (0.9).
        start: Generator iterations of warm-up (1,000); 0 for none.
        debias: Divide the average by :math:`1 - \\text{decay}^t` after :math:`t` updates, from a
            zero start (the TensorFlow version); ``False`` in the BigGAN code.

    Raises:
        ValueError: If ``decay`` is outside [0, 1) or ``start`` is negative.

    Example:
        >>> import torch
        >>> from ganlib.losses import Scores, Step
        >>> lecam = LeCamPenalty(decay=0.5, start=0)
        >>> step = Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1),
        ...             scores=Scores(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0])), iteration=1)
        >>> lecam(step)["lecam"]  # anchors 2 and 0: mean((D(x) - 0)+^2) + mean((2 - D(G(z)))+^2)
        tensor(9.)
    """

    name = "lecam"
    default_weight = 0.3
    gradient_based = False

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.9, start: NonNegativeInt = 1000, debias: bool = False) -> None:
        super().__init__(weight, every)
        self.decay = _check_number("decay", decay, 0.0, 1.0, "a decay in [0, 1)")
        if self.decay >= 1.0:
            raise ValueError(f"decay={decay!r} is invalid; expected a decay in [0, 1)")
        self.start = check_int("start", start, minimum=0, expected="a non-negative number of generator iterations")
        if not isinstance(debias, bool):
            raise ValueError(f"debias={debias!r} is invalid; expected true or false")
        self.debias = debias
        self.anchor_real = torch.zeros(())
        self.anchor_fake = torch.zeros(())
        self._average = torch.zeros(2)  # the (biased) moving averages of the real and fake means
        self._decay = torch.full((), self.decay)
        self.updates = torch.zeros((), dtype=torch.long)

    def _to(self, device: torch.device, dtype: torch.dtype) -> None:
        if self._decay.device != device or self._decay.dtype != dtype or self._average.dtype != dtype:
            self._average = self._average.to(device, dtype)
            self._decay = torch.full((), self.decay, dtype=dtype, device=device)  # made once, not per step
            self.anchor_real = self.anchor_real.to(device, dtype)
            self.anchor_fake = self.anchor_fake.to(device, dtype)
            self.updates = self.updates.to(device)

    @torch.no_grad()
    def update(self, real_scores: Tensor, fake_scores: Tensor, iteration: Tensor | int = 0) -> None:
        """Fold one step's mean scores into the anchors (in place, on the device).

        Args:
            real_scores: Scores on the real batch ``(N,)``.
            fake_scores: Scores on the generated batch ``(M,)``.
            iteration: Generator iterations completed before this step (a device tensor
                under capture).
        """
        self._to(real_scores.device, torch.promote_types(real_scores.dtype, torch.float32))
        means = torch.stack([real_scores.detach().mean(), fake_scores.detach().mean()]).to(self._average.dtype)
        warming = torch.as_tensor(iteration, device=self.updates.device) < self.start
        if not self.debias:
            warming = warming | (self.updates == 0)  # the first update copies the means
        keep = torch.where(warming, 0.0, self._decay)
        self._average.mul_(keep).add_((1 - keep) * means)
        self.updates.add_(1)
        anchors = self._average
        if self.debias:
            anchors = anchors / (1 - torch.pow(keep, self.updates.to(anchors.dtype)))
        self.anchor_real.copy_(anchors[0])
        self.anchor_fake.copy_(anchors[1])

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        if step.scores is None or step.scores.real is None or step.scores.fake is None:
            real_scores, fake_scores = step.score_pair()
        else:
            real_scores, fake_scores = step.scores.real, step.scores.fake
        iteration = step.clock if step.clock is not None else step.iteration
        self.update(real_scores, fake_scores, iteration)
        value = torch.relu(real_scores - self.anchor_fake).square().mean() + torch.relu(self.anchor_real - fake_scores).square().mean()
        if self.start:
            value = value * (torch.as_tensor(iteration, device=value.device) > self.start).to(value.dtype)
        return {self.name: value, "anchor_real": self.anchor_real.clone(), "anchor_fake": self.anchor_fake.clone()}

    def state_dict(self) -> dict[str, Any]:
        """The anchors, their averages and the update count."""
        return {
            "anchor_real": self.anchor_real.detach().cpu().clone(), "anchor_fake": self.anchor_fake.detach().cpu().clone(),
            "average": self._average.detach().cpu().clone(), "updates": self.updates.cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the anchors, their averages and the update count (0.3's state has no averages: the anchors are them)."""
        device = self._average.device
        self.anchor_real = state["anchor_real"].to(device).clone()
        self.anchor_fake = state["anchor_fake"].to(device).clone()
        average = state.get("average")
        self._average = (average if average is not None else torch.stack([self.anchor_real, self.anchor_fake])).to(device).clone()
        self.updates = state["updates"].to(device).clone()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight!r}, every={self.every!r}, decay={self.decay!r}, start={self.start!r}, debias={self.debias!r})"


class LeCamStyleGAN2Penalty(LeCamPenalty):
    """LeCam as the authors' TensorFlow StyleGAN2 code runs it: ``lecam-stylegan2``.

    google/lecam-gan, ``stylegan2/lecam_loss.py`` and ``scripts/run_train_cifar.sh``: decay
    0.99, a zero-debiased moving average from zero, no warm-up, λ = 1e-6 (the CIFAR script's
    ``--lecam``; how the StyleGAN2 loss it is added to scales it is outside that repository).

    Args:
        weight: λ (1e-6).
        every: Lazy interval.
        decay: The anchors' decay (0.99).
        start: Generator iterations of warm-up (0).
        debias: Zero-debias the average (true).
    """

    default_weight = 1e-6

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.99, start: NonNegativeInt = 0, debias: bool = True) -> None:
        super().__init__(weight, every, decay=decay, start=start, debias=debias)


PENALTIES: Registry[type[Penalty]] = Registry("penalty")
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
    if penalty is None:
        return lambda cls: register_penalty(name, cls, replace=replace)
    if not (isinstance(penalty, type) and issubclass(penalty, Penalty)):
        raise TypeError(f"register_penalty({name!r}, ...) needs a subclass of ganlib.losses.Penalty, got {penalty!r}")
    return PENALTIES.register(name, penalty, replace=replace)


for _penalty in (GradientPenalty, LipschitzPenalty, DRAGANPenalty, R1Penalty, R2Penalty, LeCamPenalty):
    register_penalty(_penalty.name, _penalty)
register_penalty("lecam-stylegan2", LeCamStyleGAN2Penalty)


class WeightClip:
    """Weight clipping (Arjovsky et al., 2017, Algorithm 1): a constraint, not a penalty.

    After **every** critic optimizer step, each critic parameter is clamped in place to
    :math:`[-c, c]`. The paper pairs it with RMSProp, lr = 5e-5, n_critic = 5, c = 0.01.

    Args:
        clip: The bound :math:`c`.

    Raises:
        ValueError: If ``clip`` is not positive and finite.

    Example:
        >>> import torch
        >>> layer = torch.nn.Linear(2, 1)
        >>> WeightClip(0.01).apply(layer)
        >>> bool(layer.weight.abs().max() <= 0.01)
        True
    """

    name: ClassVar[str] = "clip"

    def __init__(self, clip: float = 0.01) -> None:
        if isinstance(clip, bool) or not isinstance(clip, (int, float)) or not 0 < clip < math.inf:
            raise ValueError(f"clip={clip!r} is invalid; expected a positive, finite bound")
        self.clip = float(clip)

    @torch.no_grad()
    def apply(self, critic: nn.Module) -> None:
        """Clamp every parameter of ``critic`` to ``[-clip, clip]`` in place.

        Args:
            critic: The critic whose parameters were just updated.
        """
        for param in critic.parameters():
            param.clamp_(-self.clip, self.clip)

    def __repr__(self) -> str:
        return f"WeightClip(clip={self.clip!r})"
