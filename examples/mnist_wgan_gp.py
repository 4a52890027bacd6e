"""Flagship example: the DCGAN (no sigmoid in the critic) trained with WGAN-GP on MNIST at 64x64.

Defaults are those of the exercise and of Gulrajani et al. (2017), Algorithm 1: lambda=10,
n_critic=5, Adam(lr=1e-4, betas=(0, 0.9)), batch 64. The critic uses layer norm; the
generator keeps DCGAN's BatchNorm. Start with one digit::

    python examples/mnist_wgan_gp.py --data-root ../shared/datasets --digits 3 --iterations 300

Everything lands in the run directory (``--out``): ``samples/`` (fixed-noise grids),
``curves.png``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/latest.pt`` and
``config.json``. A run directory that already holds a run is never overwritten (pass
``--overwrite`` to replace it). Interrupt with Ctrl-C or SIGTERM (a checkpoint is saved) and
continue with ``--resume RUN_DIR``; ``--iterations`` is always the total. Draw samples later
with ``python -m ganlib sample --checkpoint RUN_DIR --num 64 --out grid.png``.

On CUDA each iteration is recorded once as a CUDA graph and replayed (``--capture``). On
several GPUs or CPU processes, launch with torchrun; ``--batch-size`` is per process::

    torchrun --nproc_per_node 2 examples/mnist_wgan_gp.py --data-root ../shared/datasets --digits 3
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

import torch

from ganlib.cli.arguments import DefaultsHelpFormatter, non_negative_float, non_negative_int, positive_float, positive_int, unit_interval
from ganlib.data import TensorBatches, load_mnist, parse_digits
from ganlib.losses import WGANGP
from ganlib.metrics import EvaluateMNIST
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.nn import NORM_NAMES
from ganlib.runs import RunError, cli_errors, plan_run, prepare_directory, saved_config, write_config
from ganlib.train import (
    CAPTURE_MODES,
    EMA,
    PRECISIONS,
    Callback,
    Distributed,
    TimeBudget,
    Trainer,
    TrainingInterrupted,
    load_checkpoint,
    resolve_device,
    standard_callbacks,
)

log = logging.getLogger("mnist_wgan_gp")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=DefaultsHelpFormatter)
    p.add_argument("--data-root", default=None, help="directory containing MNIST/raw (default: $GANLIB_DATA, then ~/.cache/ganlib/datasets)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing (needs the network)")
    p.add_argument("--digits", type=parse_digits, default=None, help="digits to train on, e.g. 3 or 0,1,2 (default: all)")
    p.add_argument("--iterations", type=positive_int, default=2000, help="total generator iterations (also when resuming)")
    p.add_argument("--image-size", type=int, choices=(16, 32, 64, 128, 256), default=None, help="default: 64 (preset paper) or 32 (preset cpu)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="per process")
    p.add_argument("--n-critic", type=positive_int, default=5, help="critic steps per generator step")
    p.add_argument("--gp-weight", type=non_negative_float, default=10.0, help="the penalty's weight lambda")
    p.add_argument("--lr", type=positive_float, default=1e-4, help="Adam's learning rate, both networks")
    p.add_argument("--betas", type=unit_interval, nargs=2, default=(0.0, 0.9), metavar=("BETA1", "BETA2"), help="Adam's betas")
    p.add_argument("--width", type=positive_int, default=None, help="base channel width of both networks (default: 64, or 32 with --preset cpu)")
    p.add_argument("--latent-dim", type=positive_int, default=100, help="size of the noise vector z")
    p.add_argument("--critic-norm", choices=NORM_NAMES, default="layer", help="the critic's normalization")
    p.add_argument("--generator-norm", choices=NORM_NAMES, default="batch", help="the generator's normalization")
    p.add_argument("--ema", type=unit_interval, default=0.999, metavar="DECAY", help="decay of the generator's EMA, with warm-up (measured better than the raw generator at every checkpoint of a 20,000-iteration run)")
    p.add_argument("--no-ema", action="store_true", help="keep no EMA of the generator")
    p.add_argument("--preset", choices=("paper", "cpu"), default="paper", help="paper: the assignment's settings (64x64, width 64); cpu: 32x32, width 32, about 8 times cheaper per iteration")
    p.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS", help="stop (with a checkpoint) after this much training time")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights, the noise and the data order")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, ...")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None, help="channels_last memory format (default: on the CPU, where it measured faster; off on CUDA, where NCHW did)")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32", help="fp32, bf16 autocast, or fp16 autocast with loss scaling")
    p.add_argument("--capture", choices=("auto", *CAPTURE_MODES), default="auto", help="record each iteration as a CUDA graph (auto: on CUDA)")
    p.add_argument("--sync-bn", action="store_true", help="synchronize the generator's BatchNorm statistics across processes (torchrun on CUDA)")
    p.add_argument("--out", type=Path, default=None, help="run directory (default: runs/mnist-wgan-gp, or the resumed run)")
    p.add_argument("--resume", type=Path, default=None, help="run directory or checkpoint file to continue from")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run in --out (a fresh run refuses otherwise)")
    p.add_argument("--sample-every", type=positive_int, default=25, help="save a sample grid every N iterations")
    p.add_argument("--checkpoint-every", type=positive_int, default=50, help="save a checkpoint every N iterations")
    p.add_argument("--keep-checkpoints", type=non_negative_int, default=0, metavar="K", help="also keep the last K periodic checkpoints as checkpoints/iter_N.pt (with --eval-every, checkpoints/best.pt always holds the state with the best FID so far)")
    p.add_argument("--log-every", type=positive_int, default=10, help="write metrics and print a line every N iterations")
    p.add_argument("--eval-every", type=non_negative_int, default=0, help="score samples with the offline MNIST judge (FID, IS) every N iterations; 0: off")
    p.add_argument("--eval-samples", type=positive_int, default=1000, help="samples per evaluation")
    return p


ARCHITECTURE = ("image_size", "width", "latent_dim", "critic_norm", "generator_norm", "digits", "batch_size", "seed", "ema", "no_ema")
"""Settings that define a run: a resume that changes one of them is refused."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse arguments; when resuming, options not given again come from the run's config.json."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume is not None:
        _, _, saved = saved_config(args.resume)
        # The saved run's settings become the defaults; what is typed again still wins.
        parser.set_defaults(**{k: v for k, v in saved.items() if k in vars(args) and k not in ("resume", "out", "overwrite")})
        args = parser.parse_args(argv)
    small = args.preset == "cpu"
    args.image_size = args.image_size or (32 if small else 64)
    args.width = args.width or (32 if small else 64)
    return args


def build_trainer(args: argparse.Namespace, run_dir: Path, device: torch.device, distributed: Distributed | None) -> Trainer:
    """Build the models, optimizers, data stream, callbacks and Trainer from the arguments."""
    rank, world = (0, 1) if distributed is None else (distributed.rank, distributed.world_size)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    generator = DCGANGenerator(args.latent_dim, args.image_size, 1, args.width, norm=args.generator_norm)
    critic = DCGANCritic(args.image_size, 1, args.width, norm=args.critic_norm)
    if args.sync_bn:
        if distributed is None or device.type != "cuda":
            raise ValueError("--sync-bn needs multi-process training on CUDA (torchrun with GPUs)")
        generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(generator)
    channels_last = args.channels_last if args.channels_last is not None else device.type == "cpu"
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    generator.to(device, memory_format=memory_format)
    critic.to(device, memory_format=memory_format)
    images = load_mnist(args.data_root, image_size=args.image_size, digits=args.digits, download=args.download and rank == 0, device=device)
    images = images.contiguous(memory_format=memory_format)
    log.info("training on %d images of digits %s at %dx%d on %s", len(images), args.digits or "0-9", args.image_size, args.image_size, device)
    torch.manual_seed(args.seed + rank)  # the penalty's interpolation weights differ between processes
    digit = args.digits[0] if args.digits is not None and len(args.digits) == 1 else None
    evaluation = EvaluateMNIST(args.eval_every, num=args.eval_samples, digit=digit) if args.eval_every else None
    callbacks: list[Callback] = [TimeBudget(args.time_budget)] if args.time_budget else []
    callbacks += standard_callbacks(
        run_dir,
        log_every=args.log_every,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        keep_checkpoints=args.keep_checkpoints,
        evaluation=evaluation,
        seed=args.seed,
    )
    capture = args.capture if args.capture != "auto" else ("cuda-graph" if device.type == "cuda" and distributed is None else "none")
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
        TensorBatches(images, args.batch_size, seed=args.seed, rank=rank, world_size=world),
        n_critic=args.n_critic,
        callbacks=callbacks,
        ema=None if args.no_ema else EMA(generator, decay=args.ema),
        seed=args.seed,
        precision=args.precision,
        capture=capture,
        distributed=distributed,
    )


def _saved(trainer: Trainer, run_dir: Path) -> str:
    """What is on disk to continue from, in words."""
    if trainer.last_checkpoint is None:
        return "no checkpoint was written"
    iteration, path = trainer.last_checkpoint
    return f"the checkpoint of iteration {iteration} is in {path}; continue with --resume {run_dir}"


@cli_errors
def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the process exit code."""
    args = parse_args(argv)
    distributed = Distributed.from_environment(args.device)
    main_process = distributed is None or distributed.is_main
    logging.basicConfig(level=logging.INFO if main_process else logging.WARNING, format="%(message)s")
    device = distributed.device if distributed is not None else resolve_device(args.device)
    settings = {**vars(args), "world_size": distributed.world_size if distributed else 1}
    settings["global_batch_size"] = args.batch_size * settings["world_size"]
    plan = plan_run(settings, out=args.out, resume=args.resume, overwrite=args.overwrite, default_out=Path("runs/mnist-wgan-gp"), fixed=ARCHITECTURE)
    trainer = build_trainer(args, plan.run_dir, device, distributed)
    if plan.checkpoint is not None:
        trainer.load_state_dict(load_checkpoint(plan.checkpoint, map_location=device))
        if args.iterations < trainer.iteration:
            raise RunError(f"--iterations {args.iterations} is below the {trainer.iteration} iterations the run has done; it counts the total")
        for optimizer in (trainer.generator_optimizer, trainer.critic_optimizer):
            for group in optimizer.param_groups:  # the command line wins over the checkpoint
                group["lr"], group["betas"] = args.lr, tuple(args.betas)
        log.info("resumed %s at iteration %d", plan.checkpoint, trainer.iteration)
        for key, (old, new) in plan.changed.items():
            log.info("  %s changed from %r to %r", key, old, new)
    if main_process:
        prepare_directory(plan, overwrite=args.overwrite)
        write_config(plan.run_dir, plan.config)
    try:
        trainer.fit(args.iterations)
    except TrainingInterrupted as stop:
        log.info("%s: stopped after iteration %d; %s", signal.Signals(stop.signum).name, stop.iteration, _saved(trainer, plan.run_dir))
        return stop.exit_code
    except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, in the middle of an iteration
        log.warning("interrupted again: stopped at once during iteration %d, which is lost; %s", trainer.iteration + 1, _saved(trainer, plan.run_dir))
        return 130
    finally:
        if distributed is not None:
            distributed.close()
    log.info("done: %d iterations; samples in %s, checkpoint in %s", trainer.iteration, plan.run_dir / "samples", plan.run_dir / "checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
