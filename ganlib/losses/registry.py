"""Objectives by name: :func:`get_objective` and the registries behind it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ganlib.losses.adversarial import LOSSES
from ganlib.losses.energy import BEGAN, EBGAN
from ganlib.losses.objectives import WGANGP, ComposedObjective, Minimax, NonSaturating, Objective, WGANClip
from ganlib.losses.penalties import PENALTIES, Penalty, WeightClip

__all__ = ["OBJECTIVES", "get_objective"]

OBJECTIVES: dict[str, type[Objective]] = {
    cls.name: cls for cls in (Minimax, NonSaturating, WGANClip, WGANGP, EBGAN, BEGAN)
}
"""Objectives with their own name: the 0.1.0 presets ``minimax``, ``non-saturating``,
``wgan-clip``, ``wgan-gp``, and the energy-based ``ebgan`` and ``began``."""


def _build_penalty(penalty: str | Penalty, weight: float | None, every: int) -> Penalty:
    if isinstance(penalty, Penalty):
        return penalty
    try:
        cls = PENALTIES[penalty]
    except KeyError:
        valid = ", ".join(map(repr, [*PENALTIES, "clip"]))
        raise ValueError(f"penalty {penalty!r} is unknown; valid names are {valid}") from None
    return cls(weight, every)


def get_objective(
    name: str,
    *,
    penalty: str | Penalty | Sequence[str | Penalty] | None = None,
    penalty_weight: float | None = None,
    penalty_every: int = 1,
    clip: float | None = None,
    **kwargs: Any,
) -> Objective:
    """Build an objective by name: a loss, optionally with penalties or weight clipping.

    Args:
        name: An adversarial loss (``minimax``, ``non-saturating``, ``wasserstein``, ``hinge``,
            ``least-squares``, ``relativistic``, ``relativistic-average``), one of the 0.1.0
            presets ``wgan-gp`` (``wasserstein`` + ``gp`` with λ=10) and ``wgan-clip``
            (``wasserstein`` + clipping at 0.01), or an energy-based objective ``ebgan`` or
            ``began`` (for an autoencoder critic; no penalties).
        penalty: A penalty name (``gp``, ``lp``, ``dragan``, ``r1``, ``r2``), ``clip`` for weight
            clipping, a :class:`~ganlib.losses.Penalty`, or a sequence of these.
        penalty_weight: Weight of a penalty given by name (each penalty's paper default when
            ``None``).
        penalty_every: Lazy interval of a penalty given by name: applied every this many
            critic steps with its weight multiplied by it.
        clip: The clipping bound for ``penalty="clip"`` (0.01 when ``None``).
        **kwargs: Passed to the loss (``real_label``, ``a``, ``b``, ``c``) or, for the presets,
            to :class:`WGANGP` (``gp_weight``, ``target``, ``one_sided``) or :class:`WGANClip` (``clip``).

    Returns:
        The objective.

    Raises:
        ValueError: If a name is unknown (the message lists the valid names) or a value is invalid.
        TypeError: If a keyword argument is not accepted by that loss.

    Example:
        >>> get_objective("wgan-gp", gp_weight=5.0)
        WGANGP(gp_weight=5.0, target=1.0, one_sided=False)
        >>> get_objective("hinge", penalty="r1", penalty_weight=1.0, penalty_every=16).name
        'hinge+r1'
    """
    if name in OBJECTIVES and penalty is None and penalty_weight is None and penalty_every == 1 and clip is None:
        return OBJECTIVES[name](**kwargs)
    if name in ("ebgan", "began"):
        raise ValueError(f"objective {name!r} takes no penalty or clipping; its keywords are its own (e.g. margin, gamma)")
    if name in ("wgan-gp", "wgan-clip"):
        if penalty is not None or penalty_weight is not None or penalty_every != 1:
            raise ValueError(f"objective {name!r} is a preset with its own penalty; use name='wasserstein' with penalty=... instead")
        if name == "wgan-clip" and clip is not None:
            kwargs["clip"] = clip
        return OBJECTIVES[name](**kwargs)
    if name not in LOSSES:
        valid = ", ".join(map(repr, [*LOSSES, "wgan-gp", "wgan-clip", "ebgan", "began"]))
        raise ValueError(f"objective {name!r} is unknown; valid names are {valid}")
    loss = LOSSES[name](**kwargs)
    requested = [] if penalty is None else [penalty] if isinstance(penalty, (str, Penalty)) else list(penalty)
    if "clip" not in requested and clip is not None:
        raise ValueError(f"clip={clip!r} was given without penalty='clip'")
    weight_clip = WeightClip(0.01 if clip is None else clip) if "clip" in requested else None
    penalties = [_build_penalty(p, penalty_weight, penalty_every) for p in requested if p != "clip"]
    if weight_clip is not None and (penalty_weight is not None or penalty_every != 1) and not penalties:
        raise ValueError("penalty='clip' takes its bound from clip=..., not penalty_weight or penalty_every")
    return ComposedObjective(loss, penalties, weight_clip)
