"""DiffAugment's three operations, ganlib's against kornia's nearest equivalents, on the CPU.

    pip install kornia && python benchmarks/augment_kornia.py --threads 1

For each batch shape, the median time of ``--repeats`` forward + backward passes (the gradient
flowing to the input, as it flows to the fakes in the generator step) of:

* ganlib: ``DiffAugment("color,translation,cutout")`` (integer translation by up to 1/8 of the
  side, a zeroed square of half the side, brightness/saturation/contrast), every sample its own draw;
* kornia: ``ColorJiggle(brightness=0.5, contrast=0.5, saturation=0.5)`` (grey images: without
  saturation), ``RandomAffine(degrees=0, translate=(0.125, 0.125))`` (a sub-pixel bilinear warp,
  where DiffAugment shifts by whole pixels) and ``RandomErasing(scale=(0.25, 0.25), ratio=(1, 1))``,
  each with p = 1, every sample its own draw.

Reports the two medians and kornia / ganlib, measured in one process, alternating.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlib.augment import DiffAugment  # noqa: E402


def _kornia(channels: int) -> torch.nn.Module:
    import kornia.augmentation as K

    color = K.ColorJiggle(brightness=0.5, contrast=0.5, saturation=0.5 if channels == 3 else 0.0, p=1.0)
    return torch.nn.Sequential(
        color,
        K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), p=1.0),
        K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.0, p=1.0),
    )


def _time(augment: torch.nn.Module | object, x: torch.Tensor) -> float:
    start = time.perf_counter()
    y = augment(x)  # type: ignore[operator]
    y.square().mean().backward()
    return time.perf_counter() - start


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import kornia

    print(f"torch {torch.__version__}, kornia {kornia.__version__}, {args.threads} thread(s)")
    print("| batch | ganlib DiffAugment (ms) | kornia (ms) | kornia / ganlib |")
    print("|---|---|---|---|")
    for shape in ((64, 1, 32, 32), (64, 3, 64, 64)):
        ours, theirs = DiffAugment(), _kornia(shape[1])
        times: dict[str, list[float]] = {"ganlib": [], "kornia": []}
        for k in range(args.repeats + 3):
            for name, augment in (("ganlib", ours), ("kornia", theirs)):
                x = (torch.rand(shape) * 2 - 1).requires_grad_(True)
                t = _time(augment, x)
                if k >= 3:
                    times[name].append(t)
        a, b = statistics.median(times["ganlib"]), statistics.median(times["kornia"])
        print(f"| {shape[0]} x {shape[1]} x {shape[2]} x {shape[3]} | {1000 * a:.2f} | {1000 * b:.2f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
