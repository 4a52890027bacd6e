"""Historical generator batches (Shrivastava et al., 2017): the critic also sees earlier fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.contract import PositiveInt, Probability
from ganlib.train.callback import Callback, register_callback

if TYPE_CHECKING:
    from ganlib.train.callback import Loop

__all__ = ["ReplayBuffer"]


@register_callback("replay-buffer")
class ReplayBuffer(Callback):
    """Replace a share of every critic fake batch with fakes from a buffer of earlier ones.

    One of the GAN lecture's practical tips, from Shrivastava et al. (2017): a critic that also
    sees older generator outputs cannot forget what it learned about them, which damps the
    oscillation of the two players. In every critic step the first ``share`` of the fake batch
    is replaced by fakes drawn at random from the buffer, and the fakes they replaced take random
    places in the buffer. The buffer starts filled with the first batch's fakes, so every step
    does the same work (a CUDA graph can record it); it is saved in checkpoints, so a resumed run
    continues exactly.

    Args:
        capacity: Fakes the buffer holds.
        share: Fraction of each critic fake batch taken from the buffer (0.5 in the paper).

    Raises:
        ValueError: If ``capacity`` is not positive or ``share`` is outside [0, 1].
    """

    all_ranks = True  # part of the update: every process keeps its own buffer

    def __init__(self, capacity: PositiveInt = 1024, share: Probability = 0.5) -> None:
        self.capacity = check_int("capacity", capacity, expected="a positive number of samples")
        if not (isinstance(share, (int, float)) and 0.0 <= share <= 1.0):
            raise ValueError(f"share={share!r} is invalid; expected a fraction in [0, 1]")
        self.share = float(share)
        self.buffer: Tensor | None = None

    def on_critic_fakes(self, trainer: Loop, fake: Tensor) -> Tensor:  # noqa: D102
        n = fake.shape[0]
        k = round(self.share * n)
        if k == 0:
            return fake
        if self.buffer is not None and self.buffer.device != fake.device:
            self.buffer = self.buffer.to(fake.device)  # restored from a checkpoint on the CPU
        if self.buffer is None or self.buffer.shape[1:] != fake.shape[1:]:
            repeats = -(-self.capacity // n)
            self.buffer = fake.detach().repeat(repeats, *([1] * (fake.ndim - 1)))[: self.capacity].clone()
        drawn = torch.randint(0, self.capacity, (k,), device=fake.device)
        history = self.buffer[drawn]
        slots = torch.randint(0, self.capacity, (k,), device=fake.device)
        self.buffer[slots] = fake[:k].detach()
        return torch.cat([history, fake[k:]])

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"buffer": None if self.buffer is None else self.buffer.detach().cpu().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        saved = state.get("buffer")
        self.buffer = None if saved is None else saved.clone()
