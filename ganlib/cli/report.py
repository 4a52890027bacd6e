"""``python -m ganlib report``: a run's (or a study's or bench's) report as one self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlib.cli.arguments import check_output

__all__ = ["add_parser"]


def run(args: argparse.Namespace) -> int:
    from ganlib.report import write_report

    if args.out is not None:
        check_output(args.out, suffixes=(".html", ".htm"), what="a report (an HTML page)", overwrite=True)
    path = write_report(args.directory, args.out, compare=args.compare or ())
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1e6:.1f} MB, every image inside it; open it in any browser, offline)", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    report = commands.add_parser(
        "report", help="write a run's report: one HTML page with its settings, curves, samples and scores",
        description="Write one self-contained HTML page (every image embedded, nothing loaded from the network) "
        "for a training run, a study or a bench directory.",
    )
    report.add_argument("directory", type=Path, metavar="DIR", help="a training run, or a study or bench directory")
    report.add_argument("--out", type=Path, default=None, help="the page (default: DIR/report.html)")
    report.add_argument("--compare", type=Path, nargs="+", default=None, metavar="RUN", help="other runs to overlay with this one (as `compare` does)")
    report.set_defaults(run=run)
