"""LAPGAN: the Laplacian pyramid, each level's data and networks, a level trained by the Trainer
and by ``ganlib train``, and a pyramid of three levels sampled through ``sample``."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlib.cli import main
from ganlib.data import TensorBatches, downsample, laplacian_pyramid, level_data, load_dataset, reconstruct, upsample
from ganlib.losses import get_objective
from ganlib.models import LaplacianCritic, LaplacianGenerator, LaplacianPyramid, MLPGenerator, load_generator
from ganlib.train import Trainer


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=3), st.integers(min_value=0, max_value=2**31 - 1))
def test_an_image_is_rebuilt_exactly_from_its_bands_and_coarsest_image(levels: int, seed: int):
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    pyramid = laplacian_pyramid(x, levels)
    assert [p.shape[-1] for p in pyramid] == [16 // 2**k for k in range(levels)]
    torch.testing.assert_close(reconstruct(pyramid), x, rtol=0, atol=1e-12)


def test_down_and_up_by_hand():
    x = torch.tensor([[[[1.0, 3.0], [5.0, 7.0]]]])
    assert downsample(x).item() == 4.0  # the 2x2 mean
    # bilinear doubling, half-pixel centres: the corners stay, the inner pixels are 3/4-1/4 blends
    row = upsample(torch.tensor([[[[0.0, 4.0]]]]).expand(1, 1, 2, 2).contiguous())[0, 0, 0]
    assert row.tolist() == [0.0, 1.0, 3.0, 4.0]


def test_a_levels_data_are_the_averaged_images_and_their_blurred_coarse_images():
    images = torch.randn(5, 1, 32, 32)
    level, condition = level_data(images, 16)
    torch.testing.assert_close(level, torch.nn.functional.avg_pool2d(images, 2))
    torch.testing.assert_close(condition, upsample(downsample(level)))
    band = level - condition
    assert band.abs().mean() < level.abs().mean()  # the band is the detail the coarse image lacks
    with pytest.raises(ValueError, match="size=12 is invalid for 32×32 images"):
        level_data(images, 12)


def test_the_generator_adds_a_band_to_its_condition_and_the_critic_reads_the_image():
    torch.manual_seed(0)
    g, d = LaplacianGenerator(image_size=16, width=8), LaplacianCritic(image_size=16, width=8)
    assert g.latent_dim == 256 and g.conditional and d.conditional
    z, condition = torch.randn(4, 256), torch.rand(4, 1, 16, 16) * 2 - 1
    torch.testing.assert_close(g(z, condition), condition + g.band(z, condition))
    assert g.eval()(z, condition).abs().max() <= 1.0
    image = torch.randn(4, 1, 16, 16)
    assert torch.equal(d(image, condition), d(image, torch.zeros_like(condition)))  # the paper's D sees l + h only
    assert d(image, condition).shape == (4,)


def test_three_levels_sample_as_one_pyramid_with_the_right_shapes():
    torch.manual_seed(1)
    coarsest = MLPGenerator(latent_dim=16, out_shape=(1, 8, 8), hidden=(32,))
    pyramid = LaplacianPyramid([coarsest, LaplacianGenerator(16, width=4), LaplacianGenerator(32, width=4)]).eval()
    assert pyramid.latent_dim == 16 + 256 + 1024 and pyramid.sizes == [8, 16, 32]
    z = torch.randn(3, pyramid.latent_dim)
    stages = pyramid.stages(z)
    assert [s.shape for s in stages] == [(3, 1, 8, 8), (3, 1, 16, 16), (3, 1, 32, 32)]
    torch.testing.assert_close(pyramid(z), stages[-1])
    with pytest.raises(ValueError, match="level 1 must be an image-conditioned generator of side 16; got LaplacianGenerator of side 32"):
        LaplacianPyramid([coarsest, LaplacianGenerator(32, width=4)])


def test_the_trainer_trains_a_level_on_its_conditions():
    torch.manual_seed(2)
    images, conditions = level_data(torch.rand(32, 1, 16, 16) * 2 - 1, 8)
    g, d = LaplacianGenerator(image_size=8, width=4), LaplacianCritic(image_size=8, width=4)
    seen = []
    original = g.band
    g.band = lambda z, c: (seen.append(c.clone()), original(z, c))[1]  # type: ignore[method-assign]
    trainer = Trainer(
        g, d, get_objective("wgan-gp"), torch.optim.Adam(g.parameters(), 1e-4), torch.optim.Adam(d.parameters(), 1e-4),
        TensorBatches(images, 8, labels=conditions), n_critic=2,
    )
    trainer.fit(2)
    assert trainer.conditional and len(seen) == 6  # 2 critic steps and 1 generator step per iteration
    assert all(any(torch.equal(c[0], row) for row in conditions) for c in seen)  # each fake conditioned on a real coarse image


def test_the_command_line_trains_three_levels_and_samples_the_pyramid(tmp_path, mnist_root, capsys):
    common = ["--data-root", str(mnist_root), "--classes", "3", "--image-size", "32", "--device", "cpu", "--iterations", "2", "--log-every", "1", "--sample-every", "2"]
    levels = []
    for size, extra in ((8, ["--model", "mlp", "--data-arg", "coarsest=true", "--width", "32"]), (16, ["--model", "lapgan", "--width", "8"]), (32, ["--model", "lapgan", "--width", "8"])):
        run = tmp_path / f"level{size}"
        assert main(["train", "--data", "pyramid:mnist", "--data-arg", f"size={size}", *extra, *common, "--out", str(run)]) == 0
        assert (run / "samples" / "latest.png").is_file()
        levels.append(run)
    assert json.loads((levels[1] / "config.json").read_text())["model"] == "lapgan"
    pyramid = tmp_path / "lapgan.json"
    assert main(["pyramid", *map(str, levels), "--out", str(pyramid)]) == 0
    assert json.loads(pyramid.read_text())["levels"] == ["level8", "level16", "level32"]
    generator, _ = load_generator(pyramid)
    assert isinstance(generator, LaplacianPyramid) and generator.sizes == [8, 16, 32]
    assert main(["sample", "--checkpoint", str(pyramid), "--num", "4", "--out", str(tmp_path / "s.pt")]) == 0
    assert torch.load(tmp_path / "s.pt").shape == (4, 1, 32, 32)
    capsys.readouterr()
    assert main(["pyramid", str(levels[0]), str(levels[2]), "--out", str(tmp_path / "bad.json")]) == 2  # 8 then 32: one line, no traceback
    assert "level 1 must be an image-conditioned generator of side 16; got LaplacianGenerator of side 32" in capsys.readouterr().err
    wrong = [*common[:-4], "--iterations", "1", "--out", str(tmp_path / "wrong")]
    capsys.readouterr()
    assert main(["train", "--data", "mnist", "--model", "lapgan", *wrong]) == 2  # a level needs the pyramid's conditions
    assert "its generator is conditioned on coarse images; train it on --data pyramid:SOURCE" in capsys.readouterr().err
    assert main(["train", "--data", "pyramid:mnist", "--data-arg", "size=16", "--model", "dcgan", *wrong]) == 2
    assert "--model dcgan takes none; use --model lapgan" in capsys.readouterr().err


def test_the_pyramid_source_refuses_what_it_cannot_use(mnist_root):
    with pytest.raises(ValueError, match="needs an image source after its colon, not another pyramid"):
        load_dataset("pyramid:pyramid:mnist", mnist_root, size=8)
    level = load_dataset("pyramid:mnist", mnist_root, image_size=32, classes=[3], size=16)
    assert level.images.shape[1:] == (1, 16, 16) and level.conditions.shape == level.images.shape and level.labels is None
