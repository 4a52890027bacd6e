"""The cells of a grid of runs (``study``, ``bench``): each a ``train`` run that is skipped when
it is done, resumed when it was interrupted and continued when asked for more iterations.

:func:`run_here` runs a list of :class:`CellJob` one after another in this process;
:mod:`ganlib.cli.tune` runs them as Ray Tune trials, several at once. Both paths call :func:`run_cell` and leave the same run directories and markers, so whatever reads
the cells afterwards cannot tell which path ran them. A cell's state is its markers:

* :data:`DONE`: finished (its record, iterations and why it stopped);
* :data:`FAILED`: it raised; the reason is kept and the cell is tried again when the command
  is repeated;
* :data:`PRUNED`: an early-stopping scheduler stopped it (its last score and iteration); a
  repeated command leaves it stopped.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ganlib.cli.train as train
from ganlib._files import write_text_atomically
from ganlib.errors import RunError
from ganlib.train import read_log

if TYPE_CHECKING:
    from ganlib.train import Callback

__all__ = ["DONE", "FAILED", "PRUNED", "CellJob", "Progress", "attempt", "cell_state", "fail_cell", "pending_jobs", "read_marker", "run_cell", "run_here", "settled_already"]

log = logging.getLogger("ganlib.study")

DONE = "study-cell-done.json"
"""The marker a finished cell leaves in its run directory (with its record, iterations and why it stopped)."""
FAILED = "study-cell-failed.json"
"""The marker of a cell that raised: ``{"reason": ...}``; removed when the cell is tried again."""
PRUNED = "study-cell-pruned.json"
"""The marker of a cell an early-stopping scheduler stopped: its last score and iteration."""


@dataclass
class CellJob:
    """One cell to run: what :func:`run_cell` needs, in a form that travels to another process.

    Attributes:
        name: The cell's name (its run directory's name).
        run_dir: Its run directory (absolute when cells run on other processes).
        argv: The ``train`` arguments of a fresh start.
        iterations: The iteration budget.
        record: What the done marker records besides ``iterations`` and ``stopped_by``.
        what: How errors name the cell's kind (``"study cell"``).
        settings: The searched settings' values by ``train`` flag (``{"--lr": "0.0002"}``),
            already in ``argv``; a population-based scheduler changes them on resume.
    """

    name: str
    run_dir: Path
    argv: list[str]
    iterations: int
    record: dict[str, Any]
    what: str = "study cell"
    settings: dict[str, str] = field(default_factory=dict)


def read_marker(run_dir: Path, marker: str) -> dict[str, Any] | None:
    """A marker's content, or ``None`` when the cell has none.

    Args:
        run_dir: The cell's run directory.
        marker: :data:`DONE`, :data:`FAILED` or :data:`PRUNED`.

    Returns:
        The marker's JSON, or ``None``.
    """
    path = run_dir / marker
    return json.loads(path.read_text()) if path.exists() else None


def cell_state(run_dir: Path) -> str:
    """``"done"``, ``"pruned"``, ``"failed"`` or ``"left"`` (not started, or interrupted).

    Args:
        run_dir: The cell's run directory.

    Returns:
        The state its markers say.
    """
    for marker, state in ((DONE, "done"), (PRUNED, "pruned"), (FAILED, "failed")):
        if (run_dir / marker).exists():
            return state
    return "left"


def run_cell(
    run_dir: Path, new_argv: Callable[[], list[str]], iterations: int, record: dict[str, Any], *, what: str = "study cell",
    observers: Sequence[Callback] = (), changed: Sequence[str] = (),
) -> int:
    """Train one cell to ``iterations`` (or its time budget), resuming whatever is there.

    Args:
        run_dir: The cell's run directory.
        new_argv: The ``train`` arguments of a fresh start (called only when one is needed).
        iterations: The iteration budget; a cell finished at fewer is continued to it, unless a
            time budget stopped it.
        record: What the marker records besides ``iterations`` and ``stopped_by``.
        what: How errors name the cell's kind.
        observers: Callbacks that watch the run (:func:`ganlib.cli.train.run`).
        changed: ``train`` flags given again on a resume (settings that may change there,
            such as ``--lr``: a population-based scheduler's perturbations).

    Returns:
        0, or 130/143 when a signal stopped the cell (it resumes when the command is repeated).

    Raises:
        RunError: If the run failed otherwise.
    """
    done = run_dir / DONE
    name = record.get("name", run_dir.name)
    if done.exists():
        finished = json.loads(done.read_text())
        if int(finished.get("iterations", iterations)) >= iterations or finished.get("stopped_by") == "time":
            log.info("%s: done already, skipped", name)
            return 0
        log.info("%s: done at %s iterations; continuing to %d", name, finished.get("iterations"), iterations)
        done.unlink()
    (run_dir / FAILED).unlink(missing_ok=True)
    if (run_dir / "checkpoints" / "latest.pt").exists():
        log.info("%s: resuming", name)
        argv = ["--resume", str(run_dir), "--iterations", str(iterations), *changed]
    else:
        argv = new_argv()
        if run_dir.exists():  # started, but no checkpoint yet: start again
            argv.append("--overwrite")
    status = train.run(train.build_parser().parse_args(argv), observers)
    if status in (130, 143):
        return status
    if status != 0:
        raise RunError(f"{what} {name} stopped with status {status}; repeat the command to resume it")
    records = read_log(run_dir)
    reached = records[-1]["iteration"] if records else 0
    stopped_by = "time" if reached < iterations else "iterations"
    write_text_atomically(done, json.dumps({**record, "iterations": reached, "stopped_by": stopped_by}) + "\n")
    return 0


def fail_cell(job: CellJob, error: BaseException) -> str:
    """Leave the :data:`FAILED` marker with the error's first line.

    Args:
        job: The cell.
        error: What it raised.

    Returns:
        The reason recorded: the error's type and first line.
    """
    reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}".rstrip(": ")
    job.run_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(job.run_dir / FAILED, json.dumps({"name": job.name, "reason": reason}) + "\n")
    return reason


def attempt(job: CellJob, observers: Sequence[Callback] = (), changed: Sequence[str] = ()) -> int | str:
    """Run a job; a cell that raises leaves :data:`FAILED` and its reason is returned instead.

    Args:
        job: The cell.
        observers: Callbacks that watch the run.
        changed: ``train`` flags given again on a resume.

    Returns:
        The exit status (0, or a signal's), or the failure's reason.
    """
    try:
        return run_cell(job.run_dir, lambda: list(job.argv), job.iterations, job.record, what=job.what, observers=observers, changed=changed)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # one failing cell is one line of the table; the others go on
        return fail_cell(job, error)


class Progress:
    """One line per cell's start, finish and failure, with the cells done, running and left and
    the time estimate; on a terminal also an overall bar (tqdm) that the lines scroll above.

    The estimate is the mean time of the cells finished in this command, times the cells
    still to finish, divided by the cells running at once.

    Args:
        total: The number of cells.
        what: How the lines name a cell (``"study cell"``).
        finished: Cells already settled before this command (skipped), counted as done.
        workers: Cells that run at once.
    """

    def __init__(self, total: int, what: str = "study cell", finished: int = 0, workers: int = 1) -> None:
        import sys

        self.total, self.what, self.workers = total, what, workers
        self.running: dict[str, float] = {}
        self.settled: set[str] = set()
        self.took: list[float] = []
        self.counts = {"done": finished, "failed": 0, "pruned": 0}
        self._bar: Any = None
        if sys.stderr.isatty():
            from ganlib.train.callbacks.progress import tqdm

            self._bar = tqdm(total=total, initial=finished, unit="cell", dynamic_ncols=True, desc="cells", leave=True)

    def summary(self) -> str:
        """``2 of 8 done, 2 running, 4 left, about 3 min to go``."""
        settled = sum(self.counts.values())
        left = self.total - settled - len(self.running)
        parts = [f"{self.counts['done']} of {self.total} done", f"{len(self.running)} running", f"{left} left"]
        parts += [f"{count} {state}" for state, count in self.counts.items() if state != "done" and count]
        if self.took and settled < self.total:
            remaining = statistics.fmean(self.took) * (self.total - settled) / max(1, min(self.workers, self.total - settled))
            parts.append(f"about {remaining / 60:.0f} min to go" if remaining >= 90 else f"about {remaining:.0f} s to go")
        return ", ".join(parts)

    def _line(self, text: str) -> None:
        text = f"{text} [{self.summary()}]"
        if self._bar is not None:
            self._bar.set_postfix_str(self.summary(), refresh=False)
            self._bar.write(text)
        else:
            log.info(text)

    def started(self, name: str, where: str = "") -> None:
        """A cell started (``where``: the node or process, when known)."""
        self.running[name] = time.perf_counter()
        self._line(f"{self.what} {name}: started{f' on {where}' if where else ''}")

    def ended(self, name: str, state: str, detail: str = "") -> None:
        """A cell ended: ``state`` is ``"done"``, ``"failed"``, ``"pruned"`` or ``"stopped"``."""
        if name in self.settled:  # a scheduler may restart a cell that ended (PBT): it is counted once
            return
        self.settled.add(name)
        began = self.running.pop(name, None)
        if began is not None and state == "done":
            self.took.append(time.perf_counter() - began)
        took = f" after {time.perf_counter() - began:.0f} s" if began is not None else ""
        if state in self.counts:
            self.counts[state] += 1
            if self._bar is not None:
                self._bar.update(1)
        self._line(f"{self.what} {name}: {state}{took}{f' ({detail})' if detail else ''}")

    def close(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()


def pending_jobs(jobs: Sequence[CellJob]) -> list[CellJob]:
    """The cells that need work; one line for each that does not (done, or pruned).

    Args:
        jobs: The cells.

    Returns:
        Those not settled already, in order.
    """
    pending = []
    for job in jobs:
        if settled_already(job):
            log.info("%s: %s already, skipped", job.name, "done" if (job.run_dir / DONE).exists() else "stopped early")
        else:
            pending.append(job)
    return pending


def run_here(jobs: Sequence[CellJob]) -> int:
    """Run (or resume) every cell, one after another in this process; a failing cell is marked
    and the others go on.

    Args:
        jobs: The cells, in order.

    Returns:
        0, or the signal's status if one stopped a cell (the command resumes when repeated).
    """
    pending = pending_jobs(jobs)
    progress = Progress(len(jobs), jobs[0].what if jobs else "cell", finished=len(jobs) - len(pending))
    try:
        for job in pending:
            progress.started(job.name)
            outcome = attempt(job)
            if isinstance(outcome, str):
                progress.ended(job.name, "failed", outcome)
            elif outcome:
                progress.ended(job.name, "stopped", "repeat the command to resume")
                return outcome
            else:
                progress.ended(job.name, "done")
    finally:
        progress.close()
    return 0


def settled_already(job: CellJob) -> bool:
    """Whether the cell needs no more work: pruned, or done at its budget (or by its time budget).

    Args:
        job: The cell.

    Returns:
        Whether a repeated command skips it.
    """
    if (job.run_dir / PRUNED).exists():
        return True
    done = read_marker(job.run_dir, DONE)
    return done is not None and (int(done.get("iterations", 0)) >= job.iterations or done.get("stopped_by") == "time")

