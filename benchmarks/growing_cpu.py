"""Growing to 32x32 on this CPU: PGGAN (4 -> 32) and a three-level LAPGAN (8 -> 16 -> 32) against
the DCGAN WGAN-GP baseline, same wall time.

    python benchmarks/growing_cpu.py --data-root ../shared/datasets --out runs/growing
    python benchmarks/growing_cpu.py --cells pggan &  python benchmarks/growing_cpu.py --cells dcgan-wgan-gp
    python benchmarks/growing_cpu.py --cells lapgan-8 lapgan-16 & python benchmarks/growing_cpu.py --cells lapgan-32

The protocol is ``benchmarks/modern_cpu.py``'s: one ``python -m ganlib train`` per cell on the
training 3s at 32x32, width 32, seed 0, ``--threads 1``, a fixed ``--time-budget`` (30 minutes),
judged afterwards by the shipped MNIST judge on 10,000 EMA samples (FID and KID against the
test 3s, the share called a 3). Two cells may run at once, one per core (two one-thread runs do
not slow each other here). A finished cell is not run again.

``pggan`` follows the reference's schedule with fewer images for a CPU: each resolution
``--stable`` images, each fade ``--fade`` images (the paper: 600k or 800k), and the reference's
one-GPU batch sizes (128 up to 16x16, 64 at 32x32). Grids every 150 iterations show each phase
at the final size. The table: ``OUT/growing.md`` and ``OUT/growing.json``, with the phase changes
of the PGGAN cell (iteration, images, resolution, host seconds) from its checkpoint.

``lapgan`` is three runs of a third of the time each, all WGAN-GP with the baseline's settings
(the paper trained its levels with the original GAN loss): the coarsest level an MLP GAN on the
8x8 images (the paper's coarsest is an MLP too), then a ``lapgan`` level at 16 and one at 32,
each on ``--data pyramid:mnist``. The levels are independent (each learns from real coarse
images), so they train side by side; the pyramid file joins them and is judged as one
generator. Figures: ``OUT/pggan-phases.png`` (the grid at the end of every phase) and
``OUT/lapgan-stages.png`` (one noise through the three levels).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.modern_cpu import MAIN, run_cell  # noqa: E402


LAPGAN_LEVELS = {
    "lapgan-8": ["--data-arg", "size=8", "--data-arg", "coarsest=true", "--model", "mlp", "--width", "256"],
    "lapgan-16": ["--data-arg", "size=16", "--model", "lapgan"],
    "lapgan-32": ["--data-arg", "size=32", "--model", "lapgan"],
}
"""The LAPGAN levels' own arguments, coarsest first (beside ``--data pyramid:mnist`` and the baseline's objective)."""

LEVEL_COMMON = ["--data", "pyramid:mnist", "--objective", "wgan-gp", "--batch-size", "64", "--ema", "0.999"]


def cells(stable: int, fade: int) -> dict[str, list[str]]:
    """Every cell this script trains: its own ``train`` arguments."""
    return {
        **{name: [*LEVEL_COMMON, *level] for name, level in LAPGAN_LEVELS.items()},
        "dcgan-wgan-gp": MAIN["dcgan-wgan-gp"],
        "pggan": [
            "--model", "pggan", "--callback-arg", f"stable_images={stable}", "--callback-arg", f"fade_images={fade}",
            "--callback-arg", "batch_sizes=4:128,8:128,16:128,32:64",
        ],
    }


def phases(run: Path) -> list[dict[str, float]]:
    """The PGGAN cell's changes of phase, read from its last checkpoint."""
    import torch

    state = torch.load(run / "checkpoints" / "latest.pt", map_location="cpu", weights_only=False)
    return list(state["callbacks"].get("Growth", {}).get("changes", []))


def phase_speeds(run: Path, changes: list[dict[str, float]]) -> list[float | None]:
    """Seconds per iteration within each phase, from the logged wall times (``None``: too short to tell)."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    points = [(int(r["iteration"]), float(r["wall_time"])) for r in rows if "wall_time" in r]
    speeds: list[float | None] = []
    for before, after in zip(changes, [*changes[1:], None], strict=True):
        end = after["iteration"] if after is not None else points[-1][0] + 1
        inside = [(i, t) for i, t in points if before["iteration"] < i <= end]
        speeds.append((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]) if len(inside) > 1 else None)
    return speeds


def draw_phases(run: Path, changes: list[dict[str, float]], path: Path) -> None:
    """The PGGAN cell's grid at the end of every phase (the last grid before each change), and its last."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    saved = sorted(int(p.stem.split("_")[1]) for p in (run / "samples").glob("iter_*.png"))
    picks = []
    for before, after in zip(changes, [*changes[1:], None], strict=True):
        end = after["iteration"] if after is not None else saved[-1] + 1
        inside = [i for i in saved if before["iteration"] < i <= end]
        if inside:
            picks.append((inside[-1], before))
    fig, axes = plt.subplots(1, len(picks), figsize=(2.6 * len(picks), 3.0), constrained_layout=True, squeeze=False)
    for axis, (iteration, phase) in zip(axes[0], picks, strict=True):
        with Image.open(run / "samples" / f"iter_{iteration:06d}.png") as grid:
            width = grid.size[0]
            axis.imshow(grid.crop((0, 0, width // 2, width // 2)), cmap="gray")  # the first 4 x 4 samples
        kind = "fading in" if phase["alpha"] < 1 else "stable"
        axis.set_title(f"{int(phase['resolution'])}×{int(phase['resolution'])} {kind}\niteration {iteration}", fontsize=9)
        axis.axis("off")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_stages(pyramid: Path, path: Path, num: int = 8) -> None:
    """One column per sample: its 8x8, 16x16 and 32x32 images (nearest-enlarged), one noise through the levels."""
    import torch
    import torch.nn.functional as F
    from torchvision.utils import save_image

    from ganlib.models import load_generator

    generator, _ = load_generator(pyramid)
    with torch.no_grad():
        stages = generator.stages(torch.randn(num, generator.latent_dim, generator=torch.Generator().manual_seed(0)))
    rows = [F.interpolate(stage, size=32, mode="nearest") for stage in stages]
    save_image(torch.cat(rows), path, nrow=num, normalize=True, value_range=(-1, 1), padding=2)


def lapgan_row(out: Path, rows: list[dict[str, object]]) -> dict[str, object]:
    """Join the three levels into a pyramid file and judge it as one generator."""
    from benchmarks.preset_quality import judge
    from ganlib.models import save_pyramid

    pyramid = out / "lapgan.json"
    save_pyramid([out / name for name in LAPGAN_LEVELS], pyramid)
    levels = [row for row in rows if str(row["cell"]).startswith("lapgan-")]
    result = judge(pyramid, 3, 10000, 0.9, 0)
    return {
        **result, "cell": "lapgan", "iterations": "+".join(f"{row['iterations']:,}" for row in levels),
        "training_seconds": sum(float(row["training_seconds"]) for row in levels),  # type: ignore[arg-type]
        "command": "python -m ganlib pyramid runs/growing/lapgan-8 runs/growing/lapgan-16 runs/growing/lapgan-32 --out runs/growing/lapgan.json",
    }


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=os.environ.get("GANLIB_DATA", str(REPO.parent / "shared" / "datasets")))
    parser.add_argument("--out", type=Path, default=Path("runs/growing"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--stable", type=int, default=20_000, help="real images at each resolution before the next fades in")
    parser.add_argument("--fade", type=int, default=20_000, help="real images of each fade")
    parser.add_argument("--cells", nargs="+", choices=sorted(cells(1, 1)), metavar="CELL", help="train only these cells (their rows print)")
    args = parser.parse_args()
    catalogue = cells(args.stable, args.fade)
    names = args.cells or list(catalogue)
    rows = []
    for name in names:
        level = name in LAPGAN_LEVELS
        minutes = args.minutes / len(LAPGAN_LEVELS) if level else args.minutes
        rows.append(run_cell(args.out, name, catalogue[name], minutes, args.data_root, sample_every=150, judged=not level))
    for row in rows:
        print(json.dumps(row))
    if args.cells:
        return
    rows = [row for row in rows if not str(row["cell"]).startswith("lapgan-")] + [lapgan_row(args.out, rows)]
    changes = phases(args.out / "pggan")
    draw_phases(args.out / "pggan", changes, args.out / "pggan-phases.png")
    draw_stages(args.out / "lapgan.json", args.out / "lapgan-stages.png")
    (args.out / "growing.json").write_text(json.dumps({"rows": rows, "pggan_phases": changes}, indent=2) + "\n")
    lines = ["| cell | iterations | FID (3s) | KID | confident 3s | called a 3 |", "|---|---|---|---|---|---|"]
    for row in rows:
        iterations = row["iterations"] if isinstance(row["iterations"], str) else f"{row['iterations']:,}"
        lines.append(f"| `{row['cell']}` | {iterations} | {row['fid']:.4g} | {row['kid']:.3g} | {row['share_confident_3']:.1%} | {row['share_classified_3']:.1%} |")
    speeds = phase_speeds(args.out / "pggan", changes)
    lines += ["", "| from iteration | images | resolution | alpha | change (host s) | s / iteration in the phase |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {c['iteration']} | {c['images']:,} | {c['resolution']} | {c['alpha']:.3g} | {c['seconds']:.3f} | {'-' if v is None else f'{v:.3f}'} |"
        for c, v in zip(changes, speeds, strict=True)
    ]
    (args.out / "growing.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
