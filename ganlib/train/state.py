"""What a checkpoint holds: the Trainer's state, its format number, and the migrations from older formats.

A checkpoint is a dict of tensors and plain data (:mod:`ganlib.checkpoint` writes and reads
the file). Its ``format`` number is read on load: a checkpoint of an older ganlib is brought
up to date by the :data:`MIGRATIONS` table, one format at a time, and one of a newer ganlib
is refused with a message that says so.

Formats:

* **1** (ganlib 0.1.0): no ``format`` key; callbacks keyed ``"ClassName.1"``; the generator's
  class name under ``generator_class``.
* **2** (ganlib 0.2.0): callbacks keyed by :attr:`~ganlib.train.Callback.state_key`; models
  by registry name; the learning curves' history in the ``LearningCurves`` callback's state,
  and the time budget's in ``TimeBudget``'s.
* **3** (this version): the metric history in ``history`` with namespaced names
  (``penalty/gp``); training time in ``time_spent``; the augmentation's state in ``augment``;
  components registered with :meth:`~ganlib.train.Trainer.register_for_checkpointing` in
  ``extra``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from ganlib.checkpoint import CHECKPOINT_FORMAT, check_format
from ganlib.models import model_spec
from ganlib.train.history import migrate_name
from ganlib.train.rng import get_rng_state, set_rng_state

if TYPE_CHECKING:
    from ganlib.augment import Augment
    from ganlib.losses import Objective
    from ganlib.train.distributed import Distributed
    from ganlib.train.ema import EMA
    from ganlib.train.history import History
    from ganlib.train.precision import Precision

__all__ = ["CHECKPOINT_FORMAT", "MIGRATIONS", "REQUIRED_KEYS", "Checkpointed", "gather_state", "restore_state", "upgrade_state"]


REQUIRED_KEYS = ("iteration", "critic_steps", "generator", "critic", "generator_optimizer", "critic_optimizer", "noise_rng", "rng")
"""Keys every Trainer checkpoint holds, in every format."""


def _from_1(state: dict[str, Any]) -> dict[str, Any]:
    callbacks = state.get("callbacks") or {}
    state["callbacks"] = {(key[:-2] if key.endswith(".1") else key): value for key, value in callbacks.items()}
    if "generator_model" not in state and "generator_class" in state:
        from ganlib.models.registry import _legacy_name

        state["generator_model"] = _legacy_name(state["generator_class"])
    state.setdefault("ema", None)
    return state


def _from_2(state: dict[str, Any]) -> dict[str, Any]:
    callbacks = dict(state.get("callbacks") or {})
    curves = callbacks.pop("LearningCurves", None)
    if curves and "rows" in curves:
        names = [migrate_name(n) for n in curves["names"]]
        iterations = curves["iterations"]
        rows = curves["rows"].reshape(len(iterations), -1)
        extras = {migrate_name(k): dict((int(i), float(v)) for i, v in points) for k, points in curves.get("extras", {}).items()}
        columns = {name: rows[:, j] for j, name in enumerate(names)}
        for name, points in extras.items():
            columns[name] = torch.tensor([points.get(int(i), float("nan")) for i in iterations.tolist()])
        order = list(columns)
        values = torch.stack([columns[n].float() for n in order], dim=1) if order else torch.empty(len(iterations), 0)
        state["history"] = {"iterations": iterations, "names": order, "values": values}
    budget = callbacks.pop("TimeBudget", None)
    if budget:
        state["time_spent"] = float(budget.get("spent", 0.0))
    state["callbacks"] = callbacks
    return state


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_1, 2: _from_2}
"""``format -> function`` bringing a state of that format to the next one."""


def upgrade_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """Bring a checkpoint's state to :data:`CHECKPOINT_FORMAT`.

    Args:
        state: A loaded checkpoint.

    Returns:
        The state in the current format (a new dict; tensors are shared).

    Raises:
        ValueError: If the state is not a Trainer checkpoint (keys missing: they are named) or
            was written by a newer ganlib.
    """
    if not isinstance(state, Mapping):
        raise ValueError(f"the checkpoint holds a {type(state).__name__}, not a ganlib training state (a dict)")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise ValueError(f"the checkpoint lacks {', '.join(missing)}; it is incomplete or not a ganlib training checkpoint")
    upgraded = dict(state)
    version = check_format(upgraded, "the checkpoint")
    while version < CHECKPOINT_FORMAT:
        upgraded = MIGRATIONS[version](upgraded)
        version += 1
    upgraded["format"] = version
    return upgraded


# --- loading parts ---------------------------------------------------------------------------


def load_model(role: str, model: nn.Module, state: Mapping[str, Any]) -> None:
    """Load a model's weights, explaining a checkpoint of another architecture in one line.

    Raises:
        ValueError: If the saved config or the weights do not fit ``model``.
    """
    saved = state.get(f"{role}_config")
    mine = getattr(model, "config", None)
    if isinstance(saved, dict) and isinstance(mine, dict) and saved != mine:
        differences = [f"{key}: checkpoint {saved.get(key)!r}, this {role} {mine.get(key)!r}" for key in sorted(set(saved) | set(mine)) if saved.get(key) != mine.get(key)]
        raise ValueError(f"the checkpoint's {role} was built with other settings ({'; '.join(differences)}); build the same {role} to resume")
    weights = state[role]
    if not isinstance(weights, Mapping):
        raise ValueError(f"the checkpoint's {role!r} entry is a {type(weights).__name__}, not weights; the file is not a ganlib checkpoint")
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[1:2] or [str(error)]
        raise ValueError(f"the checkpoint's {role} does not fit this {role} ({first[0].strip()}); was it trained with other settings?") from None


_OPTIMIZER_FLAGS = ("capturable", "fused", "foreach", "differentiable")


def load_optimizer(optimizer: Optimizer, saved: Mapping[str, Any], name: str = "optimizer") -> None:
    """Load an optimizer's state, keeping this optimizer's implementation flags.

    A checkpoint written under CUDA-graph capture holds ``capturable=True`` (and step counters
    on the GPU); resumed on the CPU, where Adam has no capturable mode, those flags would fail.
    Hyperparameters come from the checkpoint; how the update runs stays this optimizer's.

    The state of another kind of optimizer is refused: after loading, every hyperparameter this
    optimizer's update reads must be there (an SGD given Adam's state has no ``momentum``, an
    Adam given SGD's no ``betas``); on refusal the optimizer keeps the state it had.

    Args:
        optimizer: The optimizer to load into.
        saved: A state from its ``state_dict()``.
        name: How to name it in messages (``"critic_optimizer"``).

    Raises:
        ValueError: If the saved state belongs to another kind of optimizer or other parameters.
    """
    flags = [{key: group[key] for key in _OPTIMIZER_FLAGS if key in group} for group in optimizer.param_groups]
    needed = [set(group) - {"params"} for group in optimizer.param_groups]
    before = optimizer.state_dict()
    kind = type(optimizer).__name__
    try:
        optimizer.load_state_dict(dict(saved))
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"the checkpoint's {name} state does not fit this {kind} ({error}); resume with the same --optimizer") from None
    lacking = sorted(set().union(*(keys - set(group) for keys, group in zip(needed, optimizer.param_groups, strict=True))))
    if lacking:
        optimizer.load_state_dict(before)
        raise ValueError(
            f"the checkpoint's {name} state is not a {kind}'s: it lacks {', '.join(lacking)} (another kind of optimizer wrote it); "
            "resume with the optimizer the run was trained with"
        )
    for group, kept in zip(optimizer.param_groups, flags, strict=True):
        group.update(kept)
    for param, param_state in optimizer.state.items():
        step = param_state.get("step")
        if not isinstance(step, Tensor) or not isinstance(param, Tensor):
            continue
        on_device = any(g.get("capturable") or g.get("fused") for g in optimizer.param_groups if any(p is param for p in g["params"]))
        target = param.device if on_device else torch.device("cpu")
        if step.device != target:
            param_state["step"] = step.to(target)


# --- the Trainer's state ---------------------------------------------------------------------


class _Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class Checkpointed(Protocol):
    """What a checkpoint reads of the loop and writes back: the Trainer is one. Named here so
    that this module needs nothing of the Trainer's but these attributes."""

    iteration: int
    critic_steps: int
    n_critic: int
    time_spent: float
    generator: torch.nn.Module
    critic: torch.nn.Module
    generator_optimizer: Optimizer
    critic_optimizer: Optimizer
    ema: EMA | None
    objective: Objective
    augment: Augment | None
    precision: Precision
    device: torch.device
    distributed: Distributed | None
    data: Any
    history: History
    checkpointed: dict[str, Any]

    @property
    def callbacks(self) -> _Stateful: ...  # noqa: D102

    @property
    def noise_generator(self) -> torch.Generator: ...  # noqa: D102


def _classes(generator: torch.nn.Module) -> list[int] | None:
    """The data classes a conditional generator's labels stand for, when it records them."""
    classes = getattr(generator, "classes", None)
    return None if classes is None else [int(c) for c in classes]


def gather_state(trainer: Checkpointed) -> dict[str, Any]:
    """Everything needed to continue ``trainer``'s training exactly (see :meth:`Trainer.state_dict`)."""
    generator_name, generator_config = model_spec(trainer.generator)
    critic_name, critic_config = model_spec(trainer.critic)
    distributed = trainer.distributed
    return {
        "format": CHECKPOINT_FORMAT,
        "iteration": trainer.iteration,
        "critic_steps": trainer.critic_steps,
        "n_critic": trainer.n_critic,
        "precision": trainer.precision.precision,
        "generator": trainer.generator.state_dict(),
        "critic": trainer.critic.state_dict(),
        "generator_optimizer": trainer.generator_optimizer.state_dict(),
        "critic_optimizer": trainer.critic_optimizer.state_dict(),
        "ema": trainer.ema.state_dict() if trainer.ema is not None else None,
        "objective": trainer.objective.state_dict(),
        "augment": trainer.augment.state_dict() if trainer.augment is not None else None,
        "scalers": trainer.precision.state_dict(),
        "noise_rng": trainer.noise_generator.get_state(),
        "noise_rng_device": trainer.device.type,
        "rng": get_rng_state(),
        "rng_per_rank": distributed.all_gather_object(get_rng_state()) if distributed is not None else None,
        "data": trainer.data.state_dict() if hasattr(trainer.data, "state_dict") else None,
        "callbacks": trainer.callbacks.state_dict(),
        "history": trainer.history.state_dict(),
        "time_spent": trainer.time_spent,
        "extra": {name: obj.state_dict() for name, obj in trainer.checkpointed.items()},
        "generator_model": generator_name,
        "generator_config": generator_config,
        "generator_classes": _classes(trainer.generator),
        "critic_model": critic_name,
        "critic_config": critic_config,
    }


def restore_state(trainer: Checkpointed, state: Mapping[str, Any]) -> None:
    """Restore a state saved by :func:`gather_state` (of any format) into ``trainer``.

    Raises:
        ValueError: If the state does not fit the trainer (the message says what differs).
    """
    state = upgrade_state(state)
    if (state["ema"] is None) != (trainer.ema is None):
        raise ValueError(
            "the checkpoint and this Trainer disagree about the EMA: "
            f"checkpoint has {'no ' if state['ema'] is None else ''}EMA, Trainer has "
            f"{'none' if trainer.ema is None else 'one'}; pass the same --ema setting"
        )
    for role, model in (("generator", trainer.generator), ("critic", trainer.critic)):
        load_model(role, model, state)
    load_optimizer(trainer.generator_optimizer, state["generator_optimizer"], "generator_optimizer")
    load_optimizer(trainer.critic_optimizer, state["critic_optimizer"], "critic_optimizer")
    if trainer.ema is not None:
        trainer.ema.load_state_dict(state["ema"])
    trainer.objective.load_state_dict(state.get("objective") or {})
    saved_augment = state.get("augment")
    if trainer.augment is not None:
        if saved_augment is not None:
            trainer.augment.load_state_dict(saved_augment)
        elif trainer.augment.state_dict():
            warnings.warn("the checkpoint holds no augmentation state; it starts fresh", RuntimeWarning, stacklevel=3)
    trainer.precision.load_state_dict(state.get("scalers") or {})
    _load_noise_rng(trainer, state)
    set_rng_state(_own_rng_state(trainer, state))
    if state.get("data") is not None and hasattr(trainer.data, "load_state_dict"):
        trainer.data.load_state_dict(state["data"])
    trainer.callbacks.load_state_dict(state.get("callbacks") or {})
    if state.get("history") is not None:
        trainer.history.load_state_dict(state["history"])
    trainer.history.truncate_after(int(state["iteration"]))
    trainer.time_spent = float(state.get("time_spent", 0.0))
    extra = state.get("extra") or {}
    for name, obj in trainer.checkpointed.items():
        if name in extra:
            obj.load_state_dict(extra[name])
        else:
            warnings.warn(f"the checkpoint holds no state for {name!r}; it starts fresh", RuntimeWarning, stacklevel=3)
    trainer.iteration = int(state["iteration"])
    trainer.critic_steps = int(state["critic_steps"])


def _own_rng_state(trainer: Checkpointed, state: Mapping[str, Any]) -> dict[str, Any]:
    per_rank = state.get("rng_per_rank")
    distributed = trainer.distributed
    world, rank = (1, 0) if distributed is None else (distributed.world_size, distributed.rank)
    if per_rank is None:
        if world > 1:
            warnings.warn("the checkpoint was written by one process; every rank resumes from its random state", RuntimeWarning, stacklevel=3)
        return state["rng"]
    if len(per_rank) != world:
        warnings.warn(
            f"the checkpoint holds the random states of {len(per_rank)} processes, this run has {world}: "
            "resuming with rank 0's, so the continuation is not the uninterrupted run",
            RuntimeWarning,
            stacklevel=3,
        )
        return per_rank[0]
    return per_rank[rank]


def _load_noise_rng(trainer: Checkpointed, state: Mapping[str, Any]) -> None:
    saved_type = state.get("noise_rng_device", "cpu" if state["noise_rng"].numel() > 16 else "cuda")
    if saved_type == trainer.device.type:
        trainer.noise_generator.set_state(state["noise_rng"].cpu())
        return
    # A CPU generator's state (Mersenne Twister) means nothing to a CUDA generator
    # (Philox seed and offset) and back: derive a new seed from the saved state instead.
    seed = int(torch.as_tensor(state["noise_rng"]).to(torch.int64).sum()) * 1_000_003 + int(state["iteration"])
    trainer.noise_generator.manual_seed(seed % (2**63))
    warnings.warn(
        f"the checkpoint's noise generator ran on {saved_type} and this run is on {trainer.device.type}: "
        "noise continues from a seed derived from the saved state, so the rest of the run is "
        "reproducible but not identical to an uninterrupted run on the original device",
        RuntimeWarning,
        stacklevel=3,
    )
