"""Losses, penalties and objectives: pure functions of critic scores and a step's tensors.

* :mod:`ganlib.losses.functional` -- the losses as pure functions of scores;
* :mod:`ganlib.losses.adversarial` -- each critic loss paired with its generator loss;
* :mod:`ganlib.losses.gradients` -- the functional layer: interpolates, input gradients, their penalties;
* :mod:`ganlib.losses.penalties` -- penalty objects (GP, LP, DRAGAN, R1, R2) and their registry;
* :mod:`ganlib.losses.lecam` -- LeCam's regularizer, in its two references' settings;
* :mod:`ganlib.losses.drift` -- PGGAN's epsilon-drift term;
* :mod:`ganlib.losses.constraints` -- weight clipping, applied after the critic's steps;
* :mod:`ganlib.losses.step` -- :class:`Step`, what an objective sees in one update;
* :mod:`ganlib.losses.objectives` -- objectives: a loss plus penalties;
* :mod:`ganlib.losses.energy` -- the energy-based objectives EBGAN and BEGAN;
* :mod:`ganlib.losses.registry` -- :func:`get_objective`, objectives by name, and
  :func:`register_loss`, :func:`register_penalty`, :func:`register_objective` for your own.

Importing this package imports torch and nothing else of ganlib's heavier parts (no
torchvision, no Trainer).
"""

from ganlib.losses.adversarial import (
    LOSSES,
    AdversarialLoss,
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    RelativisticAverageLoss,
    RelativisticLoss,
    Terms,
    WassersteinLoss,
    logit_accuracy,
    midpoint_accuracy,
    register_loss,
    threshold_accuracy,
)
from ganlib.losses.functional import (
    hinge_critic_loss,
    hinge_generator_loss,
    least_squares_critic_loss,
    least_squares_generator_loss,
    minimax_critic_loss,
    minimax_generator_loss,
    nonsaturating_generator_loss,
    relativistic_average_critic_loss,
    relativistic_average_generator_loss,
    relativistic_critic_loss,
    relativistic_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from ganlib.losses.energy import BEGAN, EBGAN, pulling_away, reconstruction_energy
from ganlib.losses.objectives import SIGN_REAL, WGANGP, ComposedObjective, Minimax, NonSaturating, Objective, WGANClip
from ganlib.losses.registry import OBJECTIVES, Composition, get_objective, objective_names, register_objective
from ganlib.losses.constraints import WeightClip
from ganlib.losses.gradients import (
    critic_gradient_norm,
    critic_input_gradient,
    gradient_penalty,
    input_gradient,
    interpolate,
    penalty_from_norms,
    perturb,
    squared_gradient_norm,
    zero_centered_penalty,
)
from ganlib.losses.lecam import LeCamPenalty, LeCamStyleGAN2Penalty
from ganlib.losses.drift import EpsilonDriftPenalty
from ganlib.losses.penalties import (
    PENALTIES,
    BatchNormPenaltyWarning,
    DRAGANPenalty,
    GradientPenalty,
    LipschitzPenalty,
    Penalty,
    R1Penalty,
    R2Penalty,
    register_penalty,
)
from ganlib.losses.step import Critic, Phase, Scores, Step

__all__ = [
    "BEGAN",
    "EBGAN",
    "LOSSES",
    "OBJECTIVES",
    "PENALTIES",
    "SIGN_REAL",
    "WGANGP",
    "AdversarialLoss",
    "BatchNormPenaltyWarning",
    "ComposedObjective",
    "Composition",
    "Critic",
    "DRAGANPenalty",
    "EpsilonDriftPenalty",
    "GradientPenalty",
    "HingeLoss",
    "LeCamPenalty",
    "LeCamStyleGAN2Penalty",
    "LeastSquaresLoss",
    "LipschitzPenalty",
    "Minimax",
    "MinimaxLoss",
    "NonSaturating",
    "NonSaturatingLoss",
    "Objective",
    "Penalty",
    "Phase",
    "R1Penalty",
    "R2Penalty",
    "RelativisticAverageLoss",
    "RelativisticLoss",
    "Scores",
    "Step",
    "Terms",
    "WGANClip",
    "WassersteinLoss",
    "WeightClip",
    "critic_gradient_norm",
    "critic_input_gradient",
    "get_objective",
    "gradient_penalty",
    "hinge_critic_loss",
    "hinge_generator_loss",
    "input_gradient",
    "interpolate",
    "least_squares_critic_loss",
    "least_squares_generator_loss",
    "logit_accuracy",
    "midpoint_accuracy",
    "minimax_critic_loss",
    "minimax_generator_loss",
    "nonsaturating_generator_loss",
    "objective_names",
    "penalty_from_norms",
    "perturb",
    "pulling_away",
    "reconstruction_energy",
    "register_loss",
    "register_objective",
    "register_penalty",
    "relativistic_average_critic_loss",
    "relativistic_average_generator_loss",
    "relativistic_critic_loss",
    "relativistic_generator_loss",
    "squared_gradient_norm",
    "threshold_accuracy",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
    "zero_centered_penalty",
]
