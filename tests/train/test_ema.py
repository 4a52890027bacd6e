import pytest
import torch
from torch import nn

from ganlib.train import EMA


def test_ema_of_constant_weights_is_those_weights():
    net = nn.Linear(3, 2)
    ema = EMA(net, decay=0.9)
    for _ in range(5):
        ema.update(net)
    for a, b in zip(ema.module.parameters(), net.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_decay_semantics_by_hand():
    net = nn.Linear(1, 1, bias=False)
    ema = EMA(net, decay=0.75, warmup=False)
    with torch.no_grad():
        net.weight.fill_(4.0)
    ema.update(net)  # first update copies: 4
    with torch.no_grad():
        net.weight.fill_(0.0)
    ema.update(net)  # 0.75 * 4 + 0.25 * 0 = 3
    ema.update(net)  # 0.75 * 3 = 2.25
    assert ema.module.weight.item() == pytest.approx(2.25)


def test_batchnorm_buffers_are_copied_not_averaged():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = EMA(net, decay=0.5)
    for scale in (1.0, 10.0, 100.0):
        net(torch.randn(64, 2) * scale)
        ema.update(net)
    torch.testing.assert_close(ema.module[1].running_var, net[1].running_var)
    assert ema.module[1].num_batches_tracked == net[1].num_batches_tracked


def test_bad_decay_is_named():
    with pytest.raises(ValueError, match="decay=1.0"):
        EMA(nn.Linear(1, 1), decay=1.0)


def test_warmup_schedule_by_hand():
    # beta_t = min(decay, (1 + t) / (10 + t)): 0.1, 2/11, 0.25, then capped at decay = 0.25.
    net = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(10.0)
    ema = EMA(net, decay=0.25)  # the average starts at the copied weight 10
    expected = 10.0
    for t, target in enumerate([0.0, 4.0, 8.0, 2.0]):
        with torch.no_grad():
            net.weight.fill_(target)
        beta = min(0.25, (1 + t) / (10 + t))
        assert ema.beta().item() == pytest.approx(beta)
        ema.update(net)
        expected = beta * expected + (1 - beta) * target
        assert ema.module.weight.item() == pytest.approx(expected)


def test_warmup_forgets_the_initial_weights_fast():
    # Without the warm-up, after 500 updates at 0.999 about 61% of the start survives; with it, under 2%.
    net = nn.Linear(1, 1, bias=False)
    survivors = {}
    for warmup in (False, True):
        with torch.no_grad():
            net.weight.fill_(1.0)
        ema = EMA(net, 0.999, warmup=warmup)
        ema.n_averaged.fill_(1)  # skip the copy at t = 0 so the start weight is what decays
        with torch.no_grad():
            net.weight.fill_(0.0)
        for _ in range(500):
            ema.update(net)
        survivors[warmup] = ema.module.weight.item()
    assert survivors[False] == pytest.approx(0.999**500, rel=1e-3)
    assert survivors[True] < 0.02


def test_update_never_reads_the_device():
    # The step counter stays a tensor: an update is capturable and sync-free.
    net = nn.Linear(2, 2)
    ema = EMA(net, 0.9)
    ema.update(net)
    assert isinstance(ema.n_averaged, torch.Tensor) and ema.n_averaged.device == next(net.parameters()).device


def test_recalibration_gives_the_statistics_of_the_averaged_weights():
    from ganlib.models import DCGANGenerator

    torch.manual_seed(0)
    net = DCGANGenerator(latent_dim=4, image_size=16, width=4)
    ema = EMA(net, decay=0.5)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0)  # the raw weights move far from the average
        net(torch.randn(256, 4))  # raw running statistics
    ema.update(net)
    copied = ema.module.net[1].running_var.clone()
    torch.testing.assert_close(copied, net.net[1].running_var)
    ema.recalibrate(latent_dim=4, batches=4, batch_size=512)
    # Reference: the batch variance of the first BatchNorm's input under the averaged weights.
    z = torch.randn(2048, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        pre = ema.module.net[0](z[:, :, None, None])
    expected = pre.var(dim=(0, 2, 3))
    assert not torch.allclose(copied, expected, rtol=0.2)
    torch.testing.assert_close(ema.module.net[1].running_var, expected, rtol=0.1, atol=1e-4)
