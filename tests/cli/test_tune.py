"""Studies on Ray Tune: the same table as one process, ASHA, PBT, a killed cell, a killed driver.

Kept few and small (a 2-D toy, tens of iterations): each starts Ray's trials, which costs
seconds. One local Ray instance serves the module.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray Tune is an optional extra: pip install 'ganlib[ray]'")

from ganlib.cli import main  # noqa: E402
from ganlib.cli.cells import DONE, PRUNED, CellJob, cell_state, read_marker  # noqa: E402
from ganlib.cli.search import parse_search  # noqa: E402
from ganlib.cli.tune import LINEAGE, Parallel, run_on_ray  # noqa: E402
from ganlib.train import read_log  # noqa: E402

SCORE = "score/sliced_wasserstein"
HOST = ("wall_time", "it_per_s")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray.get_runtime_context().gcs_address  # drivers in other processes join it with --address (no start-up of their own)
    ray.shutdown()


def _study(out: Path, *more: str) -> list[str]:
    return ["study", "--data", "ring", "--objectives", "wgan-gp", "hinge", "--critic-norms", "none", "--seeds", "2", "--iterations", "4",
            "--eval-every", "2", "--width", "8", "--batch-size", "32", "--device", "cpu", "--out", str(out), *more]


def _scores(run_dir: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in HOST} for r in read_log(run_dir)]


def test_two_workers_give_the_table_of_one(tmp_path):
    assert main(_study(tmp_path / "one", "--workers", "1", "--threads-per-cell", "1")) == 0
    assert main(_study(tmp_path / "two", "--workers", "2")) == 0
    one, two = (json.loads((tmp_path / d / "table.json").read_text()) for d in ("one", "two"))
    assert [r["config"] for r in one] == [r["config"] for r in two] and len(one) == 2
    for a, b in zip(one, two, strict=True):
        assert (a["final"], a["best"], a["iterations"]) == (b["final"], b["best"], b["iterations"])
    for cell in (tmp_path / "one" / "runs").iterdir():
        assert _scores(cell) == _scores(tmp_path / "two" / "runs" / cell.name)  # every logged value, not only the table's
        assert read_marker(tmp_path / "two" / "runs" / cell.name, DONE)["node"]  # ran as a Ray trial


def _job(out: Path, name: str, lr: str, iterations: int = 40, **settings: str) -> CellJob:
    run_dir = out / "runs" / name
    argv = ["--data", "ring", "--width", "8", "--device", "cpu", "--iterations", str(iterations), "--log-every", "10", "--sample-every", "10",
            "--checkpoint-every", "10", "--threads", "1", "--lr", lr, "--seed", "0", "--out", str(run_dir)]
    return CellJob(name, run_dir, argv, iterations, {"name": name}, settings=dict(settings))


def test_asha_prunes_the_cell_built_to_be_bad(tmp_path):
    jobs = [_job(tmp_path, "good-a", "2e-3"), _job(tmp_path, "good-b", "2e-3"), _job(tmp_path, "good-c", "2e-3"), _job(tmp_path, "bad", "1e-9")]
    plan = Parallel(workers=2, storage=tmp_path / "tune", score=SCORE, evaluations=4, prune="asha")
    assert run_on_ray(jobs, plan) == 0
    assert [cell_state(job.run_dir) for job in jobs] == ["done", "done", "done", "pruned"]
    pruned = read_marker(jobs[-1].run_dir, PRUNED)
    assert pruned["by"] == "asha" and pruned["iteration"] < 40 and pruned["score"] > 0


def test_pbt_copies_a_checkpoint_and_perturbs_a_setting(tmp_path):
    jobs = [_job(tmp_path, "a", "2e-3", **{"--lr": "2e-3"}), _job(tmp_path, "b", "1e-9", **{"--lr": "1e-9"})]
    plan = Parallel(workers=2, storage=tmp_path / "tune", score=SCORE, evaluations=4, pbt_interval=1,
                    mutations={"--lr": parse_search("lr=loguniform:1e-9:1e-2").domain()})
    assert run_on_ray(jobs, plan) == 0
    assert all(cell_state(job.run_dir) == "done" for job in jobs)
    lineage = [json.loads(line) for job in jobs if (job.run_dir / LINEAGE).exists() for line in (job.run_dir / LINEAGE).read_text().splitlines()]
    assert lineage, "the worse cell copied the better one at least once"
    entry = lineage[0]
    assert entry["from"] in ("a", "b") and entry["settings"]["--lr"] not in ("2e-3", "1e-9")
    adopter = next(job for job in jobs if job.name != entry["from"])
    config = json.loads((adopter.run_dir / "config.json").read_text())
    assert config["lr"] not in (2e-3, 1e-9)  # the perturbed setting reached the run


def test_an_adopted_checkpoint_resumes_exactly(tmp_path, monkeypatch):
    """PBT's copy, outside Ray's scheduling: B takes A's checkpoint at iteration 20 and a new lr,
    and ends where a plain ``--resume`` of A's checkpoint with that lr ends."""
    import shutil

    from ray import tune

    import ganlib.cli.tune as tune_module
    from ganlib.cli.cells import run_cell
    from ganlib.checkpoint import load_checkpoint

    a, b, plain = (_job(tmp_path, name, "2e-3", iterations=30, **{"--lr": "2e-3"}) for name in ("a", "b", "plain"))
    for job in (a, b):
        job.argv[job.argv.index("--iterations") + 1] = "20"
        run_cell(job.run_dir, lambda job=job: list(job.argv), 20, job.record)
    folder = tmp_path / "handed"
    folder.mkdir()
    shutil.copy2(a.run_dir / "checkpoints" / "latest.pt", folder / "latest.pt")
    shutil.copy2(a.run_dir / "metrics.jsonl", folder / "metrics.jsonl")
    (folder / "cell.json").write_text(json.dumps({"cell": "a", "iteration": 20}))
    monkeypatch.setattr(tune, "get_checkpoint", lambda: tune.Checkpoint.from_directory(str(folder)))
    changed = tune_module._adopt(b, {"cell": "a", "--lr": 5e-4})
    assert changed == ["--lr", "0.0005"]
    assert json.loads((b.run_dir / LINEAGE).read_text()) == {"iteration": 20, "from": "a", "settings": {"--lr": "0.0005"}}
    assert run_cell(b.run_dir, lambda: list(b.argv), 30, b.record, changed=changed) == 0
    shutil.copytree(a.run_dir, plain.run_dir)  # the same checkpoint, resumed by hand
    (plain.run_dir / DONE).unlink()
    (plain.run_dir / ".ganlib-lock").unlink(missing_ok=True)
    assert main(["train", "--resume", str(plain.run_dir), "--iterations", "30", "--lr", "5e-4"]) == 0
    mine, theirs = load_checkpoint(b.run_dir), load_checkpoint(plain.run_dir)
    for key, value in mine["generator"].items():
        assert value.equal(theirs["generator"][key]), key
    assert _scores(b.run_dir)[-1] == _scores(plain.run_dir)[-1]


def _wait(predicate, seconds: float = 240.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def _holder(run_dir: Path) -> int | None:
    from ganlib.locks import in_use

    held = in_use(run_dir)
    return int(held.split()[-1]) if held else None


def test_a_cell_killed_mid_run_is_retried_and_ends_equal_to_an_uninterrupted_one(tmp_path, local_ray):
    argv = ["study", "--data", "ring", "--objectives", "hinge", "--critic-norms", "none", "--seeds", "1", "--iterations", "80", "--eval-every", "10",
            "--width", "8", "--batch-size", "32", "--device", "cpu"]
    killed = tmp_path / "killed"
    driver = subprocess.Popen([sys.executable, "-m", "ganlib", *argv, "--workers", "2", "--address", local_ray, "--out", str(killed)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cell = killed / "runs" / "hinge-none-s0"
    _wait(lambda: (cell / "checkpoints" / "latest.pt").exists() and _holder(cell) is not None)
    os.kill(_holder(cell), signal.SIGKILL)
    output, _ = driver.communicate(timeout=600)
    assert driver.returncode == 0, output[-3000:]
    assert main([*argv, "--workers", "1", "--threads", "1", "--out", str(tmp_path / "plain")]) == 0
    assert "resuming" in (cell / "cell.log").read_text(), (cell / "cell.log").read_text() + output[-2000:]  # the retry resumed from the checkpoint
    assert _scores(cell) == _scores(tmp_path / "plain" / "runs" / "hinge-none-s0")


def test_a_study_whose_driver_died_resumes_when_the_command_is_repeated(tmp_path, local_ray):
    out = tmp_path / "study"
    argv = [sys.executable, "-m", "ganlib", "study", "--data", "ring", "--objectives", "hinge", "--critic-norms", "none", "--seeds", "2", "--iterations", "20",
            "--eval-every", "10", "--width", "8", "--batch-size", "32", "--device", "cpu", "--workers", "1", "--address", local_ray, "--out", str(out)]
    driver = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait(lambda: (out / "runs" / "hinge-none-s0" / DONE).exists())
    os.killpg(driver.pid, signal.SIGKILL)  # the driver dies; Ray ends the trials it had started
    driver.wait()
    assert not (out / "runs" / "hinge-none-s1" / DONE).exists()
    again = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "hinge-none-s0: done already, skipped" in again.stderr + again.stdout
    (row,) = json.loads((out / "table.json").read_text())
    assert row["seeds"] == 2 and (out / "runs" / "hinge-none-s1" / DONE).exists()
