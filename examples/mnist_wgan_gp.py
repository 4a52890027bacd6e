"""Flagship example: the DCGAN (no sigmoid in the critic) trained with WGAN-GP on MNIST at 64x64.

Defaults are those of the exercise and of Gulrajani et al. (2017), Algorithm 1: lambda=10,
n_critic=5, Adam(lr=1e-4, betas=(0, 0.9)), batch 64. The critic uses layer norm; the
generator keeps DCGAN's BatchNorm. Start with one digit::

    python examples/mnist_wgan_gp.py --data-root ../shared/datasets --digits 3 --iterations 300

Everything lands in the run directory (``--out``): ``samples/`` (fixed-noise grids),
``curves.png``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/latest.pt`` and
``config.json``. Interrupt with Ctrl-C (a checkpoint is saved) and continue with
``--resume RUN_DIR``; ``--iterations`` is always the total. Draw samples later with
``python -m ganlib sample --checkpoint RUN_DIR --num 64 --out grid.png``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch

from ganlib.data import TensorBatches, load_mnist, parse_digits
from ganlib.losses import WGANGP
from ganlib.metrics import EvaluateMNIST
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.nn import NORM_NAMES
from ganlib.train import (
    CAPTURE_MODES,
    EMA,
    PRECISIONS,
    Trainer,
    TrainingInterrupted,
    find_checkpoint,
    load_checkpoint,
    resolve_device,
    standard_callbacks,
)

log = logging.getLogger("mnist_wgan_gp")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data-root", default=None, help="directory containing MNIST/raw (default: $GANLIB_DATA, then ~/.cache/ganlib/datasets)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing (needs the network)")
    p.add_argument("--digits", type=parse_digits, default=None, help="digits to train on, e.g. 3 or 0,1,2 (default: all)")
    p.add_argument("--iterations", type=int, default=2000, help="total generator iterations (also when resuming)")
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--gp-weight", type=float, default=10.0)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--betas", type=float, nargs=2, default=(0.0, 0.9), metavar=("BETA1", "BETA2"))
    p.add_argument("--width", type=int, default=64, help="base channel width of both networks")
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--critic-norm", choices=NORM_NAMES, default="layer")
    p.add_argument("--generator-norm", choices=NORM_NAMES, default="batch")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY", help="keep an EMA of the generator with this decay, e.g. 0.999")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, ...")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None, help="channels_last memory format (default: on the CPU, where it measured faster; off on CUDA, where NCHW did)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32", help="fp32, bf16 autocast, or fp16 autocast with loss scaling")
    p.add_argument("--capture", choices=("auto", *CAPTURE_MODES), default="auto", help="record each iteration as a CUDA graph (auto: on CUDA)")
    p.add_argument("--out", type=Path, default=None, help="run directory (default: runs/mnist-wgan-gp, or the resumed run)")
    p.add_argument("--resume", type=Path, default=None, help="run directory or checkpoint file to continue from")
    p.add_argument("--sample-every", type=int, default=25, help="save a sample grid every N iterations")
    p.add_argument("--checkpoint-every", type=int, default=50, help="save a checkpoint every N iterations")
    p.add_argument("--log-every", type=int, default=10, help="write metrics and print a line every N iterations")
    p.add_argument("--eval-every", type=int, default=0, help="score samples with the offline MNIST judge (FID, IS) every N iterations; 0: off")
    p.add_argument("--eval-samples", type=int, default=1000, help="samples per evaluation")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse arguments; when resuming, options not given again come from the run's config.json."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume is not None:
        checkpoint = find_checkpoint(args.resume)
        run_dir = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
        saved_config = run_dir / "config.json"
        if saved_config.exists():
            saved = json.loads(saved_config.read_text())
            # The saved run's settings become the defaults; what is typed again still wins.
            parser.set_defaults(**{k: v for k, v in saved.items() if k not in ("resume", "out")})
            args = parser.parse_args(argv)
        args.resume = checkpoint
        if args.out is None:
            args.out = run_dir
    args.out = Path(args.out) if args.out is not None else Path("runs/mnist-wgan-gp")
    return args


def build_trainer(args: argparse.Namespace, device: torch.device) -> Trainer:
    """Build the models, optimizers, data stream, callbacks and Trainer from the arguments."""
    torch.manual_seed(args.seed)
    generator = DCGANGenerator(args.latent_dim, args.image_size, 1, args.width, norm=args.generator_norm)
    critic = DCGANCritic(args.image_size, 1, args.width, norm=args.critic_norm)
    channels_last = args.channels_last if args.channels_last is not None else device.type == "cpu"
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    generator.to(device, memory_format=memory_format)
    critic.to(device, memory_format=memory_format)
    images = load_mnist(args.data_root, image_size=args.image_size, digits=args.digits, download=args.download, device=device)
    images = images.contiguous(memory_format=memory_format)
    log.info("training on %d images of digits %s at %dx%d on %s", len(images), args.digits or "0-9", args.image_size, args.image_size, device)
    digit = args.digits[0] if args.digits is not None and len(args.digits) == 1 else None
    evaluation = EvaluateMNIST(args.eval_every, num=args.eval_samples, digit=digit) if args.eval_every else None
    callbacks = standard_callbacks(
        args.out,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        evaluation=evaluation,
        seed=args.seed,
    )
    capture = args.capture if args.capture != "auto" else ("cuda-graph" if device.type == "cuda" else "none")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels once
    # Fused Adam (one kernel for all parameters) where the device has it; it also runs inside a CUDA graph.
    adam = {"lr": args.lr, "betas": tuple(args.betas), "fused": device.type == "cuda" or None}
    return Trainer(
        generator,
        critic,
        WGANGP(gp_weight=args.gp_weight),
        torch.optim.Adam(generator.parameters(), **adam),
        torch.optim.Adam(critic.parameters(), **adam),
        TensorBatches(images, args.batch_size, seed=args.seed),
        n_critic=args.n_critic,
        callbacks=callbacks,
        ema=EMA(generator, decay=args.ema) if args.ema is not None else None,
        seed=args.seed,
        precision=args.precision,
        capture=capture,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    device = resolve_device(args.device)
    trainer = build_trainer(args, device)
    args.out.mkdir(parents=True, exist_ok=True)
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if args.resume is not None:
        trainer.load_state_dict(load_checkpoint(args.resume, map_location=device))
        log.info("resumed from %s at iteration %d", args.resume, trainer.iteration)
    try:
        trainer.fit(args.iterations)
    except TrainingInterrupted as stop:
        log.info("interrupted at iteration %d; checkpoint saved. Continue with --resume %s", stop.iteration, args.out)
        return stop.exit_code
    log.info("done: %d iterations; samples in %s, checkpoint in %s", trainer.iteration, args.out / "samples", args.out / "checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
