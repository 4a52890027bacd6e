"""The lecture's four precision/recall pictures, drawn from a real generator of one digit.

    python benchmarks/precision_recall_pictures.py runs/modern/dcgan-wgan-gp --digit 3 --out docs/_static/benchmarks/precision-recall.png

Four ways of sampling a trained run's generator (its EMA weights), each scored with the MNIST
judge's precision and recall (k = 3) against the shipped test-digit features of ``--digit``:

* **trained, z ~ N(0, I)**: the generator as trained (high precision, high recall when it works);
* **trained, one z**: every noise vector within 0.1 of one vector (the one of the first hundred
  whose sample the judge calls ``--digit`` most confidently): nearly one good sample over and
  over, high precision and low recall -- what a collapsed generator gives;
* **trained, z x 5**: noise from five times the training spread: the generator leaves the
  region it was trained on; varied, many off the data: lower precision;
* **untrained**: the same architecture at its initialization (seeded): low and low.

The figure shows a grid of each with its scores, and the four points on the precision/recall
plane; the numbers go to ``OUT.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganlib.checkpoint import load_checkpoint  # noqa: E402
from ganlib.metrics import score_samples  # noqa: E402
from ganlib.models import generate_samples, get_model, load_generator  # noqa: E402


@torch.no_grad()
def pictures(run: Path, digit: int, num: int, seed: int) -> list[dict[str, object]]:
    """Sample the four ways and score each; returns rows with the images' first 64."""
    generator, _ = load_generator(run)
    state = load_checkpoint(run)
    torch.manual_seed(seed)
    untrained = get_model(state["generator_model"], **state["generator_config"]).eval()
    latent = int(generator.latent_dim)  # type: ignore[arg-type]
    z = torch.randn(num, latent, generator=torch.Generator().manual_seed(seed))
    from ganlib.metrics import MNISTEvaluator

    _, probabilities, _ = MNISTEvaluator().embed(generate_samples(generator, z[:100]).clamp(-1, 1))
    best = z[int(probabilities[:, digit].argmax())]
    ways = [
        ("trained, z ~ N(0, I)", generator, z),
        ("trained, one z", generator, best + 0.1 * z),
        ("trained, z x 5", generator, 5.0 * z),
        ("untrained", untrained, z),
    ]
    rows = []
    for name, model, noise in ways:
        images = generate_samples(model, noise, batch_size=500).clamp(-1, 1)
        scores = score_samples(images, ["pr", "dc"], digit=digit)
        rows.append({"sampling": name, **{k: scores[k] for k in ("precision", "recall", "density", "coverage", "manifold_samples")}, "images": images[:64]})
    return rows


def draw(rows: list[dict[str, object]], out: Path) -> None:
    """Four sample grids with their scores, and the precision/recall plane."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    fig = plt.figure(figsize=(13, 3.9), constrained_layout=True)
    axes = fig.subplots(1, 5, gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.25]})
    for axis, row in zip(axes[:4], rows, strict=True):
        grid = make_grid(row["images"], nrow=8, normalize=True, value_range=(-1, 1), pad_value=1.0)  # type: ignore[arg-type]
        axis.imshow(grid.permute(1, 2, 0).numpy(), cmap="gray")
        axis.set_title(f"{row['sampling']}\nprecision {row['precision']:.2f}, recall {row['recall']:.2f}", fontsize=9)
        axis.axis("off")
    plane = axes[4]
    for row in rows:
        plane.scatter(row["recall"], row["precision"], s=40)
        plane.annotate(str(row["sampling"]), (row["recall"], row["precision"]), fontsize=8, xytext=(4, 4), textcoords="offset points")
    plane.set(xlim=(-0.05, 1.05), ylim=(-0.05, 1.05), xlabel="recall (diversity)", ylabel="precision (quality)", title="k-NN precision and recall (k = 3)")
    plane.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--digit", type=int, required=True)
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = pictures(args.run, args.digit, args.num, args.seed)
    draw(rows, args.out)
    table = [{k: v for k, v in row.items() if k != "images"} for row in rows]
    args.out.with_suffix(".json").write_text(json.dumps(table, indent=2) + "\n")
    for row in table:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
