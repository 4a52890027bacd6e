"""Train the MNIST judge that ganlib ships, and compute its reference statistics.

    python scripts/train_mnist_classifier.py --data-root DIR --out runs/mnist-judge

Writes ``mnist_classifier.pt`` (the weights) and ``mnist_reference.pt`` (feature means and
covariances of the 10,000 test images, overall and per digit, plus the test features in
float16 for KID) into ``--out`` (``runs/mnist-judge`` by default), then prints the test
accuracy, the FID floor (10,000 training images against the test statistics) and the FID of
uniform noise. Deterministic given ``--seed`` and the thread count (float reductions depend on
it); about 6 minutes on a 2-core CPU. ``--reference-only`` loads the shipped weights and
recomputes only the reference statistics (seconds).

The files ganlib ships (``ganlib/metrics/assets``) are replaced only with
``--replace-shipped``; ``--out`` never points there otherwise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlib.data import load_mnist
from ganlib.metrics import FeatureStatistics
from ganlib.metrics.mnist import MNISTClassifier, MNISTEvaluator
from ganlib.train import load_checkpoint, save_checkpoint

ASSETS = Path(__file__).resolve().parents[1] / "ganlib" / "metrics" / "assets"


@torch.no_grad()
def features_and_logits(model: MNISTClassifier, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [model.features_and_logits(chunk) for chunk in images.split(batch)]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs") / "mnist-judge", help="where to write (default runs/mnist-judge)")
    parser.add_argument("--reference-only", action="store_true", help="load the shipped weights, recompute only the statistics")
    parser.add_argument("--replace-shipped", action="store_true", help=f"write into {ASSETS} instead of --out, replacing the shipped judge")
    args = parser.parse_args(argv)
    if args.replace_shipped:
        args.out = ASSETS
    elif args.out.resolve() == ASSETS.resolve():
        parser.error(f"--out {args.out} is where ganlib's shipped judge lives; pass --replace-shipped to replace it")

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    train_x, train_y = load_mnist(args.data_root, image_size=28, train=True, return_labels=True)
    test_x, test_y = load_mnist(args.data_root, image_size=28, train=False, return_labels=True)
    model = MNISTClassifier()
    if args.reference_only:
        model.load_state_dict(load_checkpoint(ASSETS / "mnist_classifier.pt")["state_dict"])
    else:
        train(model, train_x, train_y, test_x, test_y, args)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_checkpoint({"state_dict": state, "seed": args.seed, "epochs": args.epochs}, args.out / "mnist_classifier.pt")
    model.eval()
    write_reference(model, args.data_root, test_y, args.seed, args.out)
    print(f"wrote {args.out}")
    if args.out.resolve() == ASSETS.resolve():
        report(args.data_root, args.seed)  # the evaluator reads the shipped files


def train(model: MNISTClassifier, train_x, train_y, test_x, test_y, args: argparse.Namespace) -> None:
    """Adam with a one-cycle schedule and random 2-pixel shifts; prints the test accuracy per epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * (len(train_x) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    rng = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=rng)
        for k in range(len(train_x) // args.batch_size):
            index = order[k * args.batch_size : (k + 1) * args.batch_size]
            # A random shift of up to 2 pixels per batch, for robustness to off-centre digits.
            x = train_x[index]
            dx, dy = torch.randint(-2, 3, (2,), generator=rng).tolist()
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(x), train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        model.eval()
        accuracy = (features_and_logits(model, test_x)[1].argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}, test accuracy {accuracy:.4f}, {time.perf_counter() - start:.0f} s")


REFERENCE_SIZES = (28, 16, 32, 64, 128, 256)  # native first, then every DCGAN size
KID_SAMPLES = 2000  # test images whose features ship for KID, the same ones at every size


def write_reference(model: MNISTClassifier, data_root: str | None, test_y: torch.Tensor, seed: int, out: Path) -> None:
    """Reference statistics of the test set, at every size a GAN may be trained at.

    A generator trained on MNIST resized to S x S is compared with the test images put through
    the same path: resized to S x S as ``load_mnist`` does, then back to 28 x 28 as the
    evaluator does. Comparing it with native 28 x 28 digits instead would charge it for the
    blur of the two resizes.
    """
    evaluator = MNISTEvaluator(classifier=model, batch_size=1000)
    kid_index = torch.randperm(len(test_y), generator=torch.Generator().manual_seed(seed))[:KID_SAMPLES].sort().values
    means, covs, kid_features, scale, accuracy = [], [], [], None, None
    for size in REFERENCE_SIZES:
        images = load_mnist(data_root, image_size=size, train=False)
        raw, probabilities, _ = evaluator.embed(images, scale=1.0)
        if scale is None:  # native size: fix the scale and report the accuracy
            scale = float(raw.double().square().mean().rsqrt())  # unit mean square
            accuracy = (probabilities.argmax(1) == test_y).float().mean().item()
        features = raw * scale
        size_means, size_covs = [], []
        for selection in [test_y == d for d in range(10)] + [torch.ones_like(test_y, dtype=torch.bool)]:
            stats = FeatureStatistics(MNISTClassifier.feature_dim)
            stats.update(features[selection])
            size_means.append(stats.mean())
            size_covs.append(stats.covariance())
        means.append(torch.stack(size_means))
        covs.append(torch.stack(size_covs))
        kid_features.append(features[kid_index].half())
        print(f"reference at {size}x{size}: done")
    out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        {
            "sizes": list(REFERENCE_SIZES),
            "mean": torch.stack(means).float(),
            "cov": torch.stack(covs).float(),
            "features": torch.stack(kid_features),
            "labels": test_y[kid_index].to(torch.uint8),
            "feature_scale": scale,
            "test_accuracy": accuracy,
        },
        out / "mnist_reference.pt",
    )
    print(f"test accuracy: {accuracy:.4f}, feature scale {scale:.4f}")


def report(data_root: str | None, seed: int) -> None:
    """Print the FID floor (10k training images vs the test statistics) and the noise ceiling."""
    rng = torch.Generator().manual_seed(seed)
    evaluator = MNISTEvaluator()
    for size in (28, 64):
        floor = evaluator.evaluate(load_mnist(data_root, image_size=size, train=True)[:10000])
        noise = evaluator.evaluate(torch.rand(10000, 1, size, size, generator=rng) * 2 - 1)
        print(f"{size}x{size}: FID floor (10k train vs test) {floor.fid:.3f}, KID {floor.kid.mean:.5f}, IS {floor.inception_score.mean:.3f}")
        print(f"{size}x{size}: uniform noise: FID {noise.fid:.1f}, KID {noise.kid.mean:.3f}, IS {noise.inception_score.mean:.3f}")


if __name__ == "__main__":
    main()
