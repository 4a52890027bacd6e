"""Argument types for ganlib's commands: each bad value is reported with its flag.

argparse prefixes a type's error with the flag, so ``--checkpoint-every 0`` ends with
``error: argument --checkpoint-every: 0 is not a positive integer``: the flag, the value and
what is valid, in one line, with exit status 2.
"""

from __future__ import annotations

import argparse
import math

__all__ = ["DefaultsHelpFormatter", "non_negative_float", "non_negative_int", "positive_float", "positive_int", "unit_interval"]


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
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
