"""Scores carry their direction as metadata: study and the checkpointer read it, built-in or plugin."""

from __future__ import annotations

import json
import logging
import math

import pytest

from ganlib.cli.cells import DONE
from ganlib.cli.study import summarize
from ganlib.metrics import SCORES, best_of, register_score, score_of
from ganlib.train.callbacks.checkpointer import Checkpointer


@pytest.fixture
def plugin_score():
    register_score("nn_unique_test", "unique neighbours", higher_is_better=True)
    yield "score/nn_unique_test"
    SCORES.unregister("nn_unique_test")


def _study(tmp_path, score, finals):
    cells = []
    for config, final in finals.items():
        run = tmp_path / "runs" / f"{config}-s0"
        run.mkdir(parents=True)
        records = [{"iteration": 1, "wall_time": 1.0, score: final / 2}, {"iteration": 2, "wall_time": 2.0, score: final}]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        (run / DONE).write_text("{}")
        cells.append({"config": config, "name": f"{config}-s0", "seed": 0})
    return cells


def test_a_plugin_score_declared_higher_is_better_is_ranked_so_by_study(tmp_path, plugin_score, monkeypatch):
    import ganlib.cli.study as study

    monkeypatch.setattr(study, "_samples", lambda *a, **k: None)  # no generators to sample here
    rows = summarize(tmp_path, _study(tmp_path, plugin_score, {"low": 3.0, "high": 9.0}), plugin_score)
    assert [row["config"] for row in rows] == ["high", "low"]
    assert "final unique neighbours" in (tmp_path / "table.md").read_text()


def test_a_lower_is_better_score_ranks_the_other_way(tmp_path, monkeypatch):
    import ganlib.cli.study as study

    monkeypatch.setattr(study, "_samples", lambda *a, **k: None)
    rows = summarize(tmp_path, _study(tmp_path, "score/fid", {"low": 3.0, "high": 9.0}), "score/fid")
    assert [row["config"] for row in rows] == ["low", "high"]


def test_an_undeclared_score_is_ranked_lower_is_better_and_says_so(tmp_path, monkeypatch, caplog):
    import ganlib.cli.study as study

    monkeypatch.setattr(study, "_samples", lambda *a, **k: None)
    with caplog.at_level(logging.WARNING, logger="ganlib"):
        rows = summarize(tmp_path, _study(tmp_path, "score/made_up", {"a": 3.0, "b": 1.0}), "score/made_up")
    assert [row["config"] for row in rows] == ["b", "a"]
    assert "score/made_up has no declared direction" in caplog.text


def test_the_built_in_directions():
    assert not score_of("score/fid").higher_is_better and score_of("score/inception_score").higher_is_better
    assert best_of("score/modes_covered", [3.0, 9.0]) == 9.0 and best_of("score/kid", [3.0, 9.0]) == 3.0
    assert not score_of("score/unknown").declared


def test_the_checkpointer_keeps_the_best_state_by_the_scores_direction(tmp_path, plugin_score):
    higher = Checkpointer(tmp_path, best=plugin_score)
    lower = Checkpointer(tmp_path, best="score/fid")
    assert higher.best_score == -math.inf and lower.best_score == math.inf
    higher.load_state_dict({})
    assert higher.best_score == -math.inf
