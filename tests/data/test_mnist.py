import pytest
import torch

from ganlib.data import DATA_ENV_VAR, MNISTNotFoundError, TensorBatches, load_mnist, resolve_data_root


def test_training_digits_resized_and_scaled(mnist_root):
    images, labels = load_mnist(mnist_root, image_size=32, digits=[3], return_labels=True)
    assert images.shape[1:] == (1, 32, 32) and images.dtype == torch.float32
    assert len(images) == 6131  # the number of 3s in the MNIST training set
    assert torch.all(labels == 3)
    assert images.min().item() == -1.0 and images.max().item() == 1.0
    assert images.mean().item() < -0.5  # mostly black background


def test_default_size_is_64_and_test_split_has_ten_thousand(mnist_root):
    images = load_mnist(mnist_root, train=False, digits=[0, 1])
    assert images.shape[1:] == (1, 64, 64)
    assert len(images) == 980 + 1135


def test_environment_variable_gives_the_root(mnist_root, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(mnist_root))
    assert resolve_data_root() == mnist_root
    assert len(load_mnist(image_size=16, train=False, digits=[7])) == 1028


def test_missing_dataset_says_where_it_looked_and_how_to_fix_it(tmp_path):
    with pytest.raises(MNISTNotFoundError) as error:
        load_mnist(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "download=True" in message and DATA_ENV_VAR in message
    assert "--data-root ROOT" in message and "--download" in message  # the command line's words first
    assert error.value.__cause__ is None and error.value.__context__ is None


@pytest.mark.parametrize("digits", [[], [10], [-1], [True]])
def test_bad_digits_are_named(digits, tmp_path):
    with pytest.raises(ValueError, match="digits="):
        load_mnist(tmp_path, digits=digits)


def test_batches_cover_an_epoch_without_repeats_and_reshuffle():
    data = torch.arange(12.0).reshape(12, 1)
    stream = TensorBatches(data, 4, seed=0)
    epoch1 = torch.cat([next(stream).clone() for _ in range(3)]).flatten()
    epoch2 = torch.cat([next(stream).clone() for _ in range(3)]).flatten()
    assert sorted(epoch1.tolist()) == list(range(12)) == sorted(epoch2.tolist())
    assert not torch.equal(epoch1, epoch2)


def test_batches_drop_the_incomplete_tail():
    stream = TensorBatches(torch.arange(10.0).reshape(10, 1), 4, seed=1)
    assert stream.batches_per_epoch == 2
    assert all(next(stream).shape == (4, 1) for _ in range(7))


def test_batches_resume_exactly():
    data = torch.randn(20, 2)
    a = TensorBatches(data, 3, seed=5)
    for _ in range(4):
        next(a)
    b = TensorBatches(data, 3, seed=99)
    b.load_state_dict(a.state_dict())
    for _ in range(10):
        assert torch.equal(next(a), next(b))


def test_batches_reject_bad_sizes_and_mismatched_state():
    with pytest.raises(ValueError, match="batch_size=0"):
        TensorBatches(torch.zeros(5, 1), 0)
    with pytest.raises(ValueError, match="batch_size=6"):
        TensorBatches(torch.zeros(5, 1), 6)
    with pytest.raises(ValueError, match="same data selection"):
        TensorBatches(torch.zeros(5, 1), 2).load_state_dict(TensorBatches(torch.zeros(6, 1), 2).state_dict())


def test_parse_digits_for_command_lines():
    from ganlib.data import parse_digits

    assert parse_digits("3") == [3] and parse_digits("2,0,2") == [0, 2] and parse_digits("ALL") is None
    for bad in ("12", "3,x", "", "-1"):
        with pytest.raises(ValueError, match="expected digits 0-9"):
            parse_digits(bad)
