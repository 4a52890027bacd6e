"""Judge finished single-digit runs alike: FID against the digit's test images and the share
of samples the MNIST judge calls that digit with confidence above a threshold.

    python benchmarks/preset_quality.py runs/preset-cpu runs/preset-paper --digit 3

For each run: 10,000 samples of the generator (the EMA when the run kept one), the judge's FID
and KID against the test images of ``--digit``, the fraction classified as that digit with a
probability above ``--confidence``, and the iterations and training seconds the run logged.
Prints one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganlib.metrics.mnist import MNISTEvaluator
from ganlib.models import load_generator


@torch.no_grad()
def judge(run: Path, digit: int, num: int, confidence: float, seed: int) -> dict[str, object]:
    generator, used_ema = load_generator(run)
    latent = int(generator.latent_dim)
    noise = torch.randn(num, latent, generator=torch.Generator().manual_seed(seed))
    images = torch.cat([generator(z) for z in noise.split(500)])
    evaluator = MNISTEvaluator()
    _, probabilities, _ = evaluator.embed(images)
    top, label = probabilities.max(dim=1)
    result = evaluator.evaluate(images, digit=digit)
    metrics = run / "metrics.jsonl"  # a pyramid file has none: its levels' runs do
    last = json.loads(metrics.read_text().splitlines()[-1]) if metrics.is_file() else {"iteration": None, "wall_time": 0.0}
    return {
        "run": str(run),
        "weights": "EMA" if used_ema else "raw",
        "iterations": last["iteration"],
        "training_seconds": round(last["wall_time"], 1),
        "fid": round(result.fid, 4),
        "kid": round(result.kid.mean, 5),
        f"share_confident_{digit}": round(float(((label == digit) & (top > confidence)).float().mean()), 4),
        f"share_classified_{digit}": round(float((label == digit).float().mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--digit", type=int, choices=range(10), required=True)
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--confidence", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for run in args.runs:
        print(json.dumps(judge(run, args.digit, args.num, args.confidence, args.seed)))


if __name__ == "__main__":
    main()
