"""Train the MNIST judge that ganlib ships, and compute its reference statistics.

    python scripts/train_mnist_classifier.py --data-root ../shared/datasets

Writes ``ganlib/metrics/assets/mnist_classifier.pt`` (the weights) and
``ganlib/metrics/assets/mnist_reference.pt`` (feature means and covariances of the 10,000 test
images, overall and per digit, plus the test features in float16 for KID), then prints the
test accuracy, the FID floor (10,000 training images against the test statistics) and the
FID of uniform noise. Deterministic given ``--seed`` and the thread count (float reductions
depend on it); about 5 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlib.data import load_mnist
from ganlib.metrics import FeatureStatistics, frechet_distance
from ganlib.metrics.mnist import MNISTClassifier, MNISTEvaluator
from ganlib.train import save_checkpoint

ASSETS = Path(__file__).resolve().parents[1] / "ganlib" / "metrics" / "assets"


@torch.no_grad()
def features_and_logits(model: MNISTClassifier, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [model.features_and_logits(chunk) for chunk in images.split(batch)]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ASSETS)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    train_x, train_y = load_mnist(args.data_root, image_size=28, train=True, return_labels=True)
    test_x, test_y = load_mnist(args.data_root, image_size=28, train=False, return_labels=True)
    model = MNISTClassifier()
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

    features, logits = features_and_logits(model, test_x)
    accuracy = (logits.argmax(1) == test_y).float().mean().item()
    means, covs = [], []
    for selection in [test_y == d for d in range(10)] + [torch.ones_like(test_y, dtype=torch.bool)]:
        stats = FeatureStatistics(MNISTClassifier.feature_dim)
        stats.update(features[selection])
        means.append(stats.mean())
        covs.append(stats.covariance())
    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_checkpoint({"state_dict": state, "seed": args.seed, "epochs": args.epochs}, args.out / "mnist_classifier.pt")
    save_checkpoint(
        {
            "mean": torch.stack(means),
            "cov": torch.stack(covs),
            "features": features.half(),
            "labels": test_y.to(torch.uint8),
            "test_accuracy": accuracy,
        },
        args.out / "mnist_reference.pt",
    )
    print(f"test accuracy: {accuracy:.4f}")

    evaluator = MNISTEvaluator()
    floor = evaluator.evaluate(train_x[:10000])
    noise = evaluator.evaluate(torch.rand(10000, 1, 28, 28, generator=rng) * 2 - 1)
    print(f"FID floor (10k train vs test): {floor.fid:.3f}, KID {floor.kid.mean:.5f}, IS {floor.inception_score.mean:.3f}")
    print(f"FID of uniform noise:         {noise.fid:.1f}, KID {noise.kid.mean:.3f}, IS {noise.inception_score.mean:.3f}")
    reference = FeatureStatistics(MNISTClassifier.feature_dim)
    reference.update(features)
    assert frechet_distance(reference.mean(), reference.covariance(), means[10], covs[10]) < 1e-6


if __name__ == "__main__":
    main()
