"""The Inception Score's arithmetic equals the improved-GAN reference code.

Reference: openai/improved-gan at commit 4f5d1ec5c16a7eceb206f42bfc652693601e1d5c,
``inception_score/model.py`` (``get_inception_score``, ``splits=10``). From the softmax
predictions of all images, in order, it cuts ``splits`` consecutive parts, part ``i`` holding
rows ``i * N // splits`` up to ``(i + 1) * N // splits``; on each part it takes each row's KL
divergence from the part's mean prediction, ``sum p (log p - log mean)``, averages it over the
rows and exponentiates; it returns the mean and the (population, ``np.std``) standard deviation
of the parts' scores.

The reference arithmetic is rebuilt below in NumPy (float64) and compared with
``ganlib.metrics.inception_score`` on given class probabilities, including sizes that ``splits``
does not divide and probabilities whose distribution changes along the sample order (so that
parts cut otherwise, or shuffled, would score differently). One deliberate difference: where a
probability is exactly 0 the reference's ``0 * log 0`` is NaN; ganlib takes the limit, 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlib.metrics import inception_score


def _reference(preds: np.ndarray, splits: int = 10) -> tuple[float, float]:
    scores = []
    n = preds.shape[0]
    for i in range(splits):
        part = preds[i * n // splits : (i + 1) * n // splits, :]
        marginal = np.expand_dims(np.mean(part, 0), 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = part * (np.log(part) - np.log(marginal))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return float(np.mean(scores)), float(np.std(scores))


def _probabilities(n: int, classes: int, seed: int, drift: bool = True) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, classes, generator=gen, dtype=torch.float64) * 3.0
    if drift:  # the early samples favour the first classes, the late ones the last
        position = torch.linspace(0, 1, n, dtype=torch.float64).view(-1, 1)
        logits = logits + 4.0 * (position - torch.linspace(0, 1, classes, dtype=torch.float64).view(1, -1)).abs().neg()
    return logits.softmax(1)


@pytest.mark.parametrize("n,classes,splits", [(5000, 10, 10), (1003, 10, 10), (997, 1000, 10), (250, 7, 3), (64, 10, 1), (10, 4, 10)])
def test_inception_score_equals_the_reference(n, classes, splits):
    p = _probabilities(n, classes, seed=n + classes)
    ours = inception_score(p, splits=splits)
    mean, std = _reference(p.numpy(), splits)
    assert ours.mean == pytest.approx(mean, rel=1e-12)
    assert ours.std == pytest.approx(std, rel=1e-9, abs=1e-12)


def test_default_splits_and_std_are_the_references():
    p = _probabilities(2003, 10, seed=1)
    ours = inception_score(p)
    mean, std = _reference(p.numpy())  # splits=10, np.std (ddof 0)
    assert ours.mean == pytest.approx(mean, rel=1e-12) and ours.std == pytest.approx(std, rel=1e-9)
    assert ours.std > 0.01 * ours.mean  # the splits differ: the test is not at a trivial point


def test_the_order_of_the_samples_defines_the_splits():
    p = _probabilities(1000, 10, seed=2)
    shuffled = p[torch.randperm(1000, generator=torch.Generator().manual_seed(0))]
    assert inception_score(p).mean != pytest.approx(inception_score(shuffled).mean, rel=1e-3)
    assert inception_score(shuffled).mean == pytest.approx(_reference(shuffled.numpy())[0], rel=1e-12)


def test_zero_probabilities_take_the_limit_where_the_reference_gives_nan():
    p = torch.eye(5, dtype=torch.float64).repeat(20, 1)  # confident and evenly spread: IS = 5
    assert np.isnan(_reference(p.numpy(), 10)[0])
    ours = inception_score(p, splits=10)
    assert ours.mean == pytest.approx(5.0, rel=1e-12) and ours.std == pytest.approx(0.0, abs=1e-12)
    tiny = (p + 1e-300) / (1 + 5e-300)  # the reference's value as the zeros tend to 0
    assert ours.mean == pytest.approx(_reference(tiny.numpy(), 10)[0], rel=1e-12)
