"""The Callback API and its dispatch: what the loop calls, when, on which process.

A :class:`Callback` is a set of no-op hooks with one uniform signature (the Trainer first).
The loop calls them through a :class:`CallbackList`, which knows the rules in one place:

* **host-side hooks** (:meth:`~Callback.on_fit_start`, :meth:`~Callback.on_iteration_end`,
  checkpoints, signals, errors) run in the order the callbacks were given, on rank 0 only
  unless a callback sets :attr:`~Callback.all_ranks`; :meth:`~Callback.measure` runs for every
  callback before any :meth:`~Callback.on_iteration_end`, so a score measured by one callback
  reaches every other whatever the order;
* **device-side hooks** (:meth:`~Callback.on_before_optimizer_step`,
  :meth:`~Callback.on_critic_fakes`) are part of the update itself: they run on every process
  (the update must be the same everywhere) and, under CUDA-graph capture, are recorded in the
  graph, so they must not read values on the host;
* a callback's state (:meth:`~Callback.state_dict`) is saved in checkpoints under its
  :attr:`~Callback.state_key` and restored on resume.

Callbacks are registered by name (:func:`register_callback`), so that
``python -m ganlib train --callback NAME --callback-arg KEY=VALUE`` can add any of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor
from torch.optim import Optimizer

from ganlib.registry import Registry

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from torch import nn

    from ganlib.train.distributed import Distributed
    from ganlib.train.ema import EMA
    from ganlib.train.history import History
    from ganlib.train.metrics import Metrics

__all__ = ["CALLBACKS", "Callback", "CallbackList", "Loop", "register_callback"]


class Loop(Protocol):
    """What a callback sees of the loop that calls it: the :class:`~ganlib.train.Trainer` is one.

    A callback may read these, stop the fit early (``should_stop = True``) and save a
    checkpoint; it steps no optimizer (the Trainer owns the steps). Named here, so that the
    Callback API needs nothing of the Trainer but this.
    """

    iteration: int
    max_iterations: int
    time_spent: float
    time_budget: float | None
    last_iteration: bool
    should_stop: bool
    in_iteration: bool
    latent_dim: int
    conditional: bool
    device: torch.device
    generator: nn.Module
    critic: nn.Module
    generator_optimizer: Optimizer
    critic_optimizer: Optimizer
    history: History
    distributed: Distributed | None
    last_checkpoint: tuple[int, Path] | None
    critic_steps: int
    data: Any
    ema: EMA | None

    @property
    def sampling_generator(self) -> nn.Module: ...  # noqa: D102

    @property
    def is_main(self) -> bool: ...  # noqa: D102

    @property
    def healthy(self) -> bool: ...  # noqa: D102

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path: ...  # noqa: D102

    def models_changed(self) -> None: ...  # noqa: D102


class Callback:
    """Base class of Trainer callbacks. Every hook is a no-op; override what you need.

    Host-side hooks run in the order the callbacks were given, except :meth:`measure`, which
    runs for every callback before any :meth:`on_iteration_end`, so that scores a callback
    measures reach every consumer whatever the order. A callback asks the loop to stop after
    the current iteration by setting ``trainer.should_stop = True``.

    A callback's state, returned by :meth:`state_dict`, is saved in checkpoints under
    :attr:`state_key` and restored on resume.

    Under multi-process training host-side hooks run on rank 0 only, unless the class sets
    :attr:`all_ranks` (the checkpoint callback does: saving is collective). Device-side hooks
    (:meth:`on_before_optimizer_step`, :meth:`on_critic_fakes`) run on every rank.

    Attributes:
        all_ranks: Run the host-side hooks on every process, not only on rank 0.
    """

    all_ranks: bool = False

    @property
    def state_key(self) -> str:
        """The key of this callback's state in a checkpoint: the class name by default.

        Override it when a run uses two instances of one callback class.
        """
        return type(self).__qualname__

    # --- host-side hooks ---------------------------------------------------------------------

    def on_fit_start(self, trainer: Loop) -> None:
        """Called once at the start of :meth:`Trainer.fit`, after any resume."""

    def on_iteration_start(self, trainer: Loop) -> None:
        """Called before each iteration's device work, outside any captured graph.

        The place to change what the iteration will read: a learning rate, a probability kept
        in a device tensor (written in place), a penalty weight.

        Args:
            trainer: The Trainer.
        """

    def measure(self, trainer: Loop) -> Mapping[str, float]:
        """Scores to report for the iteration that just ended (e.g. FID), or none.

        They join the iteration's :class:`~ganlib.train.Metrics` as ``extras`` (and the
        history the logger and the curves read), so they are logged and drawn like the
        objective's terms. Name them with a namespace (``score/fid``). On the last iteration
        of a fit (:attr:`Trainer.last_iteration`) an evaluation should score whatever its
        interval.

        Args:
            trainer: The Trainer.

        Returns:
            Named host-side values; empty by default.
        """
        return {}

    def on_iteration_end(self, trainer: Loop, metrics: Metrics) -> None:
        """Called after each generator iteration with its (immutable) metrics."""

    def on_fit_end(self, trainer: Loop) -> None:
        """Called once when :meth:`Trainer.fit` ends normally (its iteration count reached, its
        time budget spent, or ``should_stop`` set)."""

    def on_interrupt(self, trainer: Loop) -> None:
        """Called on Ctrl-C or SIGTERM, at the first iteration boundary, before fit raises
        :class:`~ganlib.errors.TrainingInterrupted`. The state is consistent: a checkpoint
        taken here resumes exactly."""

    def on_exception(self, trainer: Loop, error: BaseException) -> None:
        """Called when fit stops with an error.

        Args:
            trainer: The Trainer; :attr:`Trainer.in_iteration` says whether the error struck
                inside an iteration (the models are then partly updated, and no checkpoint
                should be taken) or between iterations.
            error: The exception, which fit re-raises after the callbacks ran.
        """

    def on_save_checkpoint(self, trainer: Loop) -> None:
        """Called just before the Trainer's state is gathered for a checkpoint.

        Flush here whatever must be on disk for the checkpoint to be resumable without a gap.

        Args:
            trainer: The Trainer about to be saved.
        """

    def state_dict(self) -> dict[str, Any]:
        """The callback's resumable state (empty by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`."""

    def on_load_checkpoint(self, trainer: Loop, state: Mapping[str, Any]) -> None:
        """Called when a checkpoint is restored, before anything in it is loaded.

        The place for a callback that changes the models' shape (a growing network) to bring
        them to the saved shape, so that the saved weights and optimizer states fit.

        Args:
            trainer: The Trainer.
            state: The checkpoint's state (read it; it is loaded after this).
        """

    def capture_blocker(self) -> str | None:
        """Why iterations cannot be recorded as one CUDA graph while this callback runs, or ``None``.

        A callback that changes a host value the iteration reads (a Python float in an
        optimizer's settings, say) says so here; the Trainer then trains eagerly and names
        the reason.

        Returns:
            The reason in words, or ``None`` (the default: nothing stands in the way).
        """
        return None

    # --- device-side hooks (every rank; recorded under capture) ---------------------------------

    def on_before_optimizer_step(self, trainer: Loop, role: str, optimizer: Optimizer) -> None:
        """Called after a step's gradients are complete, before its optimizer step.

        The gradients are unscaled (under fp16 loss scaling) by then, so gradient clipping and
        inspection see their true values. Runs on every process, inside the update (recorded
        by a CUDA graph): work on device tensors only.

        Args:
            trainer: The Trainer.
            role: ``"critic"`` or ``"generator"``.
            optimizer: The optimizer about to step.
        """

    def on_critic_fakes(self, trainer: Loop, fake: Tensor) -> Tensor:
        """The generated batch a critic step trains on; return it, or a replacement of the same shape.

        Called in every critic step with the freshly generated (detached) fakes, before the
        objective sees them: the place for a buffer of earlier fakes (Shrivastava et al.,
        2017). Runs on every process, inside the update: device work only.

        Args:
            trainer: The Trainer.
            fake: Generated samples ``(N, *)``, detached.

        Returns:
            The fakes to train the critic on, shape ``(N, *)``.
        """
        return fake

    def on_real_batch(self, trainer: Loop, real: Tensor) -> Tensor:
        """A real batch the steps drew; return it, or a replacement with as many samples.

        Called for every real batch, before the objective or the augmentation sees it: the
        place to bring the data to what the networks take (a growing network's fade and
        resolution). Runs on every process, inside the update: device work only.

        Args:
            trainer: The Trainer.
            real: The batch ``(N, *)``, detached.

        Returns:
            The batch to train on, ``(N, *)``.
        """
        return real


CALLBACKS: Registry[Callable[..., Callback]] = Registry("callback")
"""Callbacks by name, for ``--callback NAME``: ganlib's own and those given to :func:`register_callback`."""


def register_callback(name: str, callback: Callable[..., Callback] | None = None, *, replace: bool = False) -> Any:
    """Register a callback class (or builder) under ``name`` (a class decorator when ``callback`` is omitted).

    ``python -m ganlib train --callback NAME --callback-arg KEY=VALUE`` builds it with those
    arguments, plus any of ``run_dir``, ``seed``, ``log_every``, ``sample_every`` and
    ``checkpoint_every`` that its constructor takes (from the run's settings).

    Args:
        name: The name.
        callback: A :class:`Callback` subclass or a function returning one.
        replace: Replace another callback registered under ``name``.

    Returns:
        The class unchanged, or the decorator.

    Raises:
        ValueError: If ``name`` is taken (and ``replace`` is false).
    """
    return CALLBACKS.register(name, callback, replace=replace)


def _overrides(callback: Callback, hook: str) -> bool:
    return getattr(type(callback), hook) is not getattr(Callback, hook)


class CallbackList:
    """The callbacks of a Trainer, and the rules for calling them.

    Args:
        callbacks: The callbacks, in order.

    Raises:
        ValueError: If two callbacks with state share a :attr:`~Callback.state_key`.
    """

    def __init__(self, callbacks: Sequence[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be ganlib.train.Callback instances, got {type(callback).__name__}")
        keys = [cb.state_key for cb in self.callbacks if _overrides(cb, "state_dict")]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(
                f"callbacks share the state key(s) {repeated}; give each instance its own state_key "
                "(override the state_key property) so that their states are saved separately"
            )
        self._before_step = [cb for cb in self.callbacks if _overrides(cb, "on_before_optimizer_step")]
        self._fake_hooks = [cb for cb in self.callbacks if _overrides(cb, "on_critic_fakes")]
        self._real_hooks = [cb for cb in self.callbacks if _overrides(cb, "on_real_batch")]

    def __iter__(self) -> Any:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def __getitem__(self, index: int) -> Callback:
        return self.callbacks[index]

    def active(self, is_main: bool) -> list[Callback]:
        """The callbacks whose host-side hooks run in this process.

        Args:
            is_main: Whether this is rank 0 (or the only process).

        Returns:
            All callbacks on rank 0, the ``all_ranks`` ones elsewhere.
        """
        return self.callbacks if is_main else [cb for cb in self.callbacks if cb.all_ranks]

    def call(self, hook: str, trainer: Loop, *args: Any, is_main: bool = True) -> None:
        """Call a host-side hook on every active callback, in order.

        Args:
            hook: The hook's name, e.g. ``"on_fit_start"``.
            trainer: The Trainer.
            *args: The hook's further arguments.
            is_main: Whether this is rank 0.
        """
        for callback in self.active(is_main):
            getattr(callback, hook)(trainer, *args)

    def measure(self, trainer: Loop, is_main: bool = True) -> dict[str, float]:
        """Every active callback's :meth:`~Callback.measure`, merged.

        Args:
            trainer: The Trainer.
            is_main: Whether this is rank 0.

        Returns:
            The scores, by name.
        """
        extras: dict[str, float] = {}
        for callback in self.active(is_main):
            extras.update(callback.measure(trainer))
        return extras

    def capture_blocker(self) -> str | None:
        """The first callback's reason not to capture.

        Returns:
            The reason, or ``None`` when no callback has one.
        """
        return next((reason for reason in (c.capture_blocker() for c in self.callbacks) if reason), None)

    @property
    def has_step_hooks(self) -> bool:
        """Whether any callback implements :meth:`~Callback.on_before_optimizer_step`."""
        return bool(self._before_step)

    def before_optimizer_step(self, trainer: Loop, role: str, optimizer: Optimizer) -> None:
        """Device-side: every callback's :meth:`~Callback.on_before_optimizer_step` (every rank).

        Args:
            trainer: The Trainer.
            role: ``"critic"`` or ``"generator"``.
            optimizer: The optimizer about to step.
        """
        for callback in self._before_step:
            callback.on_before_optimizer_step(trainer, role, optimizer)

    def critic_fakes(self, trainer: Loop, fake: Tensor) -> Tensor:
        """Device-side: pass the critic's fakes through every :meth:`~Callback.on_critic_fakes` (every rank).

        Args:
            trainer: The Trainer.
            fake: The generated batch.

        Returns:
            The batch the critic trains on.

        Raises:
            ValueError: If a callback returned another shape.
        """
        for callback in self._fake_hooks:
            replaced = callback.on_critic_fakes(trainer, fake)
            if replaced.shape != fake.shape:
                raise ValueError(f"{type(callback).__name__}.on_critic_fakes returned shape {tuple(replaced.shape)} for fakes of shape {tuple(fake.shape)}")
            fake = replaced
        return fake

    def real_batch(self, trainer: Loop, real: Tensor) -> Tensor:
        """Device-side: pass a real batch through every :meth:`~Callback.on_real_batch` (every rank).

        Args:
            trainer: The Trainer.
            real: The drawn batch.

        Returns:
            The batch the steps train on.

        Raises:
            ValueError: If a callback returned another number of samples.
        """
        for callback in self._real_hooks:
            replaced = callback.on_real_batch(trainer, real)
            if replaced.shape[0] != real.shape[0]:
                raise ValueError(f"{type(callback).__name__}.on_real_batch returned {replaced.shape[0]} samples for a batch of {real.shape[0]}")
            real = replaced
        return real

    def state_dict(self) -> dict[str, Any]:
        """Every callback's state by :attr:`~Callback.state_key`."""
        return {cb.state_key: cb.state_dict() for cb in self.callbacks}

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        """Restore each callback's state; warn about a callback with state the checkpoint lacks,
        and about saved states no callback claims."""
        keys = {callback.state_key for callback in self.callbacks}
        for callback in self.callbacks:
            if callback.state_key in saved:
                callback.load_state_dict(saved[callback.state_key])
            elif _overrides(callback, "state_dict") and callback.state_dict():
                warnings.warn(f"the checkpoint holds no state for callback {callback.state_key!r}; it starts fresh", RuntimeWarning, stacklevel=3)
        unused = sorted(k for k, v in saved.items() if k not in keys and v)
        if unused:
            warnings.warn(f"the checkpoint holds state for callbacks this run does not have: {unused}", RuntimeWarning, stacklevel=3)
