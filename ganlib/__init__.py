"""ganlib: small, correct, composable GAN building blocks for PyTorch.

The package is split by concept:

* :mod:`ganlib.nn` -- pluggable normalization and the DCGAN up/down blocks;
* :mod:`ganlib.models` -- generators and critics, and the model registry;
* :mod:`ganlib.losses` -- pure loss functions, penalties and objectives;
* :mod:`ganlib.train` -- the :class:`~ganlib.train.Trainer`, callbacks, precision, EMA;
* :mod:`ganlib.data` -- data sets preprocessed once into tensors, and a resumable batch stream;
* :mod:`ganlib.metrics` -- FID, KID, Inception Score, and an offline MNIST judge;
* :mod:`ganlib.checkpoint` -- atomic checkpoint files, loaded without executing code.

Subpackages are imported when first used (``import ganlib.losses`` loads torch and the
losses, not torchvision or the Trainer), so a script pays only for what it touches.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["__version__", "checkpoint", "data", "losses", "metrics", "models", "nn", "train"]

__version__ = "0.2.0.dev0"

_SUBMODULES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> ModuleType:
    # PEP 562: ``ganlib.train`` and friends load on first access, so importing one part of
    # the library does not import all of it.
    if name in _SUBMODULES:
        return importlib.import_module(f"ganlib.{name}")
    raise AttributeError(f"module 'ganlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
