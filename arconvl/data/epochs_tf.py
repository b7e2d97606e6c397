"""The (seed, epoch) contract of ``arconvl.data.epochs`` on TensorFlow: epoch e's order and
random augmentation come from stateless random ops keyed by (seed, e), so a run resumed at any
epoch sees exactly the batches an uninterrupted run would have seen. The ``tf.data`` pipelines
(``pipeline_tf``, ``large.image_files``) use it.
"""

import tensorflow as tf

from arconvl.data.epochs import check_epochs


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

