"""``ganlib bench``: a suite of cells run like a study, judged once, tabled beside the published figures."""

import json

import pytest

from ganlib.bench import BENCH_SUITES, BenchCell, Suite, budget_note
from ganlib.cli import main


def test_bench_help_lists_the_suites(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and all(name in out for name in ("cpu", "paper", "tiny"))


def test_the_tiny_suite_writes_its_table_with_the_anchors_and_resumes(mnist_root, tmp_path):
    out = tmp_path / "bench"
    argv = ["bench", "--suite", "tiny", "--out", str(out), "--data-root", str(mnist_root), "--device", "cpu", "--threads", "1"]
    assert main(argv) == 0
    table = (out / "results.md").read_text()
    assert "| cell | measure | measured | rank | real data | published (method) | budget here |" in table
    assert "99 (DCGAN); 150 (VEEGAN); 1,000 (PacDCGAN2)" in table and "Lin et al. 2018 (PacGAN), Table 2" in table
    assert "0.0% of the paper's 100,000 (far below it)" in table
    rows = json.loads((out / "results.json").read_text())["rows"]
    by_metric = {(r["cell"], r["metric"]): r for r in rows}
    kl = by_metric["stacked-dcgan", "modes_kl"]
    assert [a["value"] for a in kl["published"]] == [3.40, 2.95, 0.06] and 0 <= kl["measured"] <= 6.91
    assert by_metric["8gaussians-wgan-gp", "score/sliced_wasserstein"]["real_data"] < by_metric["8gaussians-wgan-gp", "score/sliced_wasserstein"]["measured"]
    checkpoint = out / "runs" / "stacked-dcgan" / "checkpoints" / "latest.pt"
    written = checkpoint.stat().st_mtime_ns
    assert main(argv) == 0  # done cells are skipped, their results read back
    assert checkpoint.stat().st_mtime_ns == written


def test_unknown_cells_are_named(tmp_path, capsys):
    assert main(["bench", "--suite", "tiny", "--cells", "nope", "--out", str(tmp_path / "b")]) == 2
    assert "--cells nope: not in suite 'tiny', whose cells are stacked-dcgan, 8gaussians-wgan-gp" in capsys.readouterr().err


def test_budget_notes_say_how_far_below_the_paper():
    cell = BenchCell("c", "mnist", (), (), paper_iterations=100_000)
    assert budget_note(cell, 50_000, 10.0).endswith("50.0% of the paper's 100,000 (below it)")
    assert budget_note(cell, 100_000, 10.0).endswith("100.0% of the paper's 100,000")
    assert "not stated" in budget_note(BenchCell("c", "mnist", (), ()), 5, 1.0)


def test_a_suite_names_each_cell_once():
    cell = BENCH_SUITES["tiny"].cells[0]
    with pytest.raises(ValueError, match="names cells stacked-dcgan more than once"):
        Suite("twice", "", (cell, cell))


def test_the_cells_of_a_measure_are_ranked_by_its_declared_direction():
    from ganlib.cli.bench import _rank

    rows = [
        {"cell": "a", "metric": "score/fid", "measured": 30.0}, {"cell": "b", "metric": "score/fid", "measured": 10.0},
        {"cell": "a", "metric": "score/modes_covered", "measured": 5.0}, {"cell": "b", "metric": "score/modes_covered", "measured": 8.0},
        {"cell": "a", "metric": "score/undeclared_thing", "measured": 1.0}, {"cell": "b", "metric": "score/undeclared_thing", "measured": 2.0},
    ]
    _rank(rows)
    ranks = {(r["metric"], r["cell"]): r.get("rank") for r in rows}
    assert (ranks["score/fid", "b"], ranks["score/fid", "a"]) == (1, 2)  # lower is better
    assert (ranks["score/modes_covered", "b"], ranks["score/modes_covered", "a"]) == (1, 2)  # higher is better
    assert ranks["score/undeclared_thing", "a"] is None  # no direction declared: not ranked
