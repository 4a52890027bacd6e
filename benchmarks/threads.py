"""How many CPU threads? A ganlib run timed with 1 and 2 threads, alone and beside a second run.

Each configuration runs the measured command with ``--threads T`` while ``company`` other
copies of it (same thread count) train beside it, and reports the measured run's seconds per
iteration over its iterations after the first five (from its ``metrics.jsonl``). Run it on an
otherwise idle machine::

    python benchmarks/threads.py --data-root ../shared/datasets --out runs/threads

The workload is the flagship at ``--preset cpu`` on the 3s (32x32, width 32, WGAN-GP), and the
default 2-D run (``python -m ganlib train``, 5000 iterations) alone. The table goes to
``OUT/threads.md`` and ``OUT/threads.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _flagship(out: Path, threads: int, iterations: int, data_root: str) -> list[str]:
    return [
        sys.executable, "-m", "ganlib", "train", "--data", "mnist", "--data-root", data_root, "--classes", "3", "--image-size", "32",
        "--width", "32", "--objective", "wgan-gp", "--ema", "0.999", "--iterations", str(iterations), "--threads", str(threads),
        "--log-every", "5", "--sample-every", "1000", "--checkpoint-every", "1000", "--device", "cpu", "--out", str(out),
    ]


def _seconds_per_iteration(run: Path, skip: int = 5) -> float:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    first = next(r for r in records if r["iteration"] >= skip)
    last = records[-1]
    return (last["wall_time"] - first["wall_time"]) / (last["iteration"] - first["iteration"])


def _env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(REPO)}


def measure(out: Path, threads: int, company: int, iterations: int, data_root: str) -> float:
    """Seconds per iteration of one flagship run beside ``company`` others."""
    others = [
        subprocess.Popen(_flagship(out / f"company-{threads}-{company}-{k}", threads, 100000, data_root), env=_env(threads), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for k in range(company)
    ]
    try:
        if others:
            time.sleep(20)  # let the company load its data and start training
        run = out / f"measured-{threads}-{company}"
        subprocess.run(_flagship(run, threads, iterations, data_root), env=_env(threads), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return _seconds_per_iteration(run)
    finally:
        for process in others:
            process.terminate()
            process.wait()


def harmonic(out: Path, threads: int) -> float:
    """Wall seconds of the default 2-D run (``python -m ganlib train``), alone."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "ganlib", "train", "--threads", str(threads), "--out", str(out / f"harmonic-{threads}")]
    subprocess.run(command, env=_env(threads), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=os.environ.get("GANLIB_DATA", str(REPO.parent / "shared" / "datasets")))
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("runs/threads"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for threads in (1, 2):
        for company in (0, 1):
            seconds = measure(args.out, threads, company, args.iterations, args.data_root)
            rows.append({"workload": "flagship --preset cpu, digit 3", "threads": threads, "beside": f"{company} other run{'s' if company != 1 else ''} ({threads} thread{'s' if threads > 1 else ''})" if company else "alone", "seconds_per_iteration": round(seconds, 3)})
            print(rows[-1], flush=True)
    for threads in (1, 2):
        seconds = harmonic(args.out, threads)
        rows.append({"workload": "python -m ganlib train (harmonic, 5000 iterations)", "threads": threads, "beside": "alone", "seconds": round(seconds, 1)})
        print(rows[-1], flush=True)
    (args.out / "threads.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| workload | threads | beside | time |", "|---|---|---|---|"]
    for row in rows:
        value = f"{row['seconds_per_iteration']:.3f} s / iteration" if "seconds_per_iteration" in row else f"{row['seconds']:.0f} s in all"
        lines.append(f"| {row['workload']} | {row['threads']} | {row['beside']} | {value} |")
    (args.out / "threads.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
