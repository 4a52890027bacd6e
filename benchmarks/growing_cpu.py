"""Growing to 32x32 on this CPU: PGGAN (4 -> 32) against the DCGAN WGAN-GP baseline, same wall time.

    python benchmarks/growing_cpu.py --data-root ../shared/datasets --out runs/growing
    python benchmarks/growing_cpu.py --cells pggan &  python benchmarks/growing_cpu.py --cells dcgan-wgan-gp

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


def cells(stable: int, fade: int) -> dict[str, list[str]]:
    """Every cell this script trains: its own ``train`` arguments."""
    return {
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
    rows = [run_cell(args.out, name, catalogue[name], args.minutes, args.data_root, sample_every=150) for name in names]
    for row in rows:
        print(json.dumps(row))
    if args.cells:
        return
    changes = phases(args.out / "pggan")
    (args.out / "growing.json").write_text(json.dumps({"rows": rows, "pggan_phases": changes}, indent=2) + "\n")
    lines = ["| cell | iterations | FID (3s) | KID | confident 3s | called a 3 |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row['cell']}` | {row['iterations']:,} | {row['fid']:.4g} | {row['kid']:.3g} | {row['share_confident_3']:.1%} | {row['share_classified_3']:.1%} |")
    lines += ["", "| iteration | images | resolution | alpha | host seconds |", "|---|---|---|---|---|"]
    lines += [f"| {c['iteration']} | {c['images']:,} | {c['resolution']} | {c['alpha']:.3g} | {c['seconds']:.3f} |" for c in changes]
    (args.out / "growing.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
