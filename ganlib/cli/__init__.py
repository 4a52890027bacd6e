"""Command-line interface: ``python -m ganlib <command>`` (also installed as ``ganlib``).

Commands: ``train`` (any model, data and objective, into a run directory), ``study`` (a grid
of runs compared alike), ``bench`` (a benchmark suite beside published figures), ``sample``
(draw images from a checkpoint), ``interpolate`` (latent walks) and ``evaluate`` (score MNIST
or Stacked-MNIST samples with the offline judge). Plugins (:mod:`ganlib.plugins`) are loaded before any command parses
its arguments. Errors a user can fix end with one line on stderr and exit status 2; set
``GANLIB_DEBUG=1`` for a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ganlib.plugins import load_plugins
from ganlib.runs import cli_errors

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``ganlib`` command-line parser (load the plugins first: their names are choices)."""
    from ganlib.cli import bench, evaluate, interpolate, sample, study, train

    parser = argparse.ArgumentParser(prog="python -m ganlib", description="ganlib command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (train, study, bench, sample, interpolate, evaluate):
        command.add_parser(commands)
    return parser


@cli_errors
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: load the plugins, parse, run; returns the exit code."""
    load_plugins()
    args = build_parser().parse_args(argv)
    return int(args.run(args))
