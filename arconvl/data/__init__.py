"""Datasets of the paper (SPEC §4): reading the standard files, q-imbalance, the stratified
train/validation split, and the input pipelines with the SVHN / CIFAR-10 augmentation (``tf.data``
on TensorFlow, NumPy on other backends: ``pipeline``).

Typical use::

    splits = prepare_splits("fashion_mnist", q=100, seed=0, data_dir=None)
    train = train_pipeline(splits.x_train, splits.y_train, seed=0, augment=False, pixel_scale=1.0)

A user's own data: ``prepare_folder_splits("DIR", seed=0)`` (DIR/train/CLASS/*.png, ``folder``)
and ``prepare_array_splits("mine.npz", seed=0)`` (``arrays``); docs/your_data.md.

Nothing here imports TensorFlow until it is used: an image folder (``prepare_folder_splits``,
``read_image_folder``) is read by the ``tf.data`` pipeline of ``large``, imported on first use.
"""

import importlib

from arconvl.data.arrays import prepare_array_splits, read_array_file
from arconvl.data.augment import AUGMENTED_DATASETS
from arconvl.data.catalog import (
    CLASS_NAMES,
    DATASETS,
    IMAGE_SHAPES,
    LARGE_SCALE_NAMES,
    NUM_CLASSES,
    OWN_DATA_NAMES,
    TRAINABLE_DATASETS,
    check_dataset_name,
    class_counts,
)
from arconvl.data.imbalance import make_imbalanced, stratified_split
from arconvl.data.pipeline import eval_pipeline, train_pipeline
from arconvl.data.run_data import prepare_run_data
from arconvl.data.sources import SYSTEM_LOCATIONS, ArrayDataset, load_dataset
from arconvl.data.splits import Splits, prepare_splits

__all__ = [
    "AUGMENTED_DATASETS",
    "CLASS_NAMES",
    "DATASETS",
    "IMAGE_SHAPES",
    "LARGE_SCALE_NAMES",
    "NUM_CLASSES",
    "OWN_DATA_NAMES",
    "SYSTEM_LOCATIONS",
    "TRAINABLE_DATASETS",
    "ArrayDataset",
    "Splits",
    "check_dataset_name",
    "class_counts",
    "eval_pipeline",
    "load_dataset",
    "make_imbalanced",
    "prepare_array_splits",
    "prepare_folder_splits",
    "prepare_run_data",
    "prepare_splits",
    "read_array_file",
    "read_image_folder",
    "stratified_split",
    "train_pipeline",
]

_NEEDS_TENSORFLOW = {"prepare_folder_splits": "arconvl.data.folder", "read_image_folder": "arconvl.data.folder"}


def __getattr__(name):
    if name in _NEEDS_TENSORFLOW:
        return getattr(importlib.import_module(_NEEDS_TENSORFLOW[name]), name)
    raise AttributeError(f"module 'arconvl.data' has no attribute {name!r}")
