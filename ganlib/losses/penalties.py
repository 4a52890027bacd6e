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
from typing import ClassVar

import torch
from torch import Tensor, nn

from ganlib._validation import check_int
from ganlib.losses.step import Step, at_least_float32

__all__ = [
    "PENALTIES",
    "BatchNormPenaltyWarning",
    "DRAGANPenalty",
    "GradientPenalty",
    "LipschitzPenalty",
    "Penalty",
    "R1Penalty",
    "R2Penalty",
    "WeightClip",
    "critic_gradient_norm",
    "critic_input_gradient",
    "gradient_penalty",
    "interpolate",
    "penalty_from_norms",
    "perturb",
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
    scores = at_least_float32(critic(inputs))
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
    grad = critic_input_gradient(critic, inputs, grad_scale=grad_scale)
    return grad.flatten(1).square().sum(dim=1).mean()


# --- Penalty objects: a weight, a lazy interval, and where the gradient is taken -------------


class BatchNormPenaltyWarning(UserWarning):
    """A gradient penalty is applied to a critic that contains BatchNorm."""


def _check_weight(weight: float) -> float:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < math.inf:
        raise ValueError(f"weight={weight!r} is invalid; expected a finite, non-negative penalty weight")
    return float(weight)


class Penalty:
    """Base class of critic penalties: a term added to the critic loss with a weight.

    A penalty is *lazy* with ``every=k > 1`` (Karras et al., 2020): it is computed only on
    critic steps whose index is a multiple of ``k``, and then weighted by ``weight * k``, so
    its average pull per step stays the same while it costs ``1/k`` as much. Its value is
    reported under :attr:`name` on the steps that compute it (and averaged over them).

    Subclasses implement :meth:`compute`.

    Args:
        weight: The penalty weight (λ or γ, see each penalty).
        every: Apply every this many critic steps (1: every step).

    Raises:
        ValueError: If ``weight`` is negative or not finite, or ``every`` is not a positive integer.
    """

    name: ClassVar[str] = ""
    default_weight: ClassVar[float] = 10.0

    def __init__(self, weight: float | None = None, every: int = 1) -> None:
        self.weight = _check_weight(self.default_weight if weight is None else weight)
        self.every = check_int("every", every, expected="a positive number of critic steps")
        self._checked: weakref.WeakSet[nn.Module] = weakref.WeakSet()

    def applies(self, critic_step: int) -> bool:
        """Whether the penalty is computed on a critic step.

        Args:
            critic_step: The critic step's index (0-based).

        Returns:
            ``critic_step % every == 0``.
        """
        return critic_step % self.every == 0

    @property
    def effective_weight(self) -> float:
        """The weight the value is multiplied by when it is applied: ``weight * every``."""
        return self.weight * self.every

    def compute(self, step: Step) -> dict[str, Tensor]:
        """The penalty's terms for one critic step.

        Args:
            step: The critic step.

        Returns:
            ``{name: value}`` with the differentiable, unweighted value, plus detached extras.
        """
        raise NotImplementedError

    def __call__(self, step: Step) -> dict[str, Tensor]:
        """Warn once per critic about BatchNorm, then :meth:`compute`."""
        self._warn_on_batch_norm(step.critic)
        return self.compute(step)

    def _warn_on_batch_norm(self, critic: object) -> None:
        if not isinstance(critic, nn.Module) or critic in self._checked:
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

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class GradientPenalty(Penalty):
    """The WGAN-GP penalty at random interpolates (Gulrajani et al., 2017): ``gp``.

    .. math::

        \\mathrm{GP} = \\mathbb{E}_{\\hat{x}}\\big[(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - t)^2\\big],
        \\qquad \\hat{x} = \\epsilon x + (1 - \\epsilon)\\tilde{x}, \\ \\epsilon \\sim U[0, 1] \\text{ per sample}.

    Also reports ``grad_norm``, the mean gradient norm at the interpolates, which should
    settle near (slightly above) ``target``. The paper's weight is λ = 10.

    Args:
        weight: λ.
        every: Lazy interval.
        target: The target norm :math:`t`.
        one_sided: Penalize only norms above the target (see :class:`LipschitzPenalty`).

    Raises:
        ValueError: If ``target`` is not positive and finite.
    """

    name = "gp"

    def __init__(self, weight: float | None = None, every: int = 1, *, target: float = 1.0, one_sided: bool = False) -> None:
        super().__init__(weight, every)
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 < target < math.inf:
            raise ValueError(f"target={target!r} is invalid; expected a positive, finite gradient norm")
        self.target = float(target)
        self.one_sided = one_sided

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

    def __init__(self, weight: float | None = None, every: int = 1) -> None:
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

    def __init__(self, weight: float | None = None, every: int = 1, *, scale: float = 0.5) -> None:
        super().__init__(weight, every, target=1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale < math.inf:
            raise ValueError(f"scale={scale!r} is invalid; expected a finite, non-negative noise scale")
        self.scale = float(scale)

    def points(self, step: Step) -> Tensor:  # noqa: D102
        return perturb(step.require_real(), scale=self.scale)


class R1Penalty(Penalty):
    """The zero-centred R1 penalty on real data (Mescheder et al., 2018): ``r1``.

    .. math::

        R_1 = \\frac{\\gamma}{2}\\, \\mathbb{E}_{x \\sim p_{\\text{data}}}\\big[\\lVert \\nabla_x D(x) \\rVert_2^2\\big].

    ``weight`` is γ; the reported ``r1`` is :math:`\\tfrac{1}{2}\\mathbb{E}\\lVert\\nabla D\\rVert^2`, so
    the term added to the loss is ``weight * r1`` (times ``every`` when lazy). γ = 10 is the
    paper's common choice; StyleGAN2 applies it lazily every 16 steps.

    Args:
        weight: γ.
        every: Lazy interval.
    """

    name = "r1"

    def samples(self, step: Step) -> Tensor:
        """Where the gradient is taken: the real samples.

        Args:
            step: The critic step.

        Returns:
            The samples, shape ``(N, *)``.
        """
        return step.require_real()

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        return {self.name: 0.5 * zero_centered_penalty(step.score, self.samples(step), grad_scale=step.grad_scale)}


class R2Penalty(R1Penalty):
    """The zero-centred R2 penalty on generated data (Mescheder et al., 2018): ``r2``.

    .. math::

        R_2 = \\frac{\\gamma}{2}\\, \\mathbb{E}_{x \\sim p_G}\\big[\\lVert \\nabla_x D(x) \\rVert_2^2\\big].

    Args:
        weight: γ.
        every: Lazy interval.
    """

    name = "r2"

    def samples(self, step: Step) -> Tensor:  # noqa: D102
        return step.fake


PENALTIES: dict[str, type[Penalty]] = {
    cls.name: cls for cls in (GradientPenalty, LipschitzPenalty, DRAGANPenalty, R1Penalty, R2Penalty)
}
"""Registry of penalties by name: ``gp``, ``lp``, ``dragan``, ``r1``, ``r2``."""


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
