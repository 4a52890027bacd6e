"""PGGAN's growing networks: shapes at every phase, the fade at alpha 0 and 1, and the
optimizer's bookkeeping when they grow (old state kept, new state fresh)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ganlib.models.pggan import ProgressiveCritic, ProgressiveGenerator, stage_width
from ganlib.train.growth import grow_optimizer


def test_the_networks_grow_from_4_to_the_final_size_with_the_papers_widths():
    torch.manual_seed(0)
    g, d = ProgressiveGenerator(latent_dim=16, image_size=16, width=32), ProgressiveCritic(image_size=16, width=32)
    z = torch.randn(4, 16)
    for size in (4, 8, 16):
        assert g.resolution == d.resolution == size
        images = g(z)
        assert images.shape == (4, 1, size, size) and d(images).shape == (4,)
        if size < 16:
            g.grow(), d.grow()
    with pytest.raises(ValueError, match="at its final resolution 16"):
        g.grow()
    assert [stage_width(r, 512) for r in (4, 32, 64, 128, 256)] == [512, 512, 256, 128, 64]  # the paper's nf


def test_at_alpha_0_the_grown_generator_is_the_old_one_upsampled_and_at_1_the_new_block():
    torch.manual_seed(1)
    g = ProgressiveGenerator(latent_dim=8, image_size=8, width=8)
    z = torch.randn(2, 8)
    before = g(z).detach()
    g.grow()
    assert float(g.alpha) == 0.0
    torch.testing.assert_close(g(z), F.interpolate(before, scale_factor=2, mode="nearest"))
    g.alpha.fill_(1.0)
    with torch.no_grad():
        x = g.dense(g.norm(z)).reshape(2, -1, 4, 4)
        x = g.norm(F.leaky_relu(g.conv4(g.norm(F.leaky_relu(x, 0.2))), 0.2))
        new = g.to_rgb[1](g.blocks[0](x))
    torch.testing.assert_close(g(z), new)


def test_at_alpha_0_the_grown_critic_scores_the_downsampled_image_as_before():
    torch.manual_seed(2)
    d = ProgressiveCritic(image_size=8, width=8)
    x = torch.randn(4, 1, 8, 8)
    before = d(F.avg_pool2d(x, 2)).detach()
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
