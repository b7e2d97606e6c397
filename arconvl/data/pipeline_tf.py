"""The ``tf.data`` input pipelines of ``arconvl.data.pipeline`` on TensorFlow: seeded shuffled
training batches (optionally augmented, ``augment_tf``) and ordered evaluation batches, both as
float32 images multiplied by ``pixel_scale``.

Epoch e's training order and augmentation depend on (seed, e) alone (``epochs_tf``), so
a run resumed at any epoch sees exactly the batches an uninterrupted run would have seen.
"""

import tensorflow as tf

from arconvl.data.augment_tf import augment_batch
from arconvl.data.epochs_tf import epoch_key, epoch_permutation, fold_in, per_epoch
from arconvl.data.pipeline import check_arguments


def _gather_float(images, indices):
    return tf.cast(tf.gather(images, indices), tf.float32)


def train_pipeline(x, y, *, batch_size=128, seed, augment, pixel_scale, first_epoch=1, num_epochs=1):
    """Batches (float32 images, int32 labels) of all of (x, y), one pass for each of the 1-based
    epochs ``first_epoch`` … ``first_epoch + num_epochs − 1`` in turn (``ceil(len(x) / batch_size)``
    batches each; the last batch of a pass may be smaller).

    Epoch e's order is a permutation keyed by (``seed``, e); with ``augment``, batch b of epoch e is
    augmented (``augment_tf.augment_batch``) with a seed keyed by (``seed``, e, b). Nothing depends on
    earlier passes, so the batches of epochs 3–5 are those an epochs 1–5 dataset gives for them.
    """
    check_arguments(x, batch_size, pixel_scale)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    images, labels = tf.constant(x), tf.constant(y, tf.int32)
    count = len(x)

    def epoch_batches(epoch):
        """(indices, augmentation seed) of every batch of one epoch."""
        key = epoch_key(seed, epoch)
        batch_key = fold_in(key, 1)
        return (tf.data.Dataset.from_tensor_slices(epoch_permutation(key, count))
                .batch(batch_size)
                .enumerate()
                .map(lambda b, indices: (indices, fold_in(batch_key, b))))

    def make_batch(indices, batch_seed):
        batch = _gather_float(images, indices)
        if augment:
            batch = augment_batch(batch, batch_seed)
        return batch * pixel_scale, tf.gather(labels, indices)

    steps = -(-count // batch_size)
    return (per_epoch(first_epoch, num_epochs, epoch_batches, steps)
            .map(make_batch, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def eval_pipeline(x, *, batch_size=128, pixel_scale):
    """Batches of float32 images of ``x`` in order (no labels, no shuffling, no augmentation)."""
    check_arguments(x, batch_size, pixel_scale)
    images = tf.constant(x)
    return (tf.data.Dataset.range(len(x))
            .batch(batch_size)
            .map(lambda indices: _gather_float(images, indices) * pixel_scale,
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
