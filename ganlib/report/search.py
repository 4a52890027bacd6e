"""What a hyperparameter search found, drawn as Lucic et al. (2018) drew it.

* :func:`expected_best`: the best score one can expect from a search of k trials, k = 1...K,
  estimated from the K trials run: the exact expectation of the best of k draws with
  replacement, and a bootstrap band (the 10th to 90th percentile of the best of k resampled
  trials: how much a k-trial search could vary). Their Figure 4 draws this curve per model.
* :func:`budget_figure` (``budget.png``) draws those curves, one per objective;
  :func:`distribution_figure` (``distribution.png``) the scores of every trial, per objective,
  as box plots with the trials as points (their Figure 3).
* :func:`lineage_figure` (``lineage.png``) draws a population-based study: each cell's score
  over iterations, with a star where it copied another cell's checkpoint.
* :func:`quartiles` gives the table's best, quartiles and median.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ganlib._files import write_atomically

__all__ = ["budget_figure", "distribution_figure", "expected_best", "lineage_figure", "quartiles"]


def expected_best(scores: Sequence[float], higher_is_better: bool = False, draws: int = 2000, seed: int = 0) -> list[tuple[float, float, float]]:
    """The expected best score of a search of k trials, for k = 1 ... len(scores).

    The trials run are taken as the distribution of a trial's score. With s_(1) <= ... <=
    s_(K) sorted best first, the best of k draws with replacement is s_(i) with probability
    ((K-i+1)/K)^k - ((K-i)/K)^k, which gives the expectation exactly; the band is the 10th and
    90th percentile of the best of k trials resampled ``draws`` times.

    Args:
        scores: One score per trial (finite).
        higher_is_better: The score's direction.
        draws: Bootstrap resamples per k.
        seed: The resampling's seed.

    Returns:
        ``(expected, low, high)`` for k = 1 ... K.

    Raises:
        ValueError: If there are no scores.

    Example:
        >>> [round(e, 4) for e, _, _ in expected_best([1.0, 2.0])]  # k=2: the best is 1 unless both draws are 2
        [1.5, 1.25]
    """
    import torch

    if not scores:
        raise ValueError("expected_best needs at least one score")
    sign = -1.0 if higher_is_better else 1.0
    ordered = sorted(sign * float(s) for s in scores)  # best first, as if lower were better
    count = len(ordered)
    values = torch.tensor(ordered, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    curve = []
    for k in range(1, count + 1):
        weights = [((count - i) / count) ** k - ((count - i - 1) / count) ** k for i in range(count)]
        expected = sum(w * v for w, v in zip(weights, ordered, strict=True))
        picks = torch.randint(count, (draws, k), generator=generator)
        best = values[picks].min(dim=1).values
        low, high = torch.quantile(best, torch.tensor([0.1, 0.9], dtype=torch.float64)).tolist()
        curve.append((sign * expected, *sorted((sign * low, sign * high))))
    return curve


def quartiles(values: Sequence[float], higher_is_better: bool = False) -> dict[str, float]:
    """Best, first quartile, median and third quartile of the trials' scores.

    Args:
        values: The scores.
        higher_is_better: Which end is the best.

    Returns:
        ``{"best", "q1", "median", "q3"}`` (quartiles by the inclusive method; one value gives it four times).
    """
    ordered = sorted(values)
    if len(ordered) == 1:
        return dict.fromkeys(("best", "q1", "median", "q3"), ordered[0])
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {"best": ordered[-1] if higher_is_better else ordered[0], "q1": q1, "median": median, "q3": q3}


def _figure(width: float = 7.0, height: float = 4.4) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    return path


def budget_figure(groups: Mapping[str, Sequence[float]], path: Path, label: str, higher_is_better: bool = False) -> Path:
    """``budget.png``: for each group (objective), the expected best score after k trials.

    Args:
        groups: Each group's trial scores.
        path: Where to write the PNG (atomically).
        label: The score's name on the axis.
        higher_is_better: The score's direction.

    Returns:
        The path.
    """
    fig, ax = _figure()
    for name, scores in sorted(groups.items()):
        if not scores:
            continue
        curve = expected_best(scores, higher_is_better)
        ks = list(range(1, len(curve) + 1))
        (line,) = ax.plot(ks, [c[0] for c in curve], marker="o", ms=3, lw=1.4, label=f"{name} ({len(scores)} trials)")
        ax.fill_between(ks, [c[1] for c in curve], [c[2] for c in curve], color=line.get_color(), alpha=0.18, lw=0)
    ax.set_xlabel("budget: trials (hyperparameter settings) tried")
    ax.set_ylabel(f"expected best {label}")
    ax.set_title("expected best score after k trials (band: 10th-90th percentile, bootstrap)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def distribution_figure(groups: Mapping[str, Sequence[float]], path: Path, label: str) -> Path:
    """``distribution.png``: each group's trial scores, a box plot with every trial as a point.

    Args:
        groups: Each group's trial scores.
        path: Where to write the PNG (atomically).
        label: The score's name on the axis.

    Returns:
        The path.
    """
    import torch

    names = [name for name, scores in sorted(groups.items()) if scores]
    fig, ax = _figure(max(4.0, 1.6 * len(names) + 2.0))
    ax.boxplot([list(groups[n]) for n in names], widths=0.5, showfliers=False)
    jitter = torch.Generator().manual_seed(0)
    for place, name in enumerate(names, start=1):
        scores = list(groups[name])
        offsets = (torch.rand(len(scores), generator=jitter) - 0.5) * 0.25
        ax.scatter([place + float(o) for o in offsets], scores, s=14, alpha=0.75, zorder=3)
    ax.set_xticks(range(1, len(names) + 1), names, fontsize=8)
    ax.set_ylabel(label)
    ax.set_title("score of every trial (box: quartiles and median)", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def lineage_figure(curves: Mapping[str, Sequence[tuple[int, float]]], adoptions: Mapping[str, Sequence[Mapping[str, Any]]], path: Path, label: str) -> Path:
    """``lineage.png``: each cell's score over iterations, and every checkpoint it copied.

    Args:
        curves: Each cell's ``(iteration, score)`` points.
        adoptions: Each cell's lineage entries (``{"iteration", "from", "settings"}``).
        path: Where to write the PNG (atomically).
        label: The score's name on the axis.

    Returns:
        The path.
    """
    fig, ax = _figure(7.5, 4.6)
    colours = {}
    for name, points in sorted(curves.items()):
        if points:
            (line,) = ax.plot([p[0] for p in points], [p[1] for p in points], lw=1.3, marker="o", ms=2.5, label=name)
            colours[name] = line.get_color()
    for name, entries in adoptions.items():
        for entry in entries:
            donor = dict(curves.get(entry["from"], ()))
            at = entry["iteration"]
            if at in donor:
                ax.plot([at], [donor[at]], marker="*", ms=10, color=colours.get(name, "k"), zorder=4)
                settings = ", ".join(f"{k.removeprefix('--')}={v}" for k, v in entry.get("settings", {}).items())
                ax.annotate(f"{name} <- {entry['from']}\n{settings}", (at, donor[at]), fontsize=6, xytext=(4, 6), textcoords="offset points")
    ax.set_xlabel("generator iteration")
    ax.set_ylabel(label)
    ax.set_title("population-based training: stars mark a cell copying another's checkpoint", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)
