"""What a logged score means when runs are compared: its direction and its name in tables,
declared by the code that computes it, read by every command that ranks (``study``, the
checkpointer's ``best``).

A run logs its scores as ``score/NAME``. :data:`SCORES` holds each ``NAME``'s
:class:`Score`; the built-in ones are declared below, beside the functions of
:mod:`ganlib.metrics` that compute them, and a plugin that logs a score of its own declares it
the same way::

    from ganlib.metrics import register_score

    register_score("nn_unique", "unique nearest neighbours", higher_is_better=True)

A score nobody declared is ranked lower-is-better, and the commands that rank by it say so.

Example:
    >>> score_of("score/inception_score").higher_is_better, score_of("fid").label
    (True, 'FID')
    >>> best_of("score/classes_covered", [7.0, 10.0, 9.0])
    10.0
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ganlib.registry import Registry

__all__ = ["SCORES", "Score", "best_of", "register_score", "score_of"]


@dataclass(frozen=True)
class Score:
    """How to read one score.

    Attributes:
        label: Its name in tables and plots (``"FID"``).
        higher_is_better: Whether a larger value is better.
        declared: Whether someone declared it (``False`` for a name only seen in a log).
    """

    label: str
    higher_is_better: bool = False
    declared: bool = True


SCORES: Registry[Score] = Registry("score")
"""Declared scores by name, without the ``score/`` prefix: ``fid``, ``inception_score``, ..."""


def register_score(name: str, label: str | None = None, *, higher_is_better: bool = False, replace: bool = False) -> Score:
    """Declare how the score a run logs as ``score/{name}`` is read.

    Args:
        name: The name after ``score/``.
        label: Its name in tables (the name with spaces by default).
        higher_is_better: Whether a larger value is better (lower is, by default).
        replace: Replace an earlier declaration.

    Returns:
        The :class:`Score`.
    """
    score = Score(label or name.replace("_", " "), higher_is_better)
    SCORES.register(name, score, replace=replace, summary=f"{score.label} ({'higher' if higher_is_better else 'lower'} is better)")
    return score


def score_of(metric: str) -> Score:
    """How to read a score.

    Args:
        metric: ``"score/fid"`` or ``"fid"``.

    Returns:
        Its :class:`Score`; for an undeclared one, lower-is-better with ``declared=False``.
    """
    name = metric.removeprefix("score/")
    if name in SCORES:
        return SCORES.get(name)
    return Score(name.replace("_", " "), False, declared=False)


def best_of(metric: str, values: Iterable[float]) -> float:
    """The best of ``values`` by ``metric``'s direction.

    Args:
        metric: The score's name.
        values: Its values.

    Returns:
        The largest for a higher-is-better score, else the smallest.
    """
    return (max if score_of(metric).higher_is_better else min)(values)


register_score("fid", "FID")
register_score("kid", "KID")
register_score("inception_score", "Inception Score", higher_is_better=True)
register_score("classes_covered", "classes covered", higher_is_better=True)
register_score("sliced_wasserstein", "sliced W1")
register_score("modes_covered", "modes covered", higher_is_better=True)
register_score("modes_share_5pct", "modes with 5% of their share", higher_is_better=True)
register_score("modes_kl", "KL to uniform modes")
register_score("distance_to_curve", "distance to the curve")
register_score("curve_coverage", "curve coverage", higher_is_better=True)
register_score("precision", "precision", higher_is_better=True)
register_score("recall", "recall", higher_is_better=True)
register_score("density", "density", higher_is_better=True)
register_score("coverage", "coverage", higher_is_better=True)
register_score("confident_share", "confident share", higher_is_better=True)
register_score("modes_covered_confident", "modes covered confidently", higher_is_better=True)
