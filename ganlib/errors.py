"""The exceptions a ganlib user meets, in one light module (it imports nothing but the standard library).

* :class:`UserError` -- a problem the user can fix (a bad value, a run directory in the way);
  the commands print it in one line and exit with status 2. It is a :class:`ValueError`.
* :class:`RunError` -- a :class:`UserError` about a run directory or a resume.
* :class:`PluginError` -- a plugin could not be loaded.
* :class:`ComponentError` -- a registered component's builder failed; the message names the
  component (and the plugin module that registered it).
* :class:`NonFiniteError` -- training produced a NaN or an infinity (exit status 1).
* :class:`TrainingInterrupted` -- training stopped cleanly after Ctrl-C or SIGTERM (exit status
  130 or 143).

:func:`cli_errors` turns them into what a command ends with: one line and an exit status.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["DEBUG_ENV_VAR", "ComponentError", "NonFiniteError", "PluginError", "RunError", "TrainingInterrupted", "UserError", "cli_errors"]


class UserError(ValueError):
    """A problem the user can fix; the message names the input and what is valid."""


class RunError(UserError):
    """A user-fixable problem with a run directory or a resume."""


class PluginError(UserError):
    """A plugin module or entry point could not be imported or failed while registering."""


class ComponentError(UserError):
    """A component's builder failed on the arguments it was given; the original error is its ``__cause__``."""


class NonFiniteError(RuntimeError):
    """Training produced a NaN or infinite loss or term.

    Args:
        iteration: The first iteration with a non-finite value.
        name: The metric's name (``loss/critic``, ``penalty/gp``, ``loss/generator``...).
        value: The value.

    Attributes:
        iteration: The first iteration with a non-finite value.
        name: The metric's name.
        phase: ``"critic"`` or ``"generator"``.
        value: The value (``nan``, ``inf`` or ``-inf``).
    """

    def __init__(self, iteration: int, name: str, value: float) -> None:
        self.iteration, self.name, self.value = iteration, name, value
        self.phase = "generator" if name.startswith("generator/") or name == "loss/generator" else "critic"
        what = f"the {self.phase} step's {name!r} is {value}"
        super().__init__(
            f"training diverged at iteration {iteration}: {what}; no checkpoint was written from this state. "
            "Lower the learning rate or the penalty weight, or check the data for NaN values, then resume "
            "from the last checkpoint"
        )


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped at an iteration boundary after Ctrl-C or SIGTERM.

    Args:
        signum: The signal received.
        iteration: The last completed iteration.

    Attributes:
        signum: The signal received (``signal.SIGINT`` or ``signal.SIGTERM``).
        iteration: The last completed iteration.
        exit_code: The conventional exit status: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int, iteration: int) -> None:
        super().__init__(f"{signal.Signals(signum).name} at iteration {iteration}")
        self.signum = signum
        self.iteration = iteration
        self.exit_code = 128 + int(signum)


DEBUG_ENV_VAR = "GANLIB_DEBUG"
"""Set to 1 to see the traceback of a user's error."""


def cli_errors(main: Callable[..., int]) -> Callable[..., int]:
    """Decorate a command's ``main``: user errors become one line on stderr and an exit status.

    :class:`ValueError` (bad values, :class:`RunError`, plugin errors) and :class:`OSError` (a
    missing file, a read-only or full disk) end with status 2; a run that diverged
    (:class:`~ganlib.errors.NonFiniteError`) ends with status 1; Ctrl-C and SIGTERM outside a
    training loop end with 130 and 143. With ``GANLIB_DEBUG=1`` the traceback is shown instead.

    Args:
        main: A function returning the exit status.

    Returns:
        The wrapped function.
    """

    def wrapped(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs)
        except TrainingInterrupted as stop:
            return stop.exit_code
        except KeyboardInterrupt:
            return 130
        except (NonFiniteError, ValueError, OSError, OverflowError) as error:
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
