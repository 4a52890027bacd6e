"""``python -m ganlib interpolate``: walk the latent space between random points, as a grid.

Each row walks from one random noise vector to another in ``--steps`` images, along the
great circle (``slerp``, the default) or the straight line (``lerp``); see
:mod:`ganlib.models.latent` for why the great circle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


from ganlib.cli.arguments import add_threads_argument, apply_threads, positive_int, seed
from ganlib._files import write_atomically
from ganlib.cli.sample import add_latent_arguments, class_labels, noise_for
from ganlib.models import interpolate_latents, load_generator
from ganlib.models import generate_samples
from ganlib.train.device import resolve_device

__all__ = ["add_parser"]


def run(args: argparse.Namespace) -> int:
    """Draw the walks; returns the exit status."""
    apply_threads(args.threads)
    if args.steps < 2:
        raise ValueError(f"--steps {args.steps} is invalid; a walk needs at least 2 points")
    if args.out.suffix.lower() != ".png":
        raise ValueError(f"--out {args.out}: expected a .png file (a grid of {args.rows} rows of {args.steps} images)")
    device = resolve_device(args.device)
    generator, used_ema = load_generator(args.checkpoint, use_ema=not args.no_ema, map_location=device)
    ends = noise_for(generator, 2 * args.rows, args.seed, device, args)
    path = interpolate_latents(ends[: args.rows], ends[args.rows :], args.steps, args.method).reshape(args.rows * args.steps, -1)
    row_labels = class_labels(generator, args.class_, args.rows)
    labels = None if row_labels is None else row_labels.repeat_interleave(args.steps)
    images = generate_samples(generator, path, labels=labels).cpu()
    if images.ndim != 4:
        raise ValueError("this generator draws points, not images: there is nothing to show as a grid")
    from torchvision.utils import save_image

    write_atomically(args.out, lambda tmp: save_image(images, tmp, nrow=args.steps, normalize=True, value_range=(-1, 1), format="png"))
    print(f"wrote {args.rows} {args.method} walks of {args.steps} images ({'EMA' if used_ema else 'raw'} weights) to {args.out}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``interpolate`` command."""
    walk = commands.add_parser("interpolate", help="walk the latent space between random points (slerp or lerp), as a grid")
    walk.add_argument("--checkpoint", type=Path, required=True, help="checkpoint file or run directory")
    walk.add_argument("--rows", type=positive_int, default=8, help="walks, one per row")
    walk.add_argument("--steps", type=positive_int, default=10, help="images per walk, ends included")
    walk.add_argument("--method", choices=("slerp", "lerp"), default="slerp", help="great circle (slerp) or straight line (lerp)")
    walk.add_argument("--class", dest="class_", type=int, default=None, metavar="K", help="class of a conditional generator (default: one class per row)")
    walk.add_argument("--out", type=Path, required=True, help="the .png grid")
    walk.add_argument("--seed", type=seed, default=0)
    walk.add_argument("--device", default="cpu")
    walk.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA")
    add_latent_arguments(walk)
    add_threads_argument(walk)
    walk.set_defaults(run=run)
