"""The datasets this package knows: names, class count, image shapes."""

import numpy as np

from arconvl.errors import ConfigError

DATASETS = ("mnist", "fashion_mnist", "svhn", "cifar10")  # the q-imbalanced sets, held as arrays
LARGE_SCALE_NAMES = ("celeba", "inaturalist2018")  # naturally imbalanced, streamed from image files
FOLDER, ARRAYS = "folder", "arrays"  # a user's own data: an image folder, an .npz (arconvl.data.folder / .arrays)
OWN_DATA_NAMES = (FOLDER, ARRAYS)
TRAINABLE_DATASETS = DATASETS + LARGE_SCALE_NAMES + OWN_DATA_NAMES
NATURAL_Q = 1  # the q of a run on a dataset's own imbalance (celeba, inaturalist2018, folder, arrays): none added
NUM_CLASSES = 10
IMAGE_SHAPES = {
    "mnist": (28, 28, 1),
    "fashion_mnist": (28, 28, 1),
    "svhn": (32, 32, 3),
    "cifar10": (32, 32, 3),
}

_DIGITS = tuple(str(d) for d in range(10))
CLASS_NAMES = {
    "mnist": _DIGITS,
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "svhn": (*_DIGITS[1:], "0"),  # class = .mat label − 1, and the .mat label 10 is the digit 0
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
}


def check_dataset_name(name):
    """Return ``name`` if it is one of ``DATASETS``, else raise ``ConfigError``."""
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    return name


def class_counts(labels, num_classes=NUM_CLASSES):
    """Number of samples of each class 0..num_classes-1 (an int64 array of length num_classes)."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
