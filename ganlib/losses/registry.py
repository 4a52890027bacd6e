"""Objectives by name: :data:`OBJECTIVES`, and :func:`get_objective` with its one lookup rule.

Every name :func:`get_objective` accepts is an objective, found one way: a name registered in
:data:`OBJECTIVES`, else an adversarial loss (:data:`~ganlib.losses.LOSSES`), which is the
objective of that loss with no penalties. An objective is a loss plus penalties plus
constraints; a named one that is exactly that is a :class:`Composition` (``wgan-gp`` is
``wasserstein`` + ``gp`` at 10, ``wgan-clip`` is ``wasserstein`` + the clip constraint at
0.01), and penalties asked for are added to its own. Only an objective that is not a loss plus
penalties (EBGAN's and BEGAN's energies) is registered as a class of its own.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ganlib.losses.adversarial import LOSSES
from ganlib.losses.energy import BEGAN, EBGAN
from ganlib.losses.objectives import ComposedObjective, Objective
from ganlib.losses.constraints import WeightClip
import ganlib.losses.drift  # noqa: F401  (registers epsilon-drift, which pggan composes)
from ganlib.losses.penalties import PENALTIES, Penalty
from ganlib.registry import Registry, check_kwargs

__all__ = ["OBJECTIVES", "Composition", "get_objective", "objective_names", "register_objective"]

OBJECTIVES: Registry[Callable[..., Objective]] = Registry("objective")
"""Objectives with a name of their own: the compositions ``wgan-gp`` and ``wgan-clip``, the
energy-based ``ebgan`` and ``began``, and those given to :func:`register_objective`. An entry's
``critic`` metadata says what its critic returns: ``"scores"`` (a classifier-like critic) or
``"autoencoder"`` (reconstructions); ``composition`` is ``(loss, *penalties)`` for a loss plus
penalties."""


@dataclass(frozen=True)
class Composition:
    """A named objective that is a loss plus penalties and constraints, built by name.

    Attributes:
        loss: The adversarial loss's name.
        penalties: Its penalties' names (``"clip"`` is the weight-clipping constraint).
        weight: The weight of its own penalties (each penalty's paper default when ``None``).
        clip: The clip constraint's bound, when ``"clip"`` is among ``penalties``.
        renamed: Keywords of an earlier version and the penalty argument each became
            (``{"gp_weight": "gp.weight"}``); given, they warn and are routed there.

    Example:
        >>> Composition("wasserstein", ("gp",), weight=10.0)().name
        'wasserstein+gp'
        >>> Composition("wasserstein", ("gp",), weight=10.0)(penalty="lecam").name
        'wasserstein+gp+lecam'
    """

    loss: str
    penalties: tuple[str, ...] = ()
    weight: float | None = None
    clip: float | None = None
    renamed: Mapping[str, str] = field(default_factory=dict)

    def __call__(
        self,
        *,
        penalty: str | Penalty | Sequence[str | Penalty] | None = None,
        penalty_weight: float | None = None,
        penalty_every: int = 1,
        penalty_args: Mapping[str, Any] | None = None,
        clip: float | None = None,
        **kwargs: Any,
    ) -> ComposedObjective:
        """The objective, with the penalties asked for added to its own (see :func:`get_objective`)."""
        args = dict(penalty_args or {})
        for old, new in self.renamed.items():
            if old in kwargs:
                warnings.warn(
                    f"{old}= of this objective is now the penalty argument {new!r} (penalty_args={{{new!r}: ...}}, "
                    f"--penalty-arg {new}=... on the command line); {old}= goes in ganlib 0.6",
                    DeprecationWarning, stacklevel=3,
                )
                args[new] = kwargs.pop(old)
        asked = _as_list(penalty)
        requested = [*self.penalties, *(p for p in asked if not (isinstance(p, str) and p in self.penalties))]
        if self.weight is not None and penalty_weight is None:  # its own weight, unless another is given
            args = {**{f"{p}.weight": self.weight for p in self.penalties if p != WeightClip.name}, **args}
        bound = clip if clip is not None else self.clip
        return _compose(self.loss, requested, penalty_weight, penalty_every, args, bound, kwargs)


def _as_list(penalty: str | Penalty | Sequence[str | Penalty] | None) -> list[str | Penalty]:
    return [] if penalty is None else [penalty] if isinstance(penalty, (str, Penalty)) else list(penalty)


def register_objective(
    name: str,
    builder: Callable[..., Objective] | None = None,
    *,
    critic: str = "scores",
    composition: Composition | tuple[str, ...] | None = None,
    replace: bool = False,
) -> Any:
    """Register an objective under ``name`` (a decorator when ``builder`` is omitted).

    An objective that is a loss plus penalties is registered as a :class:`Composition`, with no
    class: ``register_objective("wgan-gp", composition=Composition("wasserstein", ("gp",), weight=10.0))``.

    Args:
        name: The name, e.g. ``"my-objective"``; it becomes a valid ``--objective``.
        builder: A class or function returning an :class:`~ganlib.losses.Objective`; its
            keyword arguments are the objective's settings. Omit it for a composition.
        critic: What the objective's critic returns: ``"scores"`` or ``"autoencoder"``
            (the command line then builds an autoencoder critic).
        composition: The loss and penalties it is, as a :class:`Composition` or a tuple
            ``(loss, *penalties)``. With a builder, the builder makes the objective when no
            penalty is asked for, and the composition (plus those asked for) when one is.
        replace: Replace another objective registered under ``name``.

    Returns:
        The builder unchanged (the composition when there is none), or the decorator.

    Raises:
        ValueError: If ``name`` is taken, or is a loss's name (a loss is an objective already).
    """
    if critic not in ("scores", "autoencoder"):
        raise ValueError(f"critic={critic!r} is invalid; expected 'scores' or 'autoencoder'")
    if name in LOSSES:
        raise ValueError(f"objective {name!r} is the loss {name!r}, which is an objective already; pick another name")
    if isinstance(composition, tuple):
        if len(composition) < 1 or not all(isinstance(part, str) for part in composition):
            raise ValueError(f"composition={composition!r} is invalid; expected (loss, *penalties) names or a Composition")
        composition = Composition(composition[0], tuple(composition[1:]))
    declared = None if composition is None else (composition.loss, *composition.penalties)
    if builder is None and composition is not None:
        return OBJECTIVES.register(name, composition, replace=replace, critic=critic, composition=declared)
    return OBJECTIVES.register(name, builder, replace=replace, critic=critic, composition=declared, composed=composition)


register_objective("wgan-clip", composition=Composition("wasserstein", (WeightClip.name,), clip=0.01))
register_objective(
    "wgan-gp",
    composition=Composition("wasserstein", ("gp",), weight=10.0, renamed={"gp_weight": "gp.weight", "target": "gp.target", "one_sided": "gp.one_sided"}),
)
register_objective("pggan", composition=Composition("wasserstein", ("gp", "epsilon-drift")))  # lambda 10, epsilon 0.001: each's default
register_objective(EBGAN.name, EBGAN, critic="autoencoder")
register_objective(BEGAN.name, BEGAN, critic="autoencoder")


def objective_names() -> list[str]:
    """Every name :func:`get_objective` accepts.

    Returns:
        The named objectives, then the losses (each an objective with no penalties).
    """
    return [*OBJECTIVES.names(), *LOSSES.names()]


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
    """Build an objective by name: a loss or a named objective, with any penalties added.

    One rule finds the name: :data:`OBJECTIVES` (the compositions ``wgan-gp``, ``wasserstein`` +
    ``gp`` with λ=10, and ``wgan-clip``, ``wasserstein`` + clipping at 0.01; the energy-based
    ``ebgan`` and ``began``, which take no penalties; any name given to
    :func:`register_objective`), else an adversarial loss (``minimax``, ``non-saturating``,
    ``wasserstein``, ``hinge``, ``least-squares``, ``relativistic``, ``relativistic-average``, or
    one given to :func:`~ganlib.losses.register_loss`). Penalties asked for are added to a
    composition's own, never put in their place; ``penalty_weight`` sets the weight of all of
    them.

    Args:
        name: The objective's name.
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
        **kwargs: Passed to the loss (``real_label``, ``a``, ``b``, ``c``) or to an objective
            of its own (``margin``, ``gamma`` ...).

    Returns:
        The objective.

    Raises:
        ValueError: If a name is unknown (the message lists the valid names) or a value or
            argument is invalid (the message names it).

    Example:
        >>> get_objective("wgan-gp", penalty_weight=5.0).penalties
        (GradientPenalty(weight=5.0, every=1, target=1.0, one_sided=False),)
        >>> get_objective("wgan-gp", penalty="lecam").name
        'wasserstein+gp+lecam'
        >>> get_objective("hinge", penalty="r1", penalty_weight=1.0, penalty_every=16).name
        'hinge+r1'
        >>> get_objective("hinge", penalty="lecam", penalty_args={"decay": 0.9}).penalties[0].decay
        0.9
    """
    options = penalty is not None or penalty_weight is not None or penalty_every != 1 or clip is not None or bool(penalty_args)
    if name in OBJECTIVES:
        entry = OBJECTIVES.entry(name)
        composition = entry.obj if isinstance(entry.obj, Composition) else entry.metadata.get("composed")
        if composition is None:
            if options:
                raise ValueError(f"objective {name!r} takes no penalty or clipping (it is not a loss plus penalties); its keywords are its own")
            return OBJECTIVES.build(name, **kwargs)
        if options or entry.obj is composition:
            return composition(penalty=penalty, penalty_weight=penalty_weight, penalty_every=penalty_every, penalty_args=penalty_args, clip=clip, **kwargs)
        return OBJECTIVES.build(name, **kwargs)
    if name not in LOSSES:
        raise ValueError(f"objective {name!r} is unknown; valid names are {', '.join(map(repr, objective_names()))}")
    return _compose(name, _as_list(penalty), penalty_weight, penalty_every, dict(penalty_args or {}), clip, kwargs)


def _compose(
    loss_name: str, requested: list[str | Penalty], weight: float | None, every: int, penalty_args: dict[str, Any], clip: float | None, kwargs: dict[str, Any],
) -> ComposedObjective:
    """The loss ``loss_name`` plus the penalties ``requested`` (``"clip"`` is the clip constraint)."""
    loss = LOSSES.build(loss_name, **kwargs)
    if WeightClip.name not in requested and clip is not None:
        raise ValueError(f"clip={clip!r} was given without penalty='clip'")
    weight_clip = WeightClip(0.01 if clip is None else clip) if WeightClip.name in requested else None
    by_name = [p for p in requested if isinstance(p, str) and p != WeightClip.name]
    if penalty_args and not by_name:
        raise ValueError(f"penalty arguments {sorted(penalty_args)} were given without a penalty by name")
    routed = _split_args(by_name, penalty_args)
    penalties = [_build_penalty(p, weight, every, routed.get(p, {}) if isinstance(p, str) else {}) for p in requested if p != WeightClip.name]
    if weight_clip is not None and (weight is not None or every != 1) and not penalties:
        raise ValueError("penalty='clip' takes its bound from clip=..., not penalty_weight or penalty_every")
    return ComposedObjective(loss, penalties, weight_clip)
