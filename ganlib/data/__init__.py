"""Data: MNIST preprocessed once into a tensor, and an endless resumable batch stream."""

from ganlib.data.batches import TensorBatches
from ganlib.data.mnist import (
    DATA_ENV_VAR,
    DEFAULT_DATA_ROOT,
    MNISTNotFoundError,
    load_mnist,
    parse_digits,
    resolve_data_root,
)

__all__ = [
    "DATA_ENV_VAR",
    "DEFAULT_DATA_ROOT",
    "MNISTNotFoundError",
    "TensorBatches",
    "load_mnist",
    "parse_digits",
    "resolve_data_root",
]
