"""Loss functions, the gradient penalty, and objectives that pair a critic and a generator loss."""

from ganlib.losses.functional import (
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganlib.losses.objectives import (
    OBJECTIVES,
    WGANGP,
    BatchNormPenaltyWarning,
    Critic,
    Minimax,
    NonSaturating,
    Objective,
    Terms,
    WGANClip,
    get_objective,
    logit_accuracy,
    midpoint_accuracy,
)
from ganlib.losses.penalties import (
    critic_gradient_norm,
    gradient_penalty,
    interpolate,
    penalty_from_norms,
)

__all__ = [
    "OBJECTIVES",
    "WGANGP",
    "BatchNormPenaltyWarning",
    "Critic",
    "Minimax",
    "NonSaturating",
    "Objective",
    "Terms",
    "WGANClip",
    "critic_gradient_norm",
    "get_objective",
    "gradient_penalty",
    "interpolate",
    "logit_accuracy",
    "midpoint_accuracy",
    "minimax_critic_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "penalty_from_norms",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
