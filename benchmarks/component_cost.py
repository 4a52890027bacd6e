"""What each component costs per iteration on this CPU: the flagship at ``--preset cpu`` sizes
(3s at 32x32, width 32, batch 64, one thread), with one component changed at a time.

    python benchmarks/component_cost.py --data-root ../shared/datasets --out runs/cost

Each row is a ``python -m ganlib train`` run of ``--iterations`` iterations; its seconds per
iteration are taken from ``metrics.jsonl`` after the first five iterations, and its ratio is
against the baseline row measured in the same sitting. The rows run one at a time with
``--threads 1`` (the setting of the 30-minute comparison), so run nothing else alongside.
Table: ``OUT/cost.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMON = ["--data", "mnist", "--classes", "3", "--image-size", "32", "--width", "32", "--threads", "1", "--device", "cpu", "--log-every", "1", "--sample-every", "100000", "--checkpoint-every", "100000"]

ROWS = {
    "baseline: dcgan + wgan-gp (n_critic 5)": ["--objective", "wgan-gp"],
    "+ EMA 0.999": ["--objective", "wgan-gp", "--ema", "0.999"],
    "+ DiffAugment (color, translation, cutout)": ["--objective", "wgan-gp", "--augment", "diffaugment"],
    "+ ADA (p adapting from 0)": ["--objective", "wgan-gp", "--augment", "ada"],
    "+ LeCam": ["--objective", "wgan-gp", "--penalty", "gp", "--penalty", "lecam"],
    "+ replay buffer (half of each fake batch)": ["--objective", "wgan-gp", "--callback", "replay-buffer"],
    "hinge + spectral norm (dcgan, n_critic 5)": ["--objective", "hinge"],
    "sngan-resnet + hinge + SN": ["--model", "sngan-resnet", "--objective", "hinge"],
    "r3gan backbone + RpGAN + R1 + R2 (n_critic 1)": ["--objective", "r3gan"],
}


def seconds_per_iteration(run: Path, skip: int = 5) -> float:
    """Mean seconds per iteration after the first ``skip`` (from the run's ``metrics.jsonl``)."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    first = next(r for r in records if r["iteration"] >= skip)
    return (records[-1]["wall_time"] - first["wall_time"]) / (records[-1]["iteration"] - first["iteration"])


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=os.environ.get("GANLIB_DATA", str(REPO.parent / "shared" / "datasets")))
    parser.add_argument("--out", type=Path, default=Path("runs/cost"))
    parser.add_argument("--iterations", type=int, default=25)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    rows = []
    for k, (name, extra) in enumerate(ROWS.items()):
        run = args.out / f"row{k}"
        command = [sys.executable, "-m", "ganlib", "train", *COMMON, "--data-root", args.data_root, *extra, "--iterations", str(args.iterations), "--out", str(run)]
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows.append({"row": name, "arguments": shlex.join(extra), "seconds_per_iteration": round(seconds_per_iteration(run), 4)})
        print(rows[-1], flush=True)
    base = rows[0]["seconds_per_iteration"]
    lines = ["| configuration | arguments | s / iteration | ratio to baseline |", "|---|---|---|---|"]
    lines += [f"| {r['row']} | `{r['arguments']}` | {r['seconds_per_iteration']:.3f} | {r['seconds_per_iteration'] / base:.2f} |" for r in rows]
    (args.out / "cost.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.out / "cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
