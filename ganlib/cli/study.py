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
from ganlib.cli.arguments import HelpFormatter, choices_help, non_negative_int, positive_float, positive_int, sample_count, unit_interval
from ganlib.cli.cells import DONE, FAILED, PRUNED, CellJob, read_marker
from ganlib.cli.search import SAMPLERS, draw, parse_search, setting_argv, train_options
from ganlib.cli.train_options import ARCHITECTURE
from ganlib.cli.tune import LINEAGE, add_worker_arguments, plan_workers, run_jobs
from ganlib.data import parse_digits, source_metadata
from ganlib.metrics.registry import score_of
from ganlib.nn import list_norms
from ganlib.recipes import recipe_for
from ganlib.runs import check_output_directory, run_lock
from ganlib.train import read_log

__all__ = ["add_parser", "summarize"]

log = logging.getLogger("ganlib.study")


def _unique(flag: str, values: Sequence[Any]) -> list[Any]:
    seen = list(dict.fromkeys(values))
    if len(seen) != len(values):
        repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
        raise ValueError(f"{flag} repeats {', '.join(repeated)}; list each once (use --seeds for repeated runs)")
    return seen


def _cells(args: argparse.Namespace) -> list[dict[str, Any]]:
    emas = {"off": [None], "on": [args.ema_decay], "both": [None, args.ema_decay]}[args.ema]
    settings = draw(args.search, args.trials, args.search_seed, args.sampler) if args.search else [None]
    objectives = _unique("--objectives", args.objectives)
    norms = _unique("--critic-norms", args.critic_norms)
    models = _unique("--models", args.models) if args.models else [None]
    cells = []
    for objective in objectives:
        for model in models:
            for norm in norms:
                for ema in emas:
                    group = "-".join([objective, *([model] if model else []), norm]) + ("-ema" if ema else "")
                    for trial, setting in enumerate(settings):
                        config = group if setting is None else f"{group}-t{trial:02d}"
                        searched = {} if setting is None else {"group": group, "trial": trial, "setting": setting}
                        for seed in range(args.seeds):
                            cells.append({"config": config, "objective": objective, "model": model, "norm": norm, "ema": ema, "seed": seed, "name": f"{config}-s{seed}", **searched})
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
    if cell.get("setting"):
        argv += setting_argv(args.search, cell["setting"])
    return argv


def _jobs(args: argparse.Namespace, cells: list[dict[str, Any]], out: Path) -> list[CellJob]:
    jobs = []
    for cell in cells:
        run_dir = out.resolve() / "runs" / cell["name"]
        settings = {spec.flag: cell["setting"][spec.name] for spec in args.search if spec.key is None} if cell.get("setting") else {}
        jobs.append(CellJob(cell["name"], run_dir, _train_argv(args, cell, run_dir), args.iterations, cell, settings=settings))
    return jobs


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
    for row in rows:  # a searched configuration carries its trial's settings
        first = next(c for c in cells if c["config"] == row["config"])
        if first.get("setting"):
            row.update(group=first["group"], trial=first["trial"], setting=first["setting"])
    lines += _search_section(out, rows, score) + _unfinished_section(out, cells)
    write_text_atomically(out / "table.json", json.dumps(rows, indent=2) + "\n")
    write_text_atomically(out / "table.md", "\n".join(lines) + "\n")
    _plots(out, by_config, score)
    _samples(out, cells, [row["config"] for row in rows])
    _lineage(out, cells, score)
    return rows


def _search_section(out: Path, rows: list[dict[str, Any]], score: str) -> list[str]:
    """Per objective (group): the trials' best, quartiles and median, and the two figures."""
    from ganlib.report.search import budget_figure, distribution_figure, quartiles

    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if "group" in row:
            groups.setdefault(row["group"], []).append(row)
    if not groups:
        return []
    higher = score_of(score).higher_is_better
    label = _label(score)
    lines = ["", f"Search: each trial's final {label} (mean over seeds), per configuration without its trial.", "",
             "| configuration | trials | best | first quartile | median | third quartile | best trial's settings |", "|---|---|---|---|---|---|---|"]
    for group, members in sorted(groups.items()):
        summary = quartiles([m["final"][0] for m in members], higher)
        winner = min(members, key=lambda m: -m["final"][0] if higher else m["final"][0])
        settings = ", ".join(f"{k}={v}" for k, v in winner["setting"].items())
        lines.append(f"| {group} | {len(members)} | {summary['best']:.3f} | {summary['q1']:.3f} | {summary['median']:.3f} | {summary['q3']:.3f} | t{winner['trial']:02d}: {settings} |")
    scores = {group: [m["final"][0] for m in members] for group, members in groups.items()}
    budget_figure(scores, out / "budget.png", label, higher)
    distribution_figure(scores, out / "distribution.png", label)
    return lines


def _marked(out: Path, cells: list[dict[str, Any]], marker: str) -> list[tuple[str, dict[str, Any]]]:
    found = [(c["name"], read_marker(out / "runs" / c["name"], marker)) for c in cells]
    return [(name, content) for name, content in found if content is not None]


def _unfinished_section(out: Path, cells: list[dict[str, Any]]) -> list[str]:
    """The cells stopped early and those that failed: listed apart, never averaged in."""
    lines: list[str] = []
    pruned = _marked(out, cells, PRUNED)
    if pruned:
        lines += ["", "Stopped early (not in the table above):", "", "| cell | by | at iteration | last score |", "|---|---|---|---|"]
        lines += [f"| {name} | {m.get('by')} | {m.get('iteration')} | {_number(m.get('score'))} |" for name, m in pruned]
    failed = _marked(out, cells, FAILED)
    if failed:
        lines += ["", "Failed (repeat the command to try them again):", "", "| cell | reason |", "|---|---|"]
        lines += [f"| {name} | {str(m.get('reason', '')).replace('|', '/')} |" for name, m in failed]
    return lines


def _number(value: Any) -> str:
    return "--" if value is None else f"{value:.4g}"


def _lineage(out: Path, cells: list[dict[str, Any]], score: str) -> None:
    """``lineage.png`` and ``lineage.json`` when population-based training copied checkpoints."""
    adoptions = {}
    for cell in cells:
        path = out / "runs" / cell["name"] / LINEAGE
        if path.exists():
            adoptions[cell["name"]] = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not adoptions:
        return
    from ganlib.report.search import lineage_figure

    curves = {}
    for cell in cells:
        run_dir = out / "runs" / cell["name"]
        if (run_dir / "metrics.jsonl").exists():
            curves[cell["name"]] = [(r["iteration"], r[score]) for r in read_log(run_dir) if r.get(score) is not None]
    write_text_atomically(out / "lineage.json", json.dumps(adoptions, indent=2) + "\n")
    lineage_figure(curves, adoptions, out / "lineage.png", _label(score))


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


def _validate_names(cells: list[dict[str, Any]]) -> None:
    """Every name is checked before the first cell trains."""
    for cell in cells:
        if cell["objective"] not in objective_names():
            raise ValueError(f"--objectives {cell['objective']!r} is unknown; valid names are {', '.join(objective_names())}")
        if cell["norm"] not in list_norms():
            raise ValueError(f"--critic-norms {cell['norm']!r} is unknown; valid names are {', '.join(list_norms())}")
        if cell["model"] is not None and cell["model"] not in model_families():
            raise ValueError(f"--models {cell['model']!r} is unknown; valid families are {', '.join(model_families())}")


def _validate_search(args: argparse.Namespace) -> None:
    """``--search``, ``--trials`` and ``--pbt`` read and checked, in one line each."""
    options, key_value = train_options()
    args.search = [parse_search(text, options, key_value) for text in args.search or []]
    if len({spec.name for spec in args.search}) != len(args.search):
        raise ValueError("--search names one setting twice; give each NAME once")
    if args.trials is not None and not args.search:
        raise ValueError(f"--trials {args.trials} draws settings of --search NAME=SPEC, and none was given")
    args.trials = args.trials or (8 if args.search else 1)
    if args.pbt:
        if args.prune:
            raise ValueError("--pbt and --prune each schedule the cells; choose one")
        fixed = [spec.name for spec in args.search if spec.key is not None or spec.flag[2:].replace("-", "_") in ARCHITECTURE]
        if not args.search or fixed:
            raise ValueError(
                "--pbt perturbs searched settings that a resume may change (such as lr, betas, n-critic); "
                + (f"{', '.join(fixed)} define the run and cannot change" if fixed else "give them with --search NAME=SPEC")
            )


def _plan(args: argparse.Namespace, score: str) -> Any:
    evaluations = max(-(-args.iterations // _eval_interval(args, objective)) for objective in args.objectives)
    needs = "--prune asha" if args.prune else ("--pbt" if args.pbt else None)
    plan: dict[str, Any] = {"score": score, "higher_is_better": score_of(score).higher_is_better, "evaluations": evaluations, "prune": args.prune, "seed": args.search_seed}
    if args.pbt:
        plan.update(pbt_interval=args.pbt_interval, mutations={spec.flag: spec.domain() for spec in args.search})
    return plan_workers(args, args.out, "study", needs, **plan)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the study; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for key, value in source_metadata(args.data).get("study", {}).items():  # e.g. MNIST: one digit at 32x32
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.score is None and "score" not in source_metadata(args.data):
        raise ValueError(f"--data {args.data} declares no score to rank by; name one with --score (e.g. score/fid)")
    score = args.score or str(source_metadata(args.data)["score"])
    args.objectives = _unique("--objectives", args.objectives)
    _validate_search(args)
    cells = _cells(args)
    _validate_names(cells)
    parallel = _plan(args, score)
    check_output_directory(args.out, holding="study")
    with run_lock(args.out):  # one study per directory: a second one is refused in one line
        return _study(args, cells, parallel, score)


def _study(args: argparse.Namespace, cells: list[dict[str, Any]], parallel: Any, score: str) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k not in ("run", "search")}
    settings["search"] = [spec.name + "=" + spec.kind for spec in args.search]
    write_text_atomically(args.out / "study.json", json.dumps(settings, indent=2) + "\n")
    status = run_jobs(_jobs(args, cells, args.out), parallel)
    if status:
        return status
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
    study.add_argument("--train-arg", action="append", default=None, metavar="'--FLAG VALUE'", help="more flags for every cell's train command (e.g. '--augment diffaugment')")
    study.add_argument("--out", type=Path, default=Path("runs/study"), help="study directory (resumed when it exists); with --address, an absolute path every node sees")
    search = study.add_argument_group("search (Lucic et al., 2018: random settings per objective, scored by budget)")
    search.add_argument("--search", action="append", default=None, metavar="NAME=SPEC", help="a train setting to draw per trial: NAME is a train option (lr, n-critic) or OPTION.KEY (penalty-arg.weight); SPEC is choice:a,b | uniform:lo:hi | loguniform:lo:hi | int:lo:hi")
    search.add_argument("--trials", type=positive_int, default=None, help="settings drawn per objective (default 8 with --search)")
    search.add_argument("--sampler", choices=SAMPLERS, default="random", help="independent random points, or a scrambled Sobol sequence (covers the box more evenly)")
    search.add_argument("--search-seed", type=non_negative_int, default=0, help="seed of the draw: the same seed draws the same settings")
    search.add_argument("--prune", choices=("asha",), default=None, help="stop cells whose score is in the bottom half at each rung (ASHA, on Ray Tune); pruned cells are listed apart")
    search.add_argument("--pbt", action="store_true", help="population-based training over the searched settings (on Ray Tune): the worst cells copy a better one's checkpoint and perturb")
    search.add_argument("--pbt-interval", type=positive_int, default=2, metavar="EVALUATIONS", help="evaluations between PBT's exploit-and-explore steps")
    add_worker_arguments(study)
    study.set_defaults(run=run)
