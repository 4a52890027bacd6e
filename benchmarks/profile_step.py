"""Profile the flagship's training iteration on CUDA: the GPU kernels that take the time.

Builds the 64x64 WGAN-GP Trainer of ``step_time.py`` (eager or captured), warms it up, then
records ``--iterations`` iterations with :mod:`torch.profiler` and prints the kernels sorted by
their total GPU time, with the share of the GPU time and the wall time per iteration.

    python benchmarks/profile_step.py --capture cuda-graph --iterations 20
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.step_time import build_trainer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capture", choices=("none", "cuda-graph"), default="cuda-graph")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    data = (torch.rand(2048, 1, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(device)
    trainer = build_trainer(data, 64, 64, args.batch, device, fused=True, capture=args.capture)
    for _ in range(10):
        trainer.train_iteration()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(args.iterations):
            trainer.train_iteration()
        torch.cuda.synchronize()
        wall = (time.perf_counter() - start) / args.iterations
    kernels = [e for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA]
    total = sum(e.self_device_time_total for e in kernels)
    print(f"capture={args.capture} wall {wall * 1e3:.2f} ms/iteration, GPU kernel time {total / args.iterations / 1e3:.2f} ms/iteration")
    print(f"{'share':>6} {'ms/it':>7} {'calls/it':>8}  kernel")
    for e in sorted(kernels, key=lambda e: e.self_device_time_total, reverse=True)[: args.top]:
        print(f"{100 * e.self_device_time_total / total:5.1f}% {e.self_device_time_total / args.iterations / 1e3:7.3f} {e.count / args.iterations:8.1f}  {e.key[:110]}")


if __name__ == "__main__":
    main()
