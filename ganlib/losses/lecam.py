"""LeCam regularization (Tseng et al., 2021): the critic's scores held near moving anchors.

Two references disagree on the anchors' decay and the weight; both are here, each whole:
``lecam`` (the authors' lecam-gan code) and ``lecam-stylegan2`` (their StyleGAN2 settings).
"""

from __future__ import annotations


from typing import Any

import torch
from torch import Tensor

from ganlib._validation import check_int
from ganlib.contract import Fraction, NonNegativeFloat, NonNegativeInt, PositiveInt
from ganlib.losses.penalties import Penalty, _check_number, register_penalty
from ganlib.losses.step import Step

__all__ = ["LeCamPenalty", "LeCamStyleGAN2Penalty"]


class LeCamPenalty(Penalty):
    """LeCam regularization (Tseng et al., 2021), as the authors' BigGAN code runs it: ``lecam``.

    The critic's scores are pulled toward anchors, exponential moving averages of its mean
    score on real (:math:`\\alpha_R`) and on generated (:math:`\\alpha_F`) samples:

    .. math::

        R_{LC} = \\mathbb{E}_x\\big[\\max(0, D(x) - \\alpha_F)^2\\big]
               + \\mathbb{E}_z\\big[\\max(0, \\alpha_R - D(G(z)))^2\\big],

    so real scores above the fake anchor and fake scores below the real anchor are
    penalized; it keeps the critic's two outputs from drifting apart, which the paper shows
    matters most with little data.

    The defaults are those of google/lecam-gan's BigGAN (PyTorch) code, the paper's CIFAR
    experiments (``third_party/utils.py`` ``ema_losses``, ``biggan_cifar/losses.py``,
    ``third_party/train_fns.py``, ``scripts/lc-biggan-cifar10.sh``): λ = 0.3, decay 0.9, and a
    warm-up of ``start`` = 1,000 generator iterations during which each anchor is the latest
    batch mean and the term is off; it counts from iteration ``start + 1`` on (the reference's
    ``itr > start_itr``). The anchors are updated with this step's mean scores *before* the term
    is taken, at every critic step. ``lecam-stylegan2`` is the authors' TensorFlow StyleGAN2
    version (``stylegan2/lecam_loss.py``): decay 0.99, a zero-debiased average (TensorFlow's
    ``assign_moving_average(..., zero_debias=True)``), no warm-up, λ = 1e-6 (their CIFAR script).
    With ``start=0`` and no debiasing, the first update copies the batch means (the BigGAN code
    would average them with its initial value of 1000).

    It reads the scores the objective computed (no extra critic forward) and keeps the anchors,
    its update count and its iteration clock on the device (no host synchronization; under
    CUDA-graph capture it reads the Trainer's device clock, :attr:`Step.clock`), and saves them
    in checkpoints, so a resumed run continues with the same anchors.

    Args:
        weight: λ (0.3).
        every: Lazy interval.
        decay: The anchors' decay (0.9).
        start: Generator iterations of warm-up (1,000); 0 for none.
        debias: Divide the average by :math:`1 - \\text{decay}^t` after :math:`t` updates, from a
            zero start (the TensorFlow version); ``False`` in the BigGAN code.

    Raises:
        ValueError: If ``decay`` is outside [0, 1) or ``start`` is negative.

    Example:
        >>> import torch
        >>> from ganlib.losses import Scores, Step
        >>> lecam = LeCamPenalty(decay=0.5, start=0)
        >>> step = Step("critic", lambda x: x.sum(1), fake=torch.zeros(2, 1), real=torch.zeros(2, 1),
        ...             scores=Scores(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0])), iteration=1)
        >>> lecam(step)["lecam"]  # anchors 2 and 0: mean((D(x) - 0)+^2) + mean((2 - D(G(z)))+^2)
        tensor(9.)
    """

    name = "lecam"
    default_weight = 0.3
    gradient_based = False

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.9, start: NonNegativeInt = 1000, debias: bool = False) -> None:
        super().__init__(weight, every)
        self.decay = _check_number("decay", decay, 0.0, 1.0, "a decay in [0, 1)")
        if self.decay >= 1.0:
            raise ValueError(f"decay={decay!r} is invalid; expected a decay in [0, 1)")
        self.start = check_int("start", start, minimum=0, expected="a non-negative number of generator iterations")
        if not isinstance(debias, bool):
            raise ValueError(f"debias={debias!r} is invalid; expected true or false")
        self.debias = debias
        self.anchor_real = torch.zeros(())
        self.anchor_fake = torch.zeros(())
        self._average = torch.zeros(2)  # the (biased) moving averages of the real and fake means
        self._decay = torch.full((), self.decay)
        self.updates = torch.zeros((), dtype=torch.long)

    def _to(self, device: torch.device, dtype: torch.dtype) -> None:
        if self._decay.device != device or self._decay.dtype != dtype or self._average.dtype != dtype:
            self._average = self._average.to(device, dtype)
            self._decay = torch.full((), self.decay, dtype=dtype, device=device)  # made once, not per step
            self.anchor_real = self.anchor_real.to(device, dtype)
            self.anchor_fake = self.anchor_fake.to(device, dtype)
            self.updates = self.updates.to(device)

    @torch.no_grad()
    def update(self, real_scores: Tensor, fake_scores: Tensor, iteration: Tensor | int = 0) -> None:
        """Fold one step's mean scores into the anchors (in place, on the device).

        Args:
            real_scores: Scores on the real batch ``(N,)``.
            fake_scores: Scores on the generated batch ``(M,)``.
            iteration: Generator iterations completed before this step (a device tensor
                under capture).
        """
        self._to(real_scores.device, torch.promote_types(real_scores.dtype, torch.float32))
        means = torch.stack([real_scores.detach().mean(), fake_scores.detach().mean()]).to(self._average.dtype)
        warming = torch.as_tensor(iteration, device=self.updates.device) < self.start
        if not self.debias:
            warming = warming | (self.updates == 0)  # the first update copies the means
        keep = torch.where(warming, 0.0, self._decay)
        self._average.mul_(keep).add_((1 - keep) * means)
        self.updates.add_(1)
        anchors = self._average
        if self.debias:
            anchors = anchors / (1 - torch.pow(keep, self.updates.to(anchors.dtype)))
        self.anchor_real.copy_(anchors[0])
        self.anchor_fake.copy_(anchors[1])

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        if step.scores is None or step.scores.real is None or step.scores.fake is None:
            real_scores, fake_scores = step.score_pair()
        else:
            real_scores, fake_scores = step.scores.real, step.scores.fake
        iteration = step.clock if step.clock is not None else step.iteration
        self.update(real_scores, fake_scores, iteration)
        value = torch.relu(real_scores - self.anchor_fake).square().mean() + torch.relu(self.anchor_real - fake_scores).square().mean()
        if self.start:
            value = value * (torch.as_tensor(iteration, device=value.device) > self.start).to(value.dtype)
        return {self.name: value, "anchor_real": self.anchor_real.clone(), "anchor_fake": self.anchor_fake.clone()}

    def state_dict(self) -> dict[str, Any]:
        """The anchors, their averages and the update count."""
        return {
            "anchor_real": self.anchor_real.detach().cpu().clone(), "anchor_fake": self.anchor_fake.detach().cpu().clone(),
            "average": self._average.detach().cpu().clone(), "updates": self.updates.cpu().clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the anchors, their averages and the update count (0.3's state has no averages: the anchors are them)."""
        device = self._average.device
        self.anchor_real = state["anchor_real"].to(device).clone()
        self.anchor_fake = state["anchor_fake"].to(device).clone()
        average = state.get("average")
        self._average = (average if average is not None else torch.stack([self.anchor_real, self.anchor_fake])).to(device).clone()
        self.updates = state["updates"].to(device).clone()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight!r}, every={self.every!r}, decay={self.decay!r}, start={self.start!r}, debias={self.debias!r})"


class LeCamStyleGAN2Penalty(LeCamPenalty):
    """LeCam as the authors' TensorFlow StyleGAN2 code runs it: ``lecam-stylegan2``.

    google/lecam-gan, ``stylegan2/lecam_loss.py`` and ``scripts/run_train_cifar.sh``: decay
    0.99, a zero-debiased moving average from zero, no warm-up, λ = 1e-6 (the CIFAR script's
    ``--lecam``; how the StyleGAN2 loss it is added to scales it is outside that repository).

    Args:
        weight: λ (1e-6).
        every: Lazy interval.
        decay: The anchors' decay (0.99).
        start: Generator iterations of warm-up (0).
        debias: Zero-debias the average (true).
    """

    default_weight = 1e-6

    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.99, start: NonNegativeInt = 0, debias: bool = True) -> None:
        super().__init__(weight, every, decay=decay, start=start, debias=debias)


register_penalty(LeCamPenalty.name, LeCamPenalty)
register_penalty("lecam-stylegan2", LeCamStyleGAN2Penalty)
