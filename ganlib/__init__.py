"""ganlib: small, correct, composable GAN building blocks for PyTorch.

The package is split by concept:

* :mod:`ganlib.nn` -- pluggable normalization and the DCGAN up/down blocks;
* :mod:`ganlib.models` -- generators and critics, and the model registry;
* :mod:`ganlib.losses` -- pure loss functions, penalties and objectives;
* :mod:`ganlib.augment` -- differentiable augmentation of the critic's inputs;
* :mod:`ganlib.train` -- the :class:`~ganlib.train.Trainer`, callbacks, precision, EMA;
* :mod:`ganlib.data` -- data sets preprocessed once into tensors, 2-D toys, resumable batch streams;
* :mod:`ganlib.metrics` -- FID, KID, Inception Score, precision/recall, density/coverage, mode
  counts (Stacked MNIST), and an offline MNIST judge;
* :mod:`ganlib.recipes` -- each objective's settings from its paper;
* :mod:`ganlib.schedules` -- the half-cosine shape of R3GAN's hyperparameter schedules;
* :mod:`ganlib.bench` -- benchmark suites with published figures (``python -m ganlib bench``);
* :mod:`ganlib.registry` and :mod:`ganlib.plugins` -- every component by name, and code
  outside ganlib that registers more;
* :mod:`ganlib.checkpoint`, :mod:`ganlib.runs`, :mod:`ganlib.errors` -- atomic checkpoint
  files, run directories, and the exceptions a user meets.

Subpackages are imported when first used (``import ganlib.losses`` loads torch and the
losses, not torchvision or the Trainer), so a script pays only for what it touches.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "__version__", "augment", "bench", "checkpoint", "data", "errors", "losses", "metrics", "models", "nn", "plugins", "recipes",
    "registry", "runs", "schedules", "train",
]

__version__ = "0.4.0.dev0"

_SUBMODULES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> ModuleType:
    # PEP 562: ``ganlib.train`` and friends load on first access, so importing one part of
    # the library does not import all of it.
    if name in _SUBMODULES:
        return importlib.import_module(f"ganlib.{name}")
    raise AttributeError(f"module 'ganlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
