"""Energy-based objectives: the discriminator is an autoencoder and its energy is the
reconstruction error (EBGAN, Zhao et al., 2017; BEGAN, Berthelot et al., 2017).

The critic (:class:`~ganlib.models.AutoencoderCritic`) returns reconstructions; the energy of
a sample is its mean per-pixel reconstruction error, squared for EBGAN and absolute for BEGAN.
Low energy means "looks real". Both objectives report the critic's accuracy with the
midpoint threshold on the negated energies (a sample counts as real when its energy is below
the midpoint of the mean real and mean fake energies).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ganlib.contract import NonNegativeFloat, PositiveFloat, Probability
from ganlib.losses.adversarial import Terms, midpoint_accuracy
from ganlib.losses.objectives import Objective
from ganlib.losses.step import Step

__all__ = ["BEGAN", "EBGAN", "pulling_away", "reconstruction_energy"]


def reconstruction_energy(samples: Tensor, reconstructions: Tensor, power: int = 2) -> Tensor:
    """Per-sample mean reconstruction error, :math:`\\frac{1}{d}\\sum_j |x_j - \\hat{x}_j|^p`.

    Args:
        samples: Inputs ``(N, *)``.
        reconstructions: The autoencoder's outputs, same shape.
        power: 2 (squared error, EBGAN) or 1 (absolute error, BEGAN).

    Returns:
        Energies of shape ``(N,)``.

    Example:
        >>> import torch
        >>> reconstruction_energy(torch.zeros(1, 4), torch.tensor([[1.0, -1.0, 0.0, 2.0]]))
        tensor([1.5000])
    """
    if samples.shape != reconstructions.shape:
        raise ValueError(
            f"the critic returned shape {tuple(reconstructions.shape)} for samples of shape {tuple(samples.shape)}; "
            "an energy-based objective needs an autoencoder critic that reconstructs its input"
        )
    error = (samples - reconstructions).abs().flatten(1)
    return (error.square() if power == 2 else error).mean(dim=1)


def pulling_away(codes: Tensor) -> Tensor:
    """EBGAN's pulling-away term: the mean squared cosine similarity between distinct codes,

    .. math::

        f_{PT}(S) = \\frac{1}{N(N-1)} \\sum_i \\sum_{j \\ne i}
                    \\left(\\frac{S_i^\\top S_j}{\\lVert S_i \\rVert\\, \\lVert S_j \\rVert}\\right)^2.

    It is 0 when the codes are mutually orthogonal and 1 when they all point along one line,
    so adding it to the generator's loss pushes a batch's codes apart (against mode collapse).
    The diagonal (every code is parallel to itself) is left out.

    Args:
        codes: The encoder's codes of the generated batch ``(N, *)``, ``N >= 2``.

    Returns:
        A scalar in [0, 1].

    Raises:
        ValueError: If the batch has fewer than two codes.

    Example:
        >>> import torch
        >>> pulling_away(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        tensor(0.5000)
    """
    n = codes.shape[0]
    if n < 2:
        raise ValueError(f"pulling_away needs at least 2 codes to compare; got a batch of {n}")
    unit = torch.nn.functional.normalize(codes.flatten(1), dim=1)
    cosine = unit @ unit.T
    off_diagonal = cosine.square().sum() - cosine.diagonal().square().sum()
    return off_diagonal / (n * (n - 1))


def _energy_terms(real_energy: Tensor, fake_energy: Tensor) -> Terms:
    acc_real, acc_fake = midpoint_accuracy(-real_energy, -fake_energy)
    return {"critic/d_real": real_energy.detach().mean(), "critic/d_fake": fake_energy.detach().mean(), "accuracy/real": acc_real, "accuracy/fake": acc_fake}


def _energies(step: Step, power: int) -> tuple[Tensor, Tensor]:
    real = step.require_real()
    real_rec, fake_rec = step.score_pair()
    return reconstruction_energy(real, real_rec, power), reconstruction_energy(step.fake, fake_rec, power)


class EBGAN(Objective):
    """The energy-based GAN (Zhao et al., 2017), with its margin loss.

    .. math::

        L_D = \\mathbb{E}_x[D(x)] + \\mathbb{E}_z\\big[\\max(0, m - D(G(z)))\\big], \\qquad
        L_G = \\mathbb{E}_z[D(G(z))],

    where :math:`D(x)` is the mean squared reconstruction error of the autoencoder critic.
    The critic lowers the energy of real samples and pushes fakes up to the margin :math:`m`
    (on images in [-1, 1] a per-pixel energy lies in [0, 4]).

    With ``pull_away`` > 0 the generator's loss adds
    :math:`\\lambda_{PT} f_{PT}` (:func:`pulling_away`) on the encoder's codes of the fakes, the
    paper's remedy for mode collapse (EBGAN-PT, :math:`\\lambda_{PT} = 0.1`); the critic must
    then have ``encode`` and ``decode`` methods, as :class:`~ganlib.models.AutoencoderCritic`
    does. The term is reported as ``generator/pull_away``.

    Args:
        margin: :math:`m`.
        pull_away: :math:`\\lambda_{PT}`; 0 leaves the term out.

    Raises:
        ValueError: If ``margin`` is not positive and finite, or ``pull_away`` is negative or
            not finite.
    """

    name = "ebgan"

    def __init__(self, margin: NonNegativeFloat = 1.0, pull_away: NonNegativeFloat = 0.0) -> None:
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin < math.inf:
            raise ValueError(f"margin={margin!r} is invalid; expected a positive, finite energy margin")
        if isinstance(pull_away, bool) or not isinstance(pull_away, (int, float)) or not 0 <= pull_away < math.inf:
            raise ValueError(f"pull_away={pull_away!r} is invalid; expected a finite weight >= 0 (the paper uses 0.1)")
        self.margin, self.pull_away = float(margin), float(pull_away)

    def critic_loss(self, step: Step) -> Terms:  # noqa: D102
        real_energy, fake_energy = _energies(step, power=2)
        loss = real_energy.mean() + torch.relu(self.margin - fake_energy).mean()
        return {"loss": loss, **_energy_terms(real_energy, fake_energy)}

    def generator_loss(self, step: Step) -> Terms:  # noqa: D102
        if not self.pull_away:
            energy = reconstruction_energy(step.fake, step.score(step.fake), power=2)
            return {"loss": energy.mean(), "d_fake": energy.detach().mean()}
        critic = step.critic
        if not (callable(getattr(critic, "encode", None)) and callable(getattr(critic, "decode", None))):
            raise TypeError(f"EBGAN(pull_away={self.pull_away}) needs a critic with encode() and decode() (an AutoencoderCritic); got {type(critic).__name__}")
        codes = critic.encode(step.fake)  # type: ignore[attr-defined]
        energy = reconstruction_energy(step.fake, critic.decode(codes), power=2)  # type: ignore[attr-defined]
        spread = pulling_away(codes)
        return {"loss": energy.mean() + self.pull_away * spread, "d_fake": energy.detach().mean(), "generator/pull_away": spread.detach()}

    def __repr__(self) -> str:
        return f"EBGAN(margin={self.margin!r}, pull_away={self.pull_away!r})"


class BEGAN(Objective):
    """The boundary equilibrium GAN (Berthelot et al., 2017).

    With :math:`\\mathcal{L}(v)` the mean absolute reconstruction error of the autoencoder critic:

    .. math::

        L_D &= \\mathcal{L}(x) - k_t\\, \\mathcal{L}(G(z)), \\qquad L_G = \\mathcal{L}(G(z)), \\\\
        k_{t+1} &= \\operatorname{clip}_{[0, 1]}\\big(k_t + \\lambda_k (\\gamma \\mathcal{L}(x) - \\mathcal{L}(G(z)))\\big), \\\\
        M_{\\text{global}} &= \\mathcal{L}(x) + |\\gamma \\mathcal{L}(x) - \\mathcal{L}(G(z))|.

    :math:`k_t` balances the two players so that
    :math:`\\mathbb{E}[\\mathcal{L}(G(z))] = \\gamma\\, \\mathbb{E}[\\mathcal{L}(x)]`; :math:`\\gamma`
    trades diversity (higher) for quality. It is updated after every critic step, kept as a
    tensor (so a CUDA graph can record the update) and saved in checkpoints, so a resumed run
    continues exactly. Terms: ``began/k`` and ``began/convergence`` (:math:`M_{\\text{global}}`,
    which falls as training converges). Under gradient accumulation :math:`k_t` follows the
    mean balance of the step's micro-batches.

    Args:
        gamma: The diversity ratio :math:`\\gamma` (0.5 in the paper's figures).
        lambda_k: The learning rate of :math:`k_t` (0.001).
        k: The initial :math:`k_0` (0).

    Raises:
        ValueError: If a value is out of range.
    """

    name = "began"

    def __init__(self, gamma: PositiveFloat = 0.5, lambda_k: NonNegativeFloat = 0.001, k: Probability = 0.0) -> None:
        for key, value, low, high in (("gamma", gamma, 0.0, 1.0), ("lambda_k", lambda_k, 0.0, 1.0), ("k", k, 0.0, 1.0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ValueError(f"{key}={value!r} is invalid; expected a value in [{low}, {high}]")
        self.gamma, self.lambda_k = float(gamma), float(lambda_k)
        self.k = torch.tensor(float(k))
        self._balance: Tensor | None = None
        self._parts = 0

    def critic_loss(self, step: Step) -> Terms:  # noqa: D102
        real_energy, fake_energy = _energies(step, power=1)
        # k_t lives on the losses' device, in their precision (at least float32), so that a
        # float64 run resolves updates below float32's resolution.
        dtype = torch.promote_types(real_energy.dtype, torch.float32)
        if self.k.device != real_energy.device or self.k.dtype != dtype:
            self.k = self.k.to(real_energy.device, dtype)
        real_loss, fake_loss = real_energy.mean(), fake_energy.mean()
        balance = (self.gamma * real_loss - fake_loss).detach()
        # Under gradient accumulation one critic step is several micro-batches: k_t follows
        # their mean balance, as it would the whole batch's.
        self._balance = balance if self._balance is None or self._parts == 0 else self._balance + balance
        self._parts += 1
        convergence = real_loss.detach() + balance.abs()
        loss = real_loss - self.k * fake_loss
        return {"loss": loss, **_energy_terms(real_energy, fake_energy), "began/k": self.k.clone(), "began/convergence": convergence}

    def generator_loss(self, step: Step) -> Terms:  # noqa: D102
        energy = reconstruction_energy(step.fake, step.score(step.fake), power=1)
        return {"loss": energy.mean(), "d_fake": energy.detach().mean()}

    @torch.no_grad()
    def after_critic_step(self, critic: nn.Module) -> None:
        """Update :math:`k_t` with the balance measured in the last critic step (in place).

        Args:
            critic: The critic (unused: :math:`k_t` depends on the losses only).
        """
        if self._balance is not None and self._parts:
            self.k.add_(self.lambda_k * self._balance / self._parts).clamp_(0.0, 1.0)
        self._parts = 0

    def state_dict(self) -> dict[str, Any]:
        """:math:`k_t`."""
        return {"k": self.k.detach().cpu().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :math:`k_t`."""
        self.k = state["k"].to(self.k.device, torch.promote_types(state["k"].dtype, self.k.dtype)).clone()

    def __repr__(self) -> str:
        return f"BEGAN(gamma={self.gamma!r}, lambda_k={self.lambda_k!r})"
