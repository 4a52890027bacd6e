"""Mode coverage and KL to uniform (the VEEGAN/PacGAN Stacked-MNIST protocol)."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from ganlib.metrics import StackedMNISTEvaluator, mode_statistics


def test_every_mode_once_is_uniform():
    s = mode_statistics(torch.arange(1000), 1000)
    assert (s.covered, s.kl, s.num_samples) == (1000, 0.0, 1000)
    assert torch.allclose(s.histogram, torch.full((1000,), 1e-3, dtype=torch.float64))


def test_one_mode_has_kl_log_1000():
    s = mode_statistics(torch.full((26000,), 417), 1000)
    assert s.covered == 1
    assert s.kl == pytest.approx(math.log(1000))  # nats: 6.9078


def test_a_known_skew_gives_the_hand_value():
    # 10 modes; half the samples in mode 0, the other half spread evenly over modes 1-5.
    # p = 1/2 and five times 1/10: KL = 1/2 log(5) + 5 * 1/10 * log(1) = 0.5 * log 5 = 0.8047 nats.
    modes = torch.tensor([0] * 50 + [1, 2, 3, 4, 5] * 10)
    s = mode_statistics(modes, 10)
    assert s.covered == 6
    assert s.kl == pytest.approx(0.5 * math.log(5))
    # and the direction: KL(p || u), not KL(u || p), which would be infinite with empty modes


@given(st.lists(st.integers(0, 19), min_size=1, max_size=200))
def test_laws_for_any_samples(labels):
    s = mode_statistics(torch.tensor(labels), 20)
    assert s.covered == len(set(labels))
    assert 0.0 <= s.kl <= math.log(20) + 1e-9
    assert s.kl >= math.log(20 / s.covered) - 1e-9  # even spread over the covered modes is the best case
    assert s.histogram.sum().item() == pytest.approx(1.0)


def test_bad_labels_are_named():
    with pytest.raises(ValueError, match="no samples"):
        mode_statistics(torch.tensor([], dtype=torch.long), 10)
    with pytest.raises(ValueError, match=r"range over \[0, 10\]; expected \[0, 10\)"):
        mode_statistics(torch.tensor([0, 10]), 10)


def test_stacked_evaluator_reads_each_channel_with_the_judge(mnist_root):
    from ganlib.data import load_mnist

    digits, labels = load_mnist(mnist_root, image_size=28, train=False, return_labels=True)
    # Confident test digits, then stacked: channel c of image i is digit index[i, c].
    index = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8], [2, 1, 0]])
    images = digits[index][:, :, 0]
    evaluator = StackedMNISTEvaluator()
    modes, features = evaluator.classify(images)
    expected = labels[index[:, 0]] * 100 + labels[index[:, 1]] * 10 + labels[index[:, 2]]
    assert modes.tolist() == expected.tolist()
    assert features.shape == (4, 192)
    result = evaluator.evaluate(images)
    assert result.covered == len(set(expected.tolist())) and result.num_modes == 1000


def test_stacked_evaluator_refuses_one_channel():
    with pytest.raises(ValueError, match="expected .N, 3, H, H. stacked digits"):
        StackedMNISTEvaluator().classify(torch.zeros(2, 1, 28, 28))


def test_confident_modes_by_hand_every_channel_must_be_sure():
    from ganlib.metrics import confident_modes

    sure = torch.tensor([0.95] + [0.05 / 9] * 9)
    unsure = torch.full((10,), 0.1)
    channels = [torch.stack([sure, sure, sure]), torch.stack([sure, unsure, sure]), torch.stack([sure, sure, unsure])]
    share, covered = confident_modes(torch.tensor([7, 7, 8]), channels)
    assert (share, covered) == (1 / 3, 1)  # only the first sample is sure on all three channels
    assert confident_modes(torch.tensor([7, 8, 9]), [torch.stack([sure] * 3)] * 3) == (1.0, 3)


def test_stacked_scores_report_the_confident_share_and_its_real_ceiling():
    from ganlib.metrics import score_samples
    from ganlib.metrics.modes import StackedMNISTEvaluator

    torch.manual_seed(0)
    scores = score_samples(torch.rand(40, 3, 32, 32) * 2 - 1, ["modes"])
    assert {"confident_share", "modes_covered_confident", "confident_share_real", "modes_covered_confident_real"} <= set(scores)
    assert scores["modes_covered_confident"] <= scores["modes_covered"]
    share, covered = StackedMNISTEvaluator().real_ceiling(32, 2000)
    assert 0.85 < share < 1.0 and 500 < covered <= 1000  # real test triples: most recognized on all three channels
