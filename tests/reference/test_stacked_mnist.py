"""Stacked MNIST's construction, its mode labels, and the mode count and KL equal PacGAN's code.

Reference: fjxmlzn/PacGAN at commit 190853e56d6e7843c0d991dc64658cfb3311135e,
``stacked_MNIST_experiments/VEEGAN_experiment/``: ``model.py`` (``DCGAN.load_mnist``,
``DCGAN.log_metrics``, ``JSD.KLD``), ``config.py`` (``num_training_sample`` 128,000,
``num_test_sample`` 26,000) and ``evaluate.py`` (the classifier's ``argmax`` per image).

* Construction: the 60,000 training and 10,000 test images are concatenated (training first);
  one draw of integer indices of shape ``(num_training_sample, 3)``, uniform over all 70,000
  and with replacement, picks the digits; channel ``j`` of stacked image ``i`` is digit
  ``ids[i, j]``.
* Evaluation: each channel of each generated image is classified on its own (``argmax`` of the
  classifier's output), the image's mode is the triple ``(d0, d1, d2)`` in channel order, the
  modes covered are the distinct triples, and KL is ``sum p log(p / q)`` over the modes with
  ``p > 0``, from the generated mode distribution ``p`` to the uniform ``q = 1/1000`` (natural log):
  KL(p || uniform). The reference keys modes by the triple; ganlib numbers it ``100 d0 + 10 d1 + d2``
  (a one-to-one map), which also labels the training data, so a judge that reads each channel's
  true digit gives every stacked image its data label.

The tests replace ganlib's MNIST loader with small synthetic splits whose images identify
themselves, record ganlib's one draw of indices, rebuild the reference's data set from that
draw, and compare images and labels exactly; and they give the evaluator a stand-in judge with
known per-channel probabilities and compare its modes covered and KL with the reference's count.

The reference then makes a second draw, ``randint(0, 128000, (128000, packing_num))``, to build
the packed real samples PacGAN's discriminator sees (for ``packing_num = 1`` a resample with
replacement of the stacked set). ganlib has no packing; its data set is the stacked set of the
first draw (``test_no_second_resampling_draw``).
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch
from torch import Tensor

import ganlib.data.stacked as stacked
from ganlib.data.stacked import STACKED_MODES, load_stacked_mnist
from ganlib.metrics import StackedMNISTEvaluator, mode_statistics

_TRAIN, _TEST, _SIDE = 60, 12, 8


def _splits() -> dict[bool, tuple[Tensor, Tensor]]:
    """Synthetic training and test splits; image ``i`` of the concatenation is filled with value ``_value(i)``."""
    gen = torch.Generator().manual_seed(11)
    out = {}
    for train, offset, n in ((True, 0, _TRAIN), (False, _TRAIN, _TEST)):
        values = torch.tensor([_value(offset + i) for i in range(n)])
        images = values.view(n, 1, 1, 1).expand(n, 1, _SIDE, _SIDE).clone()
        out[train] = images, torch.randint(0, 10, (n,), generator=gen)
    return out


def _value(i: int) -> float:
    return -1.0 + 2.0 * (i + 1) / (_TRAIN + _TEST + 1)


def _index_of(images: Tensor) -> Tensor:
    return ((images.flatten(1)[:, 0] + 1.0) / 2.0 * (_TRAIN + _TEST + 1) - 1).round().long()


@pytest.fixture
def synthetic(monkeypatch):
    splits, loads, draws = _splits(), [], []

    def load_mnist(root=None, *, image_size=64, train=True, download=False, return_labels=False, **kwargs):
        loads.append(train)
        assert image_size == _SIDE and return_labels and not kwargs.get("digits")
        return splits[train]

    original = torch.randint

    def randint(*args, **kwargs):
        out = original(*args, **kwargs)
        draws.append((args, out))
        return out

    monkeypatch.setattr(stacked, "load_mnist", load_mnist)
    monkeypatch.setattr(torch, "randint", randint)
    return splits, loads, draws


def _reference_stacked(x: Tensor, ids: Tensor) -> Tensor:
    """``X_training[i, :, :, j] = X[ids[i, j], :, :, 0]``, written channels-first."""
    out = torch.zeros(ids.shape[0], ids.shape[1], x.shape[-2], x.shape[-1])
    for i in range(ids.shape[0]):
        for j in range(ids.shape[1]):
            out[i, j] = x[ids[i, j], 0]
    return out


@pytest.mark.parametrize("seed", [0, 3])
def test_construction_equals_the_reference(synthetic, seed):
    splits, loads, draws = synthetic
    images, modes = load_stacked_mnist(image_size=_SIDE, size=500, seed=seed)
    assert sorted(loads) == [False, True]  # both splits
    ((args, ids),) = draws  # one draw: (low, high, shape), uniform with replacement over all 72
    assert args[:3] == (0, _TRAIN + _TEST, (500, 3))
    x = torch.cat([splits[True][0], splits[False][0]])  # training split first
    labels = torch.cat([splits[True][1], splits[False][1]])
    assert torch.equal(images, _reference_stacked(x, ids))
    assert torch.equal(_index_of(images.flatten(0, 1)).view(500, 3), ids)  # channel j is digit ids[:, j]
    assert torch.equal(modes, labels[ids[:, 0]] * 100 + labels[ids[:, 1]] * 10 + labels[ids[:, 2]])
    assert (ids >= _TRAIN).any()  # test digits are drawn too


def test_defaults_are_the_references(synthetic):
    import inspect

    assert inspect.signature(load_stacked_mnist).parameters["size"].default == 128_000  # num_training_sample
    assert STACKED_MODES == 1000


def test_no_second_resampling_draw(synthetic):
    _, _, draws = synthetic
    images, _ = load_stacked_mnist(image_size=_SIDE, size=300, seed=1)
    assert len(draws) == 1  # the reference's packing draw is not made: the data set is the stacked set
    ((_, ids),) = draws
    assert torch.equal(_index_of(images.flatten(0, 1)).view(300, 3), ids)


class _Judge:
    """Stands in for the MNIST judge: the class probabilities of each synthetic digit are given."""

    def __init__(self, probabilities: Tensor) -> None:
        self.probabilities = probabilities

    def embed(self, images: Tensor):
        assert images.ndim == 4 and images.shape[1] == 1  # one channel at a time
        p = self.probabilities[_index_of(images)]
        return torch.zeros(len(images), 64), p, images.shape[-1]


def _reference_mode_count(per_channel: list[Tensor], num_modes: int = 1000) -> tuple[int, float, Counter]:
    """``log_metrics``: argmax per channel, count the triples, KL of the counts to the uniform."""
    digits = [p.argmax(1).tolist() for p in per_channel]
    results = list(zip(*digits, strict=True))
    counts = Counter(results)
    num_mode = len(counts)
    p = [0.0] * num_modes
    p[:num_mode] = [c / len(results) for c in counts.values()]
    q = [1.0 / num_modes] * num_modes
    kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi != 0)
    return num_mode, kl, counts


def _probabilities(seed: int, peaked: float) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(_TRAIN + _TEST, 10, generator=gen, dtype=torch.float64) * peaked
    return logits.softmax(1)


@pytest.mark.parametrize("size,seed", [(40, 0), (2600, 1)])
def test_mode_count_and_kl_equal_the_reference(synthetic, size, seed):
    images, _ = load_stacked_mnist(image_size=_SIDE, size=size, seed=seed)
    probabilities = _probabilities(seed, 3.0)
    evaluator = StackedMNISTEvaluator()
    evaluator.judge = _Judge(probabilities)
    result = evaluator.evaluate(images)
    index = _index_of(images.flatten(0, 1)).view(size, 3)
    num_mode, kl, counts = _reference_mode_count([probabilities[index[:, j]] for j in range(3)])
    assert (result.num_samples, result.num_modes, result.covered) == (size, 1000, num_mode)
    assert result.kl == pytest.approx(kl, rel=1e-12, abs=1e-12)
    for (d0, d1, d2), count in counts.items():
        assert float(result.histogram[100 * d0 + 10 * d1 + d2]) == pytest.approx(count / size, rel=1e-15)
    assert float(result.histogram.sum()) == pytest.approx(1.0)


def test_a_judge_that_reads_the_true_digits_gives_the_data_labels(synthetic):
    splits, _, _ = synthetic
    images, modes = load_stacked_mnist(image_size=_SIDE, size=800, seed=2)
    labels = torch.cat([splits[True][1], splits[False][1]])
    evaluator = StackedMNISTEvaluator()
    evaluator.judge = _Judge(torch.nn.functional.one_hot(labels, 10).double())
    read, _ = evaluator.classify(images)
    assert torch.equal(read, modes)


@pytest.mark.parametrize("num_modes", [10, 1000])
def test_mode_statistics_equal_the_reference_on_labels(num_modes):
    gen = torch.Generator().manual_seed(num_modes)
    skewed = torch.multinomial(torch.rand(num_modes, generator=gen) ** 4, 5000, replacement=True, generator=gen)
    stats = mode_statistics(skewed, num_modes)
    counts = Counter(skewed.tolist())
    p = [c / len(skewed) for c in counts.values()]
    assert stats.covered == len(counts)
    assert stats.kl == pytest.approx(sum(pi * math.log(pi * num_modes) for pi in p), rel=1e-12)
    assert stats.kl > 0.05  # a skewed draw: the test is not at the trivial 0
