"""Image folders load as they are: explicit class rules, regular files only, 16-bit greys scaled, bombs named."""

import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from ganlib.data import load_folder


def _png(path, value=128, size=8, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (size, size), value).save(path)


def test_a_hidden_folder_is_not_a_class_and_is_named(tmp_path):
    for k in range(5):
        _png(tmp_path / "faces" / f"{k}.png")
    _png(tmp_path / ".ipynb_checkpoints" / "0-checkpoint.png", value=255)
    with pytest.warns(UserWarning, match=r"hidden sub-folders ignored: \.ipynb_checkpoints"):
        images, labels = load_folder(tmp_path, image_size=8, channels=1)
    assert images.shape[0] == 5 and labels.tolist() == [0] * 5


def test_a_flat_folder_with_a_hidden_subfolder_loads_its_own_images(tmp_path):
    # The case that trained on a single image: 50 images and a .ipynb_checkpoints folder holding one.
    for k in range(50):
        _png(tmp_path / f"{k}.png")
    _png(tmp_path / ".ipynb_checkpoints" / "x.png")
    with pytest.warns(UserWarning, match="hidden sub-folders ignored"):
        images, labels = load_folder(tmp_path, image_size=8, channels=1)
    assert images.shape[0] == 50 and labels is None


def test_an_empty_subfolder_is_ignored_with_a_warning_not_an_error(tmp_path):
    for k in range(50):
        _png(tmp_path / f"{k}.png")
    (tmp_path / "empty").mkdir()
    with pytest.warns(UserWarning, match="sub-folders without images ignored: empty"):
        images, labels = load_folder(tmp_path, image_size=8, channels=1)
    assert images.shape[0] == 50 and labels is None


def test_loose_images_beside_class_folders_are_named(tmp_path):
    _png(tmp_path / "a" / "1.png")
    _png(tmp_path / "b" / "1.png")
    _png(tmp_path / "stray.png")
    with pytest.warns(UserWarning, match=r"1 image\(s\) beside the class sub-folders are ignored \(stray.png\)"):
        images, labels = load_folder(tmp_path, image_size=8, channels=1)
    assert labels.tolist() == [0, 1]


def test_nothing_but_empty_folders_says_so(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no images .* its sub-folders a hold none either"):
        load_folder(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_skipped_not_opened(tmp_path):
    _png(tmp_path / "real.png")
    os.mkfifo(tmp_path / "pipe.png")  # opening it would block forever
    with pytest.warns(UserWarning, match="skipped 1 entry.* not regular files: .*pipe.png"):
        images, _ = load_folder(tmp_path, image_size=8, channels=1)
    assert images.shape[0] == 1


def test_hidden_files_such_as_macos_resource_forks_are_not_images(tmp_path):
    _png(tmp_path / "real.png")
    (tmp_path / "._real.png").write_bytes(b"\x00\x05\x16\x07 resource fork")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images, _ = load_folder(tmp_path, image_size=8, channels=1)
    assert images.shape[0] == 1


def test_sixteen_bit_greys_are_scaled_not_clipped(tmp_path):
    # Mid-grey in 16 bits is 32768; clipped to 8 bits it would become white (1.0 after scaling).
    array = np.full((8, 8), 32768, dtype=np.uint16)
    Image.fromarray(array).save(tmp_path / "mid.png")
    with Image.open(tmp_path / "mid.png") as check:
        assert check.mode.startswith("I")  # really stored as 16 bits
    grey, _ = load_folder(tmp_path, image_size=8, channels=1)
    assert torch.allclose(grey, torch.full_like(grey, 128 / 255 * 2 - 1), atol=1e-6)
    rgb, _ = load_folder(tmp_path, image_size=8, channels=3)
    assert rgb.shape[1] == 3 and torch.allclose(rgb, torch.full_like(rgb, 128 / 255 * 2 - 1), atol=1e-6)


def test_eight_bit_images_are_read_as_they_are(tmp_path):
    _png(tmp_path / "x.png", value=51)
    images, _ = load_folder(tmp_path, image_size=8, channels=1)
    assert torch.allclose(images, torch.full_like(images, 51 / 255 * 2 - 1), atol=1e-6)


def test_a_decompression_bomb_is_named(tmp_path, monkeypatch):
    _png(tmp_path / "huge.png", size=64)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 x 64 = 4096 > 2 x 100: PIL refuses it
    with pytest.raises(ValueError, match=r"huge.png is refused as a decompression bomb .*MAX_IMAGE_PIXELS"):
        load_folder(tmp_path, image_size=8, channels=1)
