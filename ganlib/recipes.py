"""Training recipes from the papers: each objective's optimizer, learning rate, n_critic, critic
norm, and, for the recipes that fix them, their models, penalties and EMA.

Comparing objectives fairly means training each the way its paper did. A :class:`Recipe`
records those settings; the ``train`` and ``study`` commands and
``examples/compare_objectives.py`` start from them (every value can be overridden). Recipes
are registered by name (:func:`register_recipe`); a recipe's name is a valid ``--objective``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from collections.abc import Mapping
from typing import Any

import torch

from ganlib.losses import Objective, get_objective
from ganlib.registry import Registry

__all__ = ["RECIPES", "Recipe", "recipe_for", "register_recipe"]


@dataclass(frozen=True)
class Recipe:
    """One objective's training settings, from its paper.

    Attributes:
        objective: The :func:`~ganlib.losses.get_objective` name.
        n_critic: Critic updates per generator update.
        optimizer: ``"adam"``, ``"rmsprop"`` or ``"sgd"``.
        lr: Learning rate of both players.
        betas: Adam's betas.
        critic_norm: The critic's normalization (for models that take one).
        penalty: A penalty name, a tuple of them, or ``None``.
        penalty_weight: Their weight (each penalty's default when ``None``).
        critic: ``"scores"`` (a classifier-like critic) or ``"autoencoder"`` (EBGAN, BEGAN).
        model: A model family the recipe trains (``--model``), or ``None`` for the data's default.
        ema: The EMA decay the recipe keeps, or ``None`` for no EMA.
        serves: Other objective names (``"wasserstein"``, ``"wasserstein+clip"``) whose runs
            start from this recipe's settings.
        source: Where the settings come from.
        settings: Any other ``train`` settings the recipe fixes, by their names in a run's
            ``config.json`` (``width``, ``batch_size``, ``iterations``, ``latent_dim``, and the
            ``generator_arg``/``critic_arg``/``data_arg`` dicts): a value given on the command
            line wins; dicts are merged, the command line's keys winning.
    """

    objective: str
    n_critic: int
    optimizer: str
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    critic_norm: str = "batch"
    penalty: str | tuple[str, ...] | None = None
    penalty_weight: float | None = None
    critic: str = "scores"
    model: str | None = None
    ema: float | None = None
    serves: tuple[str, ...] = field(default=())
    source: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def penalties(self) -> tuple[str, ...]:
        """The penalty names, as a tuple (empty without penalties)."""
        return () if self.penalty is None else (self.penalty,) if isinstance(self.penalty, str) else tuple(self.penalty)

    def build_objective(self, **kwargs: Any) -> Objective:
        """The recipe's objective; ``kwargs`` go to the loss (e.g. ``real_label=0.9``).

        Returns:
            The objective.
        """
        if not self.penalties:
            return get_objective(self.objective, **kwargs)
        return get_objective(self.objective, penalty=list(self.penalties), penalty_weight=self.penalty_weight, **kwargs)

    def build_optimizer(self, module: torch.nn.Module, *, fused: bool = False) -> torch.optim.Optimizer:
        """The recipe's optimizer over ``module``'s parameters (fused Adam when asked).

        Returns:
            The optimizer.
        """
        from ganlib.train.optimizers import build_optimizer, takes_betas  # the optimizer registry, when one is built

        return build_optimizer(self.optimizer, module.parameters(), self.lr, betas=self.betas if takes_betas(self.optimizer) else None, fused=fused)


RECIPES: Registry[Recipe] = Registry("recipe")
"""Recipes by name; ``r1`` is the non-saturating loss with the R1 penalty."""


def register_recipe(name: str, recipe: Recipe, *, replace: bool = False) -> Recipe:
    """Register a recipe under ``name``; the name becomes a valid ``--objective``.

    Args:
        name: The name.
        recipe: The settings.
        replace: Replace another recipe registered under ``name``.

    Returns:
        The recipe.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"register_recipe({name!r}, ...) needs a ganlib.recipes.Recipe, got {type(recipe).__name__}")
    RECIPES.register(name, recipe, replace=replace, summary=recipe.source)
    return recipe


_DCGAN: dict[str, Any] = {"optimizer": "adam", "lr": 2e-4, "betas": (0.5, 0.999)}

for _name, _recipe in {
    "minimax": Recipe("minimax", 1, **_DCGAN, source="Goodfellow et al. 2014, with Radford et al. 2015's optimizer"),
    "non-saturating": Recipe("non-saturating", 1, **_DCGAN, source="Goodfellow et al. 2014, with Radford et al. 2015's optimizer"),
    "wgan-clip": Recipe("wgan-clip", 5, "rmsprop", 5e-5, serves=("wasserstein+clip",), source="Arjovsky et al. 2017, Algorithm 1"),
    "wgan-gp": Recipe("wgan-gp", 5, "adam", 1e-4, (0.0, 0.9), critic_norm="layer", serves=("wasserstein",), source="Gulrajani et al. 2017, Algorithm 1"),
    "hinge": Recipe("hinge", 5, "adam", 2e-4, (0.0, 0.9), critic_norm="spectral", source="Miyato et al. 2018 (SN-GAN)"),
    "least-squares": Recipe("least-squares", 1, **_DCGAN, source="Mao et al. 2017, with DCGAN's optimizer"),
    "relativistic": Recipe("relativistic", 1, **_DCGAN, source="Jolicoeur-Martineau 2018"),
    "relativistic-average": Recipe("relativistic-average", 1, **_DCGAN, source="Jolicoeur-Martineau 2018"),
    "r1": Recipe("non-saturating", 1, "adam", 1e-4, (0.0, 0.99), critic_norm="none", penalty="r1", penalty_weight=10.0, serves=("non-saturating+r1",), source="Mescheder et al. 2018"),
    "ebgan": Recipe("ebgan", 1, **_DCGAN, critic_norm="none", critic="autoencoder", source="Zhao et al. 2017, with DCGAN's optimizer"),
    "began": Recipe("began", 1, "adam", 1e-4, (0.5, 0.999), critic_norm="none", critic="autoencoder", source="Berthelot et al. 2017"),
    "pggan": Recipe(
        "pggan", 1, "adam", 1e-3, (0.0, 0.99), critic_norm="none", model="pggan", ema=0.999,
        source=(
            "Karras et al. 2018 (PGGAN): WGAN-GP with lambda 10 and the epsilon-drift term (0.001), one critic step, "
            "Adam lr 0.001, betas (0, 0.99), the generator's average at 0.999, grown from 4x4 (the growth callback)"
        ),
    ),
    "wgan-gp-toy": Recipe(
        "wasserstein", 5, "adam", 1e-4, (0.5, 0.9), critic_norm="none", penalty="gp", penalty_weight=0.1, model="mlp",
        settings={
            "width": 512, "batch_size": 256, "latent_dim": 2, "iterations": 100_000,
            "generator_arg": {"init": "wgan-gp"}, "critic_arg": {"init": "wgan-gp"},
        },
        source="Gulrajani et al. 2017, gan_toy.py: ReLU MLPs of 3 x 512, He/Glorot uniform init, lambda 0.1, n_critic 5, batch 256, Adam 1e-4 (0.5, 0.9), 100,000 iterations",
    ),
    "r3gan": Recipe(
        "relativistic", 1, "adam", 2e-4, (0.0, 0.9), critic_norm="none", penalty=("r1", "r2"), penalty_weight=0.05,
        model="r3gan", ema=0.999,
        settings={
            "lr_schedule": "cosine", "lr_schedule_arg": {"eta_min": 5e-5},
            "penalty_arg": {"weight_end": 0.005}, "callback": ["beta2-schedule"],
        },
        source=(
            "Huang et al. 2024 (R3GAN), brownvc/R3GAN train.py's CIFAR10 preset: RpGAN + R1 + R2 with gamma 0.05 -> 0.005, "
            "Adam lr 2e-4 -> 5e-5 and beta2 0.9 -> 0.99 on half cosines over the run, no norms, EMA"
        ),
    ),
}.items():
    register_recipe(_name, _recipe)


def recipe_for(objective: str, penalty: str | tuple[str, ...] | None = None) -> Recipe:
    """The recipe for an objective name, or for a loss with penalties.

    A recipe's own name gives the recipe. Otherwise the recipe that *serves*
    ``objective+penalty`` (``wasserstein+clip`` trains as ``wgan-clip``), then the one that
    serves ``objective`` (``wasserstein`` with any other penalty trains as ``wgan-gp``), then
    the loss's own recipe, then DCGAN's optimizer with one critic step.

    Args:
        objective: A recipe or :func:`~ganlib.losses.get_objective` name.
        penalty: A penalty name (or several), or ``None``.

    Returns:
        The recipe, with the objective and penalty set to those asked for.

    Example:
        >>> recipe_for("wasserstein", "gp").critic_norm
        'layer'
        >>> recipe_for("wasserstein", "clip").optimizer
        'rmsprop'
    """
    penalties = () if penalty is None else (penalty,) if isinstance(penalty, str) else tuple(penalty)
    if not penalties and objective in RECIPES:
        return RECIPES[objective]
    key = "+".join((objective, *penalties))
    recipes = [entry.obj for entry in RECIPES.entries()]
    base = next((r for r in recipes if key in r.serves), None) or next((r for r in recipes if objective in r.serves), None)
    if base is None:
        base = RECIPES[objective] if objective in RECIPES else Recipe(objective, 1, **_DCGAN)
    chosen: str | tuple[str, ...] | None = None if not penalties else penalties[0] if len(penalties) == 1 else penalties
    weight = base.penalty_weight if base.penalties == penalties else None
    return replace(base, objective=objective, penalty=chosen, penalty_weight=weight)
