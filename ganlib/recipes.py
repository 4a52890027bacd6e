"""Training recipes from the papers: each objective's optimizer, learning rate, n_critic and critic norm.

Comparing objectives fairly means training each the way its paper did. A :class:`Recipe`
records those settings; the ``train`` and ``study`` commands and
``examples/compare_objectives.py`` start from them (every value can be overridden).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from ganlib.losses import Objective, get_objective

__all__ = ["RECIPES", "Recipe", "recipe_for"]


@dataclass(frozen=True)
class Recipe:
    """One objective's training settings, from its paper.

    Attributes:
        objective: The :func:`~ganlib.losses.get_objective` name.
        n_critic: Critic updates per generator update.
        optimizer: ``"adam"`` or ``"rmsprop"``.
        lr: Learning rate of both players.
        betas: Adam's betas.
        critic_norm: The critic's normalization.
        penalty: A penalty name, or ``None``.
        penalty_weight: Its weight (the penalty's default when ``None``).
        critic: ``"classifier"`` (scores) or ``"autoencoder"`` (EBGAN, BEGAN).
        source: Where the settings come from.
    """

    objective: str
    n_critic: int
    optimizer: str
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    critic_norm: str = "batch"
    penalty: str | None = None
    penalty_weight: float | None = None
    critic: str = "classifier"
    source: str = ""

    def build_objective(self, **kwargs: Any) -> Objective:
        """The recipe's objective; ``kwargs`` go to the loss (e.g. ``real_label=0.9``).

        Returns:
            The objective.
        """
        if self.penalty is None:
            return get_objective(self.objective, **kwargs)
        return get_objective(self.objective, penalty=self.penalty, penalty_weight=self.penalty_weight, **kwargs)

    def build_optimizer(self, module: torch.nn.Module, *, fused: bool = False) -> torch.optim.Optimizer:
        """The recipe's optimizer over ``module``'s parameters (fused Adam when asked).

        Returns:
            The optimizer.
        """
        if self.optimizer == "rmsprop":
            return torch.optim.RMSprop(module.parameters(), lr=self.lr)
        return torch.optim.Adam(module.parameters(), lr=self.lr, betas=self.betas, fused=fused or None)


_DCGAN: dict[str, Any] = {"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999)}

RECIPES: dict[str, Recipe] = {
    "minimax": Recipe("minimax", 1, **_DCGAN, source="Goodfellow et al. 2014, with Radford et al. 2015's optimizer"),
    "non-saturating": Recipe("non-saturating", 1, **_DCGAN, source="Goodfellow et al. 2014, with Radford et al. 2015's optimizer"),
    "wgan-clip": Recipe("wgan-clip", 5, "rmsprop", 5e-5, source="Arjovsky et al. 2017, Algorithm 1"),
    "wgan-gp": Recipe("wgan-gp", 5, "adam", 1e-4, (0.0, 0.9), critic_norm="layer", source="Gulrajani et al. 2017, Algorithm 1"),
    "hinge": Recipe("hinge", 5, "adam", 2e-4, (0.0, 0.9), critic_norm="spectral", source="Miyato et al. 2018 (SN-GAN)"),
    "least-squares": Recipe("least-squares", 1, **_DCGAN, source="Mao et al. 2017, with DCGAN's optimizer"),
    "relativistic": Recipe("relativistic", 1, **_DCGAN, source="Jolicoeur-Martineau 2018"),
    "relativistic-average": Recipe("relativistic-average", 1, **_DCGAN, source="Jolicoeur-Martineau 2018"),
    "r1": Recipe("non-saturating", 1, "adam", 1e-4, (0.0, 0.99), critic_norm="none", penalty="r1", penalty_weight=10.0, source="Mescheder et al. 2018"),
    "ebgan": Recipe("ebgan", 1, **_DCGAN, critic_norm="none", critic="autoencoder", source="Zhao et al. 2017, with DCGAN's optimizer"),
    "began": Recipe("began", 1, "adam", 1e-4, (0.5, 0.999), critic_norm="none", critic="autoencoder", source="Berthelot et al. 2017"),
}
"""Recipes by name; ``r1`` is the non-saturating loss with the R1 penalty."""


def recipe_for(objective: str, penalty: str | None = None) -> Recipe:
    """The recipe for an objective name, or for a loss with a penalty (``wasserstein`` + ``gp``
    trains as ``wgan-gp``, + ``clip`` as ``wgan-clip``; other combinations start from the
    loss's own recipe, or DCGAN's optimizer).

    Args:
        objective: A recipe or :func:`~ganlib.losses.get_objective` name.
        penalty: A penalty name, or ``None``.

    Returns:
        The recipe, with the objective and penalty set to those asked for.

    Example:
        >>> recipe_for("wasserstein", "gp").critic_norm
        'layer'
    """
    if penalty is None and objective in RECIPES:
        return RECIPES[objective]
    if objective in ("wasserstein", "wgan-gp", "wgan-clip"):
        base = RECIPES["wgan-clip"] if penalty == "clip" or objective == "wgan-clip" else RECIPES["wgan-gp"]
    elif objective == "non-saturating" and penalty == "r1":
        base = RECIPES["r1"]
    else:
        base = RECIPES.get(objective, Recipe(objective, 1, **_DCGAN))
    return replace(base, objective=objective, penalty=penalty, penalty_weight=base.penalty_weight if penalty == base.penalty else None)
