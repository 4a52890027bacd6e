"""Studies on Ray Tune, measured on this machine: the wall time of one 8-cell study run one
cell at a time against two at once, what Ray costs to start, and a 16-trial search whose
``budget.png`` and ``distribution.png`` the docs show.

    python benchmarks/studies_cpu.py --out runs/studies

Each row is one ``python -m ganlib study`` in its own process, run one after another (never
two measurements at once). The 8 cells: the 2-D ring, WGAN-GP and hinge x 4 seeds, width 32,
batch 64, ``--iterations`` each (default 300), evaluated every 50 iterations. Rows:

* ``--workers 1 --threads-per-cell 1``: the one-process loop, one core idle;
* ``--workers 1 --threads-per-cell 2``: the one-process loop, both cores for each cell;
* ``--workers 2 --threads-per-cell 1``: two cells at once on Ray Tune (its start-up included).

Identical tables are checked (same seeds: the same numbers whichever way). The search: WGAN-GP
on the ring, ``lr`` log-uniform in [1e-5, 1e-2] and ``n-critic`` in 1..5, 16 trials, one seed,
two at a time. Writes ``OUT/studies.json`` and ``OUT/studies.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path


def _site_size(*packages: str) -> dict[str, float]:
    import importlib.util

    sizes = {}
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        root = Path(spec.origin).parent
        sizes[name] = round(sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20, 1)
    return sizes


def _ray_start() -> float:
    code = "import time; t = time.perf_counter(); import ray; ray.init(num_cpus=2, include_dashboard=False); print(time.perf_counter() - t); ray.shutdown()"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])


def _study(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganlib", "study", *argv], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/studies"))
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    grid = ["--data", "ring", "--objectives", "wgan-gp", "hinge", "--critic-norms", "none", "--seeds", "4", "--width", "32", "--batch-size", "64",
            "--iterations", str(args.iterations), "--eval-every", "50", "--device", "cpu"]
    rows = {}
    for name, extra in (("one at a time, 1 thread", ["--workers", "1", "--threads-per-cell", "1"]),
                        ("one at a time, 2 threads", ["--workers", "1", "--threads-per-cell", "2"]),
                        ("two at once on Ray, 1 thread each", ["--workers", "2", "--threads-per-cell", "1"])):
        out = args.out / name.replace(" ", "-").replace(",", "")
        rows[name] = {"command": "python -m ganlib study " + " ".join([*grid, *extra, "--out", str(out)]), "seconds": round(_study([*grid, *extra, "--out", str(out)]), 1)}
        rows[name]["table"] = json.loads((out / "table.json").read_text())
        print(name, rows[name]["seconds"], "s", flush=True)
    key = [[(r["config"], r["final"], r["best"], r["iterations"]) for r in row["table"]] for row in rows.values()]
    same = key[0] == key[2]  # one thread each, one process or Ray: the same numbers (two threads sum in another order)
    search_out = args.out / "search"
    search = ["--data", "ring", "--objectives", "wgan-gp", "--critic-norms", "none", "--seeds", "1", "--width", "32", "--batch-size", "64",
              "--iterations", str(args.iterations), "--eval-every", "50", "--device", "cpu", "--workers", "2",
              "--search", "lr=loguniform:1e-5:1e-2", "--search", "n-critic=int:1:5", "--trials", "16", "--out", str(search_out)]
    search_seconds = round(_study(search), 1)
    result = {
        "rows": {k: {"command": v["command"], "seconds": v["seconds"]} for k, v in rows.items()}, "tables_identical_one_thread_each": same,
        "speed_up_two_at_once": round(rows["one at a time, 1 thread"]["seconds"] / rows["two at once on Ray, 1 thread each"]["seconds"], 2),
        "speed_up_against_two_threads": round(rows["one at a time, 2 threads"]["seconds"] / rows["two at once on Ray, 1 thread each"]["seconds"], 2),
        "ray_start_seconds": round(_ray_start(), 1), "installed_mib": _site_size("ray", "pyarrow", "pandas"),
        "search": {"command": "python -m ganlib study " + " ".join(search), "seconds": search_seconds},
    }
    (args.out / "studies.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| how | wall time (s) |", "|---|---|", *[f"| {k} | {v['seconds']} |" for k, v in rows.items()], "",
             f"tables identical: {same}; speed-up of two at once: {result['speed_up_two_at_once']}x (against one thread), "
             f"{result['speed_up_against_two_threads']}x (against two threads); Ray start-up {result['ray_start_seconds']} s; installed {result['installed_mib']} MiB; "
             f"16-trial search {search_seconds} s"]
    (args.out / "studies.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
