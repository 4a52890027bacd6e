"""``benchmarks/cuda_suite.sh --dry-run``: every step of the GPU suite runs on the CPU at its
smallest sizes and lands, with its command, wall time, exit status and figures, in one JSON.

The suite runs once (about 90 s on a 2-core CPU) and the tests read what it wrote. With MNIST
(``$GANLIB_DATA`` or ``../shared/datasets``) the MNIST steps run; without it they say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, _mnist_candidates

SCRIPT = REPO_ROOT / "benchmarks" / "cuda_suite.sh"
STEPS = [
    "cuda_tests", "step_time_fp32", "step_time_bf16", "capture_extras", "backbones",
    "study_parallel", "study_serial", "quality_train", "quality_evaluate",
]
NEEDS_MNIST = {"capture_extras", "backbones", "quality_train", "quality_evaluate"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash and coreutils' timeout"),
]


def _mnist_root() -> Path | None:
    for root in _mnist_candidates():
        if (root / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists():
            return root
    return None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The dry run's JSON (the run itself: returncode, stdout and stderr under ``"_run"``)."""
    out = tmp_path_factory.mktemp("cuda-suite")
    mnist = _mnist_root()
    data_root = mnist if mnist is not None else tmp_path_factory.mktemp("no-mnist")
    env = {**os.environ, "DATA_ROOT": str(data_root), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    run = subprocess.run(["bash", str(SCRIPT), "--dry-run", "--out", str(out)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    path = out / "cuda-suite.json"
    assert path.exists(), f"no JSON; rc {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    data = json.loads(path.read_text())
    data["_run"] = {"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "out": out, "mnist": mnist is not None}
    return data


def test_the_dry_run_passes_and_records_where_it_ran(suite):
    run = suite["_run"]
    failing = {name: step.get("log_tail") for name, step in suite["steps"].items() if step.get("exit_status") not in (None, 0)}
    assert run["returncode"] == 0, f"failed steps {failing}\n{run['stdout'][-3000:]}\n{run['stderr'][-3000:]}"
    assert suite["status"] == "ok" and suite["failed_steps"] == [] and suite["dry_run"] is True
    assert suite["gpu"] == "cpu (dry run)"
    assert suite["torch"] and suite["date"] and len(suite["git_commit"]) in (40, len("unknown"))
    assert _number(suite["total_wall_s"]) and suite["total_wall_s"] > 0
    assert suite["mnist"] is run["mnist"]


def test_every_step_has_its_section(suite):
    assert list(suite["steps"]) == STEPS
    for name, step in suite["steps"].items():
        assert {"command", "status", "exit_status", "wall_s", "figures"} <= step.keys(), name
        assert step["command"], name
        if name in NEEDS_MNIST and not suite["_run"]["mnist"]:
            assert step["status"].startswith("skipped: no MNIST at"), (name, step["status"])
            continue
        assert step["status"] == "ok" and step["exit_status"] == 0, (name, step)
        assert _number(step["wall_s"]) and step["wall_s"] > 0, name
        assert (suite["_run"]["out"] / step["log"]).exists(), name


def test_the_test_counts_are_parsed(suite):
    figures = suite["steps"]["cuda_tests"]["figures"]
    assert figures["passed"] > 0 and figures["failed"] == 0 and figures["errors"] == 0
    assert figures["skipped"] > 0 and figures["skip_reasons"] == {"needs a CUDA GPU": figures["skipped"]}


@pytest.mark.parametrize("name", ["step_time_fp32", "step_time_bf16"])
def test_the_step_benchmark_records_each_variant(suite, name):
    figures = suite["steps"][name]["figures"]
    assert figures["device"] == "cpu" and figures["precision"] == name[-4:]
    variants = {"plain", "matched", "trainer"} | ({"ddp"} if name.endswith("fp32") else set())
    assert set(figures["s_per_it"]) == variants
    assert all(_number(v) and v > 0 for v in figures["s_per_it"].values())
    assert _number(figures["trainer/plain"]) and figures["captured"] == "skipped: needs CUDA"


def test_the_train_runs_record_seconds_per_iteration(suite):
    if not suite["_run"]["mnist"]:
        pytest.skip("no MNIST: the train steps were skipped (checked above)")
    extras = suite["steps"]["capture_extras"]["figures"]
    for run, key in (("lr-schedule-captured", "lr/generator"), ("ada-captured", "augment/p")):
        assert extras[run]["status"] == "ok" and _number(extras[run]["s_per_it"]) and extras[run]["iterations"] == 2
        assert _number(extras[run][key]), run
        assert extras[run]["captured"] is False and "CUDA graphs need a CUDA device" in extras[run]["capture_fallback"]
    assert extras["ada-eager"]["status"].startswith("skipped:")
    backbones = suite["steps"]["backbones"]["figures"]
    ran = {name for name, run in backbones.items() if run["status"] == "ok"}
    assert {"dcgan", "dcgan5", "resnet", "r3gan", "pggan", "lapgan", "mlp", "course-harmonic"} <= ran
    assert all(_number(backbones[name]["s_per_it"]) and backbones[name]["s_per_it"] > 0 for name in ran)
    assert all(run["status"].startswith("skipped:") for name, run in backbones.items() if name not in ran)
    assert set(suite["summary"]["backbones ms/it"]) == ran
    quality = suite["steps"]["quality_train"]["figures"]
    assert quality["iterations"] == 2 and quality["time_budget_s"] == 5 and _number(quality["score/fid"])
    scores = suite["steps"]["quality_evaluate"]["figures"]
    assert scores["num_samples"] == 64 and _number(scores["fid"]) and _number(scores["kid_mean"])
    assert suite["summary"]["quality fid"] == scores["fid"]


def test_the_study_runs_its_four_cells_both_ways(suite):
    for name in ("study_parallel", "study_serial"):
        figures = suite["steps"][name]["figures"]
        assert figures["workers"] == 1 and figures["cells_done"] == 4 and len(figures["cells"]) == 4
        assert figures["wgan-gp-none"]["seeds"] == 4
    assert "--seeds 4" in suite["steps"]["study_parallel"]["command"]
    assert _number(suite["summary"]["study speedup"])


def test_an_unknown_argument_is_refused():
    run = subprocess.run(["bash", str(SCRIPT), "--gpus", "2"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "unknown argument: --gpus" in run.stderr
