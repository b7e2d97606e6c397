"""The q-imbalance subsampling and the stratified train/validation split (pure NumPy).

Both draw from a caller's ``numpy.random.Generator``, so one seed fixes the result, and both
keep the original order of the samples they keep.
"""

import math
import numbers

import numpy as np

from arconvl.data.catalog import NUM_CLASSES
from arconvl.errors import ConfigError


def _check_pair(x, y):
    if len(x) != len(y):
        raise ValueError(f"{len(x)} samples but {len(y)} labels")


def minority_count(n, q):
    """floor(n / q): how many of an even class's n samples the q-imbalance keeps."""
    return int(n // q)


def make_imbalanced(x, y, q, rng):
    """Keep a random floor(N_j / q) samples of each even class j and all of each odd class.

    q = 1 keeps everything; q must be a number ≥ 1 (``ConfigError`` otherwise), and at most the
    size of every even class present: a q that would leave a class with no sample at all is a
    ``ConfigError`` naming the class (on the paper's datasets, q ≤ 100 keeps 46 samples or more).
    """
    if isinstance(q, bool) or not isinstance(q, numbers.Real) or not q >= 1:
        raise ConfigError(f"imbalance ratio q must be a number >= 1, got {q!r}")
    _check_pair(x, y)
    keep = []
    for j in range(NUM_CLASSES):
        members = np.flatnonzero(y == j)
        if j % 2 == 0:
            if len(members) and not minority_count(len(members), q):
                even_sizes = np.bincount(np.asarray(y, np.int64), minlength=NUM_CLASSES)[:NUM_CLASSES:2]
                raise ConfigError(f"q = {q} would leave class {j} with no sample (it has {len(members)}); "
                                  f"q may be at most {min(n for n in even_sizes if n)} on these data")
            members = rng.permutation(members)[:minority_count(len(members), q)]
        keep.append(members)
    keep = np.sort(np.concatenate(keep))
    return x[keep], y[keep]


def stratified_subsample(x, y, fraction, rng):
    """Keep a random max(1, floor(fraction · n_j + 0.5)) samples of each class present (for quick
    smoke runs; ``fraction`` in (0, 1], 1 keeps everything)."""
    if not 0 < fraction <= 1:
        raise ConfigError(f"subsample fraction must lie in (0, 1], got {fraction!r}")
    _check_pair(x, y)
    if fraction == 1:
        return x, y
    keep = [rng.permutation(members)[:max(1, math.floor(fraction * len(members) + 0.5))]
            for members in (np.flatnonzero(y == j) for j in np.unique(y))]
    keep = np.sort(np.concatenate(keep))
    return x[keep], y[keep]


def stratified_subsample_each(parts, fraction, rng):
    """``stratified_subsample`` of every (x, y) pair in ``parts``, in turn with one ``rng``: the
    smoke runs' subsample of the training, validation and test splits."""
    return [stratified_subsample(x, y, fraction, rng) for x, y in parts]


def validation_count(n, val_fraction):
    """floor(val_fraction · n + 0.5) validation samples of a class of n, leaving at least one for training."""
    return min(math.floor(val_fraction * n + 0.5), max(n - 1, 0))


def stratified_split(x, y, val_fraction, rng):
    """Per class present in ``y`` (any number of classes), move a random ``validation_count(n_j)``
    samples to validation.

    Returns (x_train, y_train, x_val, y_val); ``val_fraction`` must lie in [0, 1).
    """
    if not 0 <= val_fraction < 1:
        raise ConfigError(f"validation fraction must lie in [0, 1), got {val_fraction!r}")
    _check_pair(x, y)
    is_val = np.zeros(len(y), dtype=bool)
    for j in np.unique(y):  # every class present, however many there are
        members = np.flatnonzero(y == j)
        is_val[rng.permutation(members)[:validation_count(len(members), val_fraction)]] = True
    return x[~is_val], y[~is_val], x[is_val], y[is_val]
