"""``python -m ganlib study``: are GANs created equal? A grid of runs, scored alike, in one command.

Trains every combination of ``--objectives`` x ``--critic-norms`` x EMA (off, on) x ``--seeds``
on the same data and networks, for the same budget (iterations, or training seconds with
``--time-budget``, which compares at equal wall time), each with its paper's recipe
(:mod:`ganlib.recipes`), evaluated with the MNIST judge every ``--eval-every`` iterations (of a five-critic-step objective; five times as many of a one-step one)
(Lucic et al., 2018, in miniature). Each cell is an ordinary run directory under
``OUT/runs/``; a finished cell is skipped and an interrupted one resumed when the command is
repeated. At the end it writes ``OUT/table.md`` and ``OUT/table.json`` (best and final FID,
Inception Score, classes covered, wall time, iterations per second, mean ± std over seeds),
``OUT/fid_vs_iterations.png`` and ``OUT/fid_vs_time.png`` (one line per configuration, the
band spanning the seeds) and ``OUT/samples.png`` (each configuration's final grid).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path
from typing import Any

from ganlib.cli import train
from ganlib.cli.arguments import positive_float, positive_int, unit_interval
from ganlib.data import parse_digits
from ganlib.nn import NORM_NAMES
from ganlib.recipes import RECIPES
from ganlib.runs import RunError

__all__ = ["add_parser", "summarize"]

log = logging.getLogger("ganlib.study")

DONE = "study-cell-done.json"


def _cells(args: argparse.Namespace) -> list[dict[str, Any]]:
    emas = {"off": [None], "on": [args.ema_decay], "both": [None, args.ema_decay]}[args.ema]
    cells = []
    for objective in args.objectives:
        for norm in args.critic_norms:
            for ema in emas:
                config = f"{objective}-{norm}{'-ema' if ema else ''}"
                for seed in range(args.seeds):
                    cells.append({"config": config, "objective": objective, "norm": norm, "ema": ema, "seed": seed, "name": f"{config}-s{seed}"})
    return cells


def _eval_interval(args: argparse.Namespace, objective: str) -> int:
    """``--eval-every`` counts iterations of an objective with 5 critic steps; objectives with
    fewer evaluate proportionally less often in iterations, so that all are evaluated about
    equally often in time (evaluation counts against a time budget)."""
    return max(1, args.eval_every * 5 // RECIPES[objective].n_critic)


def _train_argv(args: argparse.Namespace, cell: dict[str, Any], run_dir: Path) -> list[str]:
    every = str(_eval_interval(args, cell["objective"]))
    argv = [
        "--data", args.data, "--objective", cell["objective"], "--critic-norm", cell["norm"], "--seed", str(cell["seed"]),
        "--image-size", str(args.image_size), "--width", str(args.width), "--batch-size", str(args.batch_size),
        "--iterations", str(args.iterations), "--eval-every", every, "--eval-samples", str(args.eval_samples),
        "--device", args.device, "--out", str(run_dir), "--log-every", every, "--sample-every", every, "--checkpoint-every", every,
    ]
    if args.data_root is not None:
        argv += ["--data-root", str(args.data_root)]
    if args.classes is not None:
        argv += ["--classes", ",".join(map(str, args.classes))]
    if cell["ema"] is not None:
        argv += ["--ema", str(cell["ema"])]
    if args.time_budget is not None:
        argv += ["--time-budget", str(args.time_budget)]
    return argv


def _run_cell(args: argparse.Namespace, cell: dict[str, Any]) -> None:
    run_dir = args.out / "runs" / cell["name"]
    if (run_dir / DONE).exists():
        log.info("%s: done already, skipped", cell["name"])
        return
    if (run_dir / "checkpoints" / "latest.pt").exists():
        log.info("%s: resuming", cell["name"])
        argv = ["--resume", str(run_dir)]
    else:
        argv = _train_argv(args, cell, run_dir)
        if run_dir.exists():  # started, but no checkpoint yet: start again
            argv.append("--overwrite")
    status = train.run(train.build_parser().parse_args(argv))
    if status != 0:
        raise RunError(f"study cell {cell['name']} stopped with status {status}; repeat the command to resume it")
    (run_dir / DONE).write_text(json.dumps(cell) + "\n")


def _records(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def _pm(value: tuple[float, float], digits: int = 3) -> str:
    return f"{value[0]:.{digits}f} ± {value[1]:.{digits}f}"


def summarize(out: Path, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Read the finished cells' logs and write the table, the plots and the samples figure.

    Args:
        out: The study directory.
        cells: The cells (from the grid).

    Returns:
        The table's rows, one per configuration.
    """
    by_config: dict[str, list[list[dict[str, Any]]]] = {}
    for cell in cells:
        run_dir = out / "runs" / cell["name"]
        if (run_dir / DONE).exists():
            by_config.setdefault(cell["config"], []).append(_records(run_dir))
    rows: list[dict[str, Any]] = []
    for config, runs in by_config.items():
        evaluated = [[r for r in records if r.get("fid") is not None] for records in runs]
        if not all(evaluated):
            continue
        best = [min(r["fid"] for r in e) for e in evaluated]
        final = [e[-1]["fid"] for e in evaluated]
        score = [e[-1]["inception_score"] for e in evaluated]
        covered = [e[-1]["classes_covered"] for e in evaluated]
        wall = [records[-1]["wall_time"] for records in runs]
        iterations = [records[-1]["iteration"] for records in runs]
        row: dict[str, Any] = {
            "config": config, "seeds": len(runs),
            "best_fid": _mean_std(best), "final_fid": _mean_std(final), "inception_score": _mean_std(score),
            "classes_covered": _mean_std(covered), "wall_time": _mean_std(wall), "iterations": _mean_std([float(i) for i in iterations]),
            "it_per_s": _mean_std([i / w for i, w in zip(iterations, wall, strict=True)]),
        }
        rows.append(row)
    rows.sort(key=lambda row: row["final_fid"][0])
    (out / "table.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "| configuration | seeds | final FID | best FID | Inception Score | classes covered | iterations | wall time (s) | it/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['config']} | {row['seeds']} | {_pm(row['final_fid'])} | {_pm(row['best_fid'])} | {_pm(row['inception_score'], 2)} | "
            f"{_pm(row['classes_covered'], 1)} | {row['iterations'][0]:.0f} | {row['wall_time'][0]:.0f} | {row['it_per_s'][0]:.2f} |"
        )
    (out / "table.md").write_text("\n".join(lines) + "\n")
    _plots(out, by_config)
    _samples(out, cells, [row["config"] for row in rows])
    return rows


def _plots(out: Path, by_config: dict[str, list[list[dict[str, Any]]]]) -> None:
    from matplotlib.figure import Figure

    for axis, key, label in (("iterations", "iteration", "generator iteration"), ("time", "wall_time", "training time (s)")):
        fig = Figure(figsize=(7.5, 4.6))
        ax = fig.subplots()
        for config, runs in sorted(by_config.items()):
            curves = [[(r[key], r["fid"]) for r in records if r.get("fid") is not None] for records in runs]
            length = min(len(c) for c in curves)
            if length == 0:
                continue
            xs = [statistics.fmean(c[i][0] for c in curves) for i in range(length)]
            ys = [[c[i][1] for c in curves] for i in range(length)]
            (line,) = ax.plot(xs, [statistics.fmean(y) for y in ys], marker="o", ms=3, lw=1.3, label=config)
            ax.fill_between(xs, [min(y) for y in ys], [max(y) for y in ys], color=line.get_color(), alpha=0.15, lw=0)
        ax.set_xlabel(label)
        ax.set_ylabel("FID (MNIST judge)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(out / f"fid_vs_{axis}.png", dpi=100)


def _samples(out: Path, cells: list[dict[str, Any]], order: list[str]) -> None:
    from matplotlib.figure import Figure
    from PIL import Image

    grids = []
    for config in order:
        first = next((c for c in cells if c["config"] == config and c["seed"] == 0), None)
        path = out / "runs" / first["name"] / "samples" / "latest.png" if first else None
        if path is not None and path.exists():
            grids.append((config, path))
    if not grids:
        return
    columns = min(4, len(grids))
    rows = -(-len(grids) // columns)
    fig = Figure(figsize=(3.0 * columns, 3.2 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (config, path) in zip(axes.flat, grids, strict=False):
        with Image.open(path) as grid:
            ax.imshow(grid.convert("L"), cmap="gray")
        ax.set_title(config, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=100)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the study; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.eval_every < 1:
        raise ValueError("--eval-every must be positive: the study compares runs by their evaluations")
    cells = _cells(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "study.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "run"}, indent=2) + "\n")
    for number, cell in enumerate(cells, start=1):
        log.info("study cell %d of %d: %s", number, len(cells), cell["name"])
        _run_cell(args, cell)
    rows = summarize(args.out, cells)
    log.info("study of %d configurations x %d seeds: %s", len(rows), args.seeds, args.out / "table.md")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``study`` command."""
    study = commands.add_parser("study", help="train a grid of objectives x critic norms x EMA x seeds and compare them", description=__doc__.split("\n\n")[0])
    study.add_argument("--objectives", nargs="+", choices=[n for n, r in RECIPES.items() if r.critic == "classifier"], default=["non-saturating", "wgan-clip", "wgan-gp", "hinge"])
    study.add_argument("--critic-norms", nargs="+", choices=NORM_NAMES, default=["batch", "layer", "spectral"])
    study.add_argument("--ema", choices=("off", "on", "both"), default="off", help="train each configuration without, with, or both")
    study.add_argument("--ema-decay", type=unit_interval, default=0.999)
    study.add_argument("--seeds", type=positive_int, default=2)
    study.add_argument("--data", default="mnist", help="mnist (the judge scores MNIST)")
    study.add_argument("--data-root", type=Path, default=None)
    study.add_argument("--classes", type=parse_digits, default=[3], help="digits to train on (default 3)")
    study.add_argument("--image-size", type=positive_int, default=32)
    study.add_argument("--width", type=positive_int, default=32)
    study.add_argument("--batch-size", type=positive_int, default=64)
    study.add_argument("--iterations", type=positive_int, default=100000, help="iteration budget per run (the time budget usually ends runs first)")
    study.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS", help="training time per run: compare at equal wall time")
    study.add_argument("--eval-every", type=positive_int, default=50, help="evaluate every N iterations of a 5-critic-step objective (5N for one critic step)")
    study.add_argument("--eval-samples", type=positive_int, default=500)
    study.add_argument("--device", default="auto")
    study.add_argument("--out", type=Path, default=Path("runs/study"))
    study.set_defaults(run=run)
