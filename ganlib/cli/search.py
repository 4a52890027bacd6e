"""``--search NAME=SPEC``: hyperparameter settings drawn at random, as Lucic et al. (2018) compared GANs.

A study with ``--trials K`` draws K settings of the searched names (the same K for every
objective, so that objectives meet the same draws) and trains each as a configuration. NAME
is any ``train`` option (``lr``, ``n-critic``, ``critic-betas``...) or one key of a
``KEY=VALUE`` option, written ``OPTION.KEY`` (``penalty-arg.weight``, ``critic-arg.slope``);
SPEC is one of

* ``choice:a,b,c``: one of the listed values, equally likely;
* ``uniform:lo:hi``: a real number, uniform in [lo, hi];
* ``loguniform:lo:hi``: a positive real, uniform in log between lo and hi (learning rates);
* ``int:lo:hi``: an integer from lo to hi, both included.

Draws are seeded (``--search-seed``): the same command draws the same settings. ``random``
draws independent points; ``sobol`` draws a scrambled Sobol sequence
(:class:`torch.quasirandom.SobolEngine`), which covers the box more evenly for few trials.
Both map one point of the unit cube to one setting, through :meth:`Spec.value_at`.

Example:
    >>> specs = [parse_search("lr=loguniform:1e-5:1e-3"), parse_search("n-critic=int:1:5")]
    >>> [spec.flag for spec in specs]
    ['--lr', '--n-critic']
    >>> draw(specs, 3, seed=0) == draw(specs, 3, seed=0)
    True
    >>> specs[1].value_at(0.999)
    '5'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "SAMPLERS", "Spec", "draw", "parse_search", "setting_argv", "train_options"]

KINDS = ("choice", "uniform", "loguniform", "int")
"""The kinds of SPEC."""
SAMPLERS = ("random", "sobol")
"""How the trials' points are drawn."""


@dataclass(frozen=True)
class Spec:
    """One searched name and its distribution.

    Attributes:
        name: As typed (``lr``, ``penalty-arg.weight``).
        flag: The ``train`` option (``--lr``, ``--penalty-arg``).
        key: The key within a ``KEY=VALUE`` option, or ``None``.
        kind: One of :data:`KINDS`.
        values: The choices (``choice``), else empty.
        low: The lower bound (``uniform``, ``loguniform``, ``int``).
        high: The upper bound.
    """

    name: str
    flag: str
    key: str | None
    kind: str
    values: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0

    def value_at(self, u: float) -> str:
        """The setting at ``u`` in [0, 1): the same ``u`` always gives the same setting.

        Args:
            u: A point of the unit interval.

        Returns:
            The value, as ``train`` would be given it.
        """
        u = min(max(u, 0.0), math.nextafter(1.0, 0.0))
        if self.kind == "choice":
            return self.values[int(u * len(self.values))]
        if self.kind == "int":
            return str(int(self.low) + int(u * (int(self.high) - int(self.low) + 1)))
        if self.kind == "loguniform":
            return f"{math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))):.6g}"
        return f"{self.low + u * (self.high - self.low):.6g}"

    def domain(self) -> Any:
        """The same distribution as a Ray Tune search space (what population-based training
        resamples from and perturbs within)."""
        from ray import tune

        if self.kind == "choice":
            return list(self.values)
        if self.kind == "int":
            return tune.randint(int(self.low), int(self.high) + 1)
        return (tune.loguniform if self.kind == "loguniform" else tune.uniform)(self.low, self.high)


def _bad(text: str, why: str) -> ValueError:
    return ValueError(f"--search {text!r}: {why}; write NAME=SPEC with SPEC choice:a,b,c, uniform:lo:hi, loguniform:lo:hi or int:lo:hi")


def parse_search(text: str, options: Sequence[str] | None = None, key_value_options: Sequence[str] = ()) -> Spec:
    """Read one ``--search NAME=SPEC``.

    Args:
        text: What was typed.
        options: The ``train`` options NAME may name (``--lr``...), or ``None`` to accept any.
        key_value_options: Those that take ``KEY=VALUE`` (NAME ``OPTION.KEY``).

    Returns:
        The spec.

    Raises:
        ValueError: One line naming what is wrong and what is valid.
    """
    name, sep, spec = text.partition("=")
    name = name.strip().removeprefix("--")
    if not sep or not name or not spec:
        raise _bad(text, "it needs a name, '=' and a spec")
    option, dot, key = name.partition(".")
    flag = f"--{option}"
    if options is not None and flag not in options:
        raise _bad(text, f"{flag} is not a train option (see python -m ganlib train --help)")
    if dot and options is not None and flag not in key_value_options:
        raise _bad(text, f"{flag} takes no KEY=VALUE, so {name} names nothing (KEY=VALUE options: {', '.join(key_value_options)})")
    kind, _, rest = spec.partition(":")
    if kind not in KINDS:
        raise _bad(text, f"the kind {kind!r} is unknown")
    if kind == "choice":
        values = tuple(v.strip() for v in rest.split(",") if v.strip())
        if not values:
            raise _bad(text, "choice: lists no value")
        return Spec(name, flag, key or None, kind, values=values)
    bounds = rest.split(":")
    try:
        low, high = (float(b) for b in bounds)
    except ValueError:
        raise _bad(text, f"{kind}: needs two numbers lo:hi, got {rest!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise _bad(text, f"the bounds {low:g}:{high:g} are not finite with lo <= hi")
    if kind == "loguniform" and low <= 0:
        raise _bad(text, f"loguniform needs positive bounds, got {low:g}")
    if kind == "int" and (low != int(low) or high != int(high)):
        raise _bad(text, "int: needs integer bounds")
    return Spec(name, flag, key or None, kind, low=low, high=high)


def draw(specs: Sequence[Spec], trials: int, seed: int = 0, sampler: str = "random") -> list[dict[str, str]]:
    """``trials`` settings of the specs, reproducibly.

    Args:
        specs: The searched names.
        trials: How many settings.
        seed: The draw's seed.
        sampler: ``random`` (independent uniform points) or ``sobol`` (scrambled Sobol points).

    Returns:
        One ``{name: value}`` per trial.

    Raises:
        ValueError: If the sampler is unknown.
    """
    import torch

    if sampler not in SAMPLERS:
        raise ValueError(f"--sampler {sampler!r} is unknown; valid samplers are {', '.join(SAMPLERS)}")
    if not specs:
        return [{} for _ in range(trials)]
    if sampler == "sobol":
        points = torch.quasirandom.SobolEngine(len(specs), scramble=True, seed=seed).draw(trials, dtype=torch.float64)
    else:
        points = torch.rand(trials, len(specs), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return [{spec.name: spec.value_at(float(u)) for spec, u in zip(specs, row.tolist(), strict=True)} for row in points]


def setting_argv(specs: Sequence[Spec], setting: dict[str, str]) -> list[str]:
    """The ``train`` arguments of one setting (``--lr 0.0002 --penalty-arg weight=5``).

    Args:
        specs: The searched names.
        setting: Their values.

    Returns:
        The arguments.
    """
    argv: list[str] = []
    for spec in specs:
        value = setting[spec.name]
        argv += [spec.flag, f"{spec.key}={value}" if spec.key else value]
    return argv


def train_options() -> tuple[list[str], list[str]]:
    """The ``train`` options a NAME may name, and those of them that take ``KEY=VALUE``.

    Returns:
        The options, and the ``KEY=VALUE`` ones among them.
    """
    import ganlib.cli.train_options as train_options

    parser = train_options.build_parser()
    options = [s for action in parser._actions for s in action.option_strings if s.startswith("--")]
    return options, [option for option in options if option.endswith("-arg")]
