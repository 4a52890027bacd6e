import json
import os
import signal

import pytest
import torch
from PIL import Image

from ganlib.train import Callback, Checkpointer, LearningCurves, MetricsLogger, ProgressBar, SampleGrid, load_checkpoint, panel_layout

from tests.train.helpers import tiny_trainer


def test_metrics_logger_writes_every_term_and_reads_back(tmp_path):
    tiny_trainer(callbacks=[MetricsLogger(tmp_path, every=2)]).fit(5)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [1, 2, 3, 4, 5]
    expected = {"loss/critic", "loss/generator", "critic/wasserstein", "penalty/gp", "penalty/grad_norm", "accuracy/real", "accuracy/fake", "critic/d_real", "critic/d_fake", "it_per_s", "wall_time"}
    assert expected <= set(records[0])
    walls = [r["wall_time"] for r in records]
    assert walls == sorted(walls) and walls[0] > 0


def test_tensorboard_events_load(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tiny_trainer(callbacks=[MetricsLogger(tmp_path, every=1)]).fit(3)
    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    assert {"loss/critic", "penalty/gp", "accuracy/real"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("loss/critic")] == [1, 2, 3]


def test_resumed_logger_drops_records_written_after_the_checkpoint(tmp_path):
    first = tiny_trainer(callbacks=[MetricsLogger(tmp_path, every=1, tensorboard=False), Checkpointer(tmp_path, every=2)])
    first.fit(3)  # a checkpoint at 2 and, at the end, at 3; pretend the run crashed after 3
    state = load_checkpoint(tmp_path)
    state["iteration"] = 2  # as if the newest checkpoint were the one from iteration 2
    resumed = tiny_trainer(callbacks=[MetricsLogger(tmp_path, every=1, tensorboard=False)])
    resumed.load_state_dict(state)
    resumed.fit(4)
    iterations = [json.loads(line)["iteration"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert iterations == [1, 2, 3, 4]


def test_sample_grid_and_curves_are_written(tmp_path):
    tiny_trainer(callbacks=[SampleGrid(tmp_path, every=2, num=9, nrow=3), LearningCurves(tmp_path, every=2)]).fit(3)
    names = sorted(os.listdir(tmp_path / "samples"))
    assert names == ["iter_000002.png", "iter_000003.png", "latest.png"]
    with Image.open(tmp_path / "samples" / "latest.png") as grid:
        assert grid.size == (3 * 16 + 4 * 2, 3 * 16 + 4 * 2)
    with Image.open(tmp_path / "curves.png") as curves:
        assert curves.size[0] > curves.size[1]  # panels four to a row


def test_sample_grid_does_not_disturb_training(tmp_path):
    plain = tiny_trainer()
    plain.fit(3)
    watched = tiny_trainer(callbacks=[SampleGrid(tmp_path, every=1, num=4)])
    watched.fit(3)
    for a, b in zip(plain.generator.state_dict().values(), watched.generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_progress_bar_prints_lines(tmp_path, capsys):
    tiny_trainer(callbacks=[ProgressBar(every=1, print_every=2)]).fit(4)
    err = capsys.readouterr()
    text = err.out + err.err
    assert "iter      2" in text and "iter      4" in text and "loss/critic=" in text


def test_progress_steps_aside_when_the_output_is_not_a_terminal(capsys):
    """Logged to a file, the bar's redraws would be thousands of fragments: lines instead, one
    per refresh and one at the end, under the log's own names."""
    tiny_trainer(callbacks=[ProgressBar(every=3)]).fit(4)  # capsys: stderr is not a terminal
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in lines] == ["3/4", "4/4"]
    assert "loss/critic=" in lines[0] and "accuracy/real=" in lines[0] and "\r" not in "".join(lines)


def test_the_bar_shows_the_logs_names(monkeypatch):
    import ganlib.train.callbacks.progress as progress

    shown = []

    class Bar:
        def __init__(self, *args, **kwargs):
            self.n, self.total = 0, kwargs.get("total")

        def update(self, step):
            self.n += step

        def set_postfix(self, values, refresh=False):
            shown.append(dict(values))

        def close(self):
            pass

    monkeypatch.setattr(progress, "tqdm", Bar)
    tiny_trainer(callbacks=[ProgressBar(every=2, bar=True)]).fit(2)
    assert {"loss/critic", "loss/generator", "accuracy/real", "accuracy/fake"} <= set(shown[-1])


def test_ctrl_c_finishes_the_iteration_saves_and_reraises(tmp_path):
    class PressCtrlC(Callback):
        def on_iteration_end(self, trainer, metrics):
            if metrics.iteration == 2:
                os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under nohup
    trainer = tiny_trainer(callbacks=[PressCtrlC(), Checkpointer(tmp_path, every=100)])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(10)
    assert trainer.iteration == 2
    assert load_checkpoint(tmp_path)["iteration"] == 2
    assert signal.getsignal(signal.SIGINT) is before  # the handler put back


@pytest.mark.parametrize("factory", [lambda p: SampleGrid(p, every=0), lambda p: Checkpointer(p, every=-1), lambda p: MetricsLogger(p, every=1.5)])
def test_bad_intervals_are_named(tmp_path, factory):
    with pytest.raises(ValueError, match="every="):
        factory(tmp_path)


def test_evaluation_scores_reach_the_log_and_the_curves(tmp_path):
    from ganlib.train import EvaluateMNIST

    # Evaluation last: its scores reach the logger and the curves through measure() anyway.
    callbacks = [MetricsLogger(tmp_path, every=1, tensorboard=False), LearningCurves(tmp_path, every=100), EvaluateMNIST(every=2, num=20, kid_subsets=2)]
    tiny_trainer(callbacks=callbacks).fit(3)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert "score/fid" not in records[0] and records[1]["score/fid"] > 0 and "score/inception_score" in records[2]  # at 2 and at the end
    titles = [title for title, _, _ in panel_layout(list(callbacks[1]._history.columns))]
    assert {"losses", "score/fid", "score/inception_score"} <= set(titles)  # every score in a panel of its own
    assert (tmp_path / "curves.png").is_file()
    # The same curves, rebuilt from the log alone (a run drawn by an older version, say).
    rebuilt = LearningCurves.from_log(tmp_path)
    history = rebuilt.history()
    assert history["iteration"] == [1, 2, 3] and [i for i, v in zip(history["iteration"], history["score/fid"], strict=True) if v == v] == [2, 3]
    (tmp_path / "curves.png").unlink()
    assert rebuilt.draw() == tmp_path / "curves.png"
    with pytest.raises(FileNotFoundError, match="is .* a run directory"):
        LearningCurves.from_log(tmp_path / "elsewhere")


def test_a_time_budget_stops_training_and_carries_over_a_resume(tmp_path, monkeypatch):
    import itertools

    from ganlib.train import TimeBudget
    from ganlib.train import trainer as module

    clock = itertools.count(step=1.0)  # every reading of the clock advances it by a second
    monkeypatch.setattr(module.time, "perf_counter", lambda: next(clock))
    budget = TimeBudget(3.5)
    trainer = tiny_trainer(callbacks=[budget, Checkpointer(tmp_path, every=100)])
    trainer.fit(100)
    assert 1 <= trainer.iteration < 100 and budget.spent >= 3.5
    assert load_checkpoint(tmp_path)["iteration"] == trainer.iteration  # fit ended normally: saved
    resumed_budget = TimeBudget(3.5)
    resumed = tiny_trainer(callbacks=[resumed_budget])
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert resumed.time_spent >= 3.5  # the training time is part of the Trainer's state
    resumed.fit(100)
    assert resumed.iteration == trainer.iteration + 1  # already spent: one more iteration, then stop
    with pytest.raises(ValueError, match="seconds=0 is invalid"):
        TimeBudget(0)


class ScriptedScore(Callback):
    """Reports a made-up ``fid`` at chosen iterations, as an evaluation callback would."""

    def __init__(self, scores):
        self.scores = scores

    def measure(self, trainer):
        return {"score/fid": self.scores[trainer.iteration]} if trainer.iteration in self.scores else {}


def test_the_best_checkpoint_holds_the_state_with_the_lowest_score_and_survives_a_resume(tmp_path):
    scores = {1: 3.0, 2: 1.0, 3: 2.0, 5: float("nan"), 6: 0.5}
    trainer = tiny_trainer(callbacks=[ScriptedScore(scores), Checkpointer(tmp_path, every=100, best="score/fid")])
    trainer.fit(4)
    best = tmp_path / "checkpoints" / "best.pt"
    assert load_checkpoint(best)["iteration"] == 2  # 1.0 at 2 beats 3.0 at 1; 2.0 at 3 does not
    resumed = tiny_trainer(callbacks=[ScriptedScore(scores), Checkpointer(tmp_path, every=100, best="score/fid")])
    resumed.load_state_dict(load_checkpoint(tmp_path))
    assert resumed.callbacks[1].best_score == 1.0
    resumed.fit(5)
    assert load_checkpoint(best)["iteration"] == 2  # a NaN score is no improvement
    resumed.fit(6)
    assert load_checkpoint(best)["iteration"] == 6


def test_without_a_score_no_best_checkpoint_is_written(tmp_path):
    tiny_trainer(callbacks=[Checkpointer(tmp_path, every=1, best="score/fid")]).fit(2)
    assert not (tmp_path / "checkpoints" / "best.pt").exists()
    assert Checkpointer(tmp_path).state_dict() == {}  # nothing to carry: resuming without it warns of nothing


def test_a_best_state_scored_at_a_checkpoint_is_a_copy_of_that_checkpoint(tmp_path):
    trainer = tiny_trainer(callbacks=[ScriptedScore({1: 2.0, 2: 1.0, 3: 3.0}), Checkpointer(tmp_path, every=1, best="score/fid")])
    trainer.fit(3)
    best, kept = load_checkpoint(tmp_path / "checkpoints" / "best.pt"), load_checkpoint(tmp_path)
    assert best["iteration"] == 2 and kept["iteration"] == 3
    assert best["callbacks"]["Checkpointer"]["best_score"] == 1.0
