import builtins

import pytest
import torch

from ganlib.metrics import INCEPTION_HELP, inception_fid


def test_missing_torchmetrics_gives_instructions(monkeypatch):
    real_import = builtins.__import__

    def no_torchmetrics(name, *args, **kwargs):
        if name.startswith("torchmetrics"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torchmetrics)
    with pytest.raises(ImportError, match=r"pip install 'torchmetrics\[image\]'"):
        inception_fid(torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 8))


def test_help_says_where_the_weights_go_and_offers_the_mnist_judge():
    assert "hub/checkpoints" in INCEPTION_HELP and "MNISTEvaluator" in INCEPTION_HELP
