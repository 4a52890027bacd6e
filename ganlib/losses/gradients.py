"""The functional layer of the gradient penalties: where the gradient is taken, and the penalty of its norm.

The gradient penalty of WGAN-GP (Gulrajani et al., 2017) and its parts, as pure functions.

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
(:func:`zero_centered_penalty`). The penalty objects that weigh and schedule them are in
:mod:`ganlib.losses.penalties`; weight clipping, a constraint, in :mod:`ganlib.losses.constraints`.

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

from collections.abc import Callable

import torch
from torch import Tensor

from ganlib.losses.step import at_least_float32

__all__ = [
    "critic_gradient_norm",
    "critic_input_gradient",
    "gradient_penalty",
    "input_gradient",
    "interpolate",
    "penalty_from_norms",
    "perturb",
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
