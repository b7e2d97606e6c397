"""The (seed, epoch) contract shared by every training pipeline: epoch e's order and random
augmentation depend on (seed, e) alone, through stateless random ops keyed by them. A run resumed
at any epoch therefore sees exactly the batches an uninterrupted run would have seen.
"""

import numpy as np
import tensorflow as tf


def check_epochs(first_epoch, num_epochs):
    """Raise ``ValueError`` unless both are integers >= 1."""
    for name, value in (("first_epoch", first_epoch), ("num_epochs", num_epochs)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def fold_in(key, data):
    """A new stateless key from ``key`` and the integer ``data``."""
    return tf.random.experimental.stateless_fold_in(key, tf.cast(data, tf.int64))


def epoch_key(seed, epoch):
    """The stateless key of (``seed``, 1-based ``epoch``)."""
    return fold_in(tf.constant([seed, 0], tf.int64), epoch)


def epoch_permutation(key, count):
    """A permutation of 0..count−1 (int64) keyed by an ``epoch_key``."""
    return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), fold_in(key, 0))


def per_epoch(first_epoch, num_epochs, epoch_dataset, steps):
    """``epoch_dataset(epoch)`` (a dataset of ``steps`` batches) for every 1-based epoch
    ``first_epoch`` … ``first_epoch + num_epochs − 1`` in turn, with its cardinality declared."""
    check_epochs(first_epoch, num_epochs)
    return (tf.data.Dataset.range(first_epoch, first_epoch + num_epochs)
            .flat_map(epoch_dataset)
            .apply(tf.data.experimental.assert_cardinality(num_epochs * steps)))


def epoch_shuffle_seed(seed, epoch):
    """A Python int seed for ``Dataset.shuffle`` in epoch ``epoch``, drawn from (``seed``, ``epoch``)."""
    return int(np.random.default_rng([seed, epoch]).integers(2**31 - 1))
