"""The shipped MNIST judge: it works offline, and it can tell digits from noise."""

import json

import pytest
import torch

from ganlib.cli import main as cli_main
from ganlib.data import load_mnist
from ganlib.metrics import MNISTEvaluator, load_mnist_classifier, load_mnist_reference


@pytest.fixture(scope="module")
def evaluator():
    return MNISTEvaluator()


@pytest.fixture(scope="module")
def test_digits(mnist_root):
    return load_mnist(mnist_root, image_size=28, train=False, return_labels=True)


def test_shipped_classifier_reaches_99_percent_on_the_test_set(test_digits):
    images, labels = test_digits
    model = load_mnist_classifier()
    with torch.no_grad():
        accuracy = (torch.cat([model(x).argmax(1) for x in images.split(1000)]) == labels).float().mean().item()
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(load_mnist_reference()["test_accuracy"], abs=1e-6)


def test_reference_statistics_cover_every_dcgan_size():
    ref = load_mnist_reference()
    assert ref["sizes"] == [28, 16, 32, 64, 128, 256]
    assert ref["mean"].shape == (6, 11, 64) and ref["cov"].shape == (6, 11, 64, 64)
    assert ref["features"].shape == (6, 2000, 64) and ref["labels"].shape == (2000,)
    assert torch.bincount(ref["labels"].long()).min() > 150  # every digit is in the KID subset


def test_unmatched_sizes_fall_back_to_native_with_a_warning(evaluator):
    with pytest.warns(UserWarning, match="no MNIST reference for 48x48"):
        result = evaluator.evaluate(torch.rand(4, 1, 48, 48) * 2 - 1, kid_subsets=2)
    assert result.reference_size == 28


@pytest.mark.parametrize("size", [28, 64])
def test_real_digits_score_near_the_floor_and_noise_far_above(evaluator, mnist_root, size):
    # Training digits in the GAN's own preprocessing. Measured with 2,000 of them: FID 0.25 at
    # 28 and 0.17 at 64, KID 0.006 and 0.003 (10,000 give the floors 0.078 and 0.054: the
    # classifier was trained on these digits, so they sit slightly apart from the test set);
    # uniform noise scores FID 52 and 30.
    real = load_mnist(mnist_root, image_size=size, train=True)[:2000]
    good = evaluator.evaluate(real, kid_subsets=10)
    noise = evaluator.evaluate(torch.rand(2000, 1, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1, kid_subsets=10)
    assert good.reference_size == size and good.classes_covered == 10 and good.kl_to_uniform < 0.02
    assert good.inception_score.mean > 9.0 and good.fid < 0.5 and abs(good.kid.mean) < 0.02
    assert noise.fid > 50 * good.fid and noise.kid.mean > 100 * abs(good.kid.mean) and noise.inception_score.mean < 1.1


def test_a_collapsed_generator_is_flagged(evaluator, test_digits):
    images, labels = test_digits
    ones = images[labels == 1][:500]
    result = evaluator.evaluate(ones, kid_subsets=5)
    assert result.classes_covered == 1 and result.inception_score.mean < 1.5
    assert result.kl_to_uniform > 2.0  # log 10 = 2.30 for a single class
    assert evaluator.evaluate(ones, digit=1, kid_subsets=5).fid < result.fid / 10


def test_streaming_batches_give_the_same_scores(evaluator, test_digits):
    images = test_digits[0][:600]
    whole = evaluator.evaluate(images, kid_subsets=3)
    streamed = evaluator.evaluate(iter(images.split(64)), kid_subsets=3)
    assert streamed.fid == pytest.approx(whole.fid, rel=1e-6) and streamed.class_histogram == whole.class_histogram


@pytest.mark.parametrize(
    ("images", "match"),
    [(torch.zeros(4, 3, 28, 28), r"expected \(N, 1, H, H\)"), (torch.full((4, 1, 28, 28), 255.0), r"values in \[-1, 1\]"), (torch.zeros(1, 1, 28, 28), "at least 2")],
)
def test_bad_images_are_explained(evaluator, images, match):
    with pytest.raises(ValueError, match=match):
        evaluator.evaluate(images)


def test_bad_digit_is_named(evaluator):
    with pytest.raises(ValueError, match="digit=11"):
        evaluator.evaluate(torch.zeros(4, 1, 28, 28), digit=11)


def test_evaluate_cli_prints_a_table_and_json(tmp_path, test_digits, capsys):
    path = tmp_path / "real.pt"
    torch.save(test_digits[0][:300].clone(), path)
    assert cli_main(["evaluate", "--samples", str(path), "--kid-subsets", "3"]) == 0
    table = capsys.readouterr().out
    assert "FID" in table and "classes covered" in table and "10 / 10" in table
    assert cli_main(["evaluate", "--samples", str(path), "--kid-subsets", "3", "--json", "--digit", "7"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["digit"] == 7 and record["num_samples"] == 300 and {"fid", "kid_mean", "is_mean", "class_histogram"} <= set(record)
