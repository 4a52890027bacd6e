"""``python -m ganlib study``: are GANs created equal? A grid of runs, scored alike, in one command.

Trains every combination of ``--objectives`` x ``--models`` x ``--critic-norms`` x EMA (off,
on) x ``--seeds`` on the same data, for the same budget (iterations, or training seconds with
``--time-budget``, which compares at equal wall time), each with its paper's recipe
(:mod:`ganlib.recipes`), evaluated with the MNIST judge every ``--eval-every`` iterations of a
five-critic-step objective (five times as many of a one-step one) (Lucic et al., 2018, in
miniature). Any registered objective, recipe, model family or normalization (a plugin's
included) may be a cell. Each cell is an ordinary run directory under ``OUT/runs/``; a
finished cell is skipped, an interrupted one resumed, and one finished at a smaller
``--iterations`` continued, when the command is repeated. At the end it writes
``OUT/table.md`` and ``OUT/table.json`` (best and final of the ranking score, FID on MNIST, the
final value of every other score, wall time, iterations per second, mean ± std over seeds),
``OUT/fid_vs_iterations.png`` and ``OUT/fid_vs_time.png`` (named after the score; one line per
configuration, the band spanning the seeds) and
``OUT/samples.png`` (each configuration's final grid), each written atomically.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganlib.cli.train_options import model_families, objective_names
from ganlib._files import write_atomically, write_text_atomically
from ganlib.cli.arguments import HelpFormatter, choices_help, positive_float, positive_int, sample_count, unit_interval
from ganlib.cli.cells import DONE, run_cell
from ganlib.data import parse_digits, source_metadata
from ganlib.metrics.registry import score_of
from ganlib.nn import list_norms
from ganlib.recipes import recipe_for
from ganlib.runs import check_output_directory, run_lock
from ganlib.train import read_log

__all__ = ["add_parser", "run_cells", "summarize"]

log = logging.getLogger("ganlib.study")


def _unique(flag: str, values: Sequence[Any]) -> list[Any]:
    seen = list(dict.fromkeys(values))
    if len(seen) != len(values):
        repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
        raise ValueError(f"{flag} repeats {', '.join(repeated)}; list each once (use --seeds for repeated runs)")
    return seen


def _cells(args: argparse.Namespace) -> list[dict[str, Any]]:
    emas = {"off": [None], "on": [args.ema_decay], "both": [None, args.ema_decay]}[args.ema]
    objectives = _unique("--objectives", args.objectives)
    norms = _unique("--critic-norms", args.critic_norms)
    models = _unique("--models", args.models) if args.models else [None]
    cells = []
    for objective in objectives:
        for model in models:
            for norm in norms:
                for ema in emas:
                    config = "-".join([objective, *([model] if model else []), norm]) + ("-ema" if ema else "")
                    for seed in range(args.seeds):
                        cells.append({"config": config, "objective": objective, "model": model, "norm": norm, "ema": ema, "seed": seed, "name": f"{config}-s{seed}"})
    return cells


def _eval_interval(args: argparse.Namespace, objective: str) -> int:
    """``--eval-every`` counts iterations of an objective with 5 critic steps; objectives with
    fewer evaluate proportionally less often in iterations, so that all are evaluated about
    equally often in time (evaluation counts against a time budget)."""
    return max(1, args.eval_every * 5 // recipe_for(objective).n_critic)


def _train_argv(args: argparse.Namespace, cell: dict[str, Any], run_dir: Path) -> list[str]:
    every = str(_eval_interval(args, cell["objective"]))
    argv = [
        "--data", args.data, "--objective", cell["objective"], "--critic-norm", cell["norm"], "--seed", str(cell["seed"]),
        "--width", str(args.width), "--batch-size", str(args.batch_size),
        "--iterations", str(args.iterations), "--device", args.device, "--out", str(run_dir),
        "--log-every", every, "--sample-every", every, "--checkpoint-every", every,
    ]
    if source_metadata(args.data).get("judge", {}).get("during_training"):  # the MNIST judge; toys report their own scores every --sample-every
        argv += ["--eval-every", every, "--eval-samples", str(args.eval_samples)]
    if cell.get("model"):
        argv += ["--model", cell["model"]]
    if args.image_size is not None:
        argv += ["--image-size", str(args.image_size)]
    if args.data_root is not None:
        argv += ["--data-root", str(args.data_root)]
    if args.classes is not None:
        argv += ["--classes", ",".join(map(str, args.classes))]
    argv += ["--ema", str(cell["ema"])] if cell["ema"] is not None else ["--no-ema"]
    if args.time_budget is not None:
        argv += ["--time-budget", str(args.time_budget)]
    if args.threads is not None:
        argv += ["--threads", str(args.threads)]
    for extra in args.train_arg or []:
        argv += extra.split()
    return argv


def _run_cell(args: argparse.Namespace, cell: dict[str, Any], out: Path) -> int:
    run_dir = out / "runs" / cell["name"]
    return run_cell(run_dir, lambda: _train_argv(args, cell, run_dir), args.iterations, cell)


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def _pm(value: tuple[float, float], digits: int = 3) -> str:
    return f"{value[0]:.{digits}f} ± {value[1]:.{digits}f}"


def _label(name: str) -> str:
    return score_of(name).label


def summarize(out: Path, cells: list[dict[str, Any]], score: str = "score/fid") -> list[dict[str, Any]]:
    """Read the finished cells' logs and write the table, the plots and the samples figure.

    Args:
        out: The study directory.
        cells: The cells (from the grid).
        score: The score that ranks the configurations (best first, by its declared direction:
            :func:`ganlib.metrics.register_score`).

    Returns:
        The table's rows, one per configuration.
    """
    by_config: dict[str, list[list[dict[str, Any]]]] = {}
    for cell in cells:
        run_dir = out / "runs" / cell["name"]
        if (run_dir / DONE).exists():
            by_config.setdefault(cell["config"], []).append(read_log(run_dir))
    higher = score_of(score).higher_is_better
    if not score_of(score).declared:
        log.warning("%s has no declared direction: ranked lower-is-better (declare it with ganlib.metrics.register_score)", score)
    rows: list[dict[str, Any]] = []
    others: list[str] = []
    for config, runs in by_config.items():
        evaluated = [[r for r in records if r.get(score) is not None] for records in runs]
        if not all(evaluated):
            continue
        best = [(max if higher else min)(r[score] for r in e) for e in evaluated]
        final = [e[-1][score] for e in evaluated]
        wall = [records[-1]["wall_time"] for records in runs]
        iterations = [records[-1]["iteration"] for records in runs]
        row: dict[str, Any] = {
            "config": config, "seeds": len(runs), "score": score,
            "best": _mean_std(best), "final": _mean_std(final),
            "wall_time": _mean_std(wall), "iterations": _mean_std([float(i) for i in iterations]),
            "it_per_s": _mean_std([i / w for i, w in zip(iterations, wall, strict=True)]),
        }
        for name in sorted({k for e in evaluated for k in e[-1] if k.startswith("score/") and k != score}):
            values = [e[-1][name] for e in evaluated if e[-1].get(name) is not None]
            if len(values) == len(evaluated):
                row[name] = _mean_std(values)
                others = others if name in others else [*others, name]
        rows.append(row)
    rows.sort(key=lambda row: -row["final"][0] if higher else row["final"][0])
    write_text_atomically(out / "table.json", json.dumps(rows, indent=2) + "\n")
    columns = [name for name in others if all(name in row for row in rows)]
    lines = [
        f"| configuration | seeds | final {_label(score)} | best {_label(score)} | " + "".join(f"{_label(n)} | " for n in columns) + "iterations | wall time (s) | it/s |",
        "|---|---|---|---|" + "---|" * len(columns) + "---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['config']} | {row['seeds']} | {_pm(row['final'])} | {_pm(row['best'])} | " + "".join(f"{_pm(row[n], 2)} | " for n in columns)
            + f"{row['iterations'][0]:.0f} | {row['wall_time'][0]:.0f} | {row['it_per_s'][0]:.2f} |"
        )
    write_text_atomically(out / "table.md", "\n".join(lines) + "\n")
    _plots(out, by_config, score)
    _samples(out, cells, [row["config"] for row in rows])
    return rows


def _save_figure(fig: Any, path: Path) -> None:
    write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))


def _plots(out: Path, by_config: dict[str, list[list[dict[str, Any]]]], score: str) -> None:
    from matplotlib.figure import Figure

    for axis, key, label in (("iterations", "iteration", "generator iteration"), ("time", "wall_time", "training time (s)")):
        fig = Figure(figsize=(7.5, 4.6))
        ax = fig.subplots()
        for config, runs in sorted(by_config.items()):
            curves = [[(r[key], r[score]) for r in records if r.get(score) is not None] for records in runs]
            length = min(len(c) for c in curves)
            if length == 0:
                continue
            xs = [statistics.fmean(c[i][0] for c in curves) for i in range(length)]
            ys = [[c[i][1] for c in curves] for i in range(length)]
            (line,) = ax.plot(xs, [statistics.fmean(y) for y in ys], marker="o", ms=3, lw=1.3, label=config)
            ax.fill_between(xs, [min(y) for y in ys], [max(y) for y in ys], color=line.get_color(), alpha=0.15, lw=0)
        ax.set_xlabel(label)
        ax.set_ylabel(f"{_label(score)} (MNIST judge)" if score == "score/fid" else _label(score))
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        _save_figure(fig, out / f"{score.removeprefix('score/')}_vs_{axis}.png")


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
    _save_figure(fig, out / "samples.png")


def run_cells(args: argparse.Namespace, cells: list[dict[str, Any]], out: Path) -> int:
    """Run (or resume) every cell in turn; returns 0, or the signal's status if one stopped a cell."""
    for number, cell in enumerate(cells, start=1):
        log.info("study cell %d of %d: %s", number, len(cells), cell["name"])
        status = _run_cell(args, cell, out)
        if status:
            log.info("stopped in cell %s; repeat the command to resume", cell["name"])
            return status
    return 0


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the study; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for key, value in source_metadata(args.data).get("study", {}).items():  # e.g. MNIST: one digit at 32x32
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.score is None and "score" not in source_metadata(args.data):
        raise ValueError(f"--data {args.data} declares no score to rank by; name one with --score (e.g. score/fid)")
    cells = _cells(args)
    for cell in cells:  # every name is checked before the first cell trains
        if cell["objective"] not in objective_names():
            raise ValueError(f"--objectives {cell['objective']!r} is unknown; valid names are {', '.join(objective_names())}")
        if cell["norm"] not in list_norms():
            raise ValueError(f"--critic-norms {cell['norm']!r} is unknown; valid names are {', '.join(list_norms())}")
        if cell["model"] is not None and cell["model"] not in model_families():
            raise ValueError(f"--models {cell['model']!r} is unknown; valid families are {', '.join(model_families())}")
    check_output_directory(args.out, holding="study")
    with run_lock(args.out):  # one study per directory: a second one is refused in one line
        return _study(args, cells)


def _study(args: argparse.Namespace, cells: list[dict[str, Any]]) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "run"}
    write_text_atomically(args.out / "study.json", json.dumps(settings, indent=2) + "\n")
    status = run_cells(args, cells, args.out)
    if status:
        return status
    score = args.score or str(source_metadata(args.data)["score"])
    rows = summarize(args.out, cells, score)
    log.info("study of %d configurations x %d seeds: %s", len(rows), args.seeds, args.out / "table.md")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``study`` command."""
    study = commands.add_parser("study", help="train a grid of objectives x models x critic norms x EMA x seeds and compare them", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    study.add_argument("--objectives", nargs="+", default=["non-saturating", "wgan-clip", "wgan-gp", "hinge"], metavar="NAME", help=choices_help(objective_names(), "objectives or recipes"))
    study.add_argument("--models", nargs="+", default=None, metavar="FAMILY", help=choices_help(model_families(), "model families (default: each objective's recipe, or dcgan)"))
    study.add_argument("--critic-norms", nargs="+", default=["batch", "layer", "spectral"], metavar="NORM", help=choices_help(list_norms(), "critic normalizations"))
    study.add_argument("--ema", choices=("off", "on", "both"), default="off", help="train each configuration without, with, or both")
    study.add_argument("--ema-decay", type=unit_interval, default=0.999)
    study.add_argument("--seeds", type=positive_int, default=2)
    study.add_argument("--data", default="mnist", help="any data source: mnist is scored by the MNIST judge, 2-D toys by their own measures")
    study.add_argument("--score", default=None, metavar="NAME", help="the score that ranks the configurations (default score/fid on MNIST, score/sliced_wasserstein on toys)")
    study.add_argument("--data-root", type=Path, default=None)
    study.add_argument("--classes", type=parse_digits, default=None, help="digits to train on (default 3 on MNIST)")
    study.add_argument("--image-size", type=positive_int, default=None, help="image side (default 32 for images)")
    study.add_argument("--width", type=positive_int, default=32)
    study.add_argument("--batch-size", type=positive_int, default=64)
    study.add_argument("--iterations", type=positive_int, default=100000, help="iteration budget per run (the time budget usually ends runs first)")
    study.add_argument("--time-budget", type=positive_float, default=None, metavar="SECONDS", help="training time per run: compare at equal wall time")
    study.add_argument("--eval-every", type=positive_int, default=50, help="evaluate every N iterations of a 5-critic-step objective (5N for one critic step)")
    study.add_argument("--eval-samples", type=sample_count, default=500)
    study.add_argument("--device", default="auto")
    study.add_argument("--threads", type=positive_int, default=None, help="CPU threads per run")
    study.add_argument("--train-arg", action="append", default=None, metavar="'--FLAG VALUE'", help="more flags for every cell's train command (e.g. '--augment diffaugment')")
    study.add_argument("--out", type=Path, default=Path("runs/study"))
    study.set_defaults(run=run)
