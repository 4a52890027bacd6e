"""A plugin package outside ganlib reaches every command, with no edit to ganlib.

The plugin is ``examples/plugin`` (the extending guide shows the same package): a stateful
regularizer with a parameter, a model family, a callback and a data source. It is found once
through ``GANLIB_PLUGINS`` and once through an installed entry point, and trains from
``python -m ganlib train`` and ``study``, resumed exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.errors import PluginError
from ganlib.plugins import load_plugins

from tests.conftest import REPO_ROOT

PLUGIN = REPO_ROOT / "examples" / "plugin"


def _site(tmp_path: Path, *, entry_point: bool) -> Path:
    """A directory that holds the plugin as Python finds an installed package."""
    site = tmp_path / "site"
    shutil.copytree(PLUGIN / "ganlib_extras", site / "ganlib_extras")
    if entry_point:  # what `pip install examples/plugin` writes: the package's metadata
        info = site / "ganlib_extras-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ganlib-extras\nVersion: 0.1.0\n")
        (info / "entry_points.txt").write_text('[ganlib.plugins]\nextras = ganlib_extras\n')
    return site


def _ganlib(site: Path, *argv: str, variable: bool = True, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO_ROOT)]), "OMP_NUM_THREADS": "1"}
    env.pop("GANLIB_PLUGINS", None)
    if variable:
        env["GANLIB_PLUGINS"] = "ganlib_extras"
    result = subprocess.run([sys.executable, "-m", "ganlib", *argv], env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


TRAIN = [
    "train", "--data", "spiral", "--model", "resmlp", "--width", "16", "--objective", "hinge", "--penalty", "drift", "--penalty-arg", "decay=0.5",
    "--callback", "linear-lr-decay", "--callback-arg", "end=0.1", "--callback-arg", "iterations=4", "--device", "cpu", "--batch-size", "32", "--n-critic", "2",
    "--log-every", "1", "--sample-every", "2", "--checkpoint-every", "2",
]


def test_a_plugin_named_in_the_environment_trains_resumes_exactly_and_is_drawn(tmp_path):
    site = _site(tmp_path, entry_point=False)
    help_text = _ganlib(site, "train", "--help").stdout
    for name in ("spiral", "resmlp", "drift", "linear-lr-decay"):
        assert name in help_text, name
    straight, split = tmp_path / "straight", tmp_path / "split"
    _ganlib(site, *TRAIN, "--iterations", "4", "--out", str(straight))
    _ganlib(site, *TRAIN, "--iterations", "2", "--out", str(split))
    _ganlib(site, "train", "--resume", str(split), "--iterations", "4")
    a, b = load_checkpoint(straight), load_checkpoint(split)
    assert (a["generator_model"], a["critic_model"]) == ("resmlp-generator", "resmlp-critic")
    for key in ("generator", "critic"):
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), key
    drift_a, drift_b = a["objective"]["penalties"]["drift"], b["objective"]["penalties"]["drift"]
    assert drift_a["seen"].item() == 8 and torch.equal(drift_a["anchor"], drift_b["anchor"])  # the state resumed, not zeros
    assert a["callbacks"]["LinearDecay"] == b["callbacks"]["LinearDecay"]
    records = [json.loads(line) for line in (split / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [1, 2, 3, 4]
    assert {"penalty/drift", "penalty/drift_anchor", "lr/generator", "score/sliced_wasserstein"} <= set(records[-1])
    assert records[-1]["lr/generator"] < records[0]["lr/generator"]  # the callback decays the rate
    assert (split / "curves.png").is_file() and (split / "landscape.gif").is_file()


def test_a_plugin_installed_with_an_entry_point_is_loaded_and_studied(tmp_path):
    site = _site(tmp_path, entry_point=True)
    assert "resmlp" in _ganlib(site, "train", "--help", variable=False).stdout
    study = [
        "study", "--data", "spiral", "--objectives", "hinge", "--models", "resmlp", "--critic-norms", "none", "--seeds", "1",
        "--width", "8", "--batch-size", "32", "--iterations", "2", "--eval-every", "1", "--device", "cpu", "--out", str(tmp_path / "study"),
        "--train-arg", "--penalty drift",
    ]
    _ganlib(site, *study, variable=False)
    rows = json.loads((tmp_path / "study" / "table.json").read_text())
    assert [row["config"] for row in rows] == ["hinge-resmlp-none"] and rows[0]["score"] == "score/sliced_wasserstein"
    config = json.loads((tmp_path / "study" / "runs" / "hinge-resmlp-none-s0" / "config.json").read_text())
    assert (config["penalty"], config["model"]) == (["drift"], "resmlp")


def _with_env(site: Path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO_ROOT)]), "OMP_NUM_THREADS": "1", **env}
    return subprocess.run([sys.executable, "-m", "ganlib", *argv], capture_output=True, text=True, timeout=120, env=environment)


def test_a_broken_plugin_is_one_line_naming_it_and_the_commands_go_on(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_plugin.py").write_text("import ganlib\nraise RuntimeError('no GPU driver here')\n")
    result = _with_env(site, "train", "--help", GANLIB_PLUGINS="broken_plugin,no_such_plugin_module")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: plugin")]
    assert len(warnings) == 2, result.stderr
    assert "plugin 'broken_plugin' (broken_plugin, from GANLIB_PLUGINS) failed to load: RuntimeError: no GPU driver here" in warnings[0]
    assert "going on without it (GANLIB_NO_PLUGINS=1 or --no-plugins loads no plugin)" in warnings[0]
    assert "no_such_plugin_module" in warnings[1] and "ModuleNotFoundError" in warnings[1]
    # a command that needs the missing plugin's component fails on that name, below the warning
    needs = _with_env(site, "train", "--penalty", "drift", "--iterations", "1", "--out", str(tmp_path / "r"), GANLIB_PLUGINS="broken_plugin")
    assert needs.returncode == 2 and needs.stderr.splitlines()[0].startswith("warning: plugin 'broken_plugin'")
    assert "drift" in needs.stderr.splitlines()[-1] and "Traceback" not in needs.stderr


@pytest.mark.parametrize("how", ["variable", "flag"])
def test_plugins_can_be_turned_off(tmp_path, how):
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken_plugin.py").write_text("raise RuntimeError('never imported')\n")
    argv = ["--no-plugins", "train", "--help"] if how == "flag" else ["train", "--help"]
    extra = {"GANLIB_NO_PLUGINS": "1"} if how == "variable" else {}
    result = _with_env(site, *argv, GANLIB_PLUGINS="broken_plugin", **extra)
    assert result.returncode == 0 and result.stderr == ""


MY_GP = '''
from ganlib.losses import PENALTIES, GradientPenalty


class LouderGP(GradientPenalty):
    """A gradient penalty of my own."""


PENALTIES.register("gp", LouderGP, replace=True)
'''


def test_a_plugin_that_replaces_a_built_in_is_announced_once(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "my_gp.py").write_text(MY_GP)
    result = _with_env(site, "sample", "--help", GANLIB_PLUGINS="my_gp")
    assert result.returncode == 0
    assert [line for line in result.stderr.splitlines() if line.startswith("note:")] == ["note: my_gp replaces the built-in penalty 'gp'"]


@pytest.mark.parametrize("name", ["--flag", "x=y", "a,b", "two words", "folder:x", ".hidden", ""])
def test_a_name_the_command_line_cannot_express_is_refused(name):
    from ganlib.registry import Registry

    registry: Registry[object] = Registry("widget")
    with pytest.raises(ValueError, match="cannot be typed on the command line|non-empty"):
        registry.register(name, lambda: None)
    registry.register("ok-name_2.0+x", lambda: None)
    with pytest.raises(ValueError, match="cannot be typed"):
        registry.alias(name or "-", "ok-name_2.0+x")


def test_plugins_load_once(monkeypatch, tmp_path):
    (tmp_path / "counting_plugin.py").write_text("import builtins\nbuiltins.GANLIB_TEST_LOADS = getattr(builtins, 'GANLIB_TEST_LOADS', 0) + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("GANLIB_PLUGINS", " counting_plugin , ")
    load_plugins(entry_points=False)
    load_plugins(entry_points=False)
    import builtins

    assert builtins.GANLIB_TEST_LOADS == 1
    monkeypatch.setenv("GANLIB_PLUGINS", "no_such_module_anywhere")
    with pytest.raises(PluginError, match="plugin 'no_such_module_anywhere' .* ModuleNotFoundError"):
        load_plugins(entry_points=False)
