"""Time one WGAN-GP generator iteration through ganlib's Trainer against a plain PyTorch loop.

Workload: the 64x64 DCGAN (BatchNorm generator, layer-norm critic), batch 64, n_critic=5,
lambda=10, Adam(1e-4, (0, 0.9)): five critic steps and one generator step per iteration.

The plain loop is the obvious hand-written version of the same math: NCHW tensors, fakes
generated with the generator's graph and then detached, and the critic's parameter
gradients computed (and discarded) during the generator step. The two are timed in the same
process, alternating, after a warm-up iteration each; the report gives the median of each
and the ratio Trainer / plain last (below 1.0 means the Trainer is faster).

    python benchmarks/step_time.py                   # 5 timed iterations each
    python benchmarks/step_time.py --repeats 3 --threads 2
    python benchmarks/step_time.py --quick           # 32x32, width 16: a fast sanity run
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ganlib.data import TensorBatches
from ganlib.losses import WGANGP, gradient_penalty
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Trainer, resolve_device


def _models(size: int, width: int, device: torch.device, channels_last: bool, seed: int):
    torch.manual_seed(seed)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    generator = DCGANGenerator(100, size, 1, width).to(device, memory_format=fmt)
    critic = DCGANCritic(size, 1, width, norm="layer").to(device, memory_format=fmt)
    return generator, critic


def _adam(module: torch.nn.Module) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=1e-4, betas=(0.0, 0.9))


def build_trainer(data: torch.Tensor, size: int, width: int, batch: int, device: torch.device) -> Trainer:
    generator, critic = _models(size, width, device, channels_last=True, seed=0)
    images = data.contiguous(memory_format=torch.channels_last)
    return Trainer(generator, critic, WGANGP(10.0), _adam(generator), _adam(critic), TensorBatches(images, batch, seed=0), n_critic=5)


class PlainLoop:
    """The same WGAN-GP iteration written the obvious way, as a reference."""

    def __init__(self, data: torch.Tensor, size: int, width: int, batch: int, device: torch.device) -> None:
        self.generator, self.critic = _models(size, width, device, channels_last=False, seed=0)
        self.g_opt, self.c_opt = _adam(self.generator), _adam(self.critic)
        self.data, self.batch, self.device = data, batch, device

    def iteration(self) -> None:
        for _ in range(5):
            real = self.data[torch.randint(len(self.data), (self.batch,), device=self.device)]
            fake = self.generator(torch.randn(self.batch, 100, device=self.device)).detach()
            loss = self.critic(fake).mean() - self.critic(real).mean()
            loss = loss + 10.0 * gradient_penalty(self.critic, real, fake)
            self.c_opt.zero_grad()
            loss.backward()
            self.c_opt.step()
        fake = self.generator(torch.randn(self.batch, 100, device=self.device))
        loss = -self.critic(fake).mean()
        self.g_opt.zero_grad()
        loss.backward()
        self.g_opt.step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed iterations of each variant")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--quick", action="store_true", help="32x32, width 16: a fast sanity run")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    size, width, batch = (32, 16, 64) if args.quick else (64, 64, 64)
    data = (torch.rand(2048, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(device)
    trainer = build_trainer(data, size, width, batch, device)
    plain = PlainLoop(data, size, width, batch, device)
    print(f"device={device} threads={torch.get_num_threads()} size={size} width={width} batch={batch} n_critic=5 torch={torch.__version__}")
    trainer.train_iteration()  # warm-up: allocator, kernels, lazily built buffers
    plain.iteration()
    times: dict[str, list[float]] = {"trainer": [], "plain": []}
    for _ in range(args.repeats):
        times["trainer"].append(_timed(trainer.train_iteration, device))
        times["plain"].append(_timed(plain.iteration, device))
    t_trainer, t_plain = statistics.median(times["trainer"]), statistics.median(times["plain"])
    print(f"trainer: median {t_trainer:.3f} s/iteration  (runs: {', '.join(f'{t:.2f}' for t in times['trainer'])})")
    print(f"plain:   median {t_plain:.3f} s/iteration  (runs: {', '.join(f'{t:.2f}' for t in times['plain'])})")
    print(f"ratio trainer/plain: {t_trainer / t_plain:.3f}")


if __name__ == "__main__":
    main()
