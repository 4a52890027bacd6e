"""``python -m ganlib compare``: runs side by side, their curves overlaid and their final values in one table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlib.cli.arguments import check_output, positive_int

__all__ = ["add_parser"]


def run(args: argparse.Namespace) -> int:
    from ganlib.report.compare import compare_table, draw_comparison, load_runs, shared_metrics

    if len(args.runs) < 2:
        raise ValueError(f"compare needs at least two runs; got {len(args.runs)} ({', '.join(map(str, args.runs))})")
    runs = load_runs(args.runs)
    known = shared_metrics(runs)
    metrics = args.metrics
    if metrics is not None:
        unknown = [m for m in metrics if m not in {name for r in runs for name in r.metrics}]
        if unknown:
            raise ValueError(f"--metrics {' '.join(unknown)}: no run logged it; the runs share {', '.join(known) or 'nothing'}")
    out: Path = args.out
    picture, table = out / "compare.png", out / "compare.md"
    check_output(out, replaces=(picture, table), overwrite=args.overwrite)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a directory")
    out.mkdir(parents=True, exist_ok=True)
    draw_comparison(runs, picture, metrics, smooth=args.smooth)
    from ganlib._files import write_text_atomically

    text = compare_table(runs, [m for m in (metrics or known) if m.startswith("score/")] or None)
    write_text_atomically(table, text)
    print(text, end="")
    print(f"wrote {picture} and {table}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command."""
    compare = commands.add_parser(
        "compare", help="overlay the curves of several runs and table their final values and differing settings",
        description="Overlay the learning curves of several runs (metrics matched by name) and write their final values "
        "beside the settings that differ, as compare.png and compare.md.",
    )
    compare.add_argument("runs", type=Path, nargs="+", metavar="RUN", help="training run directories (two or more)")
    compare.add_argument("--out", type=Path, default=Path("runs/compare"), help="directory for compare.png and compare.md (default: runs/compare)")
    compare.add_argument("--metrics", nargs="+", default=None, metavar="NAME", help="metrics to draw, e.g. loss/critic score/fid (default: those two or more runs logged)")
    compare.add_argument("--smooth", type=positive_int, default=5, help="moving-average window drawn over the raw curves (1: raw only)")
    compare.add_argument("--overwrite", action="store_true", help="replace compare.png and compare.md in --out")
    compare.set_defaults(run=run)
