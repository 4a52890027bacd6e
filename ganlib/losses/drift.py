"""PGGAN's epsilon-drift term (Karras et al., 2018): ``epsilon-drift``.

.. math::

    L_{drift} = \\epsilon_{drift}\\, \\mathbb{E}_{x \\sim p_{\\text{data}}}\\big[D(x)^2\\big],
    \\qquad \\epsilon_{drift} = 0.001,

added to the WGAN-GP critic loss so that the critic's scores on real data stay near zero
instead of drifting far from it (the Wasserstein loss sees only the difference of scores).
It is the authors' ``loss.py`` (``D_wgangp_acgan``: ``tf.square(real_scores_out) *
wgan_epsilon``), averaged over the batch. The ``pggan`` objective is ``wasserstein`` + ``gp``
(λ 10) + ``epsilon-drift`` (ε 0.001).
"""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from ganlib.losses.penalties import Penalty, register_penalty
from ganlib.losses.step import Step

__all__ = ["EpsilonDriftPenalty"]


@register_penalty("epsilon-drift")
class EpsilonDriftPenalty(Penalty):
    """The mean squared critic score on real data, weighted by ε (0.001 in the paper).

    It reuses the scores the objective computed for its loss (the batch is scored once) and
    differentiates nothing but them: no input gradient, so no BatchNorm warning.

    Args:
        weight: ε.
        every: Lazy interval.
    """

    name = "epsilon-drift"
    default_weight: ClassVar[float] = 0.001
    gradient_based: ClassVar[bool] = False

    def compute(self, step: Step) -> dict[str, Tensor]:  # noqa: D102
        real = step.scores.real if step.scores is not None and step.scores.real is not None else step.score(step.require_real())
        return {self.name: real.square().mean()}
