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
_GRADIENTS = "ganlib/losses/gradients.py"
_LECAM = "ganlib/losses/lecam.py"
_RESNET = "ganlib/models/resnet.py"
_ADA = "ganlib/augment/ada.py"
_R3GAN = "ganlib/models/r3gan.py"
_NORM = "    return grad.flatten(1).norm(2, dim=1)\n"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "batch-wide-eps",
        "one interpolation weight for the whole batch",
        _GRADIENTS,
        "        eps = torch.rand(weight_shape, device=real.device, dtype=dtype)\n",
        "        eps = torch.rand((), device=real.device, dtype=dtype).expand(weight_shape)\n",
    ),
    Mutant(
        "norm-over-batch",
        "gradient norm taken over the whole batch",
        _GRADIENTS,
        _NORM,
        "    return grad.norm(2).expand(grad.shape[0])\n",
    ),
    Mutant(
        "norm-over-channels",
        "gradient norm taken over dim=1 only (the channel axis of an image gradient)",
        _GRADIENTS,
        _NORM,
        "    return grad.norm(2, dim=1)\n",
    ),
    Mutant(
        "squared-norm",
        "squared gradient norm where the norm was meant",
        _GRADIENTS,
        _NORM,
        "    return grad.flatten(1).square().sum(dim=1)\n",
    ),
    Mutant(
        "no-create-graph",
        "input gradient built without create_graph, so the penalty never reaches the weights",
        _GRADIENTS,
        "create_graph=True)",
        "create_graph=False)",
    ),
    Mutant(
        "clip-before-step",
        "weights clipped before the critic optimizer step instead of after it",
        "ganlib/train/steps.py",
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
        _GRADIENTS,
        "    grad = grad * (scores.numel() / grad_scale)\n",
        "    grad = grad * scores.numel()\n",
    ),
    Mutant(
        "critic-outside-ddp",
        "the critic step scores (and penalizes) with the unwrapped critic, so its gradients are never all-reduced",
        "ganlib/train/steps.py",
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
        _LECAM,
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
    Mutant(
        "knn-radius-counts-self",
        "the k-NN radius taken as the k-th smallest distance to the own set, the point itself (at 0) counted as a neighbour",
        "ganlib/metrics/manifold.py",
        "        radii.append(distances.kthvalue(k + 1, dim=1).values)",
        "        radii.append(distances.kthvalue(k, dim=1).values)",
    ),
    Mutant(
        "recall-in-the-real-manifold",
        "recall counted as the share of generated points inside the real manifold (precision again)",
        "ganlib/metrics/manifold.py",
        "    recall = _within_any_ball(r, f, fake_radii, chunk).double().mean()\n",
        "    recall = _within_any_ball(f, r, real_radii, chunk).double().mean()\n",
    ),
    Mutant(
        "density-not-over-k",
        "density not divided by k (it then averages k times too high)",
        "ganlib/metrics/manifold.py",
        "    density = counts.sum() / (k * len(f))\n",
        "    density = counts.sum() / len(f)\n",
    ),
    Mutant(
        "coverage-boundary-inclusive",
        "coverage counts a generated point exactly on a ball's boundary as inside (<= where the papers use <)",
        "ganlib/metrics/manifold.py",
        "    coverage = (nearest < radii).double().mean()\n",
        "    coverage = (nearest <= radii).double().mean()\n",
    ),
    Mutant(
        "mode-kl-reversed",
        "KL(uniform || p) over the covered modes instead of KL(p || uniform)",
        "ganlib/metrics/modes.py",
        "    kl = float((p[present] * torch.log(p[present] * num_modes)).sum())\n",
        "    kl = float((torch.log(1.0 / (p[present] * num_modes)) / num_modes).sum())\n",
    ),
    Mutant(
        "stacked-mode-channels-reversed",
        "the judge's mode read with the channels in reverse order (d2 d1 d0)",
        "ganlib/metrics/modes.py",
        "        modes = digits[0] * 100 + digits[1] * 10 + digits[2]\n",
        "        modes = digits[2] * 100 + digits[1] * 10 + digits[0]\n",
    ),
    Mutant(
        "stacked-one-digit-three-times",
        "Stacked MNIST built from one drawn digit copied into all three channels (10 modes, not 1,000)",
        "ganlib/data/stacked.py",
        "    index = torch.randint(0, len(digits), (size, 3), generator=torch.Generator().manual_seed(seed))\n",
        "    index = torch.randint(0, len(digits), (size, 1), generator=torch.Generator().manual_seed(seed)).expand(size, 3)\n",
    ),
    Mutant(
        "he-init-by-fan-out",
        "the WGAN-GP toy initialization's He bound taken from the layer's outputs instead of its inputs",
        "ganlib/models/mlp.py",
        "else (6.0 / fan_in) ** 0.5",
        "else (6.0 / fan_out) ** 0.5",
    ),
    Mutant(
        "sngan-critic-mean-pooling",
        "SNGAN's critic averages its last features over space instead of summing them (scores 64x smaller at 8x8)",
        _RESNET,
        "        features = h.sum(dim=(2, 3)) if self.pooling == \"sum\" else h.mean(dim=(2, 3))\n",
        "        features = h.mean(dim=(2, 3))\n",
    ),
    Mutant(
        "resnet-up-shortcut-dropped",
        "the generator's up-block skips its learned 1x1 shortcut where the width is unchanged",
        _RESNET,
        "        self.shortcut = _conv(cin, cout, 1, spec, 1.0)\n",
        "        self.shortcut = _conv(cin, cout, 1, spec, 1.0) if cin != cout else nn.Identity()\n",
    ),
    Mutant(
        "resnet-residual-gain-one",
        "the residual 3x3 convolutions initialized with Xavier gain 1 instead of the references' sqrt(2)",
        _RESNET,
        "_RESIDUAL_GAIN = math.sqrt(2.0)\n",
        "_RESIDUAL_GAIN = 1.0\n",
    ),
    Mutant(
        "resnet-critic-hidden-in-to-out",
        "the critic block's first convolution maps in -> out channels instead of in -> in",
        _RESNET,
        "        hidden = cout if first else cin\n",
        "        hidden = cout\n",
    ),
    Mutant(
        "sngan-32-score-bias",
        "SNGAN's 32x32 critic given a bias on its score (snresnet_32.py has nobias=True)",
        _RESNET,
        "ResNetCritic(image_size, channels, chosen, norm, activation, extra_blocks=2, final_size=8, pooling=\"sum\", score_bias=False)",
        "ResNetCritic(image_size, channels, chosen, norm, activation, extra_blocks=2, final_size=8, pooling=\"sum\", score_bias=True)",
    ),
    Mutant(
        "lecam-tf-decay-with-biggan-weight",
        "LeCam's default decay 0.99 (the TF StyleGAN2 version's) beside the BigGAN code's weight 0.3",
        _LECAM,
        "    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.9, start: NonNegativeInt = 1000, debias: bool = False) -> None:\n",
        "    def __init__(self, weight: NonNegativeFloat | None = None, every: PositiveInt = 1, *, decay: Fraction = 0.99, start: NonNegativeInt = 1000, debias: bool = False) -> None:\n",
    ),
    Mutant(
        "lecam-no-warm-up",
        "LeCam's term applied from the first iteration, through the reference's warm-up",
        _LECAM,
        "            value = value * (torch.as_tensor(iteration, device=value.device) > self.start).to(value.dtype)\n",
        "            value = value * (torch.as_tensor(iteration, device=value.device) >= 0).to(value.dtype)\n",
    ),
    Mutant(
        "lecam-not-debiased",
        "the TF version's moving average left biased toward its zero start",
        _LECAM,
        "            anchors = anchors / (1 - torch.pow(keep, self.updates.to(anchors.dtype)))\n",
        "            anchors = anchors / 1.0\n",
    ),
    Mutant(
        "ada-flip-at-p",
        "ADA flips with probability p (the reference draws the flip inside the p-gate: p/2)",
        _ADA,
        "            x = _where(gate((n,)) & (flip == 1), x.flip(3), x)\n",
        "            x = _where(gate((n,)), x.flip(3), x)\n",
    ),
    Mutant(
        "ada-contrast-about-the-mean",
        "ADA's contrast scales about each image's mean instead of about 0",
        _ADA,
        "            x = x * c.to(x.dtype).view(-1, 1, 1, 1)  # about 0: c (x + b) with the brightness above\n",
        "            x = (x - x.mean(dim=(1, 2, 3), keepdim=True)) * c.to(x.dtype).view(-1, 1, 1, 1) + x.mean(dim=(1, 2, 3), keepdim=True)\n",
    ),
    Mutant(
        "ada-translation-edge-padded",
        "ADA's translation repeats the border pixels instead of reflecting the image",
        _ADA,
        "    index = index.abs()\n    return torch.where(index > size - 1, 2 * (size - 1) - index, index)\n",
        "    return index.clamp(0, size - 1)\n",
    ),
    Mutant(
        "ada-translation-floored",
        "ADA's shift floored instead of rounded (shifts from -4 to 3, a drift to one side)",
        _ADA,
        "            x = reflect_translate(x, torch.round(t[:, 0] * w), torch.round(t[:, 1] * h))\n",
        "            x = reflect_translate(x, torch.floor(t[:, 0] * w), torch.floor(t[:, 1] * h))\n",
    ),
    Mutant(
        "ada-local-images-under-torchrun",
        "under torchrun ADA counts only the local batch, so p moves world-size times slower",
        "ganlib/train/trainer.py",
        "            self.augment.after_iteration(metrics.names, metrics.values, images=steps.steps_in_body * steps.batch_size * world)\n",
        "            self.augment.after_iteration(metrics.names, metrics.values, images=steps.steps_in_body * steps.batch_size)\n",
    ),
    Mutant(
        "r3gan-box-downsampling",
        "R3GAN's critic downsamples by 2x2 average pooling instead of the [1, 3, 3, 1] low-pass filter",
        _R3GAN,
        "    return lowpass_downsample(x) if how == \"lowpass\" else F.avg_pool2d(x, 2)\n",
        "    return F.avg_pool2d(x, 2)\n",
    ),
    Mutant(
        "r3gan-bilinear-upsampling",
        "R3GAN's generator upsamples bilinearly instead of through the low-pass filter",
        _R3GAN,
        "    return lowpass_upsample(x) if how == \"lowpass\" else F.interpolate(x, scale_factor=2.0, mode=\"bilinear\", align_corners=False)\n",
        "    return F.interpolate(x, scale_factor=2.0, mode=\"bilinear\", align_corners=False)\n",
    ),
    Mutant(
        "r3gan-upsampling-gain-one",
        "the zero-inserted upsampling filtered without its gain of 4 (a quarter of the signal)",
        _R3GAN,
        "    return F.conv_transpose2d(x, 4 * _lowpass_kernel(x), stride=2, padding=1, groups=x.shape[1])\n",
        "    return F.conv_transpose2d(x, _lowpass_kernel(x), stride=2, padding=1, groups=x.shape[1])\n",
    ),
    Mutant(
        "r3gan-gamma-not-scheduled",
        "R1/R2's gamma stays at its start value although a weight_end was given",
        _PENALTIES,
        "        return self.every * half_cosine(clock, self.weight, self.weight_end, horizon)\n",
        "        return self.every * self.weight\n",
    ),
    Mutant(
        "schedule-linear-not-cosine",
        "the schedules' shape linear in the step instead of R3GAN's half cosine",
        "ganlib/schedules.py",
        "    return start + (1 - 0.5 * (1 + math.cos(math.pi * progress))) * (end - start)\n",
        "    return start + progress * (end - start)\n",
    ),
    Mutant(
        "confident-any-channel",
        "a stacked sample counted as recognized when any one channel is (not all three)",
        "ganlib/metrics/modes.py",
        "    sure = torch.stack([p.max(dim=1).values for p in probabilities], dim=1).min(dim=1).values > threshold\n",
        "    sure = torch.stack([p.max(dim=1).values for p in probabilities], dim=1).max(dim=1).values > threshold\n",
    ),
    Mutant(
        "dcgan-generator-stem-leaky",
        "the generator's 4x4 stem followed by LeakyReLU(0.2) instead of DCGAN's ReLU",
        "ganlib/models/dcgan.py",
        "        layers: list[nn.Module] = [spec.weight(stem), spec.layer(top), nn.ReLU(inplace=True)]\n",
        "        layers: list[nn.Module] = [spec.weight(stem), spec.layer(top), nn.LeakyReLU(0.2, inplace=True)]\n",
    ),
    Mutant(
        "gp-eps-squared",
        "the interpolation weight drawn as u^2, not U[0, 1]: the interpolates crowd toward the fakes",
        _GRADIENTS,
        "        eps = torch.rand(weight_shape, device=real.device, dtype=dtype)\n",
        "        eps = torch.rand(weight_shape, device=real.device, dtype=dtype).square()\n",
    ),
    Mutant(
        "relativistic-generator-reals-unaugmented",
        "the generator step scores the real batch without the augmentation (R3GAN preprocesses both)",
        "ganlib/losses/objectives.py",
        "                real_scores = step.score(step.require_real())\n",
        "                real_scores = step.critic(step.require_real())\n",
    ),
    Mutant(
        "knn-radius-skips-duplicates",
        "the point itself excluded as every neighbour at distance 0, so its duplicates are skipped too",
        "ganlib/metrics/manifold.py",
        "        radii.append(distances.kthvalue(k + 1, dim=1).values)  # k + 1: the point itself is at distance 0\n",
        "        radii.append(distances.masked_fill(distances == 0, float(\"inf\")).kthvalue(k, dim=1).values)\n",
    ),
    Mutant(
        "stacked-training-split-only",
        "Stacked MNIST's digits drawn from the 60,000 training images only (PacGAN draws from all 70,000)",
        "ganlib/data/stacked.py",
        "    index = torch.randint(0, len(digits), (size, 3), generator=torch.Generator().manual_seed(seed))\n",
        "    index = torch.randint(0, len(train), (size, 3), generator=torch.Generator().manual_seed(seed))\n",
    ),
    Mutant(
        "is-marginal-over-all-samples",
        "the Inception Score's p(y) taken over all samples instead of each split's",
        "ganlib/metrics/functional.py",
        "        marginal = part.mean(0, keepdim=True)\n",
        "        marginal = p.mean(0, keepdim=True)\n",
    ),
    Mutant(
        "diffaugment-row-shift-exclusive",
        "DiffAugment's row shift drawn from [-s, s) instead of [-s, s]",
        "ganlib/augment/diffaugment.py",
        "    rows = _shifted_index(h, torch.randint(-sh, sh + 1, (n,), device=x.device))\n",
        "    rows = _shifted_index(h, torch.randint(-sh, sh, (n,), device=x.device))\n",
    ),
    Mutant(
        "range-open-low-bound-admitted",
        "a range's open lower bound admitted (PositiveFloat taking 0: gamma=0, seconds=0)",
        "ganlib/contract.py",
        "        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):\n",
        "        if self.low is not None and value < self.low:\n",
    ),
    Mutant(
        "named-objective-drops-its-penalties",
        "a penalty option replaces a named objective's own penalties instead of adding to them (r3gan + lecam loses R1 and R2)",
        "ganlib/cli/resolve.py",
        "        args.objective, args.penalty = loss, [*own, *asked]\n",
        "        args.objective, args.penalty = loss, [*asked]\n",
    ),
    Mutant(
        "recipe-over-what-the-kind-fixes",
        "the objective's recipe laid over what the kind of data fixes (a toy's MLP critic given WGAN-GP's layer norm)",
        "ganlib/cli/resolve.py",
        "    layers = [KIND_DEFAULTS[kind], recipe_settings, KIND_OVER_RECIPE[kind], declared.get(\"settings\", {}), proposed, course]\n",
        "    layers = [KIND_DEFAULTS[kind], KIND_OVER_RECIPE[kind], recipe_settings, declared.get(\"settings\", {}), proposed, course]\n",
    ),
    Mutant(
        "bench-ranks-against-the-direction",
        "bench ranks a higher-is-better score lowest-first",
        "ganlib/cli/bench.py",
        "        measured.sort(key=lambda row: row[\"measured\"], reverse=score.higher_is_better)\n",
        "        measured.sort(key=lambda row: row[\"measured\"], reverse=not score.higher_is_better)\n",
    ),
    Mutant(
        "equalized-scale-by-fan-out",
        "PGGAN's equalized learning rate scaled by the fan-out instead of the fan-in",
        "ganlib/nn/progressive.py",
        "        self.scale = he_scale(in_channels * kernel_size * kernel_size, gain)\n",
        "        self.scale = he_scale(out_channels * kernel_size * kernel_size, gain)\n",
    ),
    Mutant(
        "pixel-norm-over-the-batch",
        "pixel norm takes the mean square over the batch instead of over the channels",
        "ganlib/nn/progressive.py",
        "        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + self.eps)\n",
        "        return x * torch.rsqrt(x.square().mean(dim=0, keepdim=True) + self.eps)\n",
    ),
    Mutant(
        "minibatch-stddev-contiguous-groups",
        "the minibatch standard deviation groups neighbouring samples, not the reference's strided groups",
        "ganlib/nn/progressive.py",
        "        y = x.reshape(g, n // g, c, h, w)\n",
        "        y = x.reshape(n // g, g, c, h, w).transpose(0, 1)\n",
    ),
    Mutant(
        "fade-reversed",
        "the fade-in starts from the new block and ends on the old path",
        "ganlib/nn/progressive.py",
        "    return torch.lerp(old, new, alpha if isinstance(alpha, Tensor) else float(alpha))\n",
        "    return torch.lerp(new, old, alpha if isinstance(alpha, Tensor) else float(alpha))\n",
    ),
    Mutant(
        "drift-on-fakes",
        "PGGAN's epsilon-drift taken on the fake scores instead of the real ones",
        "ganlib/losses/drift.py",
        "        real = step.scores.real if step.scores is not None and step.scores.real is not None else step.score(step.require_real())\n",
        "        real = step.scores.fake if step.scores is not None and step.scores.fake is not None else step.score(step.fake)\n",
    ),
    Mutant(
        "critic-activation-before-pool",
        "PGGAN's critic block activates before its 2x2 pooling, not after it as the reference's fused conv2d_downscale2d",
        "ganlib/models/pggan.py",
        "        return _lrelu(F.avg_pool2d(self.conv2(_lrelu(self.conv1(x))), 2))\n",
        "        return F.avg_pool2d(_lrelu(self.conv2(_lrelu(self.conv1(x)))), 2)\n",
    ),
    Mutant(
        "growth-alpha-is-the-fraction",
        "the fade-in is read as frac(lod) instead of 1 - frac(lod): a new block starts fully on",
        "ganlib/train/growth.py",
        "    return final // 2**whole, 1.0 - (lod - whole)\n",
        "    return final // 2**whole, lod - whole\n",
    ),
    Mutant(
        "growth-fade-before-stable",
        "the plan fades the next resolution in at once, skipping each phase's stable images",
        "ganlib/train/growth.py",
        "                lod -= max(images - index * phase - self.stable_images, 0) / self.fade_images\n",
        "                lod -= min(images - index * phase, self.fade_images) / self.fade_images\n",
    ),
    Mutant(
        "real-fade-reversed",
        "the real images fade from the fine resolution to the coarse one",
        "ganlib/train/growth.py",
        "        real = torch.lerp(coarse, real, self._alpha)\n",
        "        real = torch.lerp(real, coarse, self._alpha)\n",
    ),
    Mutant(
        "growth-keeps-the-state-it-should-reset",
        "the reference's optimizer reset at each change of phase is skipped",
        "ganlib/train/growth.py",
        "        if phase_changed and self.optimizer == \"reset\" and self.lod is not None:\n",
        "        if phase_changed and self.optimizer == \"never\" and self.lod is not None:\n",
    ),
    Mutant(
        "ema-grows-without-the-generators-layers",
        "the EMA's new layers keep their own random start instead of the generator's",
        "ganlib/train/growth.py",
        "                        mine.copy_(theirs)\n",
        "                        pass\n",
    ),
    Mutant(
        "lapgan-condition-not-blurred",
        "a LAPGAN level is conditioned on its own image, not on the image averaged down and enlarged",
        "ganlib/data/pyramid.py",
        "    return level, upsample(downsample(level))\n",
        "    return level, level\n",
    ),
    Mutant(
        "lapgan-generator-forgets-the-condition",
        "a LAPGAN level returns the band alone, not the coarse image plus the band",
        "ganlib/models/lapgan.py",
        "        image = condition + self.band(z, condition)\n",
        "        image = self.band(z, condition)\n",
    ),
)
