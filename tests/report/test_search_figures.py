"""The search's figures: the expected best after k trials (hand-worked and by laws), quartiles, the PNGs."""

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ganlib.report.search import budget_figure, distribution_figure, expected_best, lineage_figure, quartiles

scores = st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=12)


def test_expected_best_by_hand():
    # Two trials scoring 1 and 2 (lower is better): one trial gives 1.5 on average; of two draws
    # the best is 2 only when both are 2 (probability 1/4): 0.75 * 1 + 0.25 * 2 = 1.25.
    assert [round(e, 6) for e, _, _ in expected_best([1.0, 2.0])] == [1.5, 1.25]
    # Higher is better: the mirror image, 1.5 then 0.25 * 1 + 0.75 * 2 = 1.75.
    assert [round(e, 6) for e, _, _ in expected_best([1.0, 2.0], higher_is_better=True)] == [1.5, 1.75]
    # Four trials 1, 2, 3, 5, k = 2: P(best = 1) = 1 - (3/4)^2 = 7/16, P(2) = (3/4)^2 - (1/2)^2 = 5/16,
    # P(3) = (1/2)^2 - (1/4)^2 = 3/16, P(5) = 1/16: 7/16 + 10/16 + 9/16 + 5/16 = 31/16.
    assert expected_best([3.0, 1.0, 2.0, 5.0])[1][0] == pytest.approx(31 / 16)


@given(scores)
def test_expected_best_laws(values):
    curve = expected_best(values, draws=200)
    assert len(curve) == len(values)
    assert curve[0][0] == pytest.approx(statistics.fmean(values), abs=1e-9)  # one trial: the mean
    expected = [e for e, _, _ in curve]
    assert all(b <= a + 1e-9 for a, b in zip(expected, expected[1:], strict=False))  # more trials never hurt
    assert all(min(values) - 1e-9 <= e <= max(values) + 1e-9 for e in expected)
    assert all(low <= high for _, low, high in curve)
    mirrored = expected_best([-v for v in values], higher_is_better=True, draws=200)
    assert [-e for e, _, _ in mirrored] == pytest.approx(expected, abs=1e-9)


def test_quartiles_by_hand():
    assert quartiles([3.0, 1.0, 2.0, 5.0]) == {"best": 1.0, "q1": 1.75, "median": 2.5, "q3": 3.5}
    assert quartiles([3.0, 1.0, 2.0, 5.0], higher_is_better=True)["best"] == 5.0
    assert quartiles([4.0]) == {"best": 4.0, "q1": 4.0, "median": 4.0, "q3": 4.0}


def test_the_figures_are_written(tmp_path):
    groups = {"wgan-gp": [0.3, 0.5, 0.4, 0.9], "hinge": [0.6, 0.2]}
    for path in (budget_figure(groups, tmp_path / "budget.png", "FID"), distribution_figure(groups, tmp_path / "distribution.png", "FID")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curves = {"a": [(10, 0.5), (20, 0.4)], "b": [(10, 0.9), (20, 0.4)]}
    lineage = lineage_figure(curves, {"b": [{"iteration": 20, "from": "a", "settings": {"--lr": "0.001"}}]}, tmp_path / "lineage.png", "FID")
    assert lineage.stat().st_size > 1000
