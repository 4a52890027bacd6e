"""ganlib: small, correct, composable GAN building blocks for PyTorch.

The package is split by concept:

* :mod:`ganlib.nn` -- pluggable normalization and the DCGAN up/down blocks;
* :mod:`ganlib.models` -- the DCGAN generator and critic, and a small MLP critic;
* :mod:`ganlib.losses` -- pure loss functions, the gradient penalty and objectives;
* :mod:`ganlib.train` -- the :class:`~ganlib.train.Trainer`, callbacks, checkpoints, EMA;
* :mod:`ganlib.data` -- MNIST preprocessed once into a tensor, and a resumable batch stream;
* :mod:`ganlib.metrics` -- FID, KID, Inception Score, and an offline MNIST judge.
"""

from ganlib import data, losses, metrics, models, nn, train

__all__ = ["__version__", "data", "losses", "metrics", "models", "nn", "train"]

__version__ = "0.1.0"
