"""One cell of a grid of runs (``study``, ``bench``): a ``train`` run that is skipped when it is
done, resumed when it was interrupted and continued when asked for more iterations."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ganlib.cli.train as train
from ganlib._files import write_text_atomically
from ganlib.errors import RunError
from ganlib.train import read_log

__all__ = ["DONE", "run_cell"]

log = logging.getLogger("ganlib.study")

DONE = "study-cell-done.json"
"""The marker a finished cell leaves in its run directory (with its record, iterations and why it stopped)."""


def run_cell(run_dir: Path, new_argv: Callable[[], list[str]], iterations: int, record: dict[str, Any], *, what: str = "study cell") -> int:
    """Train one cell to ``iterations`` (or its time budget), resuming whatever is there.

    Args:
        run_dir: The cell's run directory.
        new_argv: The ``train`` arguments of a fresh start (called only when one is needed).
        iterations: The iteration budget; a cell finished at fewer is continued to it, unless a
            time budget stopped it.
        record: What the marker records besides ``iterations`` and ``stopped_by``.
        what: How errors name the cell's kind.

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
    if (run_dir / "checkpoints" / "latest.pt").exists():
        log.info("%s: resuming", name)
        argv = ["--resume", str(run_dir), "--iterations", str(iterations)]
    else:
        argv = new_argv()
        if run_dir.exists():  # started, but no checkpoint yet: start again
            argv.append("--overwrite")
    status = train.run(train.build_parser().parse_args(argv))
    if status in (130, 143):
        return status
    if status != 0:
        raise RunError(f"{what} {name} stopped with status {status}; repeat the command to resume it")
    records = read_log(run_dir)
    reached = records[-1]["iteration"] if records else 0
    stopped_by = "time" if reached < iterations else "iterations"
    write_text_atomically(done, json.dumps({**record, "iterations": reached, "stopped_by": stopped_by}) + "\n")
    return 0
