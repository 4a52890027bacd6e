"""The modern-GANs comparison on this CPU: each recipe for the same wall time on the 3s at 32x32.

    python benchmarks/modern_cpu.py --data-root ../shared/datasets --out runs/modern

Every cell is one ``python -m ganlib train`` run with ``--threads 1`` and ``--time-budget``
(training time, evaluations included), judged afterwards by the shipped MNIST judge on 10,000
samples (the EMA generator): FID against the test 3s at 32x32 and the share of samples it
calls a 3 with probability above 0.9 (``benchmarks/preset_quality.py``). Cells run one at a
time; a finished cell (``result.json`` in its directory) is not run again, so the script
resumes after an interruption.

Part 1, ``--minutes`` each (30 by default): the DCGAN WGAN-GP ``--preset cpu`` baseline, the
SNGAN ResNet with hinge loss and spectral norm, the R3GAN-style backbone with RpGAN + R1 + R2,
and the best of these (lowest FID) again with DiffAugment. Part 2, ``--small-minutes`` each:
the best recipe on only 500 training 3s, without augmentation, with DiffAugment and with ADA,
scored every ``--small-eval-every`` iterations so that FID and r_t can be followed over time.
Part 3, the same 500 images with the DCGAN and hinge loss, without augmentation and with ADA:
ADA steers p by the sign of the critic's score on reals, which means "real" for hinge but not
for a Wasserstein critic (whose scores drift as a whole and can all be negative).
With ``--seeds 1 2 ...``, the best recipe and its DiffAugment row are trained again with those
seeds (cells ``NAME-seedS``), to see how far one seed's numbers move.
Tables: ``OUT/modern.md`` and ``OUT/modern.json``; curves: ``OUT/small-data.png``.
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
sys.path.insert(0, str(REPO))

from benchmarks.preset_quality import judge  # noqa: E402

COMMON = ["--data", "mnist", "--classes", "3", "--image-size", "32", "--width", "32", "--threads", "1", "--device", "cpu", "--seed", "0"]

MAIN = {
    "dcgan-wgan-gp": ["--objective", "wgan-gp", "--ema", "0.999"],
    "sngan-resnet-hinge": ["--model", "sngan-resnet", "--objective", "hinge", "--ema", "0.999"],
    "r3gan": ["--objective", "r3gan"],
}
"""Part 1's cells: each row's own arguments (the models' width is 32 throughout, for the CPU)."""

AUGMENTATIONS = {"": [], "+diffaugment": ["--augment", "diffaugment"], "+ada": ["--augment", "ada"]}

HINGE = ["--objective", "hinge", "--ema", "0.999"]
"""Part 3's recipe: the DCGAN (spectral norm in the critic) with hinge loss."""


def _command(out: Path, cell: list[str], minutes: float, data_root: str, extra: list[str], iterations: int | None = None, sample_every: int = 500) -> list[str]:
    common = COMMON[: COMMON.index("--seed")] if "--seed" in extra else COMMON  # the cell's own seed replaces seed 0
    budget = ["--iterations", str(iterations)] if iterations else ["--iterations", "1000000", "--time-budget", str(int(minutes * 60))]
    return [
        sys.executable, "-m", "ganlib", "train", *common, "--data-root", data_root, *cell, *extra,
        *budget, "--log-every", "10",
        "--sample-every", str(sample_every), "--checkpoint-every", "500", "--out", str(out),
    ]


def run_cell(
    out: Path, name: str, cell: list[str], minutes: float, data_root: str, extra: list[str] | None = None, iterations: int | None = None,
    sample_every: int = 500, judged: bool = True,
) -> dict[str, object]:
    """Train one cell (or resume it) and judge it; its result is cached in ``result.json``.

    With ``iterations`` the cell trains for that many iterations instead of ``minutes``; with
    ``judged=False`` it is not judged (the result has its iterations and time only).
    """
    run = out / name
    done = run / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    fresh = _command(run, cell, minutes, data_root, extra or [], iterations, sample_every)
    command = fresh
    if (run / "checkpoints" / "latest.pt").exists():  # an interrupted cell continues (the budget counts on)
        command = [*fresh[: fresh.index("--out")], "--resume", str(run)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    print("+", shlex.join(command[1:]), flush=True)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    shown = "python " + shlex.join(fresh[1:]).replace(str(run), f"runs/{out.name}/{name}").replace(data_root, "../shared/datasets")
    if judged:
        result = {"cell": name, "command": shown, **judge(run, 3, 10000, 0.9, 0)}
    else:  # a part of a whole judged elsewhere (a LAPGAN level)
        last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        result = {"cell": name, "command": shown, "run": str(run), "iterations": last["iteration"], "training_seconds": round(last["wall_time"], 1)}
    done.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _series(run: Path, key: str) -> list[tuple[int, float]]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["iteration"], r[key]) for r in rows if key in r]


def plot_small(out: Path, names: list[str]) -> None:
    """FID, r_t and ADA's p over training for the 500-image cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (fid_axis, rt_axis, p_axis) = plt.subplots(1, 3, figsize=(15, 4), constrained_layout=True)
    window = 20
    for name in names:
        run = out / name
        fid_axis.plot(*zip(*_series(run, "score/fid"), strict=True), marker="o", ms=3, label=name)
        iterations, signs = zip(*_series(run, "critic/sign_real"), strict=True)
        smooth = [sum(signs[max(0, i - window + 1) : i + 1]) / len(signs[max(0, i - window + 1) : i + 1]) for i in range(len(signs))]
        rt_axis.plot(iterations, smooth, label=name)
        if name.endswith("+ada"):
            p_axis.plot(*zip(*_series(run, "augment/p"), strict=True), label=name)
    fid_axis.set(xlabel="iteration", ylabel="FID vs test 3s (judge)", title="FID on 500 training images", yscale="log")
    rt_axis.set(xlabel="iteration", ylabel=f"r_t = E[sign D(real)] (mean of {window} logs)", title="the critic's overfitting signal r_t")
    rt_axis.axhline(0.6, color="grey", ls=":", lw=1)
    p_axis.set(xlabel="iteration", ylabel="p", title="ADA's augmentation probability")
    for axis in (fid_axis, rt_axis, p_axis):
        axis.legend(fontsize=8)
        axis.grid(alpha=0.3)
    fig.savefig(out / "small-data.png", dpi=110)


def _small_data(eval_every: int) -> list[str]:
    """The 500-image cells' data and evaluation arguments."""
    return ["--data-arg", "limit=500", "--eval-every", str(eval_every), "--eval-samples", "1000"]


def _catalogue(minutes: float, small_minutes: float, eval_every: int) -> dict[str, tuple[list[str], float, list[str]]]:
    """Every cell this script can train, by name: (recipe arguments, minutes, further arguments).

    Part 2's names exist for each part-1 recipe (the full run trains those of the best one).
    """
    cells: dict[str, tuple[list[str], float, list[str]]] = {}
    for name, cell in MAIN.items():
        cells[name] = (cell, minutes, [])
        cells[f"{name}+diffaugment"] = (cell, minutes, AUGMENTATIONS["+diffaugment"])
        for suffix, extra in AUGMENTATIONS.items():
            cells[f"{name}-500{suffix}"] = (cell, small_minutes, _small_data(eval_every) + extra)
    for suffix in ("", "+ada"):
        cells[f"dcgan-hinge-500{suffix}"] = (HINGE, small_minutes, _small_data(eval_every) + AUGMENTATIONS[suffix])
    return cells


def main() -> None:  # noqa: D103
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=os.environ.get("GANLIB_DATA", str(REPO.parent / "shared" / "datasets")))
    parser.add_argument("--out", type=Path, default=Path("runs/modern"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--small-minutes", type=float, default=20.0)
    parser.add_argument("--small-eval-every", type=int, default=250)
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="further seeds for the best recipe, with and without DiffAugment")
    parser.add_argument("--cells", nargs="+", choices=sorted(_catalogue(30.0, 20.0, 250)), metavar="CELL", help="re-measure only these cells (any part's name, e.g. r3gan or dcgan-hinge-500+ada), and stop (their rows print; the tables are left alone)")
    parser.add_argument("--iterations", type=int, help="with --cells: train each for this many iterations instead of --minutes (a before/after at equal updates)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.cells:
        catalogue = _catalogue(args.minutes, args.small_minutes, args.small_eval_every)
        for name in args.cells:
            cell, minutes, extra = catalogue[name]
            print(json.dumps(run_cell(args.out, name, cell, minutes, args.data_root, extra, iterations=args.iterations), indent=2))
        return
    results = [run_cell(args.out, name, cell, args.minutes, args.data_root) for name, cell in MAIN.items()]
    best = min(results, key=lambda r: float(r["fid"]))["cell"]
    results.append(run_cell(args.out, f"{best}+diffaugment", MAIN[str(best)], args.minutes, args.data_root, AUGMENTATIONS["+diffaugment"]))
    for seed in args.seeds:
        for suffix in ("", "+diffaugment"):
            results.append(run_cell(args.out, f"{best}{suffix}-seed{seed}", MAIN[str(best)], args.minutes, args.data_root, [*AUGMENTATIONS[suffix], "--seed", str(seed)]))
    small = []
    evaluation = _small_data(args.small_eval_every)
    for suffix, extra in AUGMENTATIONS.items():
        small.append(run_cell(args.out, f"{best}-500{suffix}", MAIN[str(best)], args.small_minutes, args.data_root, evaluation + extra))
    for suffix in ("", "+ada"):
        small.append(run_cell(args.out, f"dcgan-hinge-500{suffix}", HINGE, args.small_minutes, args.data_root, evaluation + AUGMENTATIONS[suffix]))
    plot_small(args.out, [str(r["cell"]) for r in small])
    (args.out / "modern.json").write_text(json.dumps(results + small, indent=2) + "\n")
    lines = ["| cell | iterations | training s | FID (3s) | KID | confident 3s | command |", "|---|---|---|---|---|---|---|"]
    for r in results + small:
        lines.append(f"| {r['cell']} | {r['iterations']} | {r['training_seconds']} | {r['fid']} | {r['kid']} | {r['share_confident_3']} | `{r['command']}` |")
    (args.out / "modern.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
