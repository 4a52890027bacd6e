"""What the Trainer is given, checked: models, optimizers, and components with state."""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import nn
from torch.optim import Optimizer

from ganlib.losses import Objective

__all__ = ["Stateful", "check_optimizer", "check_parts", "choose_fuse", "has_batch_statistics", "is_conditional"]


def is_conditional(generator: nn.Module) -> bool:
    """Whether the models take a condition with each batch: class labels (a generator with a
    ``num_classes``) or anything else the data serves beside the images (a generator that sets
    ``conditional = True``, such as a LAPGAN level conditioned on a coarser image)."""
    declared = getattr(generator, "conditional", None)
    return bool(declared) if declared is not None else getattr(generator, "num_classes", None) is not None


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


def check_parts(generator: nn.Module, critic: nn.Module, objective: Any, optimizers: tuple[Optimizer, Optimizer], latent_dim: int | None) -> int:
    """Check what the Trainer is given; return the noise size (``latent_dim``, else the generator's)."""
    if not isinstance(objective, Objective):
        raise TypeError(f"objective must be a ganlib.losses.Objective, got {type(objective).__name__}")
    latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
    if latent_dim is None:
        raise ValueError("latent_dim is unknown: pass latent_dim=... or give the generator a latent_dim attribute")
    if getattr(generator, "num_classes", None) is not None and getattr(critic, "num_classes", None) is None:
        raise ValueError("the generator is conditional (it has num_classes) but the critic is not; use a conditional critic")
    check_optimizer("generator", optimizers[0], generator, critic)
    check_optimizer("critic", optimizers[1], critic, generator)
    return int(latent_dim)


def choose_fuse(fuse_critic_forward: bool | None, device: torch.device, critic: nn.Module) -> bool:
    """Whether to score real and fake batches in one critic forward: asked, or by default on CUDA without batch statistics."""
    fuse = fuse_critic_forward if fuse_critic_forward is not None else device.type == "cuda" and not has_batch_statistics(critic)
    if fuse and has_batch_statistics(critic):
        raise ValueError("fuse_critic_forward=True with a BatchNorm critic would mix real and fake batch statistics; leave it None or False")
    return fuse
