"""Time one WGAN-GP generator iteration: ganlib's Trainer against hand-written loops.

Workload: the 64x64 DCGAN (BatchNorm generator, layer-norm critic), batch 64, n_critic=5,
lambda=10, Adam(1e-4, (0, 0.9)): five critic steps and one generator step per iteration.

Variants, all timed in one process, alternating, after warm-up iterations each:

* ``plain``: the obvious hand-written loop. NCHW tensors, fakes generated with the
  generator's graph and then detached, the critic's parameter gradients computed (and
  discarded) in the generator step, default Adam. The reference of every ratio.
* ``matched``: a hand-written loop with exactly the Trainer's settings (the same memory
  format, fakes under ``no_grad``, critic frozen in the generator step, the same optimizer, one
  critic forward over ``cat(real, fake)`` where the Trainer fuses it). ``trainer/matched``
  is the Trainer's own overhead: its bookkeeping, metrics and seams.
* ``trainer``: :class:`ganlib.train.Trainer`, eager. Channels-last on the CPU and NCHW on CUDA,
  the faster of the two on each (measured), as the flagship example chooses.
* ``captured`` (CUDA only): the Trainer with ``capture="cuda-graph"``.
* ``ddp`` (with ``--ddp``): the eager Trainer with a one-process
  :class:`~ganlib.train.Distributed` (DistributedDataParallel on one device): the wrapper's
  own cost, compared with ``trainer``.

    python benchmarks/step_time.py                   # CPU, 5 timed samples each
    python benchmarks/step_time.py --repeats 7 --threads 2
    python benchmarks/step_time.py --device cuda     # adds the captured Trainer
    python benchmarks/step_time.py --quick           # 32x32, width 16: a fast sanity run

The report gives each variant's median time per iteration and its ratio to ``plain``
(below 1.0: faster), then ``trainer/matched``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import torch

from ganlib.data import TensorBatches
from ganlib.losses import WGANGP, gradient_penalty
from ganlib.models import DCGANCritic, DCGANGenerator
from ganlib.train import Distributed, Trainer, resolve_device


def _models(size: int, width: int, device: torch.device, channels_last: bool, seed: int):
    torch.manual_seed(seed)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    generator = DCGANGenerator(100, size, 1, width).to(device, memory_format=fmt)
    critic = DCGANCritic(size, 1, width, norm="layer").to(device, memory_format=fmt)
    return generator, critic


def _adam(module: torch.nn.Module, fused: bool) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=1e-4, betas=(0.0, 0.9), fused=fused or None)


class PlainLoop:
    """The same WGAN-GP iteration written the obvious way, as the reference."""

    def __init__(self, data: torch.Tensor, size: int, width: int, batch: int, device: torch.device) -> None:
        self.generator, self.critic = _models(size, width, device, channels_last=False, seed=0)
        self.g_opt, self.c_opt = _adam(self.generator, False), _adam(self.critic, False)
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


class MatchedLoop:
    """A hand-written loop with the Trainer's settings, to isolate the Trainer's own overhead."""

    def __init__(self, data: torch.Tensor, size: int, width: int, batch: int, device: torch.device, fused: bool) -> None:
        channels_last = device.type == "cpu"
        self.generator, self.critic = _models(size, width, device, channels_last=channels_last, seed=0)
        self.g_opt, self.c_opt = _adam(self.generator, fused), _adam(self.critic, fused)
        self.data = data.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        self.batch, self.device = batch, device
        self.fuse = device.type == "cuda"  # the Trainer's default: fuse on CUDA for a layer-norm critic
        self.noise = torch.empty(batch, 100, device=device)

    def iteration(self) -> None:
        for _ in range(5):
            real = self.data[torch.randint(len(self.data), (self.batch,), device=self.device)]
            with torch.no_grad():
                fake = self.generator(self.noise.normal_())
            if self.fuse:
                real_scores, fake_scores = self.critic(torch.cat([real, fake])).split(self.batch)
            else:
                real_scores, fake_scores = self.critic(real), self.critic(fake)
            loss = fake_scores.mean() - real_scores.mean() + 10.0 * gradient_penalty(self.critic, real, fake)
            self.c_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.c_opt.step()
        params = list(self.critic.parameters())
        for p in params:
            p.requires_grad_(False)
        loss = -self.critic(self.generator(self.noise.normal_())).mean()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.g_opt.step()
        for p in params:
            p.requires_grad_(True)


def build_trainer(
    data: torch.Tensor,
    size: int,
    width: int,
    batch: int,
    device: torch.device,
    fused: bool,
    capture: str,
    distributed: Distributed | None = None,
    precision: str = "fp32",
) -> Trainer:
    channels_last = device.type == "cpu"
    generator, critic = _models(size, width, device, channels_last=channels_last, seed=0)
    images = data.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    return Trainer(
        generator,
        critic,
        WGANGP(10.0),
        _adam(generator, fused),
        _adam(critic, fused),
        TensorBatches(images, batch, seed=0),
        n_critic=5,
        capture=capture,
        distributed=distributed,
        precision=precision,
    )


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device, inner: int) -> float:
    _sync(device)
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / inner


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed samples of each variant")
    parser.add_argument("--inner", type=int, default=None, help="iterations per timed sample (default: 1 on the CPU, 20 on CUDA)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--quick", action="store_true", help="32x32, width 16: a fast sanity run")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--json", default=None, help="also write the medians to this JSON file")
    parser.add_argument("--ddp", action="store_true", help="add the Trainer under DistributedDataParallel with one process")
    parser.add_argument("--precision", choices=("fp32", "bf16", "fp16"), default="fp32", help="precision of the Trainer variants (the hand loops stay fp32)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    inner = args.inner or (20 if cuda else 1)
    size, width, batch = (32, 16, args.batch) if args.quick else (64, 64, args.batch)
    data = (torch.rand(2048, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(device)
    variants: dict[str, Callable[[], object]] = {
        "plain": PlainLoop(data, size, width, batch, device).iteration,
        "matched": MatchedLoop(data, size, width, batch, device, fused=cuda).iteration,
        "trainer": build_trainer(data, size, width, batch, device, fused=cuda, capture="none", precision=args.precision).train_iteration,
    }
    if cuda:
        variants["captured"] = build_trainer(data, size, width, batch, device, fused=True, capture="cuda-graph", precision=args.precision).train_iteration
    if args.ddp:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=os.environ.get("MASTER_PORT", "29517"), RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")
        ddp = build_trainer(data, size, width, batch, device, fused=cuda, capture="none", distributed=Distributed(device))
        variants["ddp"] = ddp.train_iteration
    print(f"device={device} threads={torch.get_num_threads()} size={size} width={width} batch={batch} n_critic=5 precision={args.precision} torch={torch.__version__}")
    for fn in variants.values():  # warm-up: allocator, kernels, cuDNN search, graph capture
        for _ in range(5 if cuda else 1):
            fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, fn in variants.items():
            times[name].append(_timed(fn, device, inner))
    medians = {name: statistics.median(t) for name, t in times.items()}
    unit, scale = ("ms", 1e3) if cuda else ("s", 1.0)
    print(f"{'variant':<10} {'median ' + unit + '/it':>14} {'vs plain':>9}   samples")
    for name, t in times.items():
        print(f"{name:<10} {medians[name] * scale:>14.3f} {medians[name] / medians['plain']:>9.3f}   {', '.join(f'{x * scale:.2f}' for x in t)}")
    print(f"trainer/matched: {medians['trainer'] / medians['matched']:.3f}")
    if "ddp" in medians:
        print(f"ddp/trainer (one-process DDP wrapper overhead): {medians['ddp'] / medians['trainer']:.3f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"device": str(device), "unit": "s", **medians}, handle, indent=2)
    return medians


if __name__ == "__main__":
    main()
