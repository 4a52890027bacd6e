"""Flagship example: the DCGAN (no sigmoid in the critic) trained with WGAN-GP on MNIST at 64x64.

Defaults are those of the exercise and of Gulrajani et al. (2017), Algorithm 1: lambda=10,
n_critic=5, Adam(lr=1e-4, betas=(0, 0.9)), batch 64. The critic uses layer norm; the
generator keeps DCGAN's BatchNorm. Start with one digit::

    python examples/mnist_wgan_gp.py --data-root DATA --digits 3 --preset cpu --iterations 300

This script keeps only what is specific to the assignment: its flags, its two presets and its
defaults. It runs through ``python -m ganlib train`` (:mod:`ganlib.cli.train`), so the run
directory, resuming, exit codes and error messages are the same as there. Everything lands in
the run directory (``--out``): ``samples/`` (fixed-noise grids), ``curves.png``,
``metrics.jsonl``, ``tensorboard/``, ``checkpoints/latest.pt`` and ``config.json``. A run
directory that already holds a run is never overwritten (pass ``--overwrite`` to replace it).
Interrupt with Ctrl-C or SIGTERM (a checkpoint is saved) and continue with ``--resume RUN_DIR``;
``--iterations`` is always the total. Draw samples later with
``python -m ganlib sample --checkpoint RUN_DIR --num 64 --out runs/grid.png``.

On CUDA each iteration is recorded once as a CUDA graph and replayed (``--capture``). On
several GPUs or CPU processes, launch with torchrun; ``--batch-size`` is per process::

    torchrun --nproc_per_node 2 examples/mnist_wgan_gp.py --data-root DATA --digits 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlib.cli import main as ganlib_main
from ganlib.cli.arguments import DefaultsHelpFormatter, learning_rate, non_negative_float, non_negative_int, positive_float, positive_int, sample_count, seed, unit_interval
from ganlib.data import parse_digits
from ganlib.nn import list_norms
from ganlib.train import CAPTURE_MODES, PRECISIONS

PRESETS = {"paper": {"image_size": 64, "width": 64}, "cpu": {"image_size": 32, "width": 32}}
"""``paper``: the assignment's networks (64x64, width 64). ``cpu``: 32x32, width 32, about 17
times cheaper per iteration on a 2-core CPU with 2 threads (0.285 s against 4.9 s, training
steps only, measured 2026-11-29; see the getting-started page)."""

# The assignment's defaults, where they differ from ``ganlib train``'s for this data and objective.
DEFAULTS = {"iterations": 2000, "batch_size": 64, "n_critic": 5, "gp_weight": 10.0, "lr": 1e-4, "betas": (0.0, 0.9), "latent_dim": 100, "ema": 0.999, "seed": 0}


def build_parser() -> argparse.ArgumentParser:
    """The example's command-line interface (defaults shown in ``--help``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=DefaultsHelpFormatter, argument_default=argparse.SUPPRESS)
    p.add_argument("--data-root", help="directory containing MNIST/raw (default: $GANLIB_DATA, then ~/.cache/ganlib/datasets)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is missing (needs the network)")
    p.add_argument("--digits", type=parse_digits, help="digits to train on, e.g. 3 or 0,1,2 (default: all)")
    p.add_argument("--iterations", type=positive_int, help=f"total generator iterations, also when resuming (default {DEFAULTS['iterations']})")
    p.add_argument("--image-size", type=int, choices=(16, 32, 64, 128, 256), help="default: 64 (preset paper) or 32 (preset cpu)")
    p.add_argument("--batch-size", type=positive_int, help=f"per process (default {DEFAULTS['batch_size']})")
    p.add_argument("--n-critic", type=positive_int, help="critic steps per generator step (default 5)")
    p.add_argument("--gp-weight", type=non_negative_float, help="the penalty's weight lambda (default 10)")
    p.add_argument("--lr", type=learning_rate, help="Adam's learning rate, both networks (default 1e-4)")
    p.add_argument("--betas", type=unit_interval, nargs=2, metavar=("BETA1", "BETA2"), help="Adam's betas (default 0 0.9)")
    p.add_argument("--width", type=positive_int, help="base channel width of both networks (default: 64, or 32 with --preset cpu)")
    p.add_argument("--latent-dim", type=positive_int, help="size of the noise vector z (default 100)")
    p.add_argument("--critic-norm", choices=list_norms(), help="the critic's normalization (default layer)")
    p.add_argument("--generator-norm", choices=list_norms(), help="the generator's normalization (default batch)")
    p.add_argument("--ema", type=unit_interval, metavar="DECAY", help="decay of the generator's EMA, with warm-up (default 0.999; measured better than the raw generator at every checkpoint of a 20,000-iteration run)")
    p.add_argument("--no-ema", action="store_true", help="keep no EMA of the generator")
    p.add_argument("--preset", choices=tuple(PRESETS), help="paper: the assignment's settings (64x64, width 64); cpu: 32x32, width 32, about 17 times cheaper per iteration on a CPU (default paper)")
    p.add_argument("--time-budget", type=positive_float, metavar="SECONDS", help="stop (with a checkpoint) after this much training time")
    p.add_argument("--seed", type=seed, help="seeds the weights, the noise and the data order (default 0)")
    p.add_argument("--device", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:1, ... (default auto)")
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: torch's choice); 1 when another process shares the machine")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, help="channels_last memory format (default: on the CPU, where it measured faster; off on CUDA, where NCHW did)")
    p.add_argument("--precision", choices=PRECISIONS, help="fp32, bf16 autocast, or fp16 autocast with loss scaling (default fp32)")
    p.add_argument("--capture", choices=("auto", *CAPTURE_MODES), help="record each iteration as a CUDA graph (default auto: on CUDA)")
    p.add_argument("--sync-bn", action="store_true", help="synchronize the generator's BatchNorm statistics across processes (torchrun on CUDA)")
    p.add_argument("--out", type=Path, help="run directory (default: runs/mnist-wgan-gp, or the resumed run)")
    p.add_argument("--resume", type=Path, help="run directory or checkpoint file to continue from")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run in --out (a fresh run refuses otherwise)")
    p.add_argument("--sample-every", type=positive_int, help="save a sample grid every N iterations (default 25)")
    p.add_argument("--checkpoint-every", type=positive_int, help="save a checkpoint every N iterations (default 50)")
    p.add_argument("--keep-checkpoints", type=non_negative_int, metavar="K", help="also keep the last K periodic checkpoints as checkpoints/iter_N.pt (with --eval-every, checkpoints/best.pt always holds the state with the best FID so far)")
    p.add_argument("--log-every", type=positive_int, help="write metrics and print a line every N iterations (default 10)")
    p.add_argument("--eval-every", type=non_negative_int, help="score samples with the offline MNIST judge (FID, IS) every N iterations; 0: off (default)")
    p.add_argument("--eval-samples", type=sample_count, help="samples per evaluation (default 1000)")
    return p


_SAME_NAME = (
    "data_root", "iterations", "image_size", "batch_size", "n_critic", "lr", "width", "latent_dim", "critic_norm", "generator_norm",
    "ema", "time_budget", "seed", "device", "threads", "precision", "capture", "out", "resume", "sample_every", "checkpoint_every",
    "keep_checkpoints", "log_every", "eval_every", "eval_samples",
)


def train_argv(typed: argparse.Namespace) -> list[str]:
    """The ``ganlib train`` arguments for what was typed (``typed`` holds only typed flags).

    A fresh run gets the assignment's defaults for everything not typed; a resume passes on
    only what was typed, so the saved run's settings fill the rest.

    Args:
        typed: The parsed arguments, without defaults.

    Returns:
        The argument list for ``python -m ganlib train``.
    """
    given = vars(typed)
    fresh = "resume" not in given
    settings = dict(given)
    if fresh:
        preset = PRESETS[given.get("preset", "paper")]
        settings = {**DEFAULTS, **preset, **settings}
        if settings.get("no_ema"):
            settings.pop("ema", None)
    elif "preset" in given:
        settings.update({k: v for k, v in PRESETS[given["preset"]].items() if k not in given})
    argv = ["--data", "mnist", "--model", "dcgan"] if fresh else []
    if fresh or "gp_weight" in given:
        weight = settings.get("gp_weight", 10.0)
        argv += ["--objective", "wgan-gp"] if weight == 10.0 and fresh else ["--objective", "wasserstein", "--penalty", "gp", "--penalty-weight", str(weight)]
    if fresh:
        argv += ["--critic-norm", "layer"] if "critic_norm" not in settings else []
    for key in _SAME_NAME:
        if key in settings:
            value = settings[key]
            argv += [f"--{key.replace('_', '-')}", str(value)]
    if "digits" in settings and settings["digits"] is not None:
        argv += ["--classes", ",".join(map(str, settings["digits"]))]
    if "betas" in settings:
        argv += ["--betas", *map(str, settings["betas"])]
    for switch in ("download", "sync_bn", "overwrite", "no_ema"):
        if settings.get(switch):
            argv.append(f"--{switch.replace('_', '-')}")
    if "channels_last" in settings:
        argv.append("--channels-last" if settings["channels_last"] else "--no-channels-last")
    if fresh and "out" not in settings:
        argv += ["--out", "runs/mnist-wgan-gp"]
    return argv


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The typed flags only (a flag not given is absent, so a resume takes it from the saved run)."""
    return build_parser().parse_args(sys.argv[1:] if argv is None else argv)


def main(argv: list[str] | None = None) -> int:
    """Run the example through ``ganlib train``; returns the process exit code."""
    return ganlib_main(["train", *train_argv(parse_args(argv))])


if __name__ == "__main__":
    sys.exit(main())
