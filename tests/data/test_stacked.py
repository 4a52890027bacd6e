"""Stacked MNIST: three independent digits per image, 1,000 modes, labelled and deterministic."""

import numpy as np
import pytest
import torch

from ganlib.data import load_dataset
from ganlib.data.stacked import load_stacked_mnist
from tests.data.test_sources import _write_idx


@pytest.fixture(scope="module")
def labelled_mnist(tmp_path_factory):
    # The four MNIST files at full size, with synthetic images whose grey level tells the label:
    # image i of label d is filled with 20 * d + 10, so a channel's digit can be read back.
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60000), ("t10k", 10000)):
        labels = rng.integers(0, 10, size=n)
        images = np.repeat((labels * 20 + 10)[:, None, None], 28, axis=1).repeat(28, axis=2)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root


def _channel_digits(images: torch.Tensor) -> torch.Tensor:
    grey = (images[:, :, 0, 0] + 1) / 2 * 255  # back to 0..255
    return ((grey - 10) / 20).round().long()


def test_three_digits_per_image_labelled_with_their_mode(labelled_mnist):
    images, modes = load_stacked_mnist(labelled_mnist, image_size=28, size=20000, seed=1)
    assert images.shape == (20000, 3, 28, 28) and modes.shape == (20000,)
    digits = _channel_digits(images)
    assert modes.tolist() == (digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]).tolist()
    assert len(set(modes.tolist())) == 1000  # every mode reachable (20 expected per mode)


def test_channels_are_independent(labelled_mnist):
    _, modes = load_stacked_mnist(labelled_mnist, image_size=28, size=20000, seed=2)
    first, second = modes // 100, modes // 10 % 10
    joint = torch.bincount(first * 10 + second, minlength=100).double() / len(modes)
    marginal = torch.outer(torch.bincount(first, minlength=10).double(), torch.bincount(second, minlength=10).double()) / len(modes) ** 2
    # Independent draws: the joint is the product of the marginals, to sampling noise (200 per cell).
    assert (joint - marginal.flatten()).abs().max() < 0.004
    # Not the same digit index reused across the channels (that would put all mass on 000, 111, ...).
    assert (first == second).double().mean() < 0.15


def test_same_seed_same_set_other_seed_other_set(labelled_mnist):
    a = load_stacked_mnist(labelled_mnist, image_size=28, size=500, seed=5)
    b = load_stacked_mnist(labelled_mnist, image_size=28, size=500, seed=5)
    c = load_stacked_mnist(labelled_mnist, image_size=28, size=500, seed=6)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_registered_source_at_32_with_options(labelled_mnist):
    dataset = load_dataset("stacked-mnist", labelled_mnist, image_size=32, size=300, seed=0)
    assert dataset.images.shape == (300, 3, 32, 32) and dataset.num_classes == 1000 and dataset.channels == 3
    assert int(dataset.labels.max()) < 1000


def test_size_must_be_positive(labelled_mnist):
    with pytest.raises(ValueError, match="size"):
        load_stacked_mnist(labelled_mnist, size=0)
