"""Tiny trainers for tests: 16x16 DCGANs of width 2-4, fast on a CPU."""

from __future__ import annotations

import torch

from ganlib.data import TensorBatches
from ganlib.losses import get_objective
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import EMA, Trainer


def tiny_trainer(
    objective: str = "wgan-gp",
    *,
    n_critic: int = 2,
    callbacks=(),
    ema: float | None = None,
    seed: int = 0,
    lr: float = 1e-3,
    data: torch.Tensor | None = None,
) -> Trainer:
    torch.manual_seed(seed)
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=2)
    critic = DCGANCritic(image_size=16, width=2, norm="layer")
    if data is None:
        data = torch.rand(40, 1, 16, 16, generator=torch.Generator().manual_seed(99)) * 2 - 1
    optimizer = torch.optim.RMSprop if objective == "wgan-clip" else torch.optim.Adam
    kwargs = {} if objective == "wgan-clip" else {"betas": (0.0, 0.9)}
    return Trainer(
        generator,
        critic,
        get_objective(objective),
        optimizer(generator.parameters(), lr=lr, **kwargs),
        optimizer(critic.parameters(), lr=lr, **kwargs),
        TensorBatches(data, 8, seed=seed),
        n_critic=n_critic,
        callbacks=callbacks,
        ema=EMA(generator, 0.9) if ema else None,
        seed=seed,
    )


def parameters(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
