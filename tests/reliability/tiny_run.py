"""A tiny resumable training run for the fault tests: ``python tiny_run.py RUN_DIR ITERATIONS``.

Trains 16x16 DCGANs on synthetic data with a checkpoint after every iteration; when RUN_DIR
holds a checkpoint it resumes from it. Exits 0 when done, 130/143 after a signal.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import torch

from ganlib.checkpoint import load_checkpoint
from ganlib.data import TensorBatches
from ganlib.losses import get_objective
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Checkpointer, MetricsLogger, Trainer, TrainingInterrupted


def build(run_dir: Path) -> Trainer:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    generator = DCGANGenerator(latent_dim=4, image_size=16, width=4)
    critic = DCGANCritic(image_size=16, width=4)
    data = torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.0, 0.9))  # noqa: E731
    callbacks = [MetricsLogger(run_dir, every=1, tensorboard=False), Checkpointer(run_dir, every=1)]
    return Trainer(generator, critic, get_objective("wgan-gp"), adam(generator), adam(critic), TensorBatches(data, 8), n_critic=2, callbacks=callbacks)


def main(run_dir: Path, iterations: int) -> int:
    trainer = build(run_dir)
    if (run_dir / "checkpoints" / "latest.pt").exists():
        trainer.load_state_dict(load_checkpoint(run_dir))
    try:
        trainer.fit(iterations)
    except TrainingInterrupted as stop:
        return stop.exit_code
    return 0


def run(run_dir: Path, iterations: int) -> None:
    """:func:`main` in this (forked) process, exiting with its status."""
    sys.exit(main(run_dir, iterations))


def command(argv: list[str], stderr: Path) -> None:
    """Run one ``ganlib`` command in this (forked) process, its stderr into a file; exits with
    the command's status, as ``python -m ganlib ARGV`` would."""
    from ganlib.cli import main as ganlib_main

    with open(stderr, "w") as err, contextlib.redirect_stderr(err):
        code = ganlib_main(argv)
    sys.exit(code)


def example(name: str, argv: list[str], stderr: Path) -> None:
    """Run ``examples/NAME.py ARGV`` in this (forked) process, its stderr into a file; exits with
    the script's status."""
    from tests.examples.helpers import load_example

    script = load_example(name)
    with open(stderr, "w") as err, contextlib.redirect_stderr(err):
        code = script.main(argv)
    sys.exit(code)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
