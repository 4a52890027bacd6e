"""Compare GAN objectives on the same DCGAN networks and the same data.

Each objective is trained with its paper's recipe (:mod:`ganlib.recipes`; ``ebgan`` and
``began`` need an autoencoder critic and are trained by ``python -m ganlib train``), into its
own run directory, and the
final samples are put side by side in ``comparison.png`` (with ``summary.json`` holding
each run's last logged metrics):

* ``minimax`` and ``non-saturating`` (Goodfellow et al., 2014, with the DCGAN recipe):
  n_critic=1, Adam(2e-4, betas=(0.5, 0.999)), BatchNorm critic;
* ``wgan-clip`` (Arjovsky et al., 2017): n_critic=5, RMSprop(5e-5), clip 0.01, BatchNorm
  critic (the paper's DCGAN critic keeps its BatchNorm);
* ``wgan-gp`` (Gulrajani et al., 2017): n_critic=5, Adam(1e-4, betas=(0, 0.9)), layer-norm critic;
* ``hinge`` (Miyato et al., 2018, SN-GAN): n_critic=5, Adam(2e-4, betas=(0, 0.9)), spectral norm;
* ``least-squares`` (Mao et al., 2017): DCGAN's optimizer, BatchNorm critic;
* ``relativistic`` and ``relativistic-average`` (Jolicoeur-Martineau, 2018): n_critic=1,
  Adam(2e-4, betas=(0.5, 0.999)), BatchNorm critic;
* ``r1`` (Mescheder et al., 2018): the non-saturating loss with R1, gamma=10, n_critic=1,
  Adam(1e-4, betas=(0, 0.99)), no critic normalization.

    python examples/compare_objectives.py --data-root DATA --digits 3 --iterations 300
    python examples/compare_objectives.py --objectives wgan-gp hinge r1 --iterations 300

``--critic-norm`` uses one normalization for every critic (to compare norms instead),
``--label-smoothing 0.9`` turns on one-sided label smoothing for the logit objectives, and
``--ema DECAY`` keeps an EMA of each generator. Runs resume where they stopped when the
command is repeated with ``--resume``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch
from matplotlib.figure import Figure
from PIL import Image

from ganlib.cli.arguments import DefaultsHelpFormatter, seed
from ganlib.data import TensorBatches, load_mnist, parse_digits
from ganlib.train import EvaluateMNIST
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.nn import NORM_NAMES
from ganlib.recipes import RECIPES, Recipe
from ganlib.train import EMA, Trainer, TrainingInterrupted, find_checkpoint, load_checkpoint, resolve_device, standard_callbacks

log = logging.getLogger("compare_objectives")


DEFAULT_OBJECTIVES = ("minimax", "non-saturating", "wgan-clip", "wgan-gp")


def _optimizer(recipe: Recipe, module: torch.nn.Module) -> torch.optim.Optimizer:
    return recipe.build_optimizer(module)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=DefaultsHelpFormatter)
    p.add_argument("--data-root", default=None)
    p.add_argument("--download", action="store_true")
    p.add_argument("--digits", type=parse_digits, default=[3], help="digits to train on, e.g. 3 or 0,1,2, or 'all'")
    p.add_argument("--objectives", nargs="+", choices=[n for n, r in RECIPES.items() if r.critic == "scores" and r.model != "mlp"], default=list(DEFAULT_OBJECTIVES), help="recipes to train (see the module docstring)")
    p.add_argument("--iterations", type=int, default=300, help="generator iterations per objective")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--critic-norm", choices=NORM_NAMES, default=None, help="override every recipe's critic norm")
    p.add_argument("--label-smoothing", type=float, default=1.0, metavar="REAL_LABEL", help="real target of the logit objectives, e.g. 0.9")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, default=Path("runs/compare-objectives"))
    p.add_argument("--resume", action="store_true", help="continue each run from its checkpoint, if any")
    p.add_argument("--sample-every", type=int, default=25)
    p.add_argument("--checkpoint-every", type=int, default=50)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=0, help="offline MNIST FID/IS every N iterations; 0: off")
    return p


def train_one(name: str, args: argparse.Namespace, images: torch.Tensor, device: torch.device) -> Path:
    """Train one objective with its recipe; return its run directory."""
    recipe = RECIPES[name]
    run_dir = args.out / name
    torch.manual_seed(args.seed)
    generator = DCGANGenerator(args.latent_dim, args.image_size, 1, args.width).to(device)
    critic = DCGANCritic(args.image_size, 1, args.width, norm=args.critic_norm or recipe.critic_norm).to(device)
    evaluation = None
    if args.eval_every:
        evaluation = EvaluateMNIST(args.eval_every, digit=args.digits[0] if args.digits is not None and len(args.digits) == 1 else None)
    trainer = Trainer(
        generator,
        critic,
        recipe.build_objective(**({"real_label": args.label_smoothing} if recipe.objective in ("minimax", "non-saturating") else {})),
        _optimizer(recipe, generator),
        _optimizer(recipe, critic),
        TensorBatches(images, args.batch_size, seed=args.seed),
        n_critic=recipe.n_critic,
        callbacks=standard_callbacks(
            run_dir,
            log_every=args.log_every,
            sample_every=args.sample_every,
            checkpoint_every=args.checkpoint_every,
            evaluation=evaluation,
            seed=args.seed,
        ),
        ema=EMA(generator, args.ema) if args.ema is not None else None,
        seed=args.seed,
    )
    if args.resume:
        try:
            trainer.load_state_dict(load_checkpoint(find_checkpoint(run_dir), map_location=device))
            log.info("%s: resumed at iteration %d", name, trainer.iteration)
        except FileNotFoundError:
            log.info("%s: no checkpoint yet, starting fresh", name)
    log.info("%s: n_critic=%d, %s(lr=%g), critic norm %s", name, recipe.n_critic, recipe.optimizer, recipe.lr, args.critic_norm or recipe.critic_norm)
    trainer.fit(args.iterations)
    return run_dir


def _last_record(run_dir: Path) -> dict[str, float]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1]) if lines else {}


def comparison_figure(runs: dict[str, Path], path: Path) -> Path:
    """Put each run's latest sample grid side by side, titled with its last metrics."""
    fig = Figure(figsize=(3.2 * len(runs), 3.6))
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for ax, (name, run_dir) in zip(axes, runs.items(), strict=True):
        with Image.open(run_dir / "samples" / "latest.png") as grid:
            ax.imshow(grid.convert("L"), cmap="gray")
        record = _last_record(run_dir)
        subtitle = f"iter {record.get('iteration', '?')}"
        if "score/fid" in record:
            subtitle += f", FID {record['score/fid']:.1f}"
        ax.set_title(f"{name}\n{subtitle}", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    device = resolve_device(args.device)
    images = load_mnist(args.data_root, image_size=args.image_size, digits=args.digits, download=args.download, device=device)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = {}
    try:
        for name in args.objectives:
            runs[name] = train_one(name, args, images, device)
    except TrainingInterrupted as stop:
        log.info("interrupted; repeat the command with --resume to continue")
        return stop.exit_code
    summary = {name: _last_record(run_dir) for name, run_dir in runs.items()}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("comparison: %s", comparison_figure(runs, args.out / "comparison.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
