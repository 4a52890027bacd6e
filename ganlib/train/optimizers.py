"""Optimizers by name: ``--optimizer``, ``--critic-optimizer``, ``--generator-optimizer``.

Each entry builds a :class:`torch.optim.Optimizer` from ``(parameters, lr, betas, fused)``
and says in its metadata whether it takes Adam's ``betas`` (``betas=True``) and a fused CUDA
implementation (``fused=True``), so the command line checks ``--betas`` by what an optimizer
declares, not by its name. A plugin adds one with :func:`register_optimizer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from ganlib.registry import Registry

__all__ = ["OPTIMIZERS", "build_optimizer", "register_optimizer", "takes_betas"]

OPTIMIZERS: Registry[Callable[..., Optimizer]] = Registry("optimizer")
"""Optimizers by name: ``adam``, ``adamw``, ``rmsprop``, ``sgd``, and those given to :func:`register_optimizer`."""


def register_optimizer(name: str, builder: Callable[..., Optimizer] | None = None, *, betas: bool = False, fused: bool = False, replace: bool = False) -> Any:
    """Register an optimizer builder under ``name`` (a decorator when ``builder`` is omitted).

    Args:
        name: The name, a valid ``--optimizer`` then.
        builder: ``(parameters, lr, **options) -> Optimizer``; it is given ``betas`` when it
            declares ``betas=True`` and ``fused`` when it declares ``fused=True``.
        betas: It takes Adam's ``(beta1, beta2)``.
        fused: It takes ``fused`` (a fused CUDA implementation).
        replace: Replace another optimizer registered under ``name``.

    Returns:
        The builder unchanged, or the decorator.
    """
    return OPTIMIZERS.register(name, builder, replace=replace, betas=betas, fused=fused)


def takes_betas(name: str) -> bool:
    """Whether the optimizer ``name`` takes Adam's betas."""
    return bool(OPTIMIZERS.entry(name).metadata.get("betas"))


def build_optimizer(name: str, parameters: Iterable[Tensor], lr: float, *, betas: tuple[float, float] | None = None, fused: bool = False) -> Optimizer:
    """Build the optimizer ``name`` over ``parameters``.

    Args:
        name: A registered optimizer.
        parameters: What it updates.
        lr: The learning rate.
        betas: Adam's betas, for an optimizer that takes them ((0.9, 0.999) when ``None``).
        fused: Ask for the fused implementation, where the optimizer has one.

    Returns:
        The optimizer.

    Raises:
        ValueError: If ``betas`` is given to an optimizer that takes none (the message names it).
    """
    metadata = OPTIMIZERS.entry(name).metadata
    options: dict[str, Any] = {}
    if metadata.get("betas"):
        options["betas"] = tuple(betas or (0.9, 0.999))
    elif betas is not None:
        raise ValueError(f"optimizer {name!r} takes no betas (they apply to {', '.join(n for n in OPTIMIZERS.names() if takes_betas(n))})")
    if metadata.get("fused"):
        options["fused"] = fused or None
    return OPTIMIZERS.get(name)(parameters, lr=lr, **options)


register_optimizer("adam", torch.optim.Adam, betas=True, fused=True)
register_optimizer("adamw", torch.optim.AdamW, betas=True, fused=True)
register_optimizer("rmsprop", torch.optim.RMSprop)
register_optimizer("sgd", torch.optim.SGD)
