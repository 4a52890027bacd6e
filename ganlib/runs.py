"""Run directories for command-line training: nothing overwritten, resumes validated first.

A training command (the flagship example, ``python -m ganlib train``) keeps everything of a
run in one directory. This module holds the rules every such command follows:

* a fresh run into a directory that already holds a run is refused (the message offers
  ``--resume`` and ``--overwrite``); ``--overwrite`` removes the old run first;
* a resume is checked before anything is written: the settings that define the models and
  the data (architecture, data selection, seed) must equal the saved run's, and each
  difference is listed; other settings (learning rate, logging...) may change and are
  reported; ``config.json`` is rewritten only once the checkpoint has loaded;
* errors a user can fix end the command with one line on stderr and exit status 2, never a
  traceback (set ``GANLIB_DEBUG=1`` to see one).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlib.checkpoint import CHECKPOINT_DIR, find_checkpoint
from ganlib.train.metrics import NonFiniteError

__all__ = ["CONFIG", "DEBUG_ENV_VAR", "RunError", "RunPlan", "cli_errors", "plan_run", "prepare_directory", "saved_config", "write_config"]

CONFIG = "config.json"
"""The file in a run directory that holds the command's settings."""

DEBUG_ENV_VAR = "GANLIB_DEBUG"
"""Set to 1 to see full tracebacks instead of one-line errors."""

_RUN_FILES = (CONFIG, "metrics.jsonl", "curves.png", CHECKPOINT_DIR, "samples", "tensorboard")


class RunError(ValueError):
    """A user-fixable problem with a run directory or a resume."""


@dataclass(frozen=True)
class RunPlan:
    """What a training command is about to do.

    Attributes:
        run_dir: The run directory.
        checkpoint: The checkpoint to resume from, or ``None`` for a fresh run.
        config: The settings to record in ``config.json`` (after the checkpoint has loaded).
        changed: Settings that differ from the resumed run's, ``name -> (old, new)``.
    """

    run_dir: Path
    checkpoint: Path | None
    config: dict[str, Any]
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _holds_a_run(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in _RUN_FILES)


def _run_dir_of(checkpoint: Path) -> Path:
    return checkpoint.parent.parent if checkpoint.parent.name == CHECKPOINT_DIR else checkpoint.parent


def saved_config(resume: str | os.PathLike[str]) -> tuple[Path, Path, dict[str, Any]]:
    """The checkpoint, run directory and saved settings of a run to resume.

    Args:
        resume: A run directory or a checkpoint file.

    Returns:
        ``(checkpoint, run_dir, config)``; ``config`` is empty when the run has no ``config.json``.

    Raises:
        RunError: If there is no checkpoint there, or ``config.json`` is unreadable.
    """
    try:
        checkpoint = find_checkpoint(resume)
    except FileNotFoundError as error:
        raise RunError(f"--resume {resume}: {error}") from None
    run_dir = _run_dir_of(checkpoint)
    path = run_dir / CONFIG
    if not path.exists():
        return checkpoint, run_dir, {}
    try:
        return checkpoint, run_dir, json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise RunError(f"{path} cannot be read ({error}); fix or delete it to resume") from None


def plan_run(
    settings: Mapping[str, Any],
    *,
    out: Path | None,
    resume: Path | None,
    overwrite: bool,
    default_out: Path,
    fixed: Sequence[str],
) -> RunPlan:
    """Decide the run directory and check a fresh run or a resume, writing nothing.

    Args:
        settings: The command's settings (parsed arguments).
        out: The requested run directory, or ``None``.
        resume: A run directory or checkpoint to continue, or ``None``.
        overwrite: Replace an existing run in ``out`` (fresh runs only).
        default_out: The run directory when neither ``out`` nor ``resume`` names one.
        fixed: Settings that must not change on resume (architecture, data, seed).

    Returns:
        The plan.

    Raises:
        RunError: If a fresh run would overwrite a run, or a fixed setting differs from the
            resumed run's (every difference is listed).
    """
    config = {key: _jsonable(value) for key, value in settings.items() if key not in ("resume", "overwrite")}
    if resume is None:
        run_dir = Path(out) if out is not None else default_out
        if _holds_a_run(run_dir) and not overwrite:
            raise RunError(
                f"{run_dir} already holds a run; continue it with --resume {run_dir}, choose another --out, "
                "or pass --overwrite to replace it"
            )
        config["out"] = str(run_dir)
        return RunPlan(run_dir, None, config)
    if overwrite:
        raise RunError("--overwrite and --resume contradict each other: a resume continues the run it names")
    checkpoint, run_dir, previous = saved_config(resume)
    run_dir = Path(out) if out is not None else run_dir
    config["out"] = str(run_dir)
    differences = [f"{key}: saved {previous[key]!r}, now {config.get(key)!r}" for key in fixed if key in previous and previous[key] != config.get(key)]
    if differences:
        raise RunError(
            f"--resume {resume}: these settings define the saved run and cannot change ({'; '.join(differences)}); "
            "drop them from the command line to continue it, or start a new run with --out"
        )
    changed = {key: (previous[key], config[key]) for key in config if key in previous and previous[key] != config[key] and key != "out"}
    return RunPlan(run_dir, checkpoint, config, changed)


def prepare_directory(plan: RunPlan, *, overwrite: bool) -> None:
    """Create the run directory; with ``overwrite``, remove an old run's files from it first.

    Args:
        plan: The plan from :func:`plan_run`.
        overwrite: Whether the user asked to replace an existing run.
    """
    if overwrite and plan.checkpoint is None:
        for name in _RUN_FILES:
            target = plan.run_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    plan.run_dir.mkdir(parents=True, exist_ok=True)


def write_config(run_dir: Path, config: Mapping[str, Any]) -> Path:
    """Write ``config.json`` atomically.

    Args:
        run_dir: The run directory.
        config: JSON-serializable settings.

    Returns:
        The path written.
    """
    path = run_dir / CONFIG
    tmp = path.with_name(f".{CONFIG}.tmp")
    tmp.write_text(json.dumps(dict(config), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def cli_errors(main: Callable[..., int]) -> Callable[..., int]:
    """Decorate a command's ``main``: user errors become one line on stderr and an exit status.

    :class:`ValueError` (bad values, :class:`RunError`) and :class:`OSError` (a missing file,
    a read-only or full disk) end with status 2;
    a run that diverged (:class:`~ganlib.train.NonFiniteError`) ends with status 1. With
    ``GANLIB_DEBUG=1`` the traceback is shown instead.

    Args:
        main: A function returning the exit status.

    Returns:
        The wrapped function.
    """
    def wrapped(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs)
        except (NonFiniteError, ValueError, OSError) as error:
            if os.environ.get(DEBUG_ENV_VAR) == "1":
                raise
            message = str(error)
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                message = f"no space left on the device while writing {error.filename or 'the run'}; free some space and resume"
            print(f"error: {message}", file=sys.stderr)
            return 1 if isinstance(error, NonFiniteError) else 2

    wrapped.__name__ = getattr(main, "__name__", "main")
    wrapped.__doc__ = main.__doc__
    return wrapped
