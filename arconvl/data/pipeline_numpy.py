"""The input pipelines of ``arconvl.data.pipeline`` on backends other than TensorFlow (JAX), in
NumPy: no TensorFlow is imported. Training batches (``TrainBatches``) and evaluation batches
(``EvalBatches``) are ``keras.utils.PyDataset``s, which Keras' ``fit`` and ``predict`` read on
every backend; their batches are those of ``pipeline_tf`` in kind (float32 images times
``pixel_scale``, int32 labels, ``ceil(N / batch_size)`` batches a pass, the last one possibly
smaller).

The (seed, epoch) contract (``arconvl.data.epochs``): epoch e's order is a permutation drawn from
``order_rng(seed, e)``; with augmentation, batch b of epoch e is augmented (``augment.augment_batch``:
the documented shift, flip and erasing) from ``augmentation_rng(seed, e, b)``. Batch i of a
``TrainBatches`` is a function of i alone, so a run resumed at epoch e sees exactly the batches an
uninterrupted one would. The distributions are those of the ``tf.data`` pipeline; the random
streams are not: the same seed orders and augments the data differently on TensorFlow and on JAX.

One ``TrainBatches`` holds every remaining epoch in turn (as the ``tf.data`` dataset does) and is
read in the training thread (``workers=1``): Keras' threaded enqueuer restarts a PyDataset at
index 0 at every epoch and starts its workers before ``on_epoch_begin``, so an epoch counter kept
by the dataset could race with it; a batch that is a function of its index cannot.
"""

import math

import keras
import numpy as np

from arconvl.data.augment import augment_batch
from arconvl.data.epochs import augmentation_rng, check_epochs, order_rng
from arconvl.data.pipeline import check_arguments


def _float_batch(images, indices, pixel_scale, rng=None):
    """float32 images ``images[indices]``, augmented from ``rng`` (None: not), times ``pixel_scale``."""
    batch = images[indices].astype(np.float32)
    if rng is not None:
        batch = augment_batch(batch, rng)
    return batch * np.float32(pixel_scale)


class TrainBatches(keras.utils.PyDataset):
    """Batches (float32 images, int32 labels) of all of (x, y), one pass for each of the 1-based
    epochs ``first_epoch`` … ``first_epoch + num_epochs − 1`` in turn; batch ``i`` is batch
    ``i % steps`` of epoch ``first_epoch + i // steps`` (``position``)."""

    def __init__(self, x, y, *, batch_size, seed, augment, pixel_scale, first_epoch=1, num_epochs=1):
        super().__init__()
        check_arguments(x, batch_size, pixel_scale)
        check_epochs(first_epoch, num_epochs)
        if len(x) != len(y):
            raise ValueError(f"{len(x)} images but {len(y)} labels")
        self.images, self.labels = np.asarray(x), np.asarray(y, np.int32)
        self.batch_size, self.seed, self.augment, self.pixel_scale = batch_size, seed, augment, pixel_scale
        self.first_epoch, self.num_epochs = first_epoch, num_epochs
        self.steps = math.ceil(len(x) / batch_size)
        self._order = (None, None)  # (epoch, its permutation): the epoch being read

    def __len__(self):
        return self.num_epochs * self.steps

    def position(self, index):
        """(1-based epoch, 0-based batch in it) of batch ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a dataset of {len(self)}")
        return self.first_epoch + index // self.steps, index % self.steps

    def order(self, epoch):
        """The permutation of the training indices in ``epoch``."""
        if self._order[0] != epoch:
            self._order = (epoch, order_rng(self.seed, epoch).permutation(len(self.labels)))
        return self._order[1]

    def __getitem__(self, index):
        epoch, batch = self.position(index)
        indices = self.order(epoch)[batch * self.batch_size:(batch + 1) * self.batch_size]
        rng = augmentation_rng(self.seed, epoch, batch) if self.augment else None
        return _float_batch(self.images, indices, self.pixel_scale, rng), self.labels[indices]


class EvalBatches(keras.utils.PyDataset):
    """Batches of float32 images of ``x`` in order (no labels, no shuffling, no augmentation)."""

    def __init__(self, x, *, batch_size, pixel_scale):
        super().__init__()
        check_arguments(x, batch_size, pixel_scale)
        self.images, self.batch_size, self.pixel_scale = np.asarray(x), batch_size, pixel_scale

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of a dataset of {len(self)}")
        indices = np.arange(index * self.batch_size, min((index + 1) * self.batch_size, len(self.images)))
        return (_float_batch(self.images, indices, self.pixel_scale),)

