"""Compare the classic GAN objectives on the same DCGAN networks and the same data.

Each objective is trained with its paper's recipe, into its own run directory, and the
final samples are put side by side in ``comparison.png`` (with ``summary.json`` holding
each run's last logged metrics):

* ``minimax`` and ``non-saturating`` (Goodfellow et al., 2014, with the DCGAN recipe):
  n_critic=1, Adam(2e-4, betas=(0.5, 0.999)), BatchNorm critic;
* ``wgan-clip`` (Arjovsky et al., 2017): n_critic=5, RMSprop(5e-5), clip 0.01, BatchNorm critic;
* ``wgan-gp`` (Gulrajani et al., 2017): n_critic=5, Adam(1e-4, betas=(0, 0.9)), layer-norm critic.

    python examples/compare_objectives.py --data-root ../shared/datasets --digits 3 --iterations 300

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
from dataclasses import dataclass
from pathlib import Path

import torch
from matplotlib.figure import Figure
from PIL import Image

from ganlib.data import TensorBatches, load_mnist, parse_digits
from ganlib.losses import OBJECTIVES, get_objective
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.nn import NORM_NAMES
from ganlib.train import EMA, Trainer, find_checkpoint, load_checkpoint, resolve_device, standard_callbacks

log = logging.getLogger("compare_objectives")


@dataclass(frozen=True)
class Recipe:
    """One objective's training settings, from its paper."""

    n_critic: int
    optimizer: str
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    critic_norm: str = "batch"


RECIPES = {
    "minimax": Recipe(1, "adam", 2e-4, (0.5, 0.999)),
    "non-saturating": Recipe(1, "adam", 2e-4, (0.5, 0.999)),
    "wgan-clip": Recipe(5, "rmsprop", 5e-5),
    "wgan-gp": Recipe(5, "adam", 1e-4, (0.0, 0.9), critic_norm="layer"),
}


def _optimizer(recipe: Recipe, module: torch.nn.Module) -> torch.optim.Optimizer:
    if recipe.optimizer == "rmsprop":
        return torch.optim.RMSprop(module.parameters(), lr=recipe.lr)
    return torch.optim.Adam(module.parameters(), lr=recipe.lr, betas=recipe.betas)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-root", default=None)
    p.add_argument("--download", action="store_true")
    p.add_argument("--digits", type=parse_digits, default=[3], help="digits to train on, e.g. 3 or 0,1,2, or 'all'")
    p.add_argument("--objectives", nargs="+", choices=list(OBJECTIVES), default=list(RECIPES))
    p.add_argument("--iterations", type=int, default=300, help="generator iterations per objective")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--critic-norm", choices=NORM_NAMES, default=None, help="override every recipe's critic norm")
    p.add_argument("--label-smoothing", type=float, default=1.0, metavar="REAL_LABEL", help="real target of the logit objectives, e.g. 0.9")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY")
    p.add_argument("--seed", type=int, default=0)
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
    kwargs = {"real_label": args.label_smoothing} if name in ("minimax", "non-saturating") else {}
    trainer = Trainer(
        generator,
        critic,
        get_objective(name, **kwargs),
        _optimizer(recipe, generator),
        _optimizer(recipe, critic),
        TensorBatches(images, args.batch_size, seed=args.seed),
        n_critic=recipe.n_critic,
        callbacks=standard_callbacks(
            run_dir,
            log_every=args.log_every,
            sample_every=args.sample_every,
            checkpoint_every=args.checkpoint_every,
            eval_every=args.eval_every,
            digits=args.digits,
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
        if "fid" in record:
            subtitle += f", FID {record['fid']:.1f}"
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
    except KeyboardInterrupt:
        log.info("interrupted; repeat the command with --resume to continue")
        return 130
    summary = {name: _last_record(run_dir) for name, run_dir in runs.items()}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("comparison: %s", comparison_figure(runs, args.out / "comparison.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
