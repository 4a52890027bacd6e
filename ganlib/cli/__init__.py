"""Command-line interface: ``python -m ganlib <command>`` (also installed as ``ganlib``).

Commands: ``train`` (any model, data and objective, into a run directory), ``study`` (a grid
of runs compared alike), ``bench`` (a benchmark suite beside published figures), ``sample``
(draw images from a checkpoint), ``interpolate`` (latent walks), ``evaluate`` (score MNIST
or Stacked-MNIST samples with the offline judge), ``compare`` (runs side by side), ``report``
(one self-contained HTML page of a run, a study or a bench) and ``pyramid`` (a LAPGAN's levels
in one file). Plugins (:mod:`ganlib.plugins`) are loaded before any command parses
its arguments. Errors a user can fix end with one line on stderr and exit status 2; set
``GANLIB_DEBUG=1`` for a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ganlib.plugins import DISABLE_ENV_VAR, failed_plugins, load_plugins
from ganlib.registry import replaced_builtins
from ganlib.errors import cli_errors
from ganlib.cli.arguments import set_invocation

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``ganlib`` command-line parser (load the plugins first: their names are choices)."""
    from ganlib.cli import bench, compare, evaluate, interpolate, pyramid, report, sample, study, train

    parser = argparse.ArgumentParser(prog="python -m ganlib", description="ganlib command-line tools")
    parser.add_argument("--no-plugins", action="store_true", help=f"load no plugin (as {DISABLE_ENV_VAR}=1)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (train, study, bench, sample, interpolate, evaluate, compare, report, pyramid):
        command.add_parser(commands)
    return parser


def _announce_plugins() -> None:
    """One line per plugin that failed to load, and per built-in a plugin replaced."""
    for failure in failed_plugins():
        print(f"warning: {failure}; going on without it ({DISABLE_ENV_VAR}=1 or --no-plugins loads no plugin)", file=sys.stderr)
    for kind, name, module in replaced_builtins():
        print(f"note: {module} replaces the built-in {kind} {name!r}", file=sys.stderr)


@cli_errors
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: load the plugins, parse, run; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    options = argv[: next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))]  # before the command
    if "--no-plugins" not in options:
        load_plugins(strict=False)
    _announce_plugins()
    args = build_parser().parse_args(argv)
    set_invocation(argv)
    return int(args.run(args))
