"""Argument checks shared across ganlib, with messages that name the argument and the bad value."""

from __future__ import annotations

__all__ = ["check_int"]


def check_int(name: str, value: object, *, minimum: int = 1, maximum: int | None = None, expected: str | None = None) -> int:
    """Return ``value`` if it is an integer (not a bool) in ``[minimum, maximum]``.

    Args:
        name: The argument's name, for the message.
        value: The value to check.
        minimum: Smallest valid value.
        maximum: Largest valid value, or ``None`` for no bound.
        expected: What would be valid, in words; derived from the bounds when ``None``.

    Returns:
        The value.

    Raises:
        ValueError: ``"{name}={value!r} is invalid; expected ..."`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (maximum is not None and value > maximum):
        if expected is None:
            expected = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name}={value!r} is invalid; expected {expected}")
    return value
