"""Argument types for ganlib's commands: each bad value is reported with its flag.

argparse prefixes a type's error with the flag, so ``--checkpoint-every 0`` ends with
``error: argument --checkpoint-every: 0 is not a positive integer``: the flag, the value and
what is valid, in one line, with exit status 2.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "invocation",
    "set_invocation",
    "add_threads_argument",
    "apply_threads",
    "MAX_LEARNING_RATE",
    "MAX_SEED",
    "DefaultsHelpFormatter",
    "HelpFormatter",
    "check_output",
    "choices_help",
    "collect",
    "key_value",
    "learning_rate",
    "non_negative_float",
    "non_negative_int",
    "parse_value",
    "positive_float",
    "positive_int",
    "sample_count",
    "seed",
    "unit_interval",
]

_INVOCATION: list[str] = []


def set_invocation(argv: list[str]) -> None:
    """Remember the arguments of the command about to run (after ``python -m ganlib``)."""
    _INVOCATION[:] = argv


def invocation() -> list[str]:
    """The arguments of the command running now, after ``python -m ganlib`` (for its records).

    Returns:
        A copy of them; empty when no command was started through :func:`ganlib.cli.main`.
    """
    return list(_INVOCATION)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps help text without breaking names at their hyphens (``relativistic-average``
    stays whole, so a name in ``--help`` can be searched for and copied)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class DefaultsHelpFormatter(HelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: ...)`` only where there is a default worth showing: not for
    switches, not for ``None`` (the help says what happens then), and not twice."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action)


def _number(text: str, kind: type) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None


MAX_SEED = 2**62
"""The largest seed the commands take: every seed ganlib derives from it (per process, per
data set) stays within what :func:`torch.manual_seed` accepts."""


def seed(text: str) -> int:
    """A random seed: an integer from 0 to :data:`MAX_SEED`.

    Example:
        >>> seed("42")
        42
    """
    value = int(_number(text, int))
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is not a valid seed; expected an integer from 0 to 2**62 = {MAX_SEED}")
    return value


MAX_LEARNING_RATE = 10.0
"""The largest learning rate the commands take (larger ones overflow the optimizers' updates)."""


def learning_rate(text: str) -> float:
    """A learning rate: a positive number up to :data:`MAX_LEARNING_RATE`.

    Example:
        >>> learning_rate("2e-4")
        0.0002
    """
    value = _number(text, float)
    if not (math.isfinite(value) and 0 < value <= MAX_LEARNING_RATE):
        raise argparse.ArgumentTypeError(f"{text} is not a learning rate; expected a positive number up to {MAX_LEARNING_RATE:g} (GANs train at 1e-5 to 1e-3)")
    return value


def sample_count(text: str) -> int:
    """A number of samples to score: at least 2 (FID needs a covariance).

    Example:
        >>> sample_count("500")
        500
    """
    value = int(_number(text, int))
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} is too few samples to score; expected at least 2 (FID needs a covariance; 1000 is usual)")
    return value


def positive_int(text: str) -> int:
    """An integer of at least 1.

    Example:
        >>> positive_int("3")
        3
    """
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (0 usually means "off").

    Example:
        >>> non_negative_int("0")
        0
    """
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; expected 0 (off) or a positive integer")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0.

    Example:
        >>> positive_float("1e-4")
        0.0001
    """
    value = _number(text, float)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} is not a positive, finite number")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of at least 0.

    Example:
        >>> non_negative_float("10")
        10.0
    """
    value = _number(text, float)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} is not a finite, non-negative number")
    return value


def unit_interval(text: str) -> float:
    """A number in [0, 1).

    Example:
        >>> unit_interval("0.999")
        0.999
    """
    value = _number(text, float)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is outside [0, 1)")
    return value


_NULL_WORDS = frozenset({"none", "null"})
"""The words a ``--*-arg`` value reads as ``None`` (JSON's and Python's)."""


def parse_value(text: str) -> object:
    """A ``--*-arg`` value: ``true``/``false``, ``none``, an integer, a number, a JSON list or
    object, or else the text itself.

    Example:
        >>> [parse_value(t) for t in ("3", "0.5", "true", "none", "[1, 2]", "color,cutout")]
        [3, 0.5, True, None, [1, 2], 'color,cutout']
    """
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in _NULL_WORDS:
        return None
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        return value
    if text.strip()[:1] in ("[", "{"):
        import json

        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not valid JSON ({error.msg})") from None
    return text


def key_value(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` as ``(key, parsed value)`` (see :func:`parse_value`).

    Example:
        >>> key_value("decay=0.9"), key_value("r1.weight=5")
        (('decay', 0.9), ('r1.weight', 5))
    """
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals or not key or not key.replace("_", "a").replace(".", "a").replace("-", "a").isalnum():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. decay=0.99)")
    return key, parse_value(value)


def collect(pairs: list[tuple[str, object]] | None, flag: str) -> dict[str, object]:
    """The ``KEY=VALUE`` pairs of a repeated flag as a dict; a key given twice is refused.

    Raises:
        ValueError: Naming the flag and the repeated key.
    """
    collected: dict[str, object] = {}
    for key, value in pairs or []:
        if key in collected:
            raise ValueError(f"{flag} {key}=... is given twice; give each key once")
        collected[key] = value
    return collected


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--threads`` option every command that computes has."""
    parser.add_argument(
        "--threads", type=positive_int, default=None,
        help="CPU threads (default: what torch chooses, or $OMP_NUM_THREADS); 1 per process when several share the machine",
    )


def apply_threads(threads: int | None) -> int:
    """Set torch's CPU threads when asked; returns the number in use."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def choices_help(names: list[str], what: str) -> str:
    """``one of: a, b, c`` for a help text, from a registry's names (plugins' included)."""
    return f"{what}: {', '.join(names)}" if names else what


def check_output(out: Path, *, suffixes: Sequence[str] = (), replaces: Sequence[Path] = (), overwrite: bool = False, what: str = "file") -> None:
    """Refuse, in one line naming ``--out``, an output the command should not write.

    Args:
        out: The ``--out`` value.
        suffixes: The endings a file output may have (case-insensitive); empty: any.
        replaces: The files the command would write; those that exist are refused unless ``overwrite``.
        overwrite: Whether the user passed ``--overwrite``.
        what: What the output is, for the message (``"a pyramid file"``).

    Raises:
        ValueError: If ``out`` has another ending, or the command would replace a file.
    """
    if suffixes and out.suffix.lower() not in tuple(s.lower() for s in suffixes):
        raise ValueError(f"--out {out}: {what} ends in {' or '.join(suffixes)}")
    existing = [p for p in replaces if p.exists()]
    if existing and not overwrite:
        names = ", ".join(p.name for p in existing) if any(p != out for p in existing) else "a file"
        raise ValueError(f"--out {out} already holds {names}; choose another --out or pass --overwrite")

