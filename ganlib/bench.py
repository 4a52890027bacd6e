"""Benchmark suites with published anchors: what ``python -m ganlib bench`` runs and how it reads them.

A :class:`Suite` is a list of :class:`BenchCell`: a ``train`` command (data, recipe, model and
budget), the measures to take from the finished run, and the published figures
(:class:`Anchor`) to set beside them, each with its source and setting. Suites are registered
by name (:data:`BENCH_SUITES`, :func:`register_suite`), so a plugin can add its own.

Built-in suites:

* ``cpu`` (the default): about 30 minutes on a 2-core CPU. Stacked MNIST with the DCGAN of
  the PacGAN/VEEGAN comparison (non-saturating loss), the DCGAN with WGAN-GP and the R3GAN-style
  recipe, and the WGAN-GP paper's toy code on 8 and 25 Gaussians, each for a few minutes of
  training (5 minutes a Stacked-MNIST cell, 6 a toy): far below the papers' budgets, which the
  table says.
* ``paper``: the same cells at the papers' iteration budgets (for ``--device cuda``).
* ``tiny``: seconds, for tests.

Images are judged with :func:`~ganlib.metrics.score_samples` (Stacked MNIST: modes covered and
KL to uniform over 26,000 samples, as VEEGAN and PacGAN count them, plus FID and precision /
recall in the judge's features); toys by the measures their runs log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ganlib.registry import Registry

__all__ = ["BENCH_SUITES", "Anchor", "BenchCell", "Suite", "register_suite"]


@dataclass(frozen=True)
class Anchor:
    """A published figure to set beside a measured one.

    Attributes:
        metric: The measure it compares with (a key of the cell's results, e.g. ``modes_covered``).
        value: The published value.
        method: What produced it in the paper (e.g. ``"DCGAN"``, ``"PacDCGAN2"``).
        source: Paper and table.
        setting: The paper's setting, as far as it differs from ours.
    """

    metric: str
    value: float
    method: str
    source: str
    setting: str = ""


@dataclass(frozen=True)
class BenchCell:
    """One benchmark run and how to read it.

    Attributes:
        name: The cell's name (its run directory under ``OUT/runs``).
        data: The ``--data`` source.
        train: Further ``train`` flags (objective, model, sizes, data arguments).
        measures: For image data, :data:`~ganlib.metrics.SAMPLE_METRICS` names; for toys, the
            ``score/...`` names their runs log.
        samples: Generated samples judged (image data).
        minutes: Training time (``--time-budget``), or ``None`` for the iteration budget only.
        iterations: The iteration budget.
        paper_iterations: The iterations the anchors' paper trained for, when it says.
        anchors: The published figures.
        note: What differs from the papers' setting besides the budget.
    """

    name: str
    data: str
    train: tuple[str, ...]
    measures: tuple[str, ...]
    samples: int = 0
    minutes: float | None = None
    iterations: int = 100_000
    paper_iterations: int | None = None
    anchors: tuple[Anchor, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Suite:
    """A named list of cells.

    Attributes:
        name: The suite's name (``bench --suite NAME``).
        description: One line for ``--help``.
        cells: The cells, run in order.
    """

    name: str
    description: str
    cells: tuple[BenchCell, ...] = field(default=())

    def __post_init__(self) -> None:
        names = [cell.name for cell in self.cells]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"suite {self.name!r} names cells {', '.join(repeated)} more than once")


BENCH_SUITES: Registry[Suite] = Registry("bench suite")
"""Benchmark suites by name: ``cpu`` (default), ``paper`` and ``tiny``."""


def register_suite(suite: Suite, *, replace: bool = False) -> Suite:
    """Register a suite under its name.

    Args:
        suite: The suite.
        replace: Replace another suite of that name.

    Returns:
        The suite.
    """
    if not isinstance(suite, Suite):
        raise TypeError(f"register_suite needs a ganlib.bench.Suite, got {type(suite).__name__}")
    BENCH_SUITES.register(suite.name, suite, replace=replace, summary=suite.description)
    return suite


# --- the published figures ----------------------------------------------------------------------

_PACGAN = "Lin et al. 2018 (PacGAN), Table 2 (the VEEGAN setting); the first four rows from Srivastava et al. 2017 (VEEGAN), Table 2"
_PACGAN_SETTING = "28x28, 128,000 stacked images, 50 epochs at batch 64 (100,000 iterations), 26,000 samples, mean of 10 runs"
_R3GAN = "Huang et al. 2024 (R3GAN), Stacked-MNIST table, config E"

STACKED_DCGAN_ANCHORS = (
    Anchor("modes_covered", 99.0, "DCGAN", _PACGAN, _PACGAN_SETTING),
    Anchor("modes_kl", 3.40, "DCGAN", _PACGAN, _PACGAN_SETTING),
    Anchor("modes_covered", 150.0, "VEEGAN", _PACGAN, _PACGAN_SETTING),
    Anchor("modes_kl", 2.95, "VEEGAN", _PACGAN, _PACGAN_SETTING),
    Anchor("modes_covered", 1000.0, "PacDCGAN2", _PACGAN, _PACGAN_SETTING),
    Anchor("modes_kl", 0.06, "PacDCGAN2", _PACGAN, _PACGAN_SETTING),
)
"""Stacked MNIST, the VEEGAN setting (KL in nats, to the uniform distribution over 1,000 modes)."""

STACKED_R3GAN_ANCHORS = (
    Anchor("modes_covered", 1000.0, "R3GAN", _R3GAN, "32x32, its own budget"),
    Anchor("modes_kl", 0.029, "R3GAN", _R3GAN, "32x32, its own budget"),
)

_TOY_NOTE = (
    "no published number: the WGAN-GP paper shows these toys as critic value surfaces (Gulrajani et al. 2017, Figure 1a); "
    "all modes covered with sliced W1 near that of a fresh real sample is what a converged run gives"
)


def _stacked(name: str, flags: Sequence[str], minutes: float | None, iterations: int, paper: int | None, anchors: tuple[Anchor, ...], note: str) -> BenchCell:
    return BenchCell(
        name, "stacked-mnist", ("--image-size", "32", "--width", "32", "--batch-size", "64", *flags, "--log-every", "50", "--sample-every", "500", "--checkpoint-every", "500"),
        ("modes", "fid", "pr"), 26_000, minutes, iterations, paper, anchors, note,
    )


def _toy(name: str, data: str, extra: Sequence[str], minutes: float | None, iterations: int) -> BenchCell:
    return BenchCell(
        name, data, ("--objective", "wgan-gp-toy", *extra, "--log-every", "50", "--sample-every", "250", "--checkpoint-every", "500"),
        ("score/modes_covered", "score/sliced_wasserstein"), 0, minutes, iterations, 100_000, (), _TOY_NOTE,
    )


def _suite(name: str, description: str, minutes: dict[str, float | None], iterations: dict[str, int]) -> Suite:
    dcgan_note = "ganlib's DCGAN at 32x32 and width 32 (the papers': 28x28, carpedm20's DCGAN)"
    return Suite(name, description, (
        _stacked("stacked-dcgan", ("--objective", "non-saturating"), minutes["stacked"], iterations["stacked"], 100_000, STACKED_DCGAN_ANCHORS, dcgan_note),
        _stacked("stacked-dcgan-wgan-gp", ("--objective", "wgan-gp"), minutes["stacked"], iterations["stacked"], None, (), "WGAN-GP's recipe (n_critic 5, layer-norm critic); no anchor in the same setting"),
        _stacked("stacked-r3gan", ("--objective", "r3gan"), minutes["stacked"], iterations["stacked"], None, STACKED_R3GAN_ANCHORS, "ganlib's R3GAN-style backbone at width 32, gamma 0.05"),
        _toy("8gaussians-wgan-gp", "8gaussians", (), minutes["toy"], iterations["toy"]),
        _toy("25gaussians-wgan-gp", "25gaussians", ("--data-arg", "points=100000", "--data-arg", "reshuffle=false"), minutes["toy"], iterations["toy"]),
    ))


register_suite(_suite("cpu", "about 30 minutes on a 2-core CPU: Stacked MNIST (DCGAN, WGAN-GP, R3GAN) for 5 minutes each, two WGAN-GP toys for 6",
                      {"stacked": 5.0, "toy": 6.0}, {"stacked": 100_000, "toy": 100_000}))
register_suite(_suite("paper", "the papers' iteration budgets (100,000 each; for --device cuda)", {"stacked": None, "toy": None}, {"stacked": 100_000, "toy": 100_000}))


def _tiny() -> Suite:
    stacked = _stacked("stacked-dcgan", ("--objective", "non-saturating", "--data-arg", "size=640"), None, 2, 100_000, STACKED_DCGAN_ANCHORS, "a smoke test")
    toy = _toy("8gaussians-wgan-gp", "8gaussians", ("--width", "16", "--batch-size", "64"), None, 3)
    return Suite("tiny", "seconds: a smoke test of the machinery", (
        BenchCell(stacked.name, stacked.data, stacked.train, ("modes", "pr"), 200, None, 2, 100_000, stacked.anchors, stacked.note),
        toy,
    ))


register_suite(_tiny())


def budget_note(cell: BenchCell, iterations: int, seconds: float) -> str:
    """How the budget spent compares with the paper's, said plainly.

    Args:
        cell: The cell.
        iterations: Iterations the run reached.
        seconds: Its training time.

    Returns:
        For example ``"3,412 iterations in 390 s: 3.4% of the paper's 100,000 (far below)"``.

    Example:
        >>> cell = BenchCell("c", "mnist", (), (), paper_iterations=100_000)
        >>> budget_note(cell, 3412, 390.0)
        "3,412 iterations in 390 s: 3.4% of the paper's 100,000 (far below it)"
    """
    spent = f"{iterations:,} iterations in {seconds:.0f} s"
    if not cell.paper_iterations:
        return f"{spent} (the paper's budget is not stated here)"
    share = iterations / cell.paper_iterations
    verdict = " (far below it)" if share < 0.25 else " (below it)" if share < 1 else ""
    return f"{spent}: {100 * share:.1f}% of the paper's {cell.paper_iterations:,}{verdict}"


def anchors_for(cell: BenchCell, metric: str) -> list[Anchor]:
    """The cell's published figures for one measure."""
    return [a for a in cell.anchors if a.metric == metric]


def format_value(value: Any) -> str:
    """A measured or published value for the table."""
    if isinstance(value, bool) or value is None:
        return "--"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 10):
        return f"{value:,.0f}" if abs(value) >= 10 else str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
