"""Score a run's kept checkpoints three ways: raw generator, EMA with copied BatchNorm
statistics, EMA with recalibrated statistics (MNIST judge, FID against the test set).

The run must have kept numbered checkpoints (``--keep-checkpoints K`` in the flagship) and an
EMA (``--ema DECAY``). Every generator is scored on the same ``--num`` samples of fixed noise.

    python benchmarks/ema_study.py runs/flagship --num 10000 --out ema-study.json

Writes a JSON table, prints a Markdown one, and draws FID against iterations (``--plot``).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

from ganlib.checkpoint import CHECKPOINT_DIR, load_checkpoint
from ganlib.metrics import MNISTEvaluator
from ganlib.models import get_model
from ganlib.train import EMA, generate_samples


def _generators(state: dict, device: torch.device) -> dict[str, torch.nn.Module]:
    raw = get_model(state["generator_model"], **state["generator_config"]).to(device)
    raw.load_state_dict(state["generator"])
    ema = EMA(raw, decay=0.999)
    ema.load_state_dict(state["ema"])
    copied = ema.module
    recalibrated = EMA(copied, decay=0.999)  # a deep copy of the averaged weights and their copied statistics
    recalibrated.recalibrate(raw.latent_dim, batches=16, batch_size=512)
    return {"raw": raw, "ema (copied BN)": copied, "ema (recalibrated BN)": recalibrated.module}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--digit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    evaluator = MNISTEvaluator(device)
    paths = sorted((args.run / CHECKPOINT_DIR).glob("iter_*.pt"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))
    rows = []
    for path in paths:
        state = load_checkpoint(path, map_location=device)
        noise = torch.randn(args.num, state["generator_config"]["latent_dim"], generator=torch.Generator().manual_seed(2024)).to(device)
        row = {"iteration": state["iteration"]}
        for name, generator in _generators(state, device).items():
            result = evaluator.evaluate(generate_samples(generator, noise), digit=args.digit, kid_subsets=10)
            row[name] = {"fid": result.fid, "inception_score": result.inception_score.mean, "classes_covered": result.classes_covered}
        rows.append(row)
        print(json.dumps(row))
    names = [k for k in rows[0] if k != "iteration"] if rows else []
    print("\n| iteration | " + " | ".join(f"FID {n}" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for row in rows:
        print(f"| {row['iteration']} | " + " | ".join(f"{row[n]['fid']:.3f}" for n in names) + " |")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    if args.plot and rows:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        for name in names:
            ax.plot([r["iteration"] for r in rows], [r[name]["fid"] for r in rows], marker="o", label=name)
        ax.set_xlabel("generator iteration")
        ax.set_ylabel("FID (MNIST judge, test set)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
