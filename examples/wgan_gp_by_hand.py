"""The tutorial's GAN built from ganlib's parts in Python: what ``examples/mnist_wgan_gp.py``
has ``python -m ganlib train`` build, without the command line.

    python examples/wgan_gp_by_hand.py --data-root DATA --iterations 300 --out runs/by-hand

The DCGAN with no sigmoid on the critic, WGAN-GP (Gulrajani et al. 2017, Algorithm 1:
lambda 10, n_critic 5, Adam lr 1e-4, betas (0, 0.9)), MNIST resized 28 -> 64, one digit.
"""

from __future__ import annotations

import argparse

import torch

from ganlib.data import TensorBatches, load_mnist
from ganlib.losses import get_objective
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Trainer, standard_callbacks


def build(data_root: str | None, *, digit: int = 3, image_size: int = 64, width: int = 64, batch_size: int = 64, out: str = "runs/by-hand") -> Trainer:
    """The generator, the critic, the objective, the optimizers, the data and the loop."""
    images = load_mnist(data_root, image_size=image_size, digits=[digit])  # (N, 1, 64, 64) in [-1, 1]
    generator = DCGANGenerator(latent_dim=100, image_size=image_size, width=width, norm="batch")
    critic = DCGANCritic(image_size=image_size, width=width, norm="layer")  # raw scores: no sigmoid
    objective = get_objective("wgan-gp")  # Wasserstein losses + the gradient penalty, lambda 10
    generator_optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
    return Trainer(
        generator, critic, objective, generator_optimizer, critic_optimizer,
        TensorBatches(images, batch_size),  # a fresh batch for every critic step
        n_critic=5,
        callbacks=standard_callbacks(out, log_every=10, sample_every=25),  # log, curves, samples, checkpoints
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=None, help="directory holding MNIST/raw (default: $GANLIB_DATA)")
    parser.add_argument("--digit", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--out", default="runs/by-hand")
    args = parser.parse_args(argv)
    trainer = build(args.data_root, digit=args.digit, image_size=args.image_size, width=args.width, out=args.out)
    trainer.fit(args.iterations)  # Ctrl-C: the iteration finishes, a checkpoint is written
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
