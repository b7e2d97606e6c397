"""The datasets this package knows: names, class count, image shapes."""

import numpy as np

from arconvl.errors import ConfigError

DATASETS = ("mnist", "fashion_mnist", "svhn", "cifar10")
NUM_CLASSES = 10
IMAGE_SHAPES = {
    "mnist": (28, 28, 1),
    "fashion_mnist": (28, 28, 1),
    "svhn": (32, 32, 3),
    "cifar10": (32, 32, 3),
}


def check_dataset_name(name):
    """Return ``name`` if it is one of ``DATASETS``, else raise ``ConfigError``."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    return name


def class_counts(labels):
    """Number of samples of each class 0..NUM_CLASSES-1 (an int64 array of length NUM_CLASSES)."""
    return np.bincount(np.asarray(labels), minlength=NUM_CLASSES)
