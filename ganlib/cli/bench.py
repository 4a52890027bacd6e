"""``python -m ganlib bench``: run a benchmark suite and write its table beside the published figures.

Each cell of the suite (:mod:`ganlib.bench`) is an ordinary ``train`` run under ``OUT/runs/``,
run with ``study``'s machinery: a finished cell is skipped, an interrupted one resumed, so
repeating the command continues where it stopped. A finished image cell is judged once (its
result is kept in ``bench-result.json`` in its run directory). At the end the command writes
``OUT/results.md`` and ``OUT/results.json``: one row per measure, with the published figures
beside it, their sources and settings, and the budget spent against the paper's.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shlex
import time
from pathlib import Path
from typing import Any

import torch

from ganlib._files import write_text_atomically
from ganlib.bench import BENCH_SUITES, BenchCell, Suite, anchors_for, budget_note, format_value
from ganlib.cli.arguments import HelpFormatter, apply_threads, choices_help, seed
from ganlib.cli.cells import FAILED, CellJob, cell_state, read_marker
from ganlib.cli.tune import Parallel, add_worker_arguments, plan_workers, run_jobs
from ganlib.metrics.registry import score_of
from ganlib.runs import check_output_directory, run_lock
from ganlib.train import read_log

__all__ = ["add_parser", "judge_cell", "reference_result", "write_table"]

log = logging.getLogger("ganlib.study")

RESULT = "bench-result.json"


def _train_argv(args: argparse.Namespace, cell: BenchCell, run_dir: Path) -> list[str]:
    argv = ["--data", cell.data, *cell.train, "--iterations", str(cell.iterations), "--device", args.device, "--seed", str(args.seed), "--out", str(run_dir)]
    if cell.minutes is not None:
        argv += ["--time-budget", str(cell.minutes * 60)]
    if args.data_root is not None:
        argv += ["--data-root", str(args.data_root)]
    if args.threads is not None:
        argv += ["--threads", str(args.threads)]
    return argv


@torch.no_grad()
def judge_cell(cell: BenchCell, run_dir: Path, device: str = "cpu", seed: int = 0) -> dict[str, Any]:
    """Measure a finished cell: its samples judged (images), or its logged scores (toys).

    Args:
        cell: The cell.
        run_dir: Its run directory.
        device: Where to generate and judge.
        seed: Seed of the judged samples' noise.

    Returns:
        The measures, with ``iterations``, ``training_seconds`` and (images) ``weights``.
    """
    from ganlib.metrics import score_samples
    from ganlib.models import generate_samples, load_generator
    from ganlib.train import resolve_device

    records = read_log(run_dir)
    last = records[-1]
    result: dict[str, Any] = {"iterations": last["iteration"], "training_seconds": round(float(last["wall_time"]), 1)}
    if cell.samples:
        where = resolve_device(device)
        generator, used_ema = load_generator(run_dir, map_location=where)
        latent = int(generator.latent_dim)  # type: ignore[arg-type]  # every ganlib generator has one
        noise = torch.randn(cell.samples, latent, generator=torch.Generator().manual_seed(seed)).to(where)
        images = generate_samples(generator, noise, batch_size=500).cpu()
        result["weights"] = "EMA" if used_ema else "raw"
        result.update(score_samples(images, cell.measures, device=where))
    else:
        scored = [r for r in records if any(m in r for m in cell.measures)]
        final = scored[-1] if scored else {}
        result.update({m: final[m] for m in cell.measures if m in final})
        result["scored_at"] = final.get("iteration")
    return result


def _flag(cell: BenchCell, flag: str) -> str | None:
    train = list(cell.train)
    return train[train.index(flag) + 1] if flag in train else None


def reference_result(cell: BenchCell, data_root: Path | None = None, device: str = "cpu") -> dict[str, Any]:
    """The same measures taken on real data: what a perfect generator would score with this judge.

    For image cells, ``cell.samples`` real images drawn afresh (Stacked MNIST: a new draw of
    triples, seed 1); for toys, 10,000 fresh points of the toy.

    Args:
        cell: The cell.
        data_root: Directory of the data sets.
        device: Where to judge.

    Returns:
        The measures.
    """
    from ganlib.data import TOYS, load_dataset
    from ganlib.metrics import score_samples
    from ganlib.train import resolve_device

    if not cell.samples:
        toy = TOYS[cell.data.partition(":")[0]]
        points = toy.sample(10_000, torch.Generator().manual_seed(7))
        scores = {f"score/{name}": value for name, value in toy.evaluate(points).items()}
        return {m: scores[m] for m in cell.measures if m in scores}
    size = int(_flag(cell, "--image-size") or 32)
    # Only as many images as are scored, for a source that builds its set (Stacked MNIST).
    dataset = load_dataset(cell.data, data_root, image_size=size, offer={"size": cell.samples, "seed": 1})
    assert dataset.images is not None
    images = dataset.images[torch.randperm(len(dataset.images), generator=torch.Generator().manual_seed(1))[: cell.samples]]
    return score_samples(images, cell.measures, device=resolve_device(device))


def _reference(cell: BenchCell, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    cached = out / "reference" / f"{cell.data.replace(':', '_').replace('/', '_')}-{cell.samples}-{_flag(cell, '--image-size')}.json"
    if cached.exists():
        return json.loads(cached.read_text())
    log.info("%s: measuring real data", cell.data)
    result = reference_result(cell, args.data_root, args.device)
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(cached, json.dumps(result, indent=2) + "\n")
    return result


def _judged(cell: BenchCell, run_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    cached = run_dir / RESULT
    iterations = read_log(run_dir)[-1]["iteration"]
    if cached.exists():
        result = json.loads(cached.read_text())
        if result.get("iterations") == iterations:
            return result
    log.info("%s: judging", cell.name)
    result = judge_cell(cell, run_dir, args.device, args.seed)
    write_text_atomically(cached, json.dumps(result, indent=2) + "\n")
    return result


def _measure_names(cell: BenchCell, result: dict[str, Any]) -> list[str]:
    if not cell.samples:
        return [m for m in cell.measures if m in result]
    keys = {"modes": ["modes_covered", "modes_kl", "confident_share", "modes_covered_confident"], "fid": ["fid"], "kid": ["kid_mean"], "is": ["is_mean"], "classes": ["classes_covered"],
            "pr": ["precision", "recall"], "dc": ["density", "coverage"]}
    return [k for m in cell.measures for k in keys[m] if k in result]


def write_table(out: Path, suite: Suite, results: dict[str, dict[str, Any]], references: dict[str, dict[str, Any]], header: dict[str, Any]) -> list[dict[str, Any]]:
    """Write ``results.md`` and ``results.json``: a row per measure, real data and anchors beside it.

    Args:
        out: The bench directory.
        suite: The suite.
        results: Each finished cell's measures, by cell name.
        references: The same measures on real data, by cell name.
        header: What ran (command, device, wall time), written above the table.

    Returns:
        The rows.
    """
    rows: list[dict[str, Any]] = []
    for cell in suite.cells:
        if cell.name not in results:
            continue
        result = results[cell.name]
        budget = budget_note(cell, int(result["iterations"]), float(result["training_seconds"]))
        for metric in _measure_names(cell, result):
            anchors = anchors_for(cell, metric)
            rows.append({
                "cell": cell.name, "data": cell.data, "train": shlex.join(cell.train), "metric": metric, "measured": result[metric],
                "real_data": references.get(cell.name, {}).get(metric),
                "published": [{"value": a.value, "method": a.method, "source": a.source, "setting": a.setting} for a in anchors],
                "budget": budget, "note": cell.note,
            })
    _rank(rows)
    write_text_atomically(out / "results.json", json.dumps({**header, "rows": rows}, indent=2) + "\n")
    lines = [
        f"# ganlib bench: suite `{suite.name}`", "",
        f"Command: `{header['command']}`; device {header['device']}; {header['wall_minutes']:.1f} minutes of wall time in the last invocation.", "",
        "Real data: the same measure of real samples (a fresh draw), what a perfect generator would score with this judge. "
        "Rank: among the cells with the same measure, by its declared direction (1 is the best).", "",
        "| cell | measure | measured | rank | real data | published (method) | budget here | source and setting of the published figures |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        published = "; ".join(f"{format_value(a['value'])} ({a['method']})" for a in row["published"]) or "--"
        sources = "; ".join(sorted({f"{a['source']}: {a['setting']}" for a in row["published"]})) or "--"
        rank = f"{row['rank']} of {row['ranked']}" if row.get("rank") else "--"
        lines.append(f"| {row['cell']} | {row['metric']} | {format_value(row['measured'])} | {rank} | {format_value(row['real_data'])} | {published} | {row['budget']} | {sources} |")
    notes = [f"- **{cell.name}**: `ganlib train --data {cell.data} {shlex.join(cell.train)}`. {cell.note}" for cell in suite.cells if cell.name in results]
    lines += ["", "Cells:", "", *notes, ""]
    write_text_atomically(out / "results.md", "\n".join(lines))
    return rows


def _rank(rows: list[dict[str, Any]]) -> None:
    """Rank the cells of each measure by its declared direction (``rank`` 1 is the best), in place;
    a measure whose direction is not declared (:func:`ganlib.metrics.register_score`) is not ranked."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if isinstance(row["measured"], (int, float)) and math.isfinite(row["measured"]):
            by_metric.setdefault(row["metric"], []).append(row)
    for metric, measured in by_metric.items():
        score = score_of(metric)
        if not score.declared or len(measured) < 2:
            continue
        measured.sort(key=lambda row: row["measured"], reverse=score.higher_is_better)
        for place, row in enumerate(measured, start=1):
            row.update(rank=place, ranked=len(measured), better="higher" if score.higher_is_better else "lower")


def _argv(args: argparse.Namespace) -> list[str]:
    """The command's arguments, as given (defaults left out)."""
    argv = ["--suite", args.suite, "--out", str(args.out)]
    if args.cells:
        argv += ["--cells", *args.cells]
    for flag, value, default in (("--data-root", args.data_root, None), ("--device", args.device, "auto"), ("--threads", args.threads, None), ("--seed", args.seed, 0)):
        if value != default:
            argv += [flag, str(value)]
    return argv


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the suite and write its table; returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    apply_threads(args.threads)  # for the judging here; each cell's run gets --threads too
    suite = BENCH_SUITES[args.suite]
    cells = list(suite.cells)
    if args.cells:
        unknown = sorted(set(args.cells) - {c.name for c in cells})
        if unknown:
            raise ValueError(f"--cells {', '.join(unknown)}: not in suite {suite.name!r}, whose cells are {', '.join(c.name for c in cells)}")
        cells = [c for c in cells if c.name in args.cells]
    plan = plan_workers(args, args.out, "bench")
    check_output_directory(args.out, holding="bench")
    with run_lock(args.out):  # one bench per directory: a second one is refused in one line
        return _bench(args, suite, cells, plan)


def _bench(args: argparse.Namespace, suite: Suite, cells: list[BenchCell], plan: Parallel | None) -> int:
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    references: dict[str, dict[str, Any]] = {}
    previous = args.out / "results.json"
    jobs = [
        CellJob(cell.name, args.out.resolve() / "runs" / cell.name, _train_argv(args, cell, args.out.resolve() / "runs" / cell.name), cell.iterations,
                {"name": cell.name, "suite": suite.name}, what="bench cell")
        for cell in cells
    ]
    status = run_jobs(jobs, plan)
    if status:
        return status
    for cell, job in zip(cells, jobs, strict=True):  # judged here, one at a time: the judge is the same for every cell
        if cell_state(job.run_dir) != "done":
            log.info("%s: %s, not in the table%s", cell.name, cell_state(job.run_dir), f" ({(read_marker(job.run_dir, FAILED) or {}).get('reason')})" if cell_state(job.run_dir) == "failed" else "")
            continue
        results[cell.name] = _judged(cell, job.run_dir, args)
        references[cell.name] = _reference(cell, args.out, args)
    command = "python -m ganlib bench " + shlex.join(_argv(args))
    header = {"suite": suite.name, "command": command, "device": args.device, "wall_minutes": (time.perf_counter() - started) / 60}
    if previous.exists() and not args.cells:
        header["previous_wall_minutes"] = json.loads(previous.read_text()).get("wall_minutes")
    write_table(args.out, suite, results, references, header)
    log.info("bench suite %s: %s", suite.name, args.out / "results.md")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``bench`` command."""
    bench = commands.add_parser("bench", help="run a benchmark suite and write its table beside the published figures", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    bench.add_argument("--suite", default="cpu", choices=BENCH_SUITES.keys(), metavar="NAME", help=choices_help([f"{n} ({BENCH_SUITES.entry(n).summary})" for n in BENCH_SUITES.keys()], "the suite"))
    bench.add_argument("--cells", nargs="+", default=None, metavar="CELL", help="run only these cells of the suite")
    bench.add_argument("--out", type=Path, default=Path("runs/bench"), help="bench directory (resumed when it exists)")
    bench.add_argument("--data-root", type=Path, default=None, help="directory of the torchvision data sets")
    bench.add_argument("--device", default="auto", help="cpu, cuda, auto, ...")
    add_worker_arguments(bench)
    bench.add_argument("--seed", type=seed, default=0, help="seed of every cell's run and of its judged samples")
    bench.set_defaults(run=run)
