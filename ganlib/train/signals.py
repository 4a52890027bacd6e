"""Ctrl-C and SIGTERM during training: honoured at the next iteration boundary, not in the middle of one.

A checkpoint taken in the middle of an iteration (after some critic steps) could not be
resumed exactly, so :class:`DeferredInterrupt` turns the first SIGINT or SIGTERM into a flag
the loop reads between iterations; the loop then lets the callbacks save and raises
:class:`~ganlib.errors.TrainingInterrupted`. A second signal stops at once (the previous
handlers are back in place by then).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from ganlib.errors import TrainingInterrupted

__all__ = ["DeferredInterrupt", "TrainingInterrupted"]


class DeferredInterrupt:
    """A context in which the first SIGINT or SIGTERM only sets :attr:`signum`.

    Outside the main thread (where Python cannot install signal handlers) it does nothing.

    Attributes:
        signum: The signal received, or ``None``.

    Example:
        >>> with DeferredInterrupt() as interrupt:
        ...     pass
        >>> interrupt.signum is None
        True
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signum = signum
        self._restore()

    def _restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()
