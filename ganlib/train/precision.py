"""Numeric precision of the training step: fp32, bf16 autocast, or fp16 with loss scaling.

:class:`Precision` is the one object the :class:`~ganlib.train.Trainer` asks to run a
forward pass (:meth:`~Precision.autocast`), to backpropagate (:meth:`~Precision.backward`)
and to step an optimizer (:meth:`~Precision.step`), so the loop reads the same in every
precision. Under fp16 each optimizer gets its own :class:`torch.amp.GradScaler` (the critic's
and the generator's gradients have different ranges), and penalties receive the critic's
current scale as a device tensor (:meth:`~Precision.grad_scale`) so that they can take input
gradients of scaled scores and unscale them before the norm, as in PyTorch's AMP recipe for
gradient penalties.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

__all__ = ["PRECISIONS", "Precision"]

PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "fp16")
"""The valid precisions."""

_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """Autocast, backward and optimizer steps for one precision.

    * ``"fp32"``: plain float32; every method is the obvious call.
    * ``"bf16"``: forward passes under :func:`torch.autocast` with bfloat16; gradients and
      optimizer states stay float32; no loss scaling (bf16 has float32's range).
    * ``"fp16"``: autocast with float16 and a :class:`torch.amp.GradScaler` per optimizer
      role. A step whose gradients overflowed is skipped and the scale lowered.

    Under fp16 the first steps of a run are often skipped: the scaler starts at ``init_scale``
    and halves it at every step whose gradients overflowed, until the scaled gradients fit.

    Args:
        precision: One of :data:`PRECISIONS`.
        device: The training device (its type selects the autocast backend).
        init_scale: The loss scale fp16 starts from (GradScaler's default, 2**16).

    Raises:
        ValueError: If ``precision`` is not one of :data:`PRECISIONS`.

    Example:
        >>> import torch
        >>> p = Precision("bf16", torch.device("cpu"))
        >>> with p.autocast():
        ...     y = torch.nn.Linear(2, 2)(torch.ones(1, 2))
        >>> y.dtype
        torch.bfloat16
    """

    def __init__(self, precision: str = "fp32", device: torch.device | str = "cpu", init_scale: float = 2.0**16) -> None:
        if precision not in _DTYPES:
            raise ValueError(f"precision={precision!r} is invalid; expected one of {', '.join(map(repr, PRECISIONS))}")
        self.precision = precision
        self.device = torch.device(device)
        self.dtype = _DTYPES[precision]
        self.init_scale = init_scale
        self.cache_enabled = True  # autocast's weight cache; a CUDA graph cannot hold it
        self._scalers: dict[str, torch.amp.GradScaler] = {}
        self._one = torch.ones((), device=self.device)

    @property
    def scaled(self) -> bool:
        """Whether losses are scaled (fp16)."""
        return self.precision == "fp16"

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The context for forward passes: :func:`torch.autocast` in bf16/fp16, nothing in fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype, cache_enabled=self.cache_enabled)

    def _scaler(self, role: str) -> torch.amp.GradScaler | None:
        if not self.scaled:
            return None
        scaler = self._scalers.get(role)
        if scaler is None:
            scaler = self._scalers[role] = torch.amp.GradScaler(self.device.type, init_scale=self.init_scale)
        return scaler

    def grad_scale(self, role: str) -> Tensor | None:
        """The current loss scale of ``role``'s scaler as a device tensor, or ``None`` unscaled.

        Read without a host synchronization; penalties multiply scores by it before taking
        input gradients and divide the gradients by it afterwards.

        Args:
            role: ``"critic"`` or ``"generator"``.

        Returns:
            The scale, or ``None`` in fp32 and bf16.
        """
        scaler = self._scaler(role)
        return None if scaler is None else scaler.scale(self._one)

    def backward(self, loss: Tensor, role: str) -> None:
        """Backpropagate ``loss`` (scaled under fp16).

        Args:
            loss: The scalar loss.
            role: ``"critic"`` or ``"generator"``: whose scaler applies.
        """
        scaler = self._scaler(role)
        (loss if scaler is None else scaler.scale(loss)).backward()

    def unscale_(self, optimizer: Optimizer, role: str) -> None:
        """Divide ``optimizer``'s gradients by the loss scale now (fp16), so that code run before
        the step (gradient clipping) sees their true values; nothing in fp32 and bf16.

        Args:
            optimizer: The optimizer of ``role``.
            role: ``"critic"`` or ``"generator"``.
        """
        scaler = self._scaler(role)
        if scaler is not None:
            scaler.unscale_(optimizer)

    def step(self, optimizer: Optimizer, role: str) -> None:
        """Step ``optimizer`` (through its scaler under fp16, then update the scale).

        Args:
            optimizer: The optimizer of ``role``.
            role: ``"critic"`` or ``"generator"``.
        """
        scaler = self._scaler(role)
        if scaler is None:
            optimizer.step()
            return
        scaler.step(optimizer)
        scaler.update()

    def state_dict(self) -> dict[str, Any]:
        """The scalers' states (empty unless fp16)."""
        return {role: scaler.state_dict() for role, scaler in self._scalers.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the scalers' states.

        Raises:
            ValueError: If the state holds scalers but this precision has none.
        """
        if state and not self.scaled:
            raise ValueError(f"the checkpoint was trained with fp16 loss scaling, but precision is {self.precision!r}")
        for role, scaler_state in state.items():
            scaler = self._scaler(role)
            assert scaler is not None
            scaler.load_state_dict(scaler_state)

    def __repr__(self) -> str:
        return f"Precision({self.precision!r}, device={str(self.device)!r})"
