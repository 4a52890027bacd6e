"""Data: data sets preprocessed once into tensors, 2-D toys, and endless resumable batch streams.

Every source is registered by name (:data:`DATASETS`, :func:`register_dataset`,
:func:`register_toy`), each built-in one beside its loader (``mnist.py``, ``images.py``,
``stacked.py``), and loaded with :func:`load_dataset`.
"""

from ganlib.data.batches import TensorBatches
from ganlib.data.images import IMAGE_SUFFIXES, load_cifar10, load_folder
from ganlib.data.mnist import (
    DATA_ENV_VAR,
    DEFAULT_DATA_ROOT,
    DataNotFoundError,
    MNISTNotFoundError,
    load_fashion_mnist,
    load_mnist,
    parse_digits,
    preprocess,
    resolve_data_root,
)
from ganlib.data.stacked import STACKED_MODES, load_stacked_mnist
from ganlib.data.pyramid import downsample, laplacian_pyramid, level_data, reconstruct, upsample
from ganlib.data.registry import DATASETS, Dataset, dataset_names, load_dataset, register_dataset, register_toy, source_metadata
from ganlib.data.toys import TOYS, Toy, ToyStream, toy_bounds, toy_centers, toy_samples

__all__ = [
    "DATASETS",
    "DATA_ENV_VAR",
    "DEFAULT_DATA_ROOT",
    "IMAGE_SUFFIXES",
    "STACKED_MODES",
    "TOYS",
    "DataNotFoundError",
    "Dataset",
    "MNISTNotFoundError",
    "TensorBatches",
    "Toy",
    "ToyStream",
    "dataset_names",
    "downsample",
    "laplacian_pyramid",
    "level_data",
    "load_cifar10",
    "load_dataset",
    "load_fashion_mnist",
    "load_folder",
    "load_mnist",
    "load_stacked_mnist",
    "parse_digits",
    "preprocess",
    "reconstruct",
    "register_dataset",
    "register_toy",
    "resolve_data_root",
    "source_metadata",
    "toy_bounds",
    "toy_centers",
    "toy_samples",
    "upsample",
]
