"""The metric selection behind ``evaluate --metrics``: MNIST and Stacked MNIST in the judge's features."""

import math

import pytest
import torch

from ganlib.metrics import SAMPLE_METRICS, StackedMNISTEvaluator, parse_metrics, score_samples, stacked_reference


def test_parse_metrics_orders_dedupes_and_names_the_unknown():
    assert parse_metrics("modes,fid,fid") == ("fid", "modes")
    assert parse_metrics("ALL") == SAMPLE_METRICS
    with pytest.raises(ValueError, match=r"metrics 'fid,prc' are invalid \(prc\); expected .*pr, dc, modes"):
        parse_metrics("fid,prc")
    with pytest.raises(ValueError, match="none given"):
        parse_metrics(",")


@pytest.fixture(scope="module")
def test_digits(mnist_root):
    from ganlib.data import load_mnist

    return load_mnist(mnist_root, image_size=32, train=False, return_labels=True)


def test_real_digits_score_as_data_and_noise_does_not(test_digits):
    images, labels = test_digits
    threes = images[labels == 3][:600]
    real = score_samples(threes, ["pr", "dc", "modes"], digit=3)
    noise = score_samples(torch.rand(600, 1, 32, 32) * 2 - 1, ["pr", "dc", "modes"], digit=3)
    assert real["manifold_samples"] > 100  # the reference holds about 200 test 3s of its 2,000 digits
    assert real["precision"] > 0.6 and real["recall"] > 0.6 and real["coverage"] > 0.6
    assert noise["precision"] < 0.05 and noise["coverage"] < 0.05
    assert real["modes_covered"] <= 3 and real["num_modes"] == 10  # nearly all called 3


def test_one_digit_over_and_over_is_collapsed_precise_not_recalled(test_digits):
    # The lecture's picture (c): samples all on the data, but one point of it: high precision, low recall.
    from ganlib.metrics import MNISTEvaluator

    images, labels = test_digits
    threes = images[labels == 3]
    features, _, _ = MNISTEvaluator().embed(threes)
    typical = threes[(features - features.mean(0)).norm(dim=1).argmin()]  # the 3 nearest the 3s' mean feature
    collapsed = typical.expand(500, 1, 32, 32) + 0.01 * torch.randn(500, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    scores = score_samples(collapsed.clamp(-1, 1), ["pr"], digit=3)
    assert scores["precision"] > 0.9 and scores["recall"] < 0.05


def test_stacked_reference_is_three_independent_digits():
    evaluator = StackedMNISTEvaluator()
    mean, cov, points = stacked_reference(evaluator, 32, num=100, seed=1)
    ref = evaluator.judge.reference
    at = list(ref["sizes"]).index(32)
    assert torch.allclose(mean, ref["mean"][at, 10].double().repeat(3))
    assert torch.equal(cov[:64, 64:], torch.zeros(64, 128, dtype=cov.dtype))  # blocks independent
    assert torch.allclose(cov[64:128, 64:128], ref["cov"][at, 10].double())
    assert points.shape == (100, 192)
    assert torch.equal(points, stacked_reference(evaluator, 32, num=100, seed=1)[2])


def test_stacked_real_digits_cover_their_modes_and_are_close_to_the_reference(test_digits):
    images, labels = test_digits
    generator = torch.Generator().manual_seed(0)
    index = torch.randint(0, len(images), (1500, 3), generator=generator)
    stacked = images[index][:, :, 0]
    real = score_samples(stacked, SAMPLE_METRICS)
    noise = score_samples(torch.rand(300, 3, 32, 32) * 2 - 1, ["fid", "modes"])
    expected_modes = len(set((labels[index[:, 0]] * 100 + labels[index[:, 1]] * 10 + labels[index[:, 2]]).tolist()))
    assert real["data"] == "stacked-mnist" and real["num_modes"] == 1000
    assert abs(real["modes_covered"] - expected_modes) <= 60  # the judge errs on about 1% of digits per channel
    assert real["fid"] < noise["fid"] / 20
    assert real["precision"] > 0.6 and real["recall"] > 0.6
    assert 1 < real["is_mean"] <= 1000 and real["modes_kl"] < math.log(1000)


def test_digit_is_refused_for_stacked_samples():
    with pytest.raises(ValueError, match="digit applies to one-channel"):
        score_samples(torch.zeros(4, 3, 28, 28), ["modes"], digit=3)


def test_evaluate_reads_stacked_samples_and_prints_a_table(test_digits, tmp_path, capsys):
    import json

    from ganlib.cli import main

    images, _ = test_digits
    index = torch.randint(0, len(images), (300, 3), generator=torch.Generator().manual_seed(2))
    path = tmp_path / "stacked.pt"
    torch.save(images[index][:, :, 0], path)
    assert main(["evaluate", "--samples", str(path), "--metrics", "modes,pr", "--json", "--threads", "1"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["data"] == "stacked-mnist" and scores["num_modes"] == 1000 and 200 < scores["modes_covered"] <= 300
    assert main(["evaluate", "--samples", str(path), "--metrics", "all", "--threads", "1"]) == 0
    table = capsys.readouterr().out
    assert "Stacked-MNIST evaluation of 300 samples" in table and "modes covered" in table and "precision (k=3)" in table
    assert main(["evaluate", "--samples", str(path), "--digit", "3"]) == 2  # a digit means nothing for stacked samples
