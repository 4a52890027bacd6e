"""Regenerate the tutorial's run, figures and numbers with the current ganlib.

    python scripts/make_tutorial_figures.py --data-root ../shared/datasets          # trains, then draws
    python scripts/make_tutorial_figures.py --run runs/tutorial-digit3              # draws from a run

It runs the tutorial's CPU command (``examples/mnist_wgan_gp.py --digits 3 --preset cpu
--iterations 300``, the README's first run) into a new run directory, timing it, then writes into
``docs/_static/flagship/``: ``progress.png`` (the first three rows of the fixed-noise grid at a
few iterations, stacked and labelled), ``curves.png`` (the run's own learning curves, drawn by
this version) and ``run.json`` (the command, the time per iteration, the machine, the last log
line, and the values the tutorial's text quotes). ``tests/test_tutorial.py`` checks the text
against ``run.json`` and the names against those the code logs. Run it alone on the machine:
timing beside other work means nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "docs" / "_static" / "flagship"
COMMAND = ["examples/mnist_wgan_gp.py", "--digits", "3", "--preset", "cpu", "--iterations", "300"]
ROWS = 3  # grid rows kept per iteration
FRAMES = (25, 100, 150, 200, 300)
SHOWN = ("loss/critic", "loss/generator", "critic/wasserstein", "penalty/gp", "accuracy/real", "accuracy/fake")


def train(data_root: str, out: Path) -> float:
    if out.exists():
        raise SystemExit(f"{out} exists; pass --run {out} to draw from it, or remove it")
    argv = [sys.executable, *COMMAND, "--data-root", data_root, "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT)
    return time.perf_counter() - start


def progress_figure(run: Path, image_size: int) -> None:
    cell = image_size + 2  # torchvision's grid pads each image by 2 pixels
    strips = []
    for it in FRAMES:
        with Image.open(run / "samples" / f"iter_{it:06d}.png") as grid:
            strips.append((it, grid.convert("L").crop((0, 0, grid.width, 2 + ROWS * cell))))
    width, height = strips[0][1].size
    scale = 2 if image_size <= 32 else 1  # small images drawn at twice the size, to be seen
    fig = Figure(figsize=(scale * width / 100 + 0.7, scale * len(strips) * height / 100), dpi=100)
    axes = fig.subplots(len(strips), 1, squeeze=False)[:, 0]
    for ax, (it, strip) in zip(axes, strips, strict=True):
        ax.imshow(strip, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_ylabel(f"iter {it}", rotation=0, ha="right", va="center", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.subplots_adjust(left=0.1, right=0.99, top=0.99, bottom=0.01, hspace=0.04)
    fig.savefig(HERE / "progress.png", dpi=100)
    with Image.open(HERE / "progress.png") as rendered:  # matplotlib writes RGBA; grey is enough
        rendered.convert("L").point(lambda v: v // 8 * 8).save(HERE / "progress.png", optimize=True)


def numbers(run: Path, seconds: float | None) -> dict:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    by_iteration = {r["iteration"]: r for r in records}
    last = records[-1]
    wasserstein = [(r["critic/wasserstein"], r["iteration"]) for r in records]
    peak, at = max(wasserstein)
    settings = json.loads((run / "config.json").read_text())
    return {
        "command": "python " + " ".join([COMMAND[0], "--download", *COMMAND[1:]]),
        "iterations": last["iteration"],
        "image_size": settings["image_size"],
        "width": settings["width"],
        "seconds": None if seconds is None else round(seconds),
        "seconds_per_iteration": None if seconds is None else round(seconds / last["iteration"], 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {__import__('torch').__version__}",
        "log_line": f"iter {last['iteration']:6d}  " + "  ".join(f"{k}={last[k]:.3g}" for k in SHOWN if k in last),
        "wasserstein_peak": round(peak, 1), "wasserstein_peak_at": at,
        **{f"wasserstein_at_{i}": round(by_iteration[i]["critic/wasserstein"], 1) for i in (100, 200, 300) if i in by_iteration},
        "grad_norm_last": round(last["penalty/grad_norm"], 2), "gp_last": round(last["penalty/gp"], 3),
        "accuracy_real_last": round(last["accuracy/real"], 2), "accuracy_fake_last": round(last["accuracy/fake"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=os.environ.get("GANLIB_DATA"), help="directory holding MNIST/raw")
    parser.add_argument("--run", type=Path, default=None, help="draw from this finished run instead of training one")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "tutorial-digit3", help="where to train (a new directory)")
    args = parser.parse_args(argv)
    seconds = None
    run = args.run
    if run is None:
        if args.data_root is None:
            parser.error("--data-root (or GANLIB_DATA) is needed to train")
        seconds = train(args.data_root, args.out)
        run = args.out
    image_size = json.loads((run / "config.json").read_text())["image_size"]
    progress_figure(run, image_size)
    shutil.copyfile(run / "curves.png", HERE / "curves.png")
    facts = numbers(run, seconds)
    if seconds is None and (HERE / "run.json").is_file():  # keep the timing of the run that was timed
        old = json.loads((HERE / "run.json").read_text())
        facts.update({k: old.get(k) for k in ("seconds", "seconds_per_iteration", "machine")})
    (HERE / "run.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
