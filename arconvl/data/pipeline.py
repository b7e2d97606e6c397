"""The input pipelines of one run, chosen by the Keras backend: seeded shuffled training batches
(optionally augmented) and ordered evaluation batches, both as float32 images multiplied by
``pixel_scale``.

- TensorFlow (the default and the reference): ``tf.data`` datasets (``pipeline_tf``);
- every other backend (JAX): ``keras.utils.PyDataset``s of NumPy arrays (``pipeline_numpy``), so
  no TensorFlow is needed.

Both keep the (seed, epoch) contract of ``arconvl.data.epochs``: epoch e's training order and
augmentation depend on (seed, e) alone, so a run resumed at any epoch sees exactly the batches an
uninterrupted run would have seen. They draw from the same distributions but from different
random streams: the same seed orders and augments the data differently on TensorFlow and on JAX.

``pixel_scale`` = 1.0 feeds raw 0–255 pixels (the authors' code), 1/255 scales to [0, 1].
Augmentation (``augment``) always works in raw 0–255 units, before the scaling.
"""

import numpy as np

from arconvl.backend import on_tensorflow


def check_arguments(images, batch_size, pixel_scale):
    """Raise ``ValueError`` unless ``images`` is NHWC, ``batch_size`` a positive integer and
    ``pixel_scale`` positive."""
    if np.ndim(images) != 4:
        raise ValueError(f"expected NHWC images, got an array of shape {np.shape(images)}")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not pixel_scale > 0:
        raise ValueError(f"pixel_scale must be positive, got {pixel_scale!r}")


def train_pipeline(x, y, *, batch_size=128, seed, augment, pixel_scale, first_epoch=1, num_epochs=1):
    """Batches (float32 images, int32 labels) of all of (x, y), one pass for each of the 1-based
    epochs ``first_epoch`` … ``first_epoch + num_epochs − 1`` in turn (``ceil(len(x) / batch_size)``
    batches each; the last batch of a pass may be smaller): ``pipeline_tf.train_pipeline`` on
    TensorFlow, ``pipeline_numpy.TrainBatches`` elsewhere."""
    arguments = {"batch_size": batch_size, "seed": seed, "augment": augment, "pixel_scale": pixel_scale,
                 "first_epoch": first_epoch, "num_epochs": num_epochs}
    if on_tensorflow():
        from arconvl.data import pipeline_tf  # noqa: PLC0415 - imports TensorFlow

        return pipeline_tf.train_pipeline(x, y, **arguments)
    from arconvl.data import pipeline_numpy  # noqa: PLC0415 - imports Keras

    return pipeline_numpy.TrainBatches(x, y, **arguments)


def eval_pipeline(x, *, batch_size=128, pixel_scale):
    """Batches of float32 images of ``x`` in order (no labels, no shuffling, no augmentation):
    ``pipeline_tf.eval_pipeline`` on TensorFlow, ``pipeline_numpy.EvalBatches`` elsewhere."""
    if on_tensorflow():
        from arconvl.data import pipeline_tf  # noqa: PLC0415 - imports TensorFlow

        return pipeline_tf.eval_pipeline(x, batch_size=batch_size, pixel_scale=pixel_scale)
    from arconvl.data import pipeline_numpy  # noqa: PLC0415 - imports Keras

    return pipeline_numpy.EvalBatches(x, batch_size=batch_size, pixel_scale=pixel_scale)
