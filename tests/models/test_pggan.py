"""PGGAN's growing networks: shapes at every phase, the fade at alpha 0 and 1, and the
optimizer's bookkeeping when they grow (old state kept, new state fresh)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganlib.models.pggan import ProgressiveCritic, ProgressiveGenerator, stage_width
from ganlib.train.growth import grow_optimizer


def test_the_networks_grow_from_4_to_the_final_size_with_the_papers_widths_and_one_interface():
    torch.manual_seed(0)
    g, d = ProgressiveGenerator(latent_dim=16, image_size=16, width=32), ProgressiveCritic(image_size=16, width=32)
    z = torch.randn(4, 16)
    for size in (4, 8, 16):
        assert g.resolution == d.resolution == size
        images = g(z)
        assert images.shape == (4, 1, 16, 16) and d(images).shape == (4,)  # the final size at every phase
        # the images are the current resolution's, nearest-upsampled: constant on size x size tiles
        factor = 16 // size
        torch.testing.assert_close(images, F.interpolate(images[..., ::factor, ::factor], scale_factor=factor, mode="nearest"))
        if size < 16:
            g.grow(), d.grow()
    with pytest.raises(ValueError, match="at its final resolution 16"):
        g.grow()
    with pytest.raises(ValueError, match="takes 16×16 images at every phase"):
        d(torch.randn(4, 1, 8, 8))
    assert [stage_width(r, 512) for r in (4, 32, 64, 128, 256)] == [512, 512, 256, 128, 64]  # the paper's nf


def test_at_alpha_0_the_grown_generator_is_the_old_one_upsampled_and_at_1_the_new_block():
    torch.manual_seed(1)
    g = ProgressiveGenerator(latent_dim=8, image_size=8, width=8)
    z = torch.randn(2, 8)
    before = g(z).detach()
    g.grow()
    assert float(g.alpha) == 0.0
    torch.testing.assert_close(g(z), before)  # at 0 the new block is not seen: the 4x4 images, upsampled
    g.alpha.fill_(1.0)
    with torch.no_grad():
        x = g.dense(g.norm(z)).reshape(2, -1, 4, 4) + g.dense_bias.view(1, -1, 1, 1)
        x = g.norm(F.leaky_relu(g.conv4(g.norm(F.leaky_relu(x, 0.2))), 0.2))
        new = g.to_rgb[1](g.blocks[0](x))
    torch.testing.assert_close(g(z), new)


def test_at_alpha_0_the_grown_critic_scores_the_downsampled_image_as_before():
    torch.manual_seed(2)
    d = ProgressiveCritic(image_size=8, width=8)
    x = torch.randn(4, 1, 8, 8)
    before = d(x).detach()  # at 4x4 it scores the image averaged down to 4x4
    d.grow()
    torch.testing.assert_close(d(x), before)


def test_growing_keeps_the_old_parameters_state_and_gives_the_new_ones_fresh_state():
    torch.manual_seed(3)
    g = ProgressiveGenerator(latent_dim=8, image_size=8, width=8)
    optimizer = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.0, 0.99))
    g(torch.randn(4, 8)).square().mean().backward()
    optimizer.step()
    old = {id(p): {k: v.clone() for k, v in optimizer.state[p].items()} for p in g.parameters()}
    new = grow_optimizer(optimizer, g.grow()).param_groups[-1]["params"]
    assert len(optimizer.param_groups) == 2 and optimizer.param_groups[1]["betas"] == (0.0, 0.99)
    assert all(p not in optimizer.state for p in new)  # fresh: no moments yet
    for p in optimizer.param_groups[0]["params"]:
        for key, value in old[id(p)].items():
            assert torch.equal(optimizer.state[p][key], value)  # kept as they were
    optimizer.zero_grad()
    g.alpha.fill_(0.5)
    g(torch.randn(4, 8)).square().mean().backward()
    optimizer.step()
    assert all(int(optimizer.state[p]["step"]) == 1 for p in new) and all(int(optimizer.state[p]["step"]) == 2 for p in optimizer.param_groups[0]["params"])
    with pytest.raises(ValueError, match="already in the optimizer"):
        grow_optimizer(optimizer, new)


def test_a_bad_size_is_named():
    with pytest.raises(ValueError, match="image_size=12 is invalid; expected a power of two from 8 to 1024"):
        ProgressiveGenerator(image_size=12)


def test_weights_of_a_grown_network_load_into_a_new_one_which_grows_to_fit():
    torch.manual_seed(4)
    g = ProgressiveGenerator(latent_dim=8, image_size=16, width=8)
    g.grow(), g.grow()
    g.alpha.fill_(0.25)
    fresh = ProgressiveGenerator(latent_dim=8, image_size=16, width=8)
    fresh.load_state_dict(g.state_dict())
    z = torch.randn(3, 8)
    assert fresh.resolution == 16 and float(fresh.alpha) == 0.25
    torch.testing.assert_close(fresh(z), g(z))
    nested = torch.nn.Sequential(ProgressiveCritic(image_size=16, width=8))  # inside another module too (an EMA's copy)
    grown = torch.nn.Sequential(ProgressiveCritic(image_size=16, width=8))
    grown[0].grow()
    nested.load_state_dict(grown.state_dict())
    assert nested[0].resolution == 8


def test_samples_are_clipped_to_the_image_range_in_eval_mode_only():
    torch.manual_seed(5)
    g = ProgressiveGenerator(latent_dim=8, image_size=8, width=8)
    with torch.no_grad():
        g.to_rgb[0].bias.fill_(3.0)  # push the linear output out of range
    z = torch.randn(4, 8)
    assert g(z).max() > 1.0
    assert g.eval()(z).abs().max() <= 1.0
