"""A grid's cells as Ray Tune trials: every core, a share of a GPU, and every machine of a cluster.

Each cell (:class:`~ganlib.cli.cells.CellJob`) becomes one trial; the trial runs the same
:func:`~ganlib.cli.cells.run_cell` as the one-process path, in a Ray worker process of its own,
into the same run directory, so a study's table, plots and per-cell metrics do not depend on
the path that ran them. What Ray adds:

* **scheduling** by CPUs (``--threads-per-cell``) and fractions of a GPU (``--gpus-per-cell``),
  on the machine (an embedded local cluster is started when no ``--address`` is given) or on a
  running cluster;
* **retries**: a trial whose process dies (``kill -9``, out of memory) is started again, up to
  ``retries`` times, and its cell resumes from its last checkpoint (ganlib's resume is exact,
  so it finishes equal to an uninterrupted cell);
* **early stopping** (``--prune asha``: Ray's :class:`~ray.tune.schedulers.ASHAScheduler` on the
  score each evaluation reports, in the score's declared direction) and **population-based
  training** (``--pbt``: :class:`~ray.tune.schedulers.PopulationBasedTraining`; a cell that
  exploits another copies its checkpoint and log, resumes with the perturbed settings, and
  records where it came from in ``study-lineage.jsonl``).

Ray is an optional extra (``pip install "ganlib[ray]"``); this module imports it only when a
study asks for it, and :func:`require_ray` names the install line when it is missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import socket
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from ganlib._files import write_text_atomically
from ganlib.cli.arguments import non_negative_float, non_negative_int, positive_int
from ganlib.cli.cells import DONE, FAILED, PRUNED, CellJob, Progress, attempt, cell_state, pending_jobs, read_marker, run_here
from ganlib.train import Callback

__all__ = ["LINEAGE", "Parallel", "add_worker_arguments", "plan_workers", "ray_installed", "require_ray", "run_jobs", "run_on_ray"]

log = logging.getLogger("ganlib.study")

LINEAGE = "study-lineage.jsonl"
"""Where a population-based cell records each checkpoint it copied: iteration, donor, new settings."""

INSTALL = 'pip install "ganlib[ray]"'


def ray_installed() -> bool:
    """Whether Ray Tune can be imported (without importing it)."""
    import importlib.util

    # ray.tune's own dependencies come with the [tune] extra; finding them imports nothing
    return all(importlib.util.find_spec(name) is not None for name in ("ray", "pyarrow", "pandas"))


def require_ray(flag: str) -> None:
    """Raise the one-line error that says how to install Ray Tune, when it is missing.

    Args:
        flag: The option that needs it, as typed (``"--workers 2"``).

    Raises:
        ValueError: If ``ray.tune`` cannot be imported.
    """
    if not ray_installed():
        raise ValueError(f"{flag} runs cells on Ray Tune, which is not installed; install it with: {INSTALL} (or run one cell at a time with --workers 1)")


@dataclass
class Parallel:
    """How a grid's cells are spread over processes and machines.

    Attributes:
        workers: Cells that run at once (at most; a cluster may have fewer free slots).
        threads_per_cell: CPU threads (and Ray CPUs) each cell gets.
        gpus_per_cell: Share of a GPU each cell gets (0.25: four cells per GPU).
        address: A running Ray cluster (``auto`` as Ray means it), or ``None`` for a local one.
        storage: Where Ray Tune keeps its experiment records (absolute).
        score: The score every evaluation reports to the schedulers (``score/fid``).
        higher_is_better: The score's declared direction.
        evaluations: How many evaluations a full cell makes (ASHA stops a cell at no rung beyond them).
        prune: ``"asha"``, or ``None``.
        pbt_interval: Evaluations between population-based exploits, or ``None`` for no PBT.
        mutations: The searched settings PBT perturbs, by ``train`` flag: Ray Tune domains.
        retries: How often a trial whose process died is started again.
        seed: Seed of the driver's random choices (PBT's explore draws); which trial reaches an
            interval first still depends on timing, so a PBT study is not bit-reproducible.
    """

    workers: int
    threads_per_cell: int = 1
    gpus_per_cell: float = 0.0
    address: str | None = None
    storage: Path = Path("tune")
    score: str = "score/fid"
    higher_is_better: bool = False
    evaluations: int = 1
    prune: str | None = None
    pbt_interval: int | None = None
    mutations: dict[str, Any] = field(default_factory=dict)
    retries: int = 2
    seed: int = 0


class _Report(Callback):
    """Hand each evaluation's score to Ray Tune (with the checkpoint, under PBT)."""

    def __init__(self, score: str, job: CellJob, with_checkpoint: bool) -> None:
        self.score, self.job, self.with_checkpoint = score, job, with_checkpoint

    def on_iteration_end(self, trainer: Any, metrics: Any) -> None:  # noqa: D102
        value = metrics.extras.get(self.score)
        if value is None:
            return
        from ray import tune

        result = {"score": float(value), "iteration": metrics.iteration}
        latest = self.job.run_dir / "checkpoints" / "latest.pt"
        if not (self.with_checkpoint and latest.exists()):
            tune.report(result)
            return
        with tempfile.TemporaryDirectory(dir=self.job.run_dir, prefix=".tune-") as folder:
            shutil.copy2(latest, Path(folder) / "latest.pt")  # the Checkpointer ran first: this iteration's state
            shutil.copy2(self.job.run_dir / "metrics.jsonl", Path(folder) / "metrics.jsonl")
            (Path(folder) / "cell.json").write_text(json.dumps({"cell": self.job.name, "iteration": metrics.iteration}))
            tune.report(result, checkpoint=tune.Checkpoint.from_directory(folder))


def _adopt(job: CellJob, config: Mapping[str, Any]) -> list[str]:
    """Under PBT: take over the donor's checkpoint Ray hands this trial, if it is another cell's;
    returns the ``train`` flags of the settings that differ from the cell's own."""
    from ray import tune

    changed = {flag: _text(config[flag]) for flag in job.settings if flag in config and _text(config[flag]) != job.settings[flag]}
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            origin = json.loads((Path(folder) / "cell.json").read_text())
            if origin["cell"] != job.name:
                (job.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
                for name, target in (("latest.pt", job.run_dir / "checkpoints" / "latest.pt"), ("metrics.jsonl", job.run_dir / "metrics.jsonl")):
                    part = target.with_name(f".{target.name}.adopting")
                    shutil.copy2(Path(folder) / name, part)
                    os.replace(part, target)
                (job.run_dir / DONE).unlink(missing_ok=True)
                entry = {"iteration": origin["iteration"], "from": origin["cell"], "settings": {flag: _text(config[flag]) for flag in job.settings}}
                with (job.run_dir / LINEAGE).open("a") as lineage:
                    lineage.write(json.dumps(entry) + "\n")
    return [item for flag, value in changed.items() for item in (flag, value)]


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _wait_for(run_dir: Path, patience: float = 120.0) -> None:
    """Wait until no process trains into ``run_dir``: a trial Ray paused or stopped (PBT, ASHA)
    ends its process a moment after the next one may have started on the cell."""
    from ganlib.locks import in_use

    deadline = time.monotonic() + patience
    while in_use(run_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.5)


def _trial(config: dict[str, Any], jobs: dict[str, CellJob], plan: Parallel) -> None:
    """One Ray Tune trial: one cell, in this worker process."""
    import ray
    from ray import tune

    from ganlib.plugins import DISABLE_ENV_VAR, load_plugins

    if not os.environ.get(DISABLE_ENV_VAR):
        load_plugins(strict=False)
    job = jobs[tune.get_context().get_trial_name()]  # not config["cell"]: PBT hands a trial its donor's config, cell included
    job = replace(job, record={**job.record, "node": ray.get_runtime_context().get_node_id(), "host": socket.gethostname()})
    job.run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(job.run_dir / "cell.log")  # the worker's output is not the driver's console
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        _wait_for(job.run_dir)
        changed = _adopt(job, config) if plan.pbt_interval else []
        outcome = attempt(job, [_Report(plan.score, job, plan.pbt_interval is not None)], changed)
    finally:
        root.removeHandler(handler)
        handler.close()
    if not isinstance(outcome, str) and outcome:  # a failure is in its marker, which the driver reads
        raise RuntimeError(f"cell {job.name} stopped by signal (status {outcome})")


def _lines(jobs: dict[str, CellJob], progress: Progress, plan: Parallel) -> Any:
    """A Ray Tune callback (it runs in the driver) that prints the cells' lines and leaves the
    markers only the driver can know: pruned by the scheduler, or dead past its retries."""
    from ray import tune

    class Lines(tune.Callback):
        def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
            name = str(trial)  # the cell's name (trial_name_creator); PBT may copy another cell's config
            if name in progress.running:  # PBT pauses and restarts a trial: the cell goes on
                log.debug("%s: continues", name)
            else:
                progress.started(name)

        def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
            job = jobs[str(trial)]
            failed = read_marker(job.run_dir, FAILED)
            if failed is not None:
                progress.ended(job.name, "failed", failed["reason"])
            elif (job.run_dir / DONE).exists():
                node = str((read_marker(job.run_dir, DONE) or {}).get("node", "?"))
                progress.ended(job.name, "done", f"on node {node[:8]}" if plan.address else "")
            else:  # ended by the scheduler before its budget
                last = trial.last_result or {}
                write_text_atomically(job.run_dir / PRUNED, json.dumps({
                    "name": job.name, "by": plan.prune or "scheduler", "iteration": last.get("iteration"), "score": last.get("score"),
                    "evaluations": last.get("training_iteration"),
                }) + "\n")
                progress.ended(job.name, "pruned", f"{plan.prune}: score {last.get('score', float('nan')):.4g} at iteration {last.get('iteration')}")

        def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
            job = jobs[str(trial)]
            reason = f"its process failed {plan.retries + 1} times; its last checkpoint is kept (repeat the command to resume it)"
            write_text_atomically(job.run_dir / FAILED, json.dumps({"name": job.name, "reason": reason}) + "\n")
            progress.ended(job.name, "failed", reason)

    return Lines()


def _scheduler(plan: Parallel) -> Any:
    from ray.tune.schedulers import ASHAScheduler, PopulationBasedTraining

    mode = "max" if plan.higher_is_better else "min"
    if plan.prune == "asha":
        return ASHAScheduler(time_attr="training_iteration", metric="score", mode=mode, max_t=plan.evaluations + 1, grace_period=1, reduction_factor=2)
    if plan.pbt_interval is not None:
        return PopulationBasedTraining(
            time_attr="training_iteration", metric="score", mode=mode, perturbation_interval=plan.pbt_interval,
            hyperparam_mutations=dict(plan.mutations), quantile_fraction=0.25, resample_probability=0.25,
        )
    return None


def _start_ray(plan: Parallel) -> None:
    import ray

    from ganlib.plugins import DISABLE_ENV_VAR, PLUGINS_ENV_VAR

    if ray.is_initialized():
        return
    env = {name: os.environ[name] for name in (PLUGINS_ENV_VAR, DISABLE_ENV_VAR, "PYTHONPATH") if name in os.environ}
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False, "runtime_env": {"env_vars": env}}
    if plan.address is not None:
        ray.init(address=plan.address, **options)
    else:
        ray.init(num_cpus=plan.workers * plan.threads_per_cell, **options)


def _initial(pending: dict[str, CellJob], flag: str, kind: type, config: dict[str, Any]) -> Any:
    """A PBT cell's first value of a searched setting: its own draw, as a number when it is one."""
    return kind(pending[config["cell"]].settings[flag])


def run_jobs(jobs: Sequence[CellJob], plan: Parallel | None) -> int:
    """Run (or resume) the cells where :func:`plan_workers` decided.

    Args:
        jobs: The cells, in order.
        plan: The Ray plan, or ``None`` for one after another in this process.

    Returns:
        0, or the status of a signal that stopped the cells (repeat the command to resume).
    """
    return run_here(jobs) if plan is None else run_on_ray(jobs, plan)


def run_on_ray(jobs: Sequence[CellJob], plan: Parallel) -> int:
    """Run (or resume) the cells as Ray Tune trials, at most ``plan.workers`` at once.

    Cells already settled (done, or pruned) are skipped; the others start or resume from their
    run directories, so repeating an interrupted command continues the study.

    Args:
        jobs: The cells.
        plan: How to spread them.

    Returns:
        0 (a failing cell is marked, not raised), or 130 when the driver was interrupted.
    """
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the study prints its own lines and bar
    from ray import tune
    from ray.tune.search.sample import Float, Integer

    pending = {job.name: job for job in pending_jobs(jobs)}
    progress = Progress(len(jobs), jobs[0].what if jobs else "cell", finished=len(jobs) - len(pending), workers=plan.workers)
    if not pending:
        progress.close()
        return 0
    started = time.perf_counter()
    _start_ray(plan)
    log.debug("ray started in %.1f s", time.perf_counter() - started)
    space: dict[str, Any] = {"cell": tune.grid_search(list(pending))}
    for flag, domain in plan.mutations.items() if plan.pbt_interval else ():
        kind: type = int if isinstance(domain, Integer) else float if isinstance(domain, Float) else str  # PBT perturbs numbers as numbers
        space[flag] = tune.sample_from(partial(_initial, pending, flag, kind))
    trainable = tune.with_resources(
        tune.with_parameters(_trial, jobs=pending, plan=plan),
        {"cpu": plan.threads_per_cell, "gpu": plan.gpus_per_cell},
    )
    tuner = tune.Tuner(
        trainable, param_space=space,
        tune_config=tune.TuneConfig(
            max_concurrent_trials=plan.workers, scheduler=_scheduler(plan), reuse_actors=True,
            trial_name_creator=lambda trial: str(trial.config["cell"]), trial_dirname_creator=lambda trial: str(trial.config["cell"]),
        ),
        run_config=tune.RunConfig(
            name=time.strftime("cells-%Y%m%d-%H%M%S"), storage_path=str(plan.storage), verbose=0,
            failure_config=tune.FailureConfig(max_failures=plan.retries),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=None),  # PBT may hand any cell's latest to another
            callbacks=[_lines(pending, progress, plan)],
        ),
    )
    random.seed(plan.seed)  # PBT's explore draws with Python's random module, in this process
    try:
        tuner.fit()
    finally:
        progress.close()
    unfinished = [job.name for job in pending.values() if cell_state(job.run_dir) == "left"]
    if unfinished:  # Ray stops its trials on Ctrl-C and returns: what did not finish resumes next time
        log.info("%d cells did not finish (%s); repeat the command to resume them", len(unfinished), ", ".join(unfinished))
        return 130
    return 0


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that spread a grid's cells over cores, GPUs and machines (``study``, ``bench``)."""
    group = parser.add_argument_group("where the cells run (several at once on Ray Tune: pip install \"ganlib[ray]\")")
    group.add_argument("--workers", type=positive_int, default=None, help="cells that run at once (default: one per core, one thread each, when Ray Tune is installed; else 1)")
    group.add_argument("--threads-per-cell", "--threads", dest="threads", type=positive_int, default=None, help="CPU threads of each cell (default 1 when several run at once)")
    group.add_argument("--gpus-per-cell", type=non_negative_float, default=0.0, metavar="F", help="share of a GPU each cell gets: 0.25 runs four cells on one GPU")
    group.add_argument("--address", default=None, help="a running Ray cluster (host:port, or auto); --out must then be an absolute path every node sees")
    group.add_argument("--retries", type=non_negative_int, default=2, help="how often a cell whose process died is started again (from its last checkpoint)")


def _visible_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def plan_workers(args: argparse.Namespace, out: Path, what: str, needs_ray: str | None = None, **plan: Any) -> Parallel | None:
    """Decide where the cells run and say so in one line; ``None`` is this process, one at a time.

    Args:
        args: The command's arguments (:func:`add_worker_arguments`' among them); ``args.threads``
            is set to each cell's threads.
        out: The output directory (the Ray records go to ``out/tune``).
        what: ``"study"`` or ``"bench"``, for the line.
        needs_ray: An option given that only Ray can serve (``"--prune asha"``), or ``None``.
        **plan: More fields of :class:`~ganlib.cli.tune.Parallel` (score, schedulers).

    Returns:
        The plan, or ``None`` for the one-process path.

    Raises:
        ValueError: If Ray Tune is needed and not installed (the line says how to install
            it), or ``--address`` comes with a relative ``--out``.
    """
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    asked = args.workers
    if args.address is not None and not out.is_absolute():
        raise ValueError(f"--out {out} is relative, but with --address the cells may run on other machines: give an absolute path on a file system every node sees")
    for flag, given in ((f"--workers {asked}", asked is not None and asked > 1), (f"--address {args.address}", args.address is not None), (needs_ray, needs_ray is not None),
                        (f"--gpus-per-cell {args.gpus_per_cell:g}", 0 < args.gpus_per_cell < 1)):
        if given:
            require_ray(str(flag))
    threads = args.threads
    gpus = _visible_gpus() if str(getattr(args, "device", "cpu")) != "cpu" else 0
    if gpus and args.gpus_per_cell == 0 and ray_installed():  # a GPU machine: one GPU per cell unless told to share
        args.gpus_per_cell = 1.0
    if asked is None:
        slots = int(gpus / args.gpus_per_cell) if gpus and args.gpus_per_cell else cores // (threads or 1)
        asked = max(1, slots) if ray_installed() else 1
    ray = asked > 1 or args.address is not None or needs_ray is not None or 0 < args.gpus_per_cell < 1
    if not ray:
        note = "" if ray_installed() or cores == 1 else f" (install Ray Tune to run {cores} at once: pip install \"ganlib[ray]\")"
        log.info("%s: cells run one at a time in this process%s", what, note)
        return None
    args.threads = threads or 1
    where = f"the Ray cluster at {args.address}" if args.address else f"this machine's {cores} cores"
    share = f", {args.gpus_per_cell:g} GPU each" if args.gpus_per_cell else ""
    log.info("%s: up to %d cells at once on %s, %d thread%s each%s (--workers, --threads-per-cell, --gpus-per-cell)", what, asked, where, args.threads, "" if args.threads == 1 else "s", share)
    return Parallel(workers=asked, threads_per_cell=args.threads, gpus_per_cell=args.gpus_per_cell, address=args.address, storage=out.resolve() / "tune", retries=args.retries, **plan)
