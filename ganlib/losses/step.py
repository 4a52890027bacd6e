"""What an objective sees in one step: the contract between the Trainer and an objective.

The Trainer builds a :class:`Step` for every critic update and every generator update and
hands it to :meth:`~ganlib.losses.Objective.critic_loss` or
:meth:`~ganlib.losses.Objective.generator_loss`. It holds the real batch (with labels when
the data has them), the generated batch, the noise, the step counters, the critic to score
with, and the loss scale of fp16 training. Objectives stay pure: they read a Step and return
named terms; they never draw data, touch an optimizer or synchronize with the device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Literal, NamedTuple

import torch
from torch import Tensor

__all__ = ["Critic", "Phase", "Scores", "Step", "at_least_float32"]

Critic = Callable[..., Tensor]
"""Anything that maps a batch ``(N, *)`` (and, for conditional critics, labels ``(N,)``) to
scores ``(N,)``; usually an ``nn.Module``."""

Phase = Literal["critic", "generator"]
"""Which network a step updates."""


def at_least_float32(tensor: Tensor) -> Tensor:
    """``tensor`` in float32 if it is in a 16-bit float type (autocast output), else unchanged.

    Losses and penalties are computed in at least float32 under mixed precision, and in
    float64 when the caller works in float64.

    Example:
        >>> import torch
        >>> at_least_float32(torch.ones(1, dtype=torch.bfloat16)).dtype, at_least_float32(torch.ones(1, dtype=torch.float64)).dtype
        (torch.float32, torch.float64)
    """
    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


class Scores(NamedTuple):
    """The critic's scores an objective has computed in a step, for its penalties to reuse:
    ``real``, the scores of ``step.real`` ``(N,)``, and ``fake``, those of ``step.fake``
    ``(M,)``; either may be ``None``."""

    real: Tensor | None
    fake: Tensor | None


@dataclass(frozen=True)
class Step:
    """Everything one critic or generator update may need.

    Only ``phase`` and ``critic`` are positional; the rest are keywords.

    Attributes:
        phase: ``"critic"`` or ``"generator"``.
        critic: The critic to score with. In the critic phase it may be a
            :class:`~torch.nn.parallel.DistributedDataParallel` wrapper; in the generator
            phase its parameters are frozen.
        fake: Generated samples ``(N, *)``: detached in the critic phase, carrying the
            generator's graph in the generator phase.
        noise: The noise the fakes were generated from, ``(N, latent_dim)`` (``None`` when
            the caller has none to give, e.g. in a hand-written loop).
        real: Real samples ``(N, *)``. Always present in the critic phase; in the generator
            phase only when the objective asks for it
            (:attr:`~ganlib.losses.Objective.needs_real_in_generator_step`) or the models
            are conditional, else ``None``.
        labels: Class labels ``(N,)`` of the real samples when the data has them, else
            ``None``. Conditional generators make the fakes for these same labels, so real
            sample *i* and fake sample *i* share a class.
        conditional: Whether the critic takes labels (``critic(x, labels)``).
        critic_step: In the critic phase, the number of critic updates done before this one
            (0-based); lazy regularizers decide from it whether they apply. In the generator
            phase, the number of critic updates done so far.
        iteration: Generator iterations completed before this step.
        clock: The same count as a device tensor that the Trainer advances inside the
            iteration, so that a component reading it stays right under CUDA-graph replay
            (where :attr:`iteration` is the value at recording); ``None`` outside the Trainer.
        horizon: The run's total of generator iterations (the Trainer's
            ``max_iterations``), for components whose schedules span the run; 0 when unknown.
        grad_scale: The fp16 loss scale as a device tensor, or ``None`` in fp32 and bf16. Input
            gradients for penalties are taken of scores multiplied by it and divided by it
            afterwards (see :mod:`ganlib.losses.penalties`).
        fuse: Whether real and fake may be scored in one critic forward over their
            concatenation. The Trainer sets it only for critics without batch statistics,
            where it changes nothing but speed.
        scores: The scores the objective has already computed in this step
            (:class:`Scores`), set by the objective before it calls its penalties, so that
            they need not score the batches again; ``None`` until then.
        augment: A differentiable transform applied to every batch before the critic sees it
            (:mod:`ganlib.augment`): :meth:`score` is ``critic(augment(x))``, so the losses
            and every penalty see the augmented critic. ``None``: no augmentation.

    Example:
        >>> import torch
        >>> critic = lambda x: x.sum(dim=1)
        >>> step = Step("critic", critic, real=torch.ones(2, 3), fake=torch.zeros(2, 3))
        >>> [s.tolist() for s in step.score_pair()]
        [[3.0, 3.0], [0.0, 0.0]]
    """

    phase: Phase
    critic: Critic
    _: KW_ONLY
    fake: Tensor
    real: Tensor | None = None
    noise: Tensor | None = None
    labels: Tensor | None = None
    conditional: bool = False
    critic_step: int = 0
    iteration: int = 0
    clock: Tensor | None = None
    horizon: int = 0
    grad_scale: Tensor | None = None
    fuse: bool = False
    scores: Scores | None = None
    augment: Callable[[Tensor], Tensor] | None = None

    def score(self, samples: Tensor) -> Tensor:
        """Score samples with the critic, passing this step's labels to a conditional critic.

        Args:
            samples: A batch ``(N, *)`` whose sample *i* belongs to class ``labels[i]``.

        Returns:
            Scores of shape ``(N,)``, in at least float32.
        """
        if self.augment is not None:
            samples = self.augment(samples)
        scores = self.critic(samples, self.labels) if self.conditional else self.critic(samples)
        return at_least_float32(scores)

    def require_real(self) -> Tensor:
        """The real batch, or a clear error if this step has none.

        Raises:
            ValueError: In a generator step of an objective that did not ask for reals.
        """
        if self.real is None:
            raise ValueError(
                "this generator step has no real batch; an objective that needs one must set "
                "needs_real_in_generator_step = True"
            )
        return self.real

    def score_pair(self) -> tuple[Tensor, Tensor]:
        """Scores of the real and the fake batch.

        With :attr:`fuse`, one critic forward over ``cat(real, fake)``; otherwise two.

        Returns:
            ``(real_scores, fake_scores)``, in at least float32, shapes ``(N,)`` and ``(M,)``.
        """
        real = self.require_real()
        if not self.fuse:
            return self.score(real), self.score(self.fake)
        labels = self.labels
        both = torch.cat([real, self.fake])
        if self.augment is not None:
            both = self.augment(both)
        scores = self.critic(both, torch.cat([labels, labels])) if self.conditional and labels is not None else self.critic(both)
        real_scores, fake_scores = at_least_float32(scores).split([len(real), len(self.fake)])
        return real_scores, fake_scores

