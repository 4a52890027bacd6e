"""The training loop: n_critic critic steps per generator step, and nothing else.

The Trainer is the only place in ganlib that calls ``zero_grad``, ``backward`` and
``step``. Everything it does not need for the update itself (logging, sample grids,
checkpoints, progress) lives in callbacks (:mod:`ganlib.train.callbacks`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib._validation import check_int
from ganlib.losses import Objective
from ganlib.train.checkpoint import get_rng_state, set_rng_state
from ganlib.train.ema import EMA

__all__ = ["Callback", "Metrics", "Trainer"]


@dataclass(frozen=True)
class Metrics:
    """One generator iteration's metrics, kept on the training device.

    Critic terms are averaged over the iteration's ``n_critic`` critic steps; the critic's
    ``loss`` is named ``critic_loss`` and the generator's terms are prefixed ``generator_``
    (its ``loss`` is ``generator_loss``). Nothing is synchronized with the device until
    :meth:`to_dict` is called, so a callback that logs every k iterations costs one sync
    every k iterations.

    Attributes:
        iteration: The generator iteration these metrics belong to (1-based).
        names: Metric names, in the order of ``values``.
        values: A 1-D tensor of the metric values.
        extras: Occasional metrics added by callbacks that run earlier in the list, e.g.
            ``fid`` from :class:`~ganlib.train.EvaluateMNIST`; logged and plotted with the rest.
    """

    iteration: int
    names: tuple[str, ...]
    values: Tensor
    extras: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, float]:
        """The metrics, extras included, as Python floats (one device synchronization)."""
        return {**dict(zip(self.names, self.values.tolist(), strict=True)), **self.extras}


class Callback:
    """Base class of Trainer callbacks. Every hook is a no-op; override what you need.

    Hooks run in the order the callbacks were given. A callback's state, returned by
    :meth:`state_dict`, is saved in checkpoints and restored on resume.
    """

    def on_fit_start(self, trainer: Trainer) -> None:
        """Called once at the start of :meth:`Trainer.fit`, after any resume."""

    def on_iteration_end(self, trainer: Trainer, metrics: Metrics) -> None:
        """Called after each generator iteration (n_critic critic steps and one generator step)."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """Called once when :meth:`Trainer.fit` reaches its iteration count."""

    def on_interrupt(self, trainer: Trainer) -> None:
        """Called on Ctrl-C, at the first iteration boundary, before re-raising KeyboardInterrupt."""

    def state_dict(self) -> dict[str, Any]:
        """The callback's resumable state (empty by default)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state returned by :meth:`state_dict`."""


class _DeferredInterrupt:
    """Turns the first SIGINT into a flag checked at iteration boundaries.

    A checkpoint taken in the middle of an iteration (after some critic steps) could not be
    resumed exactly, so Ctrl-C is honoured once the current iteration has finished. A second
    Ctrl-C interrupts at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)

    def __enter__(self) -> _DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    """Alternating GAN training with n_critic critic updates per generator update.

    One *iteration* follows Gulrajani et al. (2017), Algorithm 1:

    1. ``n_critic`` times: draw a **fresh** real batch, generate fakes without building the
       generator's graph, compute the objective's critic loss, step the critic optimizer,
       then call :meth:`~ganlib.losses.Objective.after_critic_step` (weight clipping happens
       there, after the update).
    2. Once: with the critic's parameters frozen (no gradients are computed for them),
       generate fakes, compute the generator loss and step the generator optimizer; then
       update the EMA of the generator, if any.

    The Trainer uses whatever device the generator's parameters are on, and feeds noise from
    its own seeded generator on that device.

    Args:
        generator: Maps noise ``(N, latent_dim)`` to samples. Must have a ``latent_dim``
            attribute unless ``latent_dim`` is given.
        critic: Maps samples to scores ``(N,)``.
        objective: The objective, e.g. ``get_objective("wgan-gp")``.
        generator_optimizer: Optimizer over the generator's parameters.
        critic_optimizer: Optimizer over the critic's parameters.
        data: Real batches: an endless iterator such as :class:`~ganlib.data.TensorBatches`
            (fastest; its position is checkpointed), or any iterable of batches, e.g. a
            :class:`torch.utils.data.DataLoader`, which is restarted after each pass. A batch
            may be a tensor or an ``(images, labels)`` pair; it is moved to the models'
            device. Only a data source with ``state_dict``/``load_state_dict`` resumes at
            the exact same batch.
        n_critic: Critic updates per generator update (5 in WGAN and WGAN-GP, 1 in DCGAN).
        callbacks: Callbacks, run in order.
        ema: An :class:`~ganlib.train.EMA` of the generator, updated after each generator step.
        latent_dim: Noise size; defaults to ``generator.latent_dim``.
        seed: Seed of the noise generator.

    Raises:
        ValueError: If ``n_critic`` is not a positive integer or ``latent_dim`` is unknown.

    Attributes:
        iteration: Generator iterations completed.
        critic_steps: Critic updates completed.
        max_iterations: The total passed to the running (or last) :meth:`fit`.
    """

    def __init__(
        self,
        generator: nn.Module,
        critic: nn.Module,
        objective: Objective,
        generator_optimizer: Optimizer,
        critic_optimizer: Optimizer,
        data: Iterable[Tensor] | Iterable[tuple[Tensor, ...]],
        *,
        n_critic: int = 5,
        callbacks: Sequence[Callback] = (),
        ema: EMA | None = None,
        latent_dim: int | None = None,
        seed: int = 0,
    ) -> None:
        check_int("n_critic", n_critic)
        latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("latent_dim is unknown: pass latent_dim=... or give the generator a latent_dim attribute")
        self.generator = generator
        self.critic = critic
        self.objective = objective
        self.generator_optimizer = generator_optimizer
        self.critic_optimizer = critic_optimizer
        self.data = data
        self.n_critic = n_critic
        self.callbacks = list(callbacks)
        self.ema = ema
        self.latent_dim = latent_dim
        self.iteration = 0
        self.critic_steps = 0
        self.max_iterations = 0
        self.device = next(generator.parameters()).device
        self._noise_rng = torch.Generator(self.device).manual_seed(seed)
        # Only the parameters that were trainable to begin with are frozen and thawed.
        self._critic_params = [p for p in critic.parameters() if p.requires_grad]
        self._batches = iter(data)
        self._noise: Tensor | None = None
        self._names: tuple[str, ...] = ()
        self._critic_names: tuple[str, ...] = ()
        self._critic_sum: Tensor | None = None
        self._critic_row: Tensor | None = None

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator to draw samples from: the EMA copy when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    def _sample_noise(self, batch_size: int) -> Tensor:
        if self._noise is None or self._noise.shape[0] != batch_size:
            self._noise = torch.empty(batch_size, self.latent_dim, device=self.device)
        return self._noise.normal_(generator=self._noise_rng)

    def _accumulate(self, terms: dict[str, Tensor]) -> None:
        if self._critic_sum is None or self._critic_row is None:
            self._critic_names = tuple(terms)
            self._critic_sum = torch.zeros(len(terms), device=self.device)
            self._critic_row = torch.empty(len(terms), device=self.device)
        torch.stack([terms[name].detach() for name in self._critic_names], out=self._critic_row)
        self._critic_sum.add_(self._critic_row)

    def _next_real(self) -> Tensor:
        try:
            batch = next(self._batches)
        except StopIteration:  # a finite iterable (a DataLoader): start its next pass
            self._batches = iter(self.data)
            batch = next(self._batches)
        if isinstance(batch, (tuple, list)):  # (images, labels) from a labelled dataset
            batch = batch[0]
        return cast(Tensor, batch).to(self.device, non_blocking=True)

    def _critic_step(self) -> None:
        real = self._next_real()
        with torch.no_grad():
            fake = self.generator(self._sample_noise(real.shape[0]))
        terms = self.objective.critic_loss(self.critic, real, fake)
        self.critic_optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        self.critic_optimizer.step()
        self.objective.after_critic_step(self.critic)
        self.critic_steps += 1
        self._accumulate(terms)

    def _generator_step(self, batch_size: int) -> dict[str, Tensor]:
        for p in self._critic_params:
            p.requires_grad_(False)
        try:
            fake = self.generator(self._sample_noise(batch_size))
            terms = self.objective.generator_loss(self.critic, fake)
            self.generator_optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            self.generator_optimizer.step()
        finally:
            for p in self._critic_params:
                p.requires_grad_(True)
        if self.ema is not None:
            self.ema.update(self.generator)
        return terms

    def train_iteration(self) -> Metrics:
        """Run one generator iteration: ``n_critic`` critic steps, then one generator step.

        Returns:
            The iteration's :class:`Metrics`.
        """
        for _ in range(self.n_critic):
            self._critic_step()
        assert self._critic_sum is not None and self._noise is not None
        generator_terms = self._generator_step(self._noise.shape[0])
        self.iteration += 1
        critic_mean = self._critic_sum / self.n_critic
        self._critic_sum.zero_()
        generator_values = torch.stack([t.detach() for t in generator_terms.values()])
        if not self._names:
            self._names = tuple("critic_loss" if n == "loss" else n for n in self._critic_names) + tuple(
                "generator_loss" if n == "loss" else f"generator_{n}" for n in generator_terms
            )
        return Metrics(self.iteration, self._names, torch.cat([critic_mean, generator_values]))

    def fit(self, iterations: int) -> None:
        """Train until ``iterations`` generator iterations have been completed in total.

        ``iterations`` counts from the start of training, not from a resume, so a resumed
        run stops where the uninterrupted run would have. On Ctrl-C, the current iteration is
        finished, every callback's :meth:`~Callback.on_interrupt` runs (the checkpoint
        callback saves there) and ``KeyboardInterrupt`` is re-raised.

        Args:
            iterations: Total number of generator iterations.

        Raises:
            ValueError: If ``iterations`` is negative or below the iterations already done.
            KeyboardInterrupt: After an interrupt has been handled.
        """
        check_int(
            "iterations",
            iterations,
            minimum=self.iteration,
            expected=f"the total number of generator iterations, at least the {self.iteration} already done",
        )
        self.max_iterations = iterations
        self.generator.train()
        self.critic.train()
        for callback in self.callbacks:
            callback.on_fit_start(self)
        with _DeferredInterrupt() as interrupt:
            while self.iteration < self.max_iterations:
                metrics = self.train_iteration()
                for callback in self.callbacks:
                    callback.on_iteration_end(self, metrics)
                if interrupt.requested:
                    for callback in self.callbacks:
                        callback.on_interrupt(self)
                    raise KeyboardInterrupt
        for callback in self.callbacks:
            callback.on_fit_end(self)

    def _callback_keys(self) -> list[str]:
        seen: dict[str, int] = {}
        keys = []
        for callback in self.callbacks:
            name = type(callback).__name__
            seen[name] = seen.get(name, 0) + 1
            keys.append(f"{name}.{seen[name]}")
        return keys

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly.

        Returns:
            Models, optimizers, EMA, counters, the noise generator, every global RNG, the data
            stream's position (if it has one), the callbacks' states, and the generator's
            class and ``config`` (if it has one) so it can be rebuilt for sampling.
        """
        return {
            "iteration": self.iteration,
            "critic_steps": self.critic_steps,
            "n_critic": self.n_critic,
            "generator": self.generator.state_dict(),
            "critic": self.critic.state_dict(),
            "generator_optimizer": self.generator_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "noise_rng": self._noise_rng.get_state(),
            "rng": get_rng_state(),
            "data": self.data.state_dict() if hasattr(self.data, "state_dict") else None,
            "callbacks": {k: cb.state_dict() for k, cb in zip(self._callback_keys(), self.callbacks, strict=True)},
            "generator_class": type(self.generator).__name__,
            "generator_config": getattr(self.generator, "config", None),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`.

        Args:
            state: The saved state (e.g. from :func:`~ganlib.train.load_checkpoint`).

        Raises:
            ValueError: If the state holds an EMA but this Trainer has none, or the reverse.
        """
        if (state["ema"] is None) != (self.ema is None):
            raise ValueError(
                "the checkpoint and this Trainer disagree about the EMA: "
                f"checkpoint has {'no ' if state['ema'] is None else ''}EMA, Trainer has "
                f"{'none' if self.ema is None else 'one'}; pass the same --ema setting"
            )
        self.iteration = state["iteration"]
        self.critic_steps = state["critic_steps"]
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self._noise_rng.set_state(state["noise_rng"].cpu())
        set_rng_state(state["rng"])
        if state["data"] is not None and hasattr(self.data, "load_state_dict"):
            self.data.load_state_dict(state["data"])
        saved = state["callbacks"]
        for key, callback in zip(self._callback_keys(), self.callbacks, strict=True):
            if key in saved:
                callback.load_state_dict(saved[key])
