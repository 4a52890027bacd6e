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
        "        eps = torch.rand(weight_shape, device=real.device, dtype=dtype)\n",
        "        eps = torch.rand((), device=real.device, dtype=dtype).expand(weight_shape)\n",
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
        '        self._optimizer_step(optimizer, "critic")\n        self.objective.after_critic_step(self.critic)\n',
        '        self.objective.after_critic_step(self.critic)\n        self._optimizer_step(optimizer, "critic")\n',
    ),
    Mutant(
        "r1-on-fakes",
        "R1 taken at the generated samples instead of the real ones",
        _PENALTIES,
        '    side: ClassVar[str] = "real"\n    gradient_at = ("real",)\n',
        '    side: ClassVar[str] = "fake"\n    gradient_at = ("fake",)\n',
    ),
    Mutant(
        "lazy-without-k",
        "a lazy penalty applied every k steps without multiplying its weight by k",
        _PENALTIES,
        "        return self.weight * self.every\n",
        "        return self.weight\n",
    ),
    Mutant(
        "relativistic-unpaired-mean",
        "the paired relativistic loss compares each real score with the mean fake score",
        "ganlib/losses/functional.py",
        "    return F.softplus(fake_scores - real_scores).mean()\n",
        "    return F.softplus(fake_scores.mean() - real_scores).mean()\n",
    ),
    Mutant(
        "fp16-penalty-not-unscaled",
        "under loss scaling, the penalty's norm is taken of the scaled input gradients",
        _PENALTIES,
        "    grad = grad * (scores.numel() / grad_scale)\n",
        "    grad = grad * scores.numel()\n",
    ),
    Mutant(
        "critic-outside-ddp",
        "the critic step scores (and penalizes) with the unwrapped critic, so its gradients are never all-reduced",
        "ganlib/train/trainer.py",
        'self._step("critic", self._critic_module, fake, z, r, y, critic_step)',
        'self._step("critic", self.critic, fake, z, r, y, critic_step)',
    ),
    Mutant(
        "is-splits-like-chunk",
        "Inception Score splits of ceil(N / splits) samples, as torch.chunk cuts them (fewer or tiny parts)",
        "ganlib/metrics/functional.py",
        "        part = p[i * n // splits : (i + 1) * n // splits]\n",
        "        part = p[i * -(-n // splits) : (i + 1) * -(-n // splits)]\n",
    ),
    Mutant(
        "ema-without-warmup",
        "the EMA's decay is the full beta from the first update: the average keeps the near-random start",
        "ganlib/train/ema.py",
        "            return torch.clamp((1.0 + t) / (10.0 + t), max=self.decay)\n",
        "            return torch.full_like(t, self.decay)\n",
    ),
    Mutant(
        "pull-away-keeps-diagonal",
        "EBGAN's pulling-away term sums over all pairs, each code's cosine with itself included",
        "ganlib/losses/energy.py",
        "    off_diagonal = cosine.square().sum() - cosine.diagonal().square().sum()\n",
        "    off_diagonal = cosine.square().sum()\n",
    ),
    Mutant(
        "lecam-anchors-swapped",
        "LeCam pulls the real scores toward the real anchor (and the fakes toward the fake one) instead of the other's",
        _PENALTIES,
        "        value = torch.relu(real_scores - self.anchor_fake).square().mean() + torch.relu(self.anchor_real - fake_scores).square().mean()\n",
        "        value = torch.relu(real_scores - self.anchor_real).square().mean() + torch.relu(self.anchor_fake - fake_scores).square().mean()\n",
    ),
    Mutant(
        "r2-on-reals",
        "R2 taken at the real samples instead of the generated ones",
        _PENALTIES,
        '    side = "fake"\n    gradient_at = ("fake",)\n',
        '    side = "real"\n    gradient_at = ("real",)\n',
    ),
    Mutant(
        "ada-sign-flipped",
        "ADA lowers p when the critic is too sure of the reals (the sign of the adjustment reversed)",
        "ganlib/augment/ada.py",
        "torch.sign(mean - self.target)",
        "torch.sign(self.target - mean)",
    ),
    Mutant(
        "translation-one-shift-per-batch",
        "DiffAugment translates every sample of a batch by the same shift",
        "ganlib/augment/diffaugment.py",
        "    rows = _shifted_index(h, torch.randint(-sh, sh + 1, (n,), device=x.device))\n    cols = _shifted_index(w, torch.randint(-sw, sw + 1, (n,), device=x.device))\n",
        "    rows = _shifted_index(h, torch.randint(-sh, sh + 1, (1,), device=x.device).expand(n))\n    cols = _shifted_index(w, torch.randint(-sw, sw + 1, (1,), device=x.device).expand(n))\n",
    ),
    Mutant(
        "sliced-wasserstein-unsorted",
        "the sliced Wasserstein distance pairs the projections in sample order instead of sorted order",
        "ganlib/metrics/toy.py",
        "    pb = (b.detach().cpu().double() @ directions).sort(dim=0).values\n",
        "    pb = (b.detach().cpu().double() @ directions)\n",
    ),
)
