"""The other data sources: Fashion-MNIST and CIFAR-10 in their real file formats, image folders, 2-D toys."""

import pickle

import numpy as np
import pytest
import torch

from ganlib.data import (
    MNISTNotFoundError,
    TOYS,
    ToyStream,
    load_cifar10,
    load_dataset,
    load_fashion_mnist,
    load_folder,
    toy_centers,
    toy_samples,
)
from ganlib.metrics import distance_to_sine, modes_covered


def _write_idx(path, array):
    dims = array.shape
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fashion_root(tmp_path):
    # Fashion-MNIST's four IDX files at full size (the loader checks the sizes), with
    # synthetic content: image i is filled with 3 * label.
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 60000), ("t10k", 10000)):
        labels = np.arange(n) % 10
        images = np.repeat((labels * 3)[:, None, None], 28, axis=1).repeat(28, axis=2)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return tmp_path


def test_fashion_mnist_reads_idx_files_with_labels_and_classes(fashion_root):
    images, labels = load_fashion_mnist(fashion_root, image_size=16, classes=[9], train=False, return_labels=True)
    assert images.shape == (1000, 1, 16, 16) and (labels == 9).all()
    expected = 27 / 255 * 2 - 1
    assert torch.allclose(images, torch.full_like(images, expected), atol=1e-5)
    dataset = load_dataset("fashion-mnist", fashion_root, image_size=16, classes=[0, 1])
    assert dataset.num_classes == 10 and dataset.channels == 1 and len(dataset.images) == 12000


def test_fashion_mnist_missing_is_explained(tmp_path):
    with pytest.raises(MNISTNotFoundError, match="FashionMNIST was not found"):
        load_fashion_mnist(tmp_path)


@pytest.fixture
def cifar_root(tmp_path):
    # The pickled batches of the Python version, small: 5 training batches and a test batch.
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(20, 3072), dtype=np.uint8)
        with (folder / name).open("wb") as handle:
            # str keys, as the original files (pickled by Python 2) load with encoding="latin1"
            pickle.dump({"data": data, "labels": [int(v) for v in rng.integers(0, 10, size=20)]}, handle)
    with (folder / "batches.meta").open("wb") as handle:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, handle)
    return tmp_path, folder


def test_cifar10_reads_the_pickled_batches(cifar_root, monkeypatch):
    from torchvision import datasets

    root, folder = cifar_root
    # The test files are not the real ones, so their checksums differ.
    monkeypatch.setattr(datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr("torchvision.datasets.cifar.check_integrity", lambda *args, **kwargs: True)
    images, labels = load_cifar10(root, image_size=16)
    assert images.shape == (100, 3, 16, 16) and labels.shape == (100,)
    assert images.min() >= -1 and images.max() <= 1
    with (folder / "data_batch_1").open("rb") as handle:
        first = pickle.load(handle)
    native, _ = load_cifar10(root, image_size=32)
    expected = torch.from_numpy(first["data"][0].reshape(3, 32, 32)).float() / 255 * 2 - 1
    torch.testing.assert_close(native[0], expected, atol=1e-5, rtol=0)


def test_cifar10_missing_is_explained(tmp_path):
    with pytest.raises(MNISTNotFoundError, match="no cifar-10-batches-py"):
        load_cifar10(tmp_path)


def _write_png(path, value, size=(20, 30)):
    from PIL import Image

    Image.new("RGB", size, (value, value, value)).save(path)


def test_a_flat_folder_gives_images_without_labels(tmp_path):
    for i in range(3):
        _write_png(tmp_path / f"face{i}.png", 40 * i)
    (tmp_path / "notes.txt").write_text("not an image")
    images, labels = load_folder(tmp_path, image_size=16)
    assert images.shape == (3, 3, 16, 16) and labels is None
    grey, _ = load_folder(tmp_path, image_size=8, channels=1)
    assert grey.shape == (3, 1, 8, 8)


def test_a_folder_of_class_folders_gives_labels(tmp_path):
    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for i in range(2):
            _write_png(tmp_path / name / f"{i}.jpg", 100)
    dataset = load_dataset(f"folder:{tmp_path}", image_size=16)
    assert dataset.images.shape == (4, 3, 16, 16) and dataset.labels.tolist() == [0, 0, 1, 1] and dataset.num_classes == 2


@pytest.mark.parametrize(("setup", "match"), [("missing", "no such directory"), ("empty", "holds no images"), ("broken", "cannot be decoded")])
def test_bad_folders_are_explained(tmp_path, setup, match):
    folder = tmp_path / "faces"
    if setup != "missing":
        folder.mkdir()
    if setup == "broken":
        (folder / "bad.png").write_bytes(b"not a png")
    with pytest.raises((FileNotFoundError, ValueError), match=match):
        load_folder(folder)


def test_unknown_data_lists_the_valid_names():
    with pytest.raises(ValueError, match="data 'svhn' is unknown; valid names are .*'cifar10', 'fashion-mnist', 'folder:PATH', 'harmonic', 'mnist'"):
        load_dataset("svhn")


@pytest.mark.parametrize("name", TOYS)
def test_toys_are_seeded_and_resumable(name):
    first = ToyStream(name, 16, seed=3)
    next(first)
    state = first.state_dict()
    expected = next(first)
    resumed = ToyStream(name, 16, seed=99)
    resumed.load_state_dict(state)
    assert torch.equal(next(resumed), expected)
    assert torch.equal(toy_samples(name, 5, torch.Generator().manual_seed(1)), toy_samples(name, 5, torch.Generator().manual_seed(1)))


def test_toy_measures_on_real_samples():
    points = toy_samples("harmonic", 2000, torch.Generator().manual_seed(0))
    assert distance_to_sine(points).max() < 1e-3
    # Straight above the peak (pi/2, 1) the nearest point of the curve is the peak itself.
    assert distance_to_sine(torch.tensor([[torch.pi / 2, 3.0]])).item() == pytest.approx(2.0, abs=1e-4)
    for name, count in (("8gaussians", 8), ("25gaussians", 25)):
        centers, std = toy_centers(name)
        covered, shares = modes_covered(toy_samples(name, 20000, torch.Generator().manual_seed(0)), centers, std)
        assert covered == count and shares.sum() > 0.98
    centers, std = toy_centers("8gaussians")
    collapsed = centers[0] + std * torch.randn(1000, 2)
    assert modes_covered(collapsed, centers, std, fraction=0.05)[0] == 1
