"""The classic GAN bugs, each as a one-place source patch (a mutant).

Each mutant replaces ``old`` (which must occur exactly once in ``path``) with ``new``.
``python -m tests.mutation.run`` plants them one at a time in a scratch copy of the repository
and reports which tests catch each one; ``tests/mutation/test_mutants.py`` keeps the patches
applicable as the code evolves.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    path: str
    old: str
    new: str


_PENALTIES = "ganlib/losses/penalties.py"
_NORM = "    return grad.flatten(1).norm(2, dim=1)\n"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "batch-wide-eps",
        "one interpolation weight for the whole batch",
        _PENALTIES,
        "        eps = torch.rand(weight_shape, device=real.device, dtype=real.dtype)\n",
        "        eps = torch.rand((), device=real.device, dtype=real.dtype).expand(weight_shape)\n",
    ),
    Mutant(
        "norm-over-batch",
        "gradient norm taken over the whole batch",
        _PENALTIES,
        _NORM,
        "    return grad.norm(2).expand(grad.shape[0])\n",
    ),
    Mutant(
        "norm-over-channels",
        "gradient norm taken over dim=1 only (the channel axis of an image gradient)",
        _PENALTIES,
        _NORM,
        "    return grad.norm(2, dim=1)\n",
    ),
    Mutant(
        "squared-norm",
        "squared gradient norm where the norm was meant",
        _PENALTIES,
        _NORM,
        "    return grad.flatten(1).square().sum(dim=1)\n",
    ),
    Mutant(
        "no-create-graph",
        "input gradient built without create_graph, so the penalty never reaches the weights",
        _PENALTIES,
        "create_graph=True)",
        "create_graph=False)",
    ),
    Mutant(
        "clip-before-step",
        "weights clipped before the critic optimizer step instead of after it",
        "ganlib/train/trainer.py",
        '        self.precision.step(optimizer, "critic")\n        self.objective.after_critic_step(self.critic)\n',
        '        self.objective.after_critic_step(self.critic)\n        self.precision.step(optimizer, "critic")\n',
    ),
)
