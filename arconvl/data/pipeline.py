"""``tf.data`` input pipelines: seeded shuffled training batches (optionally augmented) and
ordered evaluation batches, both as float32 images multiplied by ``pixel_scale``.

``pixel_scale`` = 1.0 feeds raw 0–255 pixels (the authors' code), 1/255 scales to [0, 1].
Augmentation always works in raw 0–255 units, before the scaling.
"""

import numpy as np
import tensorflow as tf

from arconvl.data.augment import augment_batch


def _check(images, batch_size, pixel_scale):
    if np.ndim(images) != 4:
        raise ValueError(f"expected NHWC images, got an array of shape {np.shape(images)}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not pixel_scale > 0:
        raise ValueError(f"pixel_scale must be positive, got {pixel_scale!r}")


def _gather_float(images, indices):
    return tf.cast(tf.gather(images, indices), tf.float32)


def train_pipeline(x, y, *, batch_size=128, seed, augment, pixel_scale):
    """Batches (float32 images, int32 labels) of all of (x, y) in a seeded order reshuffled on
    every pass; the last batch may be smaller. With ``augment``, each batch is augmented
    (``augment.augment_batch``) with a per-batch seed drawn from ``seed``, fresh on every pass."""
    _check(x, batch_size, pixel_scale)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    images, labels = tf.constant(x), tf.constant(y, tf.int32)
    order = (tf.data.Dataset.range(len(x))
             .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
             .batch(batch_size))
    batch_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def make_batch(indices, batch_seed):
        batch = _gather_float(images, indices)
        if augment:
            batch = augment_batch(batch, batch_seed)
        return batch * pixel_scale, tf.gather(labels, indices)

    return (tf.data.Dataset.zip(order, batch_seeds)
            .map(make_batch, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def eval_pipeline(x, *, batch_size=128, pixel_scale):
    """Batches of float32 images of ``x`` in order (no labels, no shuffling, no augmentation)."""
    _check(x, batch_size, pixel_scale)
    images = tf.constant(x)
    return (tf.data.Dataset.range(len(x))
            .batch(batch_size)
            .map(lambda indices: _gather_float(images, indices) * pixel_scale,
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
