"""ganlib_extras: a plugin that adds four components to ganlib without touching it.

* ``drift`` -- a regularizer with state and a parameter: it keeps the critic's mean score on
  real data near its own running average (``--penalty drift --penalty-arg decay=0.9``);
* ``resmlp`` -- a model family of residual MLPs for 2-D points (``--model resmlp``);
* ``linear-lr-decay`` -- a callback that decays both learning rates linearly
  (``--callback linear-lr-decay --callback-arg end=0.1``);
* ``spiral`` -- a 2-D data source (``--data spiral``).

Importing the module registers them; ganlib imports it from the ``ganlib.plugins`` entry point
of this package's ``pyproject.toml``, or from ``GANLIB_PLUGINS=ganlib_extras``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ganlib.data import register_toy
from ganlib.losses import Penalty, Step, register_penalty
from ganlib.models import register_model
from ganlib.train import Callback, register_callback

__all__ = ["LinearDecay", "ResMLPCritic", "ResMLPGenerator", "ScoreDrift", "spiral"]


# --- a data source -----------------------------------------------------------------------------


def spiral(n: int, generator: torch.Generator | None = None) -> Tensor:
    """Points along an Archimedean spiral, with a little noise."""
    t = torch.rand(n, generator=generator) * (3 * math.pi)
    radius = t / (3 * math.pi)
    points = torch.stack([radius * t.cos(), radius * t.sin()], dim=1)
    return points + 0.02 * torch.randn(n, 2, generator=generator)


register_toy("spiral", spiral, (-1.2, 1.2, -1.2, 1.2))


# --- a model family ------------------------------------------------------------------------------


class _Residual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, width))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


@register_model("resmlp-generator")
class ResMLPGenerator(nn.Module):
    """A residual MLP from noise to points."""

    def __init__(self, latent_dim: int = 2, out_shape: list[int] | None = None, width: int = 64, blocks: int = 2) -> None:
        super().__init__()
        out_shape = list(out_shape or [2])
        self.latent_dim = latent_dim
        self.config = {"latent_dim": latent_dim, "out_shape": out_shape, "width": width, "blocks": blocks}
        self.net = nn.Sequential(nn.Linear(latent_dim, width), *(_Residual(width) for _ in range(blocks)), nn.Linear(width, math.prod(out_shape)))
        self.out_shape = out_shape

    def forward(self, z: Tensor) -> Tensor:  # noqa: D102
        return self.net(z).view(-1, *self.out_shape)


@register_model("resmlp-critic")
class ResMLPCritic(nn.Module):
    """A residual MLP from points to one raw score each."""

    def __init__(self, in_features: int = 2, width: int = 64, blocks: int = 2) -> None:
        super().__init__()
        self.config = {"in_features": in_features, "width": width, "blocks": blocks}
        self.net = nn.Sequential(nn.Linear(in_features, width), *(_Residual(width) for _ in range(blocks)), nn.LeakyReLU(0.2), nn.Linear(width, 1))

    def forward(self, x: Tensor) -> Tensor:  # noqa: D102
        return self.net(x.flatten(1)).flatten()


# --- a regularizer with state and a parameter -----------------------------------------------------


@register_penalty("drift")
class ScoreDrift(Penalty):
    """Keep the critic's mean real score near its running average: (mean D(x) - anchor)^2.

    It reuses the scores the objective computed (``step.scores``), keeps its anchor on the
    device, and saves it in checkpoints through ``state_dict``.
    """

    name = "drift"
    default_weight = 1.0
    gradient_based = False

    def __init__(self, weight: float | None = None, every: int = 1, *, decay: float = 0.9) -> None:
        super().__init__(weight, every)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay={decay!r} is invalid; expected a value in [0, 1)")
        self.decay = decay
        self.anchor = torch.zeros(())
        self.seen = torch.zeros(())

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        assert step.scores is not None and step.scores.real is not None
        mean = step.scores.real.mean()
        self.anchor = self.anchor.to(mean.device)
        self.seen = self.seen.to(mean.device)
        keep = torch.where(self.seen > 0, self.decay, 0.0)
        with torch.no_grad():
            self.anchor.mul_(keep).add_((1 - keep) * mean.detach())
            self.seen.add_(1)
        return {self.name: (mean - self.anchor).square(), "drift_anchor": self.anchor.clone()}

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"anchor": self.anchor.cpu().clone(), "seen": self.seen.cpu().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.anchor, self.seen = state["anchor"].clone(), state["seen"].clone()


# --- a callback -----------------------------------------------------------------------------------


@register_callback("linear-lr-decay")
class LinearDecay(Callback):
    """Decay both learning rates linearly, to ``end`` times their first value at the last iteration."""

    all_ranks = True  # every process steps its own optimizers

    def __init__(self, iterations: int, end: float = 0.0) -> None:
        self.iterations, self.end = iterations, end
        self.base: list[float] = []

    def on_fit_start(self, trainer: Any) -> None:  # noqa: D102
        if not self.base:  # a resumed run keeps the first run's base rates (from its state)
            self.base = [group["lr"] for o in (trainer.generator_optimizer, trainer.critic_optimizer) for group in o.param_groups]

    def on_iteration_start(self, trainer: Any) -> None:  # noqa: D102
        factor = 1.0 - (1.0 - self.end) * trainer.iteration / self.iterations
        groups = [group for o in (trainer.generator_optimizer, trainer.critic_optimizer) for group in o.param_groups]
        for group, base in zip(groups, self.base, strict=True):
            group["lr"] = base * factor

    def measure(self, trainer: Any) -> dict[str, float]:  # noqa: D102
        return {"lr/generator": trainer.generator_optimizer.param_groups[0]["lr"]}

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"base": list(self.base)}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: D102
        self.base = list(state["base"])
