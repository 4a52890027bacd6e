"""``python -m ganlib pyramid``: name a LAPGAN's trained levels in one file that ``sample`` and ``evaluate`` read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlib.cli.arguments import check_output

__all__ = ["add_parser"]


def run(args: argparse.Namespace) -> int:
    from ganlib.checkpoint import save_pyramid

    out: Path = args.out
    check_output(out, suffixes=(".json",), replaces=(out,), overwrite=args.overwrite, what="a pyramid file")
    if len(args.levels) < 2:
        raise ValueError(f"a pyramid needs a coarsest level and at least one finer level; got {len(args.levels)} run(s)")
    for level in args.levels:
        if not level.exists():
            raise ValueError(f"level {level} does not exist; give the levels' run directories, coarsest first")
    save_pyramid(args.levels, out)
    print(f"wrote {out}: {len(args.levels)} levels; sample it with python -m ganlib sample --checkpoint {out}", file=sys.stderr)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``pyramid`` command."""
    pyramid = commands.add_parser(
        "pyramid", help="join a LAPGAN's trained levels into one pyramid file for sample and evaluate",
        description="Check that the levels chain (each finer level an image-conditioned generator of twice the side) "
        "and write a JSON file naming them; sample and evaluate take it as --checkpoint.",
    )
    pyramid.add_argument("levels", type=Path, nargs="+", metavar="RUN", help="the levels' run directories, coarsest first")
    pyramid.add_argument("--out", type=Path, required=True, help="the pyramid file to write (.json)")
    pyramid.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    pyramid.set_defaults(run=run)
