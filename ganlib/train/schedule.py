"""How critic and generator steps alternate within an iteration: the step schedule seam.

One Trainer iteration is whatever its :class:`StepSchedule` runs. The default,
:class:`FixedSchedule`, is Algorithm 1 of WGAN-GP: ``n_critic`` critic steps, then one
generator step, the same work every iteration (so it can be captured in a CUDA graph).
:class:`AdaptiveSchedule` is the GAN lecture's adaptive alternation: train the critic while
its loss is above a threshold and the generator while its loss is above another, each
within bounds; it reads each step's loss on the host, so it cannot be captured.

A schedule calls :meth:`Trainer.critic_step <ganlib.train.Trainer.critic_step>` and
:meth:`Trainer.generator_step <ganlib.train.Trainer.generator_step>`, which return the step's
terms (device tensors); it never touches an optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.contract import PositiveInt
from ganlib.registry import Registry


__all__ = ["STEP_SCHEDULES", "AdaptiveSchedule", "FixedSchedule", "StepSchedule", "Steps", "register_step_schedule"]


class Steps(Protocol):
    """What a step schedule drives, and all it sees of the loop: the two steps (each returns its
    terms as tensors on the device), the device, and a way to report terms of its own. The
    Trainer is one; a test can pass two callables in a small object."""

    @property
    def device(self) -> torch.device: ...  # noqa: D102

    def critic_step(self) -> dict[str, Tensor]: ...  # noqa: D102

    def generator_step(self) -> dict[str, Tensor]: ...  # noqa: D102

    def report(self, phase: str, terms: Mapping[str, Tensor]) -> None: ...  # noqa: D102


class StepSchedule:
    """Base class: runs one iteration's critic and generator steps."""

    def run(self, trainer: Steps) -> None:
        """Run one iteration's steps through ``trainer.critic_step()`` and ``trainer.generator_step()``.

        Args:
            trainer: What it drives (the Trainer, or any :class:`Steps`).
        """
        raise NotImplementedError

    def critic_draws(self, trainer: Steps) -> int:
        """Critic steps per iteration (at most), for the static batch slots of a captured iteration.

        Args:
            trainer: What it drives (the Trainer, or any :class:`Steps`).

        Returns:
            The number of critic steps.
        """
        raise NotImplementedError

    def capture_blocker(self) -> str | None:
        """Why iterations of this schedule cannot be recorded once and replayed.

        Returns:
            The reason in words, or ``None`` when they can.
        """
        return None

    def state_dict(self) -> dict[str, Any]:
        """Resumable state (none by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class FixedSchedule(StepSchedule):
    """``n_critic`` critic steps, then one generator step (Gulrajani et al., 2017, Algorithm 1).

    Args:
        n_critic: Critic steps per generator step (5 in WGAN and WGAN-GP, 1 in DCGAN).
    """

    def __init__(self, n_critic: PositiveInt = 5) -> None:
        self.n_critic = check_int("n_critic", n_critic)

    def run(self, trainer: Steps) -> None:  # noqa: D102
        for _ in range(self.n_critic):
            trainer.critic_step()
        trainer.generator_step()

    def critic_draws(self, trainer: Steps) -> int:  # noqa: D102
        return self.n_critic

    def __repr__(self) -> str:
        return f"FixedSchedule(n_critic={self.n_critic})"


class AdaptiveSchedule(StepSchedule):
    """Train the critic while its loss is above ``critic_threshold``, then the generator while
    its loss is above ``generator_threshold``, each between a minimum and a maximum number of steps.

    One of the GAN lecture's practical tips ("train D while its loss is above t_d, G while
    above t_g"). Each iteration logs how many steps each network took
    (``schedule/critic_steps``, ``schedule/generator_steps``). Reading a step's loss on the host
    costs one synchronization per step, and the work varies between iterations, so it cannot be
    captured in a CUDA graph (capture falls back to eager iterations, saying why).

    Args:
        critic_threshold: Keep training the critic while its loss is above this.
        generator_threshold: Keep training the generator while its loss is above this.
        max_critic_steps: At most this many critic steps per iteration.
        max_generator_steps: At most this many generator steps per iteration.
        min_critic_steps: At least this many critic steps.
        min_generator_steps: At least this many generator steps.

    Raises:
        ValueError: If a bound is not a positive integer, a minimum exceeds its maximum, or a
            threshold is not a finite number.
    """

    def __init__(
        self,
        critic_threshold: float,
        generator_threshold: float,
        *,
        max_critic_steps: PositiveInt = 5,
        max_generator_steps: PositiveInt = 5,
        min_critic_steps: PositiveInt = 1,
        min_generator_steps: PositiveInt = 1,
    ) -> None:
        for name, value in (("critic_threshold", critic_threshold), ("generator_threshold", generator_threshold)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name}={value!r} is invalid; expected a finite loss value")
        self.critic_threshold, self.generator_threshold = float(critic_threshold), float(generator_threshold)
        self.max_critic_steps = check_int("max_critic_steps", max_critic_steps)
        self.max_generator_steps = check_int("max_generator_steps", max_generator_steps)
        self.min_critic_steps = check_int("min_critic_steps", min_critic_steps, maximum=self.max_critic_steps, expected=f"an integer from 1 to max_critic_steps={self.max_critic_steps}")
        self.min_generator_steps = check_int("min_generator_steps", min_generator_steps, maximum=self.max_generator_steps, expected=f"an integer from 1 to max_generator_steps={self.max_generator_steps}")

    @staticmethod
    def _phase(step: Callable[[], dict[str, Tensor]], threshold: float, least: int, most: int) -> int:
        taken = 0
        while True:
            terms = step()
            taken += 1
            if taken >= most or (taken >= least and float(terms["loss"].detach()) <= threshold):
                return taken

    def run(self, trainer: Steps) -> None:  # noqa: D102
        critic = self._phase(trainer.critic_step, self.critic_threshold, self.min_critic_steps, self.max_critic_steps)
        generator = self._phase(trainer.generator_step, self.generator_threshold, self.min_generator_steps, self.max_generator_steps)
        device = trainer.device
        trainer.report("generator", {"schedule/critic_steps": torch.tensor(float(critic), device=device), "schedule/generator_steps": torch.tensor(float(generator), device=device)})

    def critic_draws(self, trainer: Steps) -> int:  # noqa: D102
        return self.max_critic_steps

    def capture_blocker(self) -> str | None:  # noqa: D102
        return "the adaptive step schedule decides on the host, from each step's loss, how many steps to take; a graph records a fixed number"

    def __repr__(self) -> str:
        return (
            f"AdaptiveSchedule(critic_threshold={self.critic_threshold}, generator_threshold={self.generator_threshold}, "
            f"critic steps {self.min_critic_steps}-{self.max_critic_steps}, generator steps {self.min_generator_steps}-{self.max_generator_steps})"
        )


STEP_SCHEDULES: Registry[Any] = Registry("step schedule")
"""Step schedules by name, for ``--step-schedule NAME``."""


def register_step_schedule(name: str, schedule: Any = None, *, replace: bool = False) -> Any:
    """Register a step schedule class (or builder) under ``name`` (a decorator when ``schedule`` is omitted).

    Args:
        name: The name.
        schedule: A :class:`StepSchedule` subclass or builder; its keyword arguments are
            ``--step-schedule-arg KEY=VALUE``.
        replace: Replace another schedule registered under ``name``.

    Returns:
        The class unchanged, or the decorator.
    """
    return STEP_SCHEDULES.register(name, schedule, replace=replace)


register_step_schedule("fixed", FixedSchedule)
register_step_schedule("adaptive", AdaptiveSchedule)
