"""What a growing network's optimizer does when the network grows (PGGAN's phases).

The new parameters join the optimizer as a group of their own, with the settings of its first
group and no state (Adam's moments start at zero for them); the old parameters keep their
state and their group. Growth as a schedule the loop steps is not built yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn
from torch.optim import Optimizer

__all__ = ["grow_optimizer"]


def grow_optimizer(optimizer: Optimizer, new: Sequence[nn.Parameter]) -> Optimizer:
    """Add ``new`` parameters to ``optimizer`` as a new group with its first group's settings.

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
