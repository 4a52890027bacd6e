"""Progressive growing as a schedule the training loop steps (Karras et al., 2018, PGGAN).

:class:`GrowthPlan` is the reference's ``TrainingSchedule`` (tkarras/progressive_growing_of_gans,
``train.py``): from the images shown so far it gives the level of detail ``lod``, from which
the resolution, the fade-in ``alpha`` and the batch size follow. Each resolution trains
``stable_images`` real images, then fades the next one in over ``fade_images``; the last stays.

:class:`Growth` (the ``growth`` callback, which ``--model pggan`` adds) follows the plan through
the loop's seams, with no special case in the Trainer:

* before an iteration (every ``repeats`` iterations, as the reference recomputes its schedule
  every ``minibatch_repeats`` = 4 minibatches) it grows both networks and the EMA's copy (the
  new layers copied from the generator's), adds the new parameters to their optimizers
  (:func:`grow_optimizer`), resets the optimizers' state at each change of phase when asked (the
  reference's ``reset_opt_for_new_lod``), serves the data at the phase's resolution (averaged
  down from the full images once per phase, :meth:`~ganlib.data.TensorBatches.serve`) and its
  batch size, writes ``alpha`` into the networks' buffers, and tells the Trainer that the
  models changed (:meth:`~ganlib.train.Trainer.models_changed`: the feed and any CUDA graph
  are prepared afresh, once per phase);
* every real batch the steps draw is faded and enlarged to the final size
  (:meth:`Growth.on_real_batch`), as the reference's ``process_reals`` does: during a fade,
  ``lerp(upsample(downsample(x)), x, alpha)``;
* on resume it restores its phase before the models are loaded
  (:meth:`Growth.on_load_checkpoint`), so a run stopped in the middle of a fade continues exactly.

Deliberately different from the reference: the EMA is the Trainer's (updated after each
generator step, with its warm-up), where the reference averages ``Gs`` with every critic step
from a copy at 0.999; the learning rate is one for every resolution (the reference's
``G_lrate_dict`` overrides only above 512×512 in its presets). Growth under several processes
is refused: the networks DDP wrapped cannot grow.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib.contract import NonNegativeInt, PositiveInt
from ganlib.data import TensorBatches
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.callback import Loop

log = logging.getLogger("ganlib.train")

__all__ = ["Growth", "GrowthPlan", "grow_optimizer", "level", "parse_batch_sizes"]


def level(final: int, lod: float) -> tuple[int, float]:
    """The networks' resolution and the newest block's fade-in at a level of detail.

    Args:
        final: The final resolution.
        lod: The level of detail, ``log2(final / resolution)``, fractional during a fade.

    Returns:
        ``(resolution, alpha)``: the higher resolution during a fade, and ``1 - frac(lod)``.

    Example:
        >>> level(32, 1.25)
        (16, 0.75)
    """
    whole = math.floor(lod)
    return final // 2**whole, 1.0 - (lod - whole)


def grow_optimizer(optimizer: Optimizer, new: Sequence[nn.Parameter]) -> Optimizer:
    """Add ``new`` parameters to ``optimizer`` as a new group with its first group's settings.

    The new parameters start with no state (Adam's moments at zero, its step count at 0); the
    old keep their state and their group.

    Args:
        optimizer: The grown network's optimizer.
        new: The parameters the growth added (what ``grow()`` returned).

    Returns:
        The optimizer, changed in place.

    Raises:
        ValueError: If a parameter is already optimized (it would be stepped twice).
    """
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if any(id(p) in held for p in new):
        raise ValueError("grow_optimizer: a parameter given is already in the optimizer; pass only what grow() added")
    settings = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    optimizer.add_param_group({"params": list(new), **settings})
    return optimizer


def parse_batch_sizes(text: str | Mapping[int, int] | None) -> dict[int, int]:
    """Batch sizes per resolution from ``"4:128,8:128,32:64"`` (or a mapping).

    Args:
        text: ``RES:BATCH`` pairs separated by commas, a mapping, or ``None`` (none).

    Returns:
        ``{resolution: batch size}``.

    Raises:
        ValueError: If a pair is malformed or a number is not a positive integer.
    """
    if text is None:
        return {}
    pairs = text.items() if isinstance(text, Mapping) else (item.split(":", 1) for item in str(text).split(",") if item.strip())
    sizes: dict[int, int] = {}
    for pair in pairs:
        try:
            resolution, batch = (int(v) for v in pair)
        except ValueError:
            raise ValueError(f"batch_sizes={text!r} is invalid; expected RES:BATCH pairs such as '4:128,8:128,32:64'") from None
        if resolution < 4 or resolution & (resolution - 1) or batch < 1:
            raise ValueError(f"batch_sizes={text!r} is invalid: {resolution}:{batch}; resolutions are powers of two from 4, batches positive")
        sizes[resolution] = batch
    return sizes


@dataclass(frozen=True)
class GrowthPlan:
    """The reference's ``TrainingSchedule``: resolution, fade-in and batch size from the images shown.

    Args:
        final: The final resolution (the data's), a power of two.
        stable_images: Real images shown at each resolution before the next fades in (600,000).
        fade_images: Real images over which a new resolution fades in (600,000).
        start: The first resolution (4).
        batch_sizes: Batch size per resolution; ``base_batch`` for those not listed.
        base_batch: The batch size of resolutions ``batch_sizes`` does not list.

    Attributes:
        final: The final resolution.
        stable_images: Images of each stable phase.
        fade_images: Images of each fade.
        start: The first resolution.
        batch_sizes: Batch size per resolution.
        base_batch: The batch size of the others.

    Example:
        >>> plan = GrowthPlan(final=32, stable_images=100, fade_images=100)
        >>> [(plan.resolution(n), plan.alpha(n)) for n in (0, 99, 150, 200, 650)]
        [(4, 1.0), (4, 1.0), (8, 0.5), (8, 1.0), (32, 1.0)]
    """

    final: int
    stable_images: int = 600_000
    fade_images: int = 600_000
    start: int = 4
    batch_sizes: Mapping[int, int] = field(default_factory=dict)
    base_batch: int = 16

    def __post_init__(self) -> None:
        for name in ("final", "start"):
            value = getattr(self, name)
            if value < 4 or value & (value - 1):
                raise ValueError(f"{name}={value!r} is invalid; expected a power of two from 4")
        if self.start > self.final:
            raise ValueError(f"start={self.start} is invalid; expected at most the final resolution {self.final}")
        if self.stable_images < 0 or self.fade_images < 0:
            raise ValueError(f"stable_images={self.stable_images}, fade_images={self.fade_images}: expected non-negative numbers of images")

    def lod(self, images: int) -> float:
        """The level of detail after ``images`` real images: ``log2(final / resolution)``, fractional in a fade.

        Args:
            images: Real images shown so far.

        Returns:
            The reference's ``lod``: ``log2(final) - log2(start)`` at the start, 0 at the end.
        """
        lod = math.log2(self.final) - math.log2(self.start)
        phase = self.stable_images + self.fade_images
        if phase > 0:
            index = images // phase
            lod -= index
            if self.fade_images > 0:
                lod -= max(images - index * phase - self.stable_images, 0) / self.fade_images
        return max(lod, 0.0)

    def resolution(self, images: int) -> int:
        """The networks' resolution after ``images`` (the higher one during a fade).

        Args:
            images: Real images shown so far.

        Returns:
            The resolution.
        """
        return level(self.final, self.lod(images))[0]

    def alpha(self, images: int) -> float:
        """The fade-in of the newest block: ``1 - frac(lod)`` (1 when no block is fading).

        Args:
            images: Real images shown so far.

        Returns:
            α in (0, 1].
        """
        return level(self.final, self.lod(images))[1]

    def batch_size(self, resolution: int) -> int:
        """The batch size at ``resolution``.

        Args:
            resolution: A resolution of the plan.

        Returns:
            Its batch size.
        """
        return int(self.batch_sizes.get(resolution, self.base_batch))


def _growable(role: str, model: nn.Module) -> Any:
    if not (callable(getattr(model, "grow", None)) and hasattr(model, "alpha") and hasattr(model, "resolution")):
        raise ValueError(
            f"the growth callback grows the {role}, and {type(model).__name__} cannot grow (it needs grow(), alpha and "
            "resolution, as ganlib.models.ProgressiveGenerator has); train it with --model pggan"
        )
    return model


@register_callback("growth")
class Growth(Callback):
    """Grow the networks, their optimizers, the EMA and the data on a :class:`GrowthPlan`.

    Args:
        stable_images: Real images at each resolution before the next fades in.
        fade_images: Real images over which each new resolution fades in.
        batch_sizes: Batch size per resolution, ``"4:128,8:128,32:64"`` (others: the run's).
        optimizer: ``"reset"``: clear both optimizers' state at every change of phase (the
            start and the end of each fade), as the reference does; ``"keep"``: the old
            parameters keep their state and the new ones start fresh.
        repeats: Recompute the schedule every this many iterations (the reference's
            ``minibatch_repeats``, 4).
        start: The first resolution.

    Raises:
        ValueError: If an argument is invalid, at :meth:`on_fit_start` if the models cannot
            grow, the data is not a :class:`~ganlib.data.TensorBatches` or training is distributed.
    """

    all_ranks = True  # every process grows its own networks

    def __init__(
        self,
        stable_images: NonNegativeInt = 600_000,
        fade_images: NonNegativeInt = 600_000,
        batch_sizes: str | None = None,
        optimizer: Literal["reset", "keep"] = "reset",
        repeats: PositiveInt = 4,
        start: PositiveInt = 4,
    ) -> None:
        if optimizer not in ("reset", "keep"):
            raise ValueError(f"optimizer={optimizer!r} is invalid; expected 'reset' (the reference's) or 'keep'")
        self.settings = {"stable_images": int(stable_images), "fade_images": int(fade_images), "start": int(start)}
        self.batch_sizes = parse_batch_sizes(batch_sizes)
        self.optimizer = optimizer
        self.repeats = int(repeats)
        self.plan: GrowthPlan | None = None
        self.images = 0
        self.lod: float | None = None  # the level of detail applied, None before the first
        self._full: Tensor | None = None
        self._served: tuple[int, int] | None = None
        self._steps_before = 0
        self._alpha: Tensor | None = None
        self.changes: list[dict[str, float]] = []  # each change of phase: when, to what, and its host seconds

    # --- the plan and its application --------------------------------------------------------

    def _bind(self, trainer: Loop) -> GrowthPlan:
        if self.plan is not None:
            return self.plan
        generator, critic = _growable("generator", trainer.generator), _growable("critic", trainer.critic)
        if getattr(trainer, "distributed", None) is not None:
            raise ValueError("the growth callback does not run under several processes (the wrapped networks cannot grow); train in one")
        data = trainer.data
        if not isinstance(data, TensorBatches):
            raise ValueError(f"the growth callback serves each phase's resolution from a TensorBatches; the data is a {type(data).__name__}")
        if generator.image_size != critic.image_size or data.data.shape[-1] != generator.image_size:
            raise ValueError(
                f"the growth callback needs one final size: generator {generator.image_size}, critic {critic.image_size}, "
                f"data {data.data.shape[-1]}"
            )
        self._full = data.data
        self._alpha = torch.ones((), device=data.device)
        self.plan = GrowthPlan(final=generator.image_size, batch_sizes=self.batch_sizes, base_batch=data.batch_size, **self.settings)
        return self.plan

    def _apply(self, trainer: Loop, lod: float) -> None:
        """Bring the networks, optimizers, EMA and data to ``lod``; one structural change at most per phase."""
        plan = self._bind(trainer)
        started = time.perf_counter()
        generator: Any = trainer.generator  # growing networks (_bind checked): grow(), resolution, alpha
        critic: Any = trainer.critic
        ema = trainer.ema
        resolution, alpha = level(plan.final, lod)
        changed = False
        while generator.resolution < resolution:
            new_generator, new_critic = generator.grow(), critic.grow()
            if ema is not None:
                with torch.no_grad():
                    copy: Any = ema.module  # the EMA's copy of the growing generator
                    for mine, theirs in zip(copy.grow(), new_generator, strict=True):
                        mine.copy_(theirs)
            grow_optimizer(trainer.generator_optimizer, new_generator)
            grow_optimizer(trainer.critic_optimizer, new_critic)
            changed = True
        phase_changed = self.lod is None or (math.floor(lod), math.ceil(lod)) != (math.floor(self.lod), math.ceil(self.lod))
        if phase_changed and self.optimizer == "reset" and self.lod is not None:
            trainer.generator_optimizer.state.clear()
            trainer.critic_optimizer.state.clear()
        served = (resolution, plan.batch_size(resolution))
        if served != self._served:
            assert self._full is not None
            factor = plan.final // resolution
            trainer.data.serve(F.avg_pool2d(self._full, factor) if factor > 1 else self._full, batch_size=served[1])
            self._served = served
        for model in (generator, critic, *((ema.module,) if ema is not None else ())):
            model.alpha.fill_(alpha)
        assert self._alpha is not None
        self._alpha.fill_(alpha)
        if changed or phase_changed:
            trainer.models_changed()
            seconds = time.perf_counter() - started
            self.changes.append({"iteration": trainer.iteration, "images": self.images, "resolution": resolution, "alpha": alpha, "seconds": seconds})
            log.info("growth: %dx%d %s at iteration %d (%d images; %.3f s)", resolution, resolution, "fading in" if alpha < 1 else "stable", trainer.iteration, self.images, seconds)
        self.lod = lod

    # --- the hooks ------------------------------------------------------------------------------

    def on_fit_start(self, trainer: Loop) -> None:  # noqa: D102
        plan = self._bind(trainer)
        self._apply(trainer, plan.lod(self.images) if self.lod is None else self.lod)

    def on_iteration_start(self, trainer: Loop) -> None:  # noqa: D102
        self._steps_before = trainer.critic_steps
        if trainer.iteration % self.repeats == 0:
            lod = self._bind(trainer).lod(self.images)
            if lod != self.lod:
                self._apply(trainer, lod)

    def on_iteration_end(self, trainer: Loop, metrics: Any) -> None:  # noqa: D102
        assert self._served is not None
        self.images += (trainer.critic_steps - self._steps_before) * self._served[1]

    def measure(self, trainer: Loop) -> Mapping[str, float]:  # noqa: D102
        if self.lod is None or self.plan is None:
            return {}
        resolution, alpha = level(self.plan.final, self.lod)
        return {"growth/resolution": float(resolution), "growth/alpha": alpha}

    def on_real_batch(self, trainer: Loop, real: Tensor) -> Tensor:
        """Fade a real batch between its resolution and the one below, and enlarge it to the final size.

        Args:
            trainer: The Trainer.
            real: A batch at the phase's resolution.

        Returns:
            ``upsample(lerp(upsample(downsample(real)), real, alpha))`` at the final size
            (the reference's ``FadeLOD`` and ``UpscaleLOD``).
        """
        assert self.plan is not None and self._alpha is not None
        coarse = F.interpolate(F.avg_pool2d(real, 2), scale_factor=2, mode="nearest") if real.shape[-1] > 4 else real
        real = torch.lerp(coarse, real, self._alpha)
        factor = self.plan.final // real.shape[-1]
        return F.interpolate(real, scale_factor=factor, mode="nearest") if factor > 1 else real

    def on_load_checkpoint(self, trainer: Loop, state: Mapping[str, Any]) -> None:
        """Grow to the saved phase before the saved weights and optimizer states are loaded.

        Args:
            trainer: The Trainer.
            state: The checkpoint being restored.
        """
        saved = (state.get("callbacks") or {}).get(self.state_key)
        if saved:
            self.load_state_dict(saved)
            assert self.lod is not None
            self._apply(trainer, self.lod)

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"images": self.images, "lod": self.lod, "changes": list(self.changes)}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.images = int(state["images"])
        self.lod = None if state.get("lod") is None else float(state["lod"])
        self.changes = list(state.get("changes", []))
