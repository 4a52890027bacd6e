"""Plant each mutant in a scratch copy of the repository and report which tests catch it.

Usage, from the repository root::

    python -m tests.mutation.run                 # all mutants, default test selection
    python -m tests.mutation.run squared-norm    # one mutant
    python -m tests.mutation.run --tests tests/properties

The working tree is never modified. Exit status 1 if any mutant survives.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.mutation.mutants import MUTANTS, Mutant

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TESTS = (
    "tests/properties",
    "tests/nn/test_progressive.py",
    "tests/train/test_growth.py",
    "tests/models/test_lapgan.py",
    "tests/report/test_search_figures.py",
    "tests/cli/test_search.py::test_specs_map_the_unit_interval_by_hand",
    "tests/losses",
    "tests/train/test_trainer.py",
    "tests/train/test_engine.py",
    "tests/train/test_precision.py",
    "tests/train/test_distributed.py",
    "tests/train/test_ema.py",
    "tests/metrics/test_functional.py",
    "tests/metrics/test_toy.py",
    "tests/augment",
    "tests/metrics/test_manifold.py",
    "tests/metrics/test_modes.py",
    "tests/data/test_stacked.py",
    "tests/models/test_mlp_init.py",
    "tests/reference",
    "tests/cli/test_objectives.py",
    "tests/cli/test_bench.py::test_the_cells_of_a_measure_are_ranked_by_its_declared_direction",
)


def _copy_repo(destination: Path) -> None:
    for name in ("ganlib", "tests", "pyproject.toml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        else:
            shutil.copy2(source, destination / name)


def _plant(root: Path, mutant: Mutant | None) -> None:
    if mutant is None:
        return
    path = root / mutant.path
    text = path.read_text()
    if text.count(mutant.old) != 1:
        raise SystemExit(f"mutant {mutant.name}: the patched text occurs {text.count(mutant.old)} times in {mutant.path}")
    path.write_text(text.replace(mutant.old, mutant.new))


def run_one(mutant: Mutant | None, tests: tuple[str, ...]) -> tuple[list[str], float]:
    """Run the tests against one mutant (or none); return the failing test ids and seconds."""
    with tempfile.TemporaryDirectory(prefix="ganlib-mutant-") as tmp:
        root = Path(tmp)
        _copy_repo(root)
        _plant(root, mutant)
        env = {**os.environ, "PYTHONPATH": str(root), "CI": "1"}
        shared = REPO.parent / "shared" / "datasets"
        if "GANLIB_DATA" not in env and shared.is_dir():
            env["GANLIB_DATA"] = str(shared)  # the scratch copy has no ../shared beside it
        check = subprocess.run([sys.executable, "-c", "import ganlib; print(ganlib.__file__)"], cwd=root, env=env, capture_output=True, text=True, check=True)
        assert check.stdout.startswith(str(root)), f"imported ganlib from {check.stdout.strip()}, not the scratch copy"
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--tb=no", "-rf", "-p", "no:cacheprovider", *tests],
            cwd=root, env=env, capture_output=True, text=True,
        )
        failed = sorted(set(re.findall(r"^FAILED (\S+)", result.stdout, flags=re.M)))
        if result.returncode not in (0, 1):
            raise SystemExit(f"pytest could not run ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
        return failed, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--tests", nargs="+", default=list(DEFAULT_TESTS), help="test paths to run")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    tests = tuple(args.tests)
    baseline, seconds = run_one(None, tests)
    print(f"baseline (no mutant): {len(baseline)} failing tests in {seconds:.0f} s")
    if baseline:
        print("\n".join(f"  {t}" for t in baseline))
        return 2
    survivors = 0
    for mutant in chosen:
        failed, seconds = run_one(mutant, tests)
        status = f"CAUGHT by {len(failed)} tests" if failed else "SURVIVED"
        survivors += not failed
        print(f"\n{mutant.name}: {mutant.description}\n  {status} ({seconds:.0f} s)")
        print("\n".join(f"    {t}" for t in failed))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
