"""Objectives by name: :func:`get_objective`, and the registry of named objectives behind it.

Three registries meet here: adversarial losses (:data:`~ganlib.losses.LOSSES`, composed with
any penalties), penalties (:data:`~ganlib.losses.PENALTIES`), and objectives that have a name
of their own (:data:`OBJECTIVES`: the 0.1.0 presets, the energy-based objectives, and those
given to :func:`register_objective`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ganlib.losses.adversarial import LOSSES
from ganlib.losses.energy import BEGAN, EBGAN
from ganlib.losses.objectives import WGANGP, ComposedObjective, Minimax, NonSaturating, Objective, WGANClip
from ganlib.losses.constraints import WeightClip
from ganlib.losses.penalties import PENALTIES, Penalty
from ganlib.registry import Registry, check_kwargs

__all__ = ["OBJECTIVES", "get_objective", "objective_names", "register_objective"]

OBJECTIVES: Registry[Callable[..., Objective]] = Registry("objective")
"""Objectives with a name of their own: the 0.1.0 presets ``minimax``, ``non-saturating``,
``wgan-clip``, ``wgan-gp``, the energy-based ``ebgan`` and ``began``, and those given to
:func:`register_objective`. An entry's ``critic`` metadata says what its critic returns:
``"scores"`` (a classifier-like critic) or ``"autoencoder"`` (reconstructions)."""


def register_objective(
    name: str, builder: Callable[..., Objective] | None = None, *, critic: str = "scores", composition: tuple[str, str] | None = None, replace: bool = False,
) -> Any:
    """Register an objective class or builder under ``name`` (a decorator when ``builder`` is omitted).

    Args:
        name: The name, e.g. ``"my-objective"``; it becomes a valid ``--objective``.
        builder: A class or function returning an :class:`~ganlib.losses.Objective`; its
            keyword arguments are the objective's settings.
        critic: What the objective's critic returns: ``"scores"`` or ``"autoencoder"``
            (the command line then builds an autoencoder critic).
        composition: ``(loss, penalty)`` that it is, spelled out (``wgan-gp`` is
            ``("wasserstein", "gp")``): the command line spells it so when a penalty option is
            given, so that the option applies.
        replace: Replace another objective registered under ``name``.

    Returns:
        The builder unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken. (A loss and a named objective may share a name, as
            ``minimax`` does: without penalties the named objective is built, with them the loss.)
    """
    if critic not in ("scores", "autoencoder"):
        raise ValueError(f"critic={critic!r} is invalid; expected 'scores' or 'autoencoder'")
    return OBJECTIVES.register(name, builder, replace=replace, critic=critic, composition=composition)


for _objective in (Minimax, NonSaturating):
    register_objective(_objective.name, _objective)
register_objective(WGANClip.name, WGANClip, composition=("wasserstein", "clip"))
register_objective(WGANGP.name, WGANGP, composition=("wasserstein", "gp"))
register_objective(EBGAN.name, EBGAN, critic="autoencoder")
register_objective(BEGAN.name, BEGAN, critic="autoencoder")


def objective_names() -> list[str]:
    """Every name :func:`get_objective` accepts.

    Returns:
        The named objectives, then the losses that are not also named objectives.
    """
    return [*OBJECTIVES.names(), *(n for n in LOSSES.names() if n not in OBJECTIVES)]


def _split_args(names: list[str], args: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Route ``KEY=VALUE`` (to every penalty that takes it) and ``NAME.KEY=VALUE`` (to one)."""
    routed: dict[str, dict[str, Any]] = {name: {} for name in names}
    for key, value in args.items():
        owner, dot, field = key.partition(".")
        if dot:
            if owner not in routed:
                raise ValueError(f"penalty argument {key!r} names penalty {owner!r}, which is not among {names}")
            routed[owner][field] = value
            continue
        takers = [n for n in names if _accepts(PENALTIES.get(n), key)]
        if not takers:
            raise ValueError(f"penalty argument {key!r} is taken by none of {names}; " + "; ".join(_arguments(n) for n in names))
        for name in takers:
            routed[name][key] = value
    return routed


def _accepts(cls: type, key: str) -> bool:
    try:
        check_kwargs("", cls, {key: None})
    except ValueError:
        return False
    return True


def _arguments(name: str) -> str:
    import inspect

    parameters = [k for k in inspect.signature(PENALTIES.get(name)).parameters if k != "self"]
    return f"{name} takes {', '.join(parameters)}"


def _build_penalty(penalty: str | Penalty, weight: float | None, every: int, args: Mapping[str, Any]) -> Penalty:
    if isinstance(penalty, Penalty):
        return penalty
    if penalty not in PENALTIES:
        valid = ", ".join(map(repr, [*PENALTIES.names(), "clip"]))
        raise ValueError(f"penalty {penalty!r} is unknown; valid names are {valid}")
    arguments = {"weight": weight, "every": every, **args}
    return PENALTIES.build(penalty, **arguments)


def get_objective(
    name: str,
    *,
    penalty: str | Penalty | Sequence[str | Penalty] | None = None,
    penalty_weight: float | None = None,
    penalty_every: int = 1,
    penalty_args: Mapping[str, Any] | None = None,
    clip: float | None = None,
    **kwargs: Any,
) -> Objective:
    """Build an objective by name: a loss, optionally with penalties or weight clipping.

    Args:
        name: An adversarial loss (``minimax``, ``non-saturating``, ``wasserstein``, ``hinge``,
            ``least-squares``, ``relativistic``, ``relativistic-average``, or one given to
            :func:`~ganlib.losses.register_loss`), one of the 0.1.0 presets ``wgan-gp``
            (``wasserstein`` + ``gp`` with λ=10) and ``wgan-clip`` (``wasserstein`` + clipping at
            0.01), an energy-based objective ``ebgan`` or ``began`` (for an autoencoder critic;
            no penalties), or any name given to :func:`register_objective`.
        penalty: A penalty name (``gp``, ``lp``, ``dragan``, ``r1``, ``r2``, ``lecam``, or one
            given to :func:`~ganlib.losses.register_penalty`), ``clip`` for weight clipping, a
            :class:`~ganlib.losses.Penalty`, or a sequence of these.
        penalty_weight: Weight of the penalties given by name (each penalty's paper default
            when ``None``).
        penalty_every: Lazy interval of the penalties given by name: applied every this many
            steps with the weight multiplied by it.
        penalty_args: The penalties' own parameters: ``{"decay": 0.9}`` goes to every
            penalty that takes ``decay``; ``{"lecam.decay": 0.9}`` to ``lecam`` only.
        clip: The clipping bound for ``penalty="clip"`` (0.01 when ``None``).
        **kwargs: Passed to the loss (``real_label``, ``a``, ``b``, ``c``) or to a named
            objective (``gp_weight``, ``clip``, ``margin``, ``gamma`` ...).

    Returns:
        The objective.

    Raises:
        ValueError: If a name is unknown (the message lists the valid names) or a value or
            argument is invalid (the message names it).

    Example:
        >>> get_objective("wgan-gp", gp_weight=5.0)
        WGANGP(gp_weight=5.0, target=1.0, one_sided=False)
        >>> get_objective("hinge", penalty="r1", penalty_weight=1.0, penalty_every=16).name
        'hinge+r1'
        >>> get_objective("hinge", penalty="lecam", penalty_args={"decay": 0.9}).penalties[0].decay
        0.9
    """
    penalty_args = dict(penalty_args or {})
    named = name in OBJECTIVES
    if named and penalty is None and penalty_weight is None and penalty_every == 1 and clip is None and not penalty_args:
        return OBJECTIVES.build(name, **kwargs)
    if named and OBJECTIVES.entry(name).metadata.get("critic") == "autoencoder":
        raise ValueError(f"objective {name!r} takes no penalty or clipping; its keywords are its own (e.g. margin, gamma)")
    if name in ("wgan-gp", "wgan-clip"):
        if penalty is not None or penalty_weight is not None or penalty_every != 1 or penalty_args:
            raise ValueError(f"objective {name!r} is a preset with its own penalty; use name='wasserstein' with penalty=... instead")
        if name == "wgan-clip" and clip is not None:
            kwargs["clip"] = clip
        return OBJECTIVES.build(name, **kwargs)
    if named and name not in LOSSES:
        raise ValueError(f"objective {name!r} is a named objective and takes no penalty; compose a loss (e.g. 'hinge') with penalties instead")
    if name not in LOSSES:
        raise ValueError(f"objective {name!r} is unknown; valid names are {', '.join(map(repr, objective_names()))}")
    loss = LOSSES.build(name, **kwargs)
    requested = [] if penalty is None else [penalty] if isinstance(penalty, (str, Penalty)) else list(penalty)
    if "clip" not in requested and clip is not None:
        raise ValueError(f"clip={clip!r} was given without penalty='clip'")
    weight_clip = WeightClip(0.01 if clip is None else clip) if "clip" in requested else None
    by_name = [p for p in requested if isinstance(p, str) and p != "clip"]
    if penalty_args and not by_name:
        raise ValueError(f"penalty arguments {sorted(penalty_args)} were given without a penalty by name")
    routed = _split_args(by_name, penalty_args)
    penalties = [_build_penalty(p, penalty_weight, penalty_every, routed.get(p, {}) if isinstance(p, str) else {}) for p in requested if p != "clip"]
    if weight_clip is not None and (penalty_weight is not None or penalty_every != 1) and not penalties:
        raise ValueError("penalty='clip' takes its bound from clip=..., not penalty_weight or penalty_every")
    return ComposedObjective(loss, penalties, weight_clip)
