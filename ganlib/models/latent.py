"""Walking the latent space: spherical and linear interpolation between noise vectors.

Gaussian noise in many dimensions concentrates on a shell of radius about
:math:`\\sqrt{d}`; the straight line between two such points passes well inside the shell,
where the generator has rarely been trained, so midpoints look washed out. Interpolating
along the great circle (slerp, White, 2016) keeps every point at a typical norm.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["interpolate_latents", "slerp"]


def slerp(a: Tensor, b: Tensor, t: Tensor | float) -> Tensor:
    """Spherical linear interpolation between rows of ``a`` and ``b`` (White, 2016).

    .. math::

        \\operatorname{slerp}(a, b; t) = \\frac{\\sin((1 - t)\\Omega)}{\\sin \\Omega} a
            + \\frac{\\sin(t\\Omega)}{\\sin \\Omega} b, \\qquad
        \\cos\\Omega = \\frac{\\langle a, b \\rangle}{\\lVert a \\rVert \\lVert b \\rVert},

    falling back to linear interpolation where :math:`\\sin\\Omega` is nearly 0: for nearly
    equal directions (:math:`\\Omega \\approx 0`, where the two agree) and for nearly opposite
    ones (:math:`\\Omega \\approx \\pi`, where no great circle is singled out and the path
    passes near the origin).

    Args:
        a: Start points ``(N, D)``.
        b: End points ``(N, D)``.
        t: Position(s) in [0, 1], a scalar or ``(N,)`` or ``(N, 1)``.

    Returns:
        Points ``(N, D)``; ``t = 0`` gives ``a`` and ``t = 1`` gives ``b``.

    Example:
        >>> import torch
        >>> a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
        >>> slerp(a, b, 0.5)  # on the unit circle, not at (0.5, 0.5)
        tensor([[0.7071, 0.7071]])
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    t = t.reshape(-1, 1) if t.ndim else t.expand(len(a), 1)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=1).clamp(-1.0, 1.0).unsqueeze(1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    near = sin.abs() < 1e-6
    safe = torch.where(near, torch.ones_like(sin), sin)
    spherical = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / safe
    return torch.where(near, torch.lerp(a, b, t), spherical)


def interpolate_latents(a: Tensor, b: Tensor, steps: int, method: str = "slerp") -> Tensor:
    """``steps`` points from each row of ``a`` to the same row of ``b``, ends included.

    Args:
        a: Start points ``(N, D)``.
        b: End points ``(N, D)``.
        steps: Points per path, at least 2.
        method: ``"slerp"`` (great circles) or ``"lerp"`` (straight lines).

    Returns:
        ``(N, steps, D)``.

    Raises:
        ValueError: If ``steps`` is below 2 or ``method`` is unknown.

    Example:
        >>> import torch
        >>> interpolate_latents(torch.zeros(3, 4), torch.ones(3, 4), steps=5, method="lerp").shape
        torch.Size([3, 5, 4])
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps={steps!r} is invalid; expected an integer of at least 2")
    if method not in ("slerp", "lerp"):
        raise ValueError(f"method={method!r} is invalid; expected 'slerp' or 'lerp'")
    points = []
    for t in torch.linspace(0.0, 1.0, steps).tolist():
        points.append(slerp(a, b, t) if method == "slerp" else torch.lerp(a, b, t))
    return torch.stack(points, dim=1)
