"""The gradient penalty of WGAN-GP (Gulrajani et al., 2017) and its parts.

Algorithm 1 of the paper draws one :math:`\\epsilon \\sim U[0, 1]` **per sample**, forms

.. math::

    \\hat{x} = \\epsilon x + (1 - \\epsilon) \\tilde{x},

and penalizes :math:`(\\lVert \\nabla_{\\hat{x}} D(\\hat{x}) \\rVert_2 - 1)^2`, where the norm is
taken over **all** non-batch axes of each sample's gradient. The gradient is built with
``create_graph=True`` so that the penalty can be differentiated again with respect to the
critic's weights.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["critic_gradient_norm", "gradient_penalty", "interpolate", "penalty_from_norms"]


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
        Detached interpolates of shape ``(N, *)`` that require grad.

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
    if eps is None:
        eps = torch.rand(weight_shape, device=real.device, dtype=real.dtype)
    elif eps.numel() != n or (eps.ndim > 1 and eps.shape != weight_shape):
        raise ValueError(
            f"eps has shape {tuple(eps.shape)}; expected one weight per sample, (N,) or "
            f"{weight_shape}"
        )
    else:
        eps = eps.reshape(weight_shape)
    # lerp(fake, real, eps) = fake + eps * (real - fake) = eps * real + (1 - eps) * fake
    return torch.lerp(fake.detach(), real.detach(), eps).requires_grad_(True)


def critic_gradient_norm(critic: Callable[[Tensor], Tensor], inputs: Tensor) -> Tensor:
    """Per-sample L2 norm of the critic's input gradient, kept differentiable.

    .. math::

        g_i = \\big\\lVert \\nabla_{x} D(x) \\big|_{x = x_i} \\big\\rVert_2,

    the norm taken over every non-batch axis of sample :math:`i`. Each score depends only on
    its own sample (for critics that do not mix the batch), so the gradient of the summed
    scores is the per-sample gradient.

    Args:
        critic: Maps ``(N, *)`` to scores ``(N,)``.
        inputs: Points that require grad, shape ``(N, *)``.

    Returns:
        Gradient norms of shape ``(N,)``, with a graph back to the critic's parameters.

    Raises:
        ValueError: If ``inputs`` does not require grad.
    """
    if not inputs.requires_grad:
        raise ValueError("inputs must require grad; use interpolate() or call .requires_grad_()")
    scores = critic(inputs)
    (grad,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
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
