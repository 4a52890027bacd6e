"""Weight clipping against the gradient penalty on 2-D toys (Gulrajani et al., 2017, Figure 1).

For each toy (8 Gaussians, 25 Gaussians, the course's harmonic curve) a Wasserstein critic is
trained with weight clipping (c = 0.01, RMSprop 5e-5) and with the gradient penalty (the paper's
toy settings: lambda = 0.1, Adam(1e-4, betas (0.5, 0.9))), on the same ReLU MLPs, batch 256,
n_critic 5. Each run draws its critic's landscape as it trains (``RUN/landscape/``, with a GIF)
and reports its mode coverage or its distance to the curve; at the end the final frames are put
side by side in ``OUT/comparison.png`` and the scores in ``OUT/summary.json``.

    python examples/toy_2d.py --out runs/toy-2d            # all six runs, about 10 minutes on 2 cores
    python examples/toy_2d.py --toys 8gaussians --iterations 3000
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch
from matplotlib.figure import Figure
from PIL import Image

from ganlib.cli.arguments import positive_int
from ganlib.data import ToyStream, toy_bounds, toy_samples
from ganlib.losses import get_objective
from ganlib.train import EvaluateToy
from ganlib.models import MLPCritic, MLPGenerator
from ganlib.train import CriticLandscape, MetricsLogger, Trainer

log = logging.getLogger("toy_2d")

METHODS = {
    "clipping": {"penalty": "clip", "clip": 0.01},
    "gradient penalty": {"penalty": "gp", "penalty_weight": 0.1},
}


def train_one(toy: str, method: str, args: argparse.Namespace) -> dict[str, float]:
    """Train one (toy, method) pair into ``OUT/TOY-METHOD``; return its final scores and time."""
    run_dir = args.out / f"{toy}-{method.replace(' ', '-')}"
    torch.manual_seed(args.seed)
    generator = MLPGenerator(latent_dim=2, out_shape=[2], hidden=[args.width] * 3, activation="relu", output="none")
    critic = MLPCritic(2, hidden=[args.width] * 3, activation="relu")
    if method == "clipping":
        optimizer = lambda m: torch.optim.RMSprop(m.parameters(), lr=5e-5)  # noqa: E731 - Arjovsky et al.
    else:
        optimizer = lambda m: torch.optim.Adam(m.parameters(), lr=1e-4, betas=(0.5, 0.9))  # noqa: E731 - Gulrajani et al.'s toys
    evaluation = EvaluateToy(toy, every=args.draw_every)
    callbacks = [
        evaluation,
        MetricsLogger(run_dir, every=50, tensorboard=False),
        CriticLandscape(run_dir, toy_samples(toy, 1000, torch.Generator().manual_seed(1)), toy_bounds(toy), every=args.draw_every, gradient=True),
    ]
    trainer = Trainer(
        generator, critic, get_objective("wasserstein", **METHODS[method]), optimizer(generator), optimizer(critic),
        ToyStream(toy, args.batch_size, seed=args.seed), n_critic=5, callbacks=callbacks, seed=args.seed,
    )
    start = time.perf_counter()
    trainer.fit(args.iterations)
    measured = {name.removeprefix("score/"): value for name, value in evaluation.evaluate(trainer).items()}
    scores = {**measured, "seconds": round(time.perf_counter() - start, 1)}
    log.info("%s, %s: %s", toy, method, scores)
    return scores


def comparison_figure(args: argparse.Namespace, summary: dict[str, dict[str, dict[str, float]]]) -> Path:
    """Final frames, one row per method and one column per toy, titled with the scores."""
    toys, methods = list(summary), list(METHODS)
    fig = Figure(figsize=(6.5 * len(toys), 3.1 * len(methods)))
    axes = fig.subplots(len(methods), len(toys), squeeze=False)
    for column, toy in enumerate(toys):
        for row, method in enumerate(methods):
            ax = axes[row][column]
            with Image.open(args.out / f"{toy}-{method.replace(' ', '-')}" / "landscape" / "latest.png") as frame:
                ax.imshow(frame.convert("RGB"))
            scores = summary[toy][method]
            if "distance_to_curve" in scores:
                score = f"distance {scores['distance_to_curve']:.3f}, covers {scores['curve_coverage']:.0%}"
            else:
                score = f"{scores['modes_share_5pct']:.0f} modes at 5%"
            ax.set_title(f"{toy}, {method}: {score}", fontsize=10)
            ax.axis("off")
    fig.tight_layout()
    path = args.out / "comparison.png"
    fig.savefig(path, dpi=90)
    return path


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--toys", nargs="+", choices=("8gaussians", "25gaussians", "harmonic"), default=["8gaussians", "25gaussians", "harmonic"])
    parser.add_argument("--iterations", type=positive_int, default=3000)
    parser.add_argument("--width", type=positive_int, default=128, help="hidden width of both 3-layer MLPs")
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument("--draw-every", type=positive_int, default=500, help="landscape frame and scores every N iterations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/toy-2d"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {toy: {method: train_one(toy, method, args) for method in METHODS} for toy in args.toys}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log.info("comparison: %s", comparison_figure(args, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
