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
    ema = EMA(net, decay=0.75)
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
