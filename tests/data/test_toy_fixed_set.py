"""A toy's fixed set: equal counts per component, and with reshuffle=false one order cycled (gan_toy.py)."""

import pytest
import torch

from ganlib.data import TensorBatches, load_dataset, toy_centers


def test_a_fixed_mixture_set_has_equal_counts_per_center():
    dataset = load_dataset("25gaussians", points=100_000)
    centers, std = toy_centers("25gaussians")
    nearest = torch.cdist(dataset.images, centers).argmin(1)
    assert torch.bincount(nearest, minlength=25).tolist() == [4000] * 25
    assert (dataset.images - centers[nearest]).std().item() == pytest.approx(std, rel=0.02)


def test_without_reshuffle_every_pass_repeats_the_first_order():
    data = torch.arange(10.0).unsqueeze(1)
    stream = TensorBatches(data, batch_size=3, seed=1, reshuffle=False)
    first = [next(stream).clone() for _ in range(3)]  # 3 batches of 3; the tenth sample is dropped each pass
    second = [next(stream).clone() for _ in range(3)]
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    shuffled = TensorBatches(data, batch_size=3, seed=1)
    passes = [torch.cat([next(shuffled) for _ in range(3)]).flatten().tolist() for _ in range(4)]
    assert len({tuple(p) for p in passes}) > 1  # the default draws a new order each pass


def test_the_toy_source_serves_one_order_and_resumes_it():
    dataset = load_dataset("25gaussians", points=1000, reshuffle=False)
    stream = dataset.stream(256, seed=3)
    order = [next(stream).clone() for _ in range(3)]
    state = stream.state_dict()
    after = [next(stream).clone() for _ in range(4)]
    assert torch.equal(after[0], order[0])  # 1000 // 256 = 3 batches a pass, then the same order again
    resumed = dataset.stream(256, seed=3)
    resumed.load_state_dict(state)
    assert all(torch.equal(a, next(resumed)) for a in after)


def test_reshuffle_false_needs_a_fixed_set():
    with pytest.raises(ValueError, match="reshuffle=false applies to a fixed set; give points=N"):
        load_dataset("8gaussians", reshuffle=False)
