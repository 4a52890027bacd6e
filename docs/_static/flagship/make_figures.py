"""Build the tutorial's figures from a flagship run directory.

    python docs/_static/flagship/make_figures.py runs/flagship-digit3 25 100 150 300

Writes, next to this script, ``progress.png`` (the first three rows of the fixed-noise grid
at each given iteration, stacked and labelled) and ``curves.png`` (a copy of the run's
learning curves), in greyscale where that keeps them small.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image

HERE = Path(__file__).parent
ROWS = 3  # grid rows to keep per iteration
CELL = 66  # 64-pixel images plus 2 pixels of padding


def main(run_dir: str, *iterations: str) -> None:
    run = Path(run_dir)
    strips = []
    for it in map(int, iterations):
        with Image.open(run / "samples" / f"iter_{it:06d}.png") as grid:
            strips.append((it, grid.convert("L").crop((0, 0, grid.width, 2 + ROWS * CELL))))
    width, height = strips[0][1].size
    fig = Figure(figsize=(width / 100 + 0.7, len(strips) * height / 100), dpi=100)
    axes = fig.subplots(len(strips), 1, squeeze=False)[:, 0]
    for ax, (it, strip) in zip(axes, strips, strict=True):
        ax.imshow(strip, cmap="gray", vmin=0, vmax=255)
        ax.set_ylabel(f"iter {it}", rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.subplots_adjust(left=0.1, right=0.99, top=0.99, bottom=0.01, hspace=0.04)
    fig.savefig(HERE / "progress.png", dpi=100)
    with Image.open(HERE / "progress.png") as rendered:  # matplotlib writes RGBA; grey is enough
        rendered.convert("L").point(lambda v: v // 8 * 8).save(HERE / "progress.png", optimize=True)
    shutil.copyfile(run / "curves.png", HERE / "curves.png")
    print(HERE / "progress.png", HERE / "curves.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
