"""Run directories for command-line training: nothing overwritten, nothing deleted that ganlib did
not write, resumes validated first, and one process per directory.

A training command (``python -m ganlib train``, and the flagship example through it) keeps
everything of a run in one directory. This module holds the rules every such command follows:

* **one process per run directory**: :func:`~ganlib.locks.run_lock` takes a lock before anything is written
  and holds it for the run's life; a second process is refused in one line naming the first,
  and a lock left by a process that is gone is detected, named and taken over;
* a fresh run into a directory that already holds a run is refused (the message offers
  ``--resume`` and ``--overwrite``), and so is ``--resume A --out B`` when B holds another run;
* a run is never put inside another run's directory (where that run's ``--overwrite`` would
  delete it);
* ``--overwrite`` removes only what a ganlib run wrote there: the files listed in the run's
  manifest (``.ganlib-run.json``), or, for a run of an older version without one, the names a
  run writes, never through a symbolic link, and never other files; it is refused when another
  run lies inside them;
* a resume is checked before anything is written: the settings that define the models and
  the data (architecture, data selection, seed) must equal the saved run's, and each
  difference is listed; other settings (learning rate, logging...) may change and are
  reported; ``config.json`` is rewritten only once the checkpoint has loaded;
* errors a user can fix end the command with one line on stderr and exit status 2, never a
  traceback (:func:`~ganlib.errors.cli_errors`; set ``GANLIB_DEBUG=1`` to see one); Ctrl-C and
  SIGTERM end it with 130 and 143.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlib import _compat
from ganlib._files import write_text_atomically
from ganlib.checkpoint import CHECKPOINT_DIR, find_checkpoint
from ganlib.errors import RunError
from ganlib.locks import LOCK, in_use, run_lock

__all__ = [
    "CONFIG",
    "LOCK",
    "MANIFEST",
    "RunError",
    "RunPlan",
    "check_output_directory",
    "plan_run",
    "prepare_directory",
    "run_lock",
    "saved_config",
    "write_config",
]

CONFIG = "config.json"
"""The file in a run directory that holds the command's settings."""

MANIFEST = ".ganlib-run.json"
"""The run's manifest: the names ganlib writes in the directory (what ``--overwrite`` may remove)."""


SESSIONS = "sessions.jsonl"
"""The file in a run directory with one line per start of the run: the command, the machine, the versions."""

RUN_FILES = (CONFIG, "metrics.jsonl", "curves.png", CHECKPOINT_DIR, "samples", "tensorboard", "landscape", "landscape.gif", SESSIONS, "evaluations.jsonl", "report.html")
"""The names a training run writes in its directory."""


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
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _holds_a_run(path: Path) -> bool:
    """A ganlib run: its manifest, or (a run of ganlib 0.2, which wrote none) its config and log or checkpoints."""
    if not path.is_dir():
        return False
    if (path / MANIFEST).exists():
        return True
    return (path / CONFIG).is_file() and ((path / "metrics.jsonl").is_file() or (path / CHECKPOINT_DIR).is_dir())


def _foreign_names(path: Path) -> list[str]:
    """Names a run would write that exist in ``path`` without being a ganlib run's (the user's own)."""
    if not path.is_dir() or _holds_a_run(path):
        return []
    return [name for name in RUN_FILES if os.path.lexists(path / name)]


def _enclosing_run(path: Path) -> Path | None:
    """The ganlib run that ``path`` lies inside (``path`` itself excluded), or ``None``."""
    for parent in (*path.parents, *path.resolve().parents):
        if _holds_a_run(parent):
            return parent
    return None


def _nested_run(run_dir: Path) -> Path | None:
    """A ganlib run inside what ``--overwrite`` removes from ``run_dir`` (never through a link), or ``None``."""
    for name in _manifest(run_dir):
        top = run_dir / name
        if top.is_symlink() or not top.is_dir():
            continue  # a link is removed as a link: what it points to stays
        for root, _, _ in os.walk(top):
            if _holds_a_run(Path(root)):
                return Path(root)
    return None


def _check_not_nested(run_dir: Path) -> None:
    enclosing = _enclosing_run(run_dir)
    if enclosing is not None:
        raise RunError(f"{run_dir} lies inside the run in {enclosing}, whose --overwrite would delete it; choose an --out outside that run")


def _run_dir_of(checkpoint: Path) -> Path:
    return checkpoint.parent.parent if checkpoint.parent.name == CHECKPOINT_DIR else checkpoint.parent


def _check_out(out: Path | None) -> None:
    if out is not None and str(out).strip() in ("", "."):
        raise RunError(f"--out {str(out)!r} names the current directory; give the run a directory of its own (e.g. --out runs/my-run)")
    if out is not None:
        check_output_directory(Path(out))


def check_output_directory(path: Path, flag: str = "--out", *, holding: str | None = None) -> None:
    """Refuse, writing nothing, an output directory that cannot be one.

    Args:
        path: The directory a command is about to write into.
        flag: The option that named it, for the message.
        holding: What the command writes there (``"study"``): also refuse a directory that holds
            a training run, whose files it would mix with its own.

    Raises:
        RunError: If ``path`` is a file, a symbolic link to nothing, lies below a file, or (with
            ``holding``) holds a run.
    """
    if path.is_symlink() and not path.exists():
        raise RunError(f"{flag} {path} is a symbolic link to {os.readlink(path)}, which does not exist; remove the link, or choose another {flag}")
    if path.exists() and not path.is_dir():
        raise RunError(f"{flag} {path} is a file, not a directory; choose another {flag}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunError(f"{flag} {path}: {parent} is a file, so nothing can be written below it; choose another {flag}")
            break
    if holding is not None and _holds_a_run(path):
        raise RunError(f"{flag} {path} holds a training run; a {holding} writes its own files and runs beside it: give the {holding} a directory of its own")


def saved_config(resume: str | os.PathLike[str]) -> tuple[Path, Path, dict[str, Any]]:
    """The checkpoint, run directory and saved settings of a run to resume.

    Args:
        resume: A run directory or a checkpoint file.

    Returns:
        ``(checkpoint, run_dir, config)``; ``config`` is empty when the run has no ``config.json``.

    Raises:
        RunError: If there is no checkpoint there, or ``config.json`` is unreadable or not an object.
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
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunError(f"{path} cannot be read ({error}); fix or delete it to resume") from None
    if not isinstance(config, dict):
        raise RunError(f"{path} holds a JSON {type(config).__name__}, not the object of settings a run writes; fix or delete it to resume")
    return checkpoint, run_dir, config


def plan_run(
    settings: Mapping[str, Any],
    *,
    out: Path | None,
    resume: Path | None,
    overwrite: bool,
    default_out: Path,
    fixed: Sequence[str],
    typed: Collection[str] | None = None,
) -> RunPlan:
    """Decide the run directory and check a fresh run or a resume, writing nothing.

    Args:
        settings: The command's settings (parsed arguments).
        out: The requested run directory, or ``None``.
        resume: A run directory or checkpoint to continue, or ``None``.
        overwrite: Replace an existing run in ``out`` (fresh runs only).
        default_out: The run directory when neither ``out`` nor ``resume`` names one.
        fixed: Settings that must not change on resume (architecture, data, seed).
        typed: The settings given on this command line, when known: a fixed setting that
            differs although it was not typed is blamed on the saved file, not the command.

    Returns:
        The plan.

    Raises:
        RunError: If a fresh run would overwrite a run, a resume would write into another
            run's directory, the run directory lies inside another run's, ``--overwrite``
            would delete a run nested in this one, ``out`` names the current directory, or a
            fixed setting differs from the resumed run's (every difference is listed).
    """
    _check_out(out)
    config = {key: _jsonable(value) for key, value in settings.items() if key not in ("resume", "overwrite")}
    for target in {Path(p) for p in (out, resume if resume is not None and Path(resume).is_dir() else None) if p is not None}:
        holder = in_use(target)
        if holder is not None:
            raise RunError(f"{target} is in use: {holder} is training into it; wait for it to finish, or choose another --out")
    if resume is None:
        run_dir = Path(out) if out is not None else default_out
        _check_not_nested(run_dir)
        foreign = _foreign_names(run_dir)
        if foreign:
            raise RunError(
                f"{run_dir} holds {', '.join(foreign)} that no ganlib run wrote; a run would write over them, "
                "and --overwrite removes only a run's own files: choose an empty or new --out"
            )
        if _holds_a_run(run_dir) and not overwrite and not any((run_dir / CHECKPOINT_DIR).glob("*.pt")):
            raise RunError(
                f"{run_dir} holds a run that stopped before its first checkpoint (nothing to resume); "
                "pass --overwrite to start it again, or choose another --out"
            )
        if _holds_a_run(run_dir) and not overwrite:
            raise RunError(
                f"{run_dir} already holds a run; continue it with --resume {run_dir}, choose another --out, "
                "or pass --overwrite to replace it"
            )
        nested = _nested_run(run_dir) if overwrite and run_dir.is_dir() else None
        if nested is not None:
            raise RunError(f"--overwrite {run_dir} would delete {nested}, another ganlib run inside it; move that run out first, or choose another --out")
        config["out"] = str(run_dir)
        return RunPlan(run_dir, None, config)
    if overwrite:
        raise RunError("--overwrite and --resume contradict each other: a resume continues the run it names")
    checkpoint, saved_dir, previous = saved_config(resume)
    run_dir = Path(out) if out is not None else saved_dir
    if out is not None and _holds_a_run(run_dir) and run_dir.resolve() != saved_dir.resolve():
        raise RunError(f"--resume {resume} --out {run_dir}: {run_dir} holds another run; continue the run in its own directory, or give --out an empty directory")
    if out is not None and run_dir.resolve() != saved_dir.resolve():
        _check_not_nested(run_dir)
    config["out"] = str(run_dir)
    differences = [f"{key}: saved {previous[key]!r}, now {config.get(key)!r}" for key in fixed if key in previous and previous[key] != config.get(key)]
    untyped = [d for d in differences if typed is not None and d.partition(":")[0] not in typed]
    if untyped:
        raise RunError(
            f"--resume {resume}: {saved_dir / CONFIG} holds settings that do not resolve to themselves ({'; '.join(untyped)}), "
            "although none of them was typed: the file was edited by hand or written by another version; restore it, or start a new run"
        )
    if differences:
        raise RunError(
            f"--resume {resume}: these settings define the saved run and cannot change ({'; '.join(differences)}); "
            "drop them from the command line to continue it, or start a new run with --out"
        )
    changed = {key: (previous[key], config[key]) for key in config if key in previous and previous[key] != config[key] and key != "out"}
    return RunPlan(run_dir, checkpoint, config, changed)


def _manifest(run_dir: Path) -> list[str]:
    path = run_dir / MANIFEST
    try:
        names = json.loads(path.read_text()).get("files", [])
    except (OSError, json.JSONDecodeError, AttributeError):
        return list(RUN_FILES)
    return [n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")]


def _remove(target: Path) -> None:
    if target.is_symlink():
        target.unlink()  # the link, never what it points at
    elif target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()


def prepare_directory(plan: RunPlan, *, overwrite: bool) -> None:
    """Create the run directory and its manifest; with ``overwrite``, first remove the old run's files.

    Only what a ganlib run wrote is removed: the names in the old run's manifest (or, for a run
    without one, the names a run writes); a symbolic link is removed as a link. Anything else
    in the directory is left alone.

    Args:
        plan: The plan from :func:`plan_run`.
        overwrite: Whether the user asked to replace an existing run.
    """
    if overwrite and plan.checkpoint is None and plan.run_dir.is_dir():
        for name in _manifest(plan.run_dir):
            _remove(plan.run_dir / name)
    plan.run_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(plan.run_dir / MANIFEST, json.dumps({"files": list(RUN_FILES)}) + "\n")


def write_config(run_dir: Path, config: Mapping[str, Any]) -> Path:
    """Write ``config.json`` atomically.

    Args:
        run_dir: The run directory.
        config: JSON-serializable settings.

    Returns:
        The path written.
    """
    return write_text_atomically(run_dir / CONFIG, json.dumps(_jsonable(dict(config)), indent=2) + "\n")


def record_session(run_dir: Path, argv: Sequence[str], device: Any, threads: int) -> Path:
    """Add a line to the run's :data:`SESSIONS`: when and how this start of the run was made
    (the command, the machine, ganlib's and torch's versions), for reports.

    Args:
        run_dir: The run directory.
        argv: The command's arguments after ``python -m ganlib``.
        device: The training device.
        threads: The CPU threads it ran with.

    Returns:
        The file.
    """
    import datetime
    import platform
    import shlex

    import torch

    import ganlib

    name = torch.cuda.get_device_name(device) if getattr(device, "type", "") == "cuda" else platform.processor() or platform.machine()
    line = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m ganlib " + shlex.join(argv),
        "device": str(device), "device_name": name, "threads": threads, "cpus": os.cpu_count(),
        "platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__, "ganlib": ganlib.__version__,
    }
    path = run_dir / SESSIONS
    with open(path, "a", encoding="utf-8") as file:  # one short line per start: appended, never rewritten
        file.write(json.dumps(line) + "\n")
    return path


def read_sessions(run_dir: Path) -> list[dict[str, Any]]:
    """The run's starts as :func:`record_session` wrote them (empty for a run of an older ganlib)."""
    path = run_dir / SESSIONS
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().startswith("{")]


def __getattr__(name: str) -> Any:
    return _compat.moved_attribute(__name__, name)
