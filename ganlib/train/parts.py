"""What the Trainer is given, checked: models, optimizers, and components with state."""

from __future__ import annotations

from typing import Any, Protocol

from torch import nn
from torch.optim import Optimizer

__all__ = ["Stateful", "check_optimizer", "has_batch_statistics"]


class Stateful(Protocol):
    """Anything with ``state_dict`` and ``load_state_dict``."""

    def state_dict(self) -> dict[str, Any]: ...  # noqa: D102

    def load_state_dict(self, state: dict[str, Any]) -> None: ...  # noqa: D102


def has_batch_statistics(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def check_optimizer(role: str, optimizer: Optimizer, model: nn.Module, other: nn.Module) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{role}_optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    mine = {id(p) for p in model.parameters()}
    theirs = {id(p) for p in other.parameters()}
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if params and all(id(p) in theirs and id(p) not in mine for p in params):
        other_role = "critic" if role == "generator" else "generator"
        raise ValueError(f"{role}_optimizer holds the {other_role}'s parameters; were the two optimizers swapped?")
    strangers = sum(id(p) not in mine for p in params)
    if strangers:
        raise ValueError(f"{role}_optimizer holds {strangers} parameter(s) that are not the {role}'s; build it from {role}.parameters()")
