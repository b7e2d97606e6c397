"""What a user's own dataset (an image folder, ``folder``, or an ``.npz`` of arrays, ``arrays``)
goes through once read: its classes checked, a stratified test split drawn when it has no test
set, then the usual stratified train/validation split (SPEC §4) and the smoke runs' subsample.
No q-imbalance: the data's own imbalance is the one trained on.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from arconvl.data.catalog import class_counts
from arconvl.data.imbalance import stratified_split, stratified_subsample_each
from arconvl.errors import ConfigError, DataError

DEFAULT_TEST_FRACTION = 0.2  # of each class, when the data come without a test set


def check_classes(class_names, train_labels, where):
    """The training counts N_j of classes 0..k-1 (``class_names`` in label order); ``DataError``
    for fewer than 2 classes or a class with no training sample (named)."""
    if len(class_names) < 2:
        found = f" ({', '.join(map(str, class_names))})" if len(class_names) else ""
        raise DataError(f"{where}: {len(class_names)} class{found}; at least 2 classes are needed")
    counts = class_counts(train_labels, len(class_names))
    empty = [str(name) for name, count in zip(class_names, counts) if count == 0]
    if empty:
        raise DataError(f"{where}: no training sample of class {', '.join(empty)}")
    return counts


def check_test_fraction(test_fraction):
    """``test_fraction`` if it is a number in (0, 1), else ``ConfigError``."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) or not 0 < test_fraction < 1:
        raise ConfigError(f"test fraction must lie in (0, 1), got {test_fraction!r}")
    return float(test_fraction)


@dataclass(frozen=True, eq=False)
class OwnSplits:
    """(x, y) pairs of the three splits (x: images or file paths) and the per-class counts of the
    pool the validation split was drawn from (``counts_before_split``)."""

    train: tuple
    val: tuple
    test: tuple
    counts_before_split: np.ndarray
    test_drawn: bool


def split_own_data(x, y, x_test, y_test, num_classes, *, seed, val_fraction=0.1,
                   test_fraction=DEFAULT_TEST_FRACTION, subsample=1.0):
    """The three splits of a user's data. Without a test set (``x_test`` None), a stratified
    ``test_fraction`` of each class is drawn first (at least one sample of each class stays for
    training); then ``val_fraction`` of each class goes to validation; ``subsample`` < 1 then
    keeps that fraction of each class of every split. One ``np.random.default_rng(seed)`` drives
    all three draws, so ``seed`` alone fixes them.
    """
    rng = np.random.default_rng(seed)
    test_drawn = x_test is None
    if test_drawn:
        x, y, x_test, y_test = stratified_split(x, y, check_test_fraction(test_fraction), rng)
    x_train, y_train, x_val, y_val = stratified_split(x, y, val_fraction, rng)
    train, val, test = stratified_subsample_each([(x_train, y_train), (x_val, y_val), (x_test, y_test)],
                                                 subsample, rng)
    return OwnSplits(train, val, test, class_counts(y, num_classes), test_drawn)
