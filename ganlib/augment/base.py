"""The augmentation seam: a differentiable transform of every batch the critic sees.

An :class:`Augment` is handed to the :class:`~ganlib.train.Trainer` (``augment=...``), which
puts it in every :class:`~ganlib.losses.Step`: :meth:`Step.score <ganlib.losses.Step.score>`
scores ``critic(augment(x))``, so real batches, fakes (in the critic step and in the
generator step, where the gradient flows back through the transform into the generator) and
the penalties' points all reach the critic augmented.

An augmentation may adapt (ADA): after each iteration the Trainer hands it the iteration's
metrics (:meth:`Augment.after_iteration`, device tensors, outside any captured graph), and
its state is saved in checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from ganlib.registry import Registry

__all__ = ["AUGMENTATIONS", "Augment", "register_augment"]


class Augment(nn.Module):
    """Base class of critic-input augmentations.

    Subclasses implement :meth:`forward` (``(N, *) -> (N, *)``, differentiable with respect to
    its input, with its own random draw for every sample) and may override
    :meth:`after_iteration`, :meth:`state_dict`-style state (registered buffers are saved
    automatically) and :meth:`capture_blocker`.
    """

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        raise NotImplementedError

    def after_iteration(self, names: tuple[str, ...], values: Tensor, images: int = 0) -> None:
        """Adapt after an iteration, from its metrics (device tensors; no host reads).

        Args:
            names: The metrics' names.
            values: Their values, a 1-D device tensor in the order of ``names``.
            images: Real images the critic saw in the iteration.
        """

    def capture_blocker(self) -> str | None:
        """Why this augmentation cannot run inside a CUDA graph, or ``None`` (it can)."""
        return None

    def report(self) -> Mapping[str, Tensor]:
        """Device values to log after each iteration (``augment/p`` for ADA); none by default."""
        return {}

    def extra_repr(self) -> str:  # noqa: D102
        return ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "training")


AUGMENTATIONS: Registry[Any] = Registry("augmentation")
"""Augmentations by name, for ``--augment NAME``."""


def register_augment(name: str, augment: Any = None, *, replace: bool = False) -> Any:
    """Register an augmentation class (or builder) under ``name`` (a decorator when ``augment`` is omitted).

    Args:
        name: The name (``--augment NAME``; its constructor's keyword arguments are
            ``--augment-arg KEY=VALUE``).
        augment: An :class:`Augment` subclass or a function returning one.
        replace: Replace another augmentation registered under ``name``.

    Returns:
        The class unchanged, or the decorator.
    """
    return AUGMENTATIONS.register(name, augment, replace=replace)
