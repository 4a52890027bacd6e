"""The tutorial's figures, log line and numbers come from the current version: they are the files
``scripts/make_tutorial_figures.py`` writes, and the names are those the code logs today."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO_ROOT
from tests.train.helpers import tiny_trainer

TUTORIAL = (REPO_ROOT / "docs" / "tutorial.rst").read_text()
RUN = json.loads((REPO_ROOT / "docs" / "_static" / "flagship" / "run.json").read_text())


def _logged_names() -> set[str]:
    from ganlib.losses import get_objective
    from ganlib.train import Trainer

    base = tiny_trainer()
    trainer = Trainer(base.generator, base.critic, get_objective("wgan-gp"), base.generator_optimizer, base.critic_optimizer, base.data, n_critic=1)
    trainer.fit(1)
    trainer.history.flush()
    return set(trainer.history.latest())


def test_the_log_line_is_the_runs_and_names_what_the_code_logs():
    assert RUN["log_line"] in TUTORIAL
    names = set(re.findall(r"(\S+)=", RUN["log_line"]))
    assert names and names <= _logged_names(), names - _logged_names()
    for line in re.findall(r"^   iter .*$", TUTORIAL, flags=re.M):  # every log line the page shows
        assert set(re.findall(r"(\S+)=", line)) <= _logged_names(), line


def test_the_numbers_quoted_are_the_runs():
    assert RUN["command"] in " ".join(TUTORIAL.split())
    assert f"It took {RUN['seconds']} s" in TUTORIAL and f"{RUN['seconds_per_iteration']} s per iteration" in TUTORIAL
    assert f"peaking at {RUN['wasserstein_peak']} at iteration {RUN['wasserstein_peak_at']}" in TUTORIAL
    quoted = f"{RUN['wasserstein_at_100']} at iteration 100, {RUN['wasserstein_at_200']} at 200, {RUN['wasserstein_at_300']} at 300"
    assert quoted in TUTORIAL
    assert f"to {RUN['grad_norm_last']} at iteration 300" in TUTORIAL and f"ends at {RUN['gp_last']}" in TUTORIAL


def test_the_figures_are_drawn_from_the_current_panels():
    from PIL import Image

    from ganlib.train.callbacks.curves import PANELS

    assert "critic scores" == PANELS["critic"].title  # the panel title no longer claims a Wasserstein estimate
    with Image.open(REPO_ROOT / "docs" / "_static" / "flagship" / "progress.png") as progress:
        assert progress.size[1] > progress.size[0]  # five strips stacked
    assert "make_tutorial_figures.py" in TUTORIAL
