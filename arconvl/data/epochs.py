"""The (seed, epoch) contract shared by every training pipeline: epoch e's order and random
augmentation depend on (seed, e) alone. A run resumed at any epoch therefore sees exactly the
batches an uninterrupted run would have seen.

Two implementations keep it, one per input pipeline:

- TensorFlow (``tf.data``, ``epochs_tf``): stateless random ops keyed by (seed, e);
- every other backend (NumPy, ``pipeline_numpy``): ``np.random.default_rng`` seeded with the
  ``SeedSequence`` of (seed, e, 0) for epoch e's order (``order_rng``) and of (seed, e, 1, b) for
  the augmentation of its batch b (``augmentation_rng``).

Both draw from the same distributions, but from different random streams: the same seed orders
and augments the data differently on TensorFlow and on JAX.

This module imports no TensorFlow.
"""

import numpy as np

ORDER, AUGMENTATION = 0, 1  # the third word of a NumPy key: which stream of (seed, epoch) it draws


def check_epochs(first_epoch, num_epochs):
    """Raise ``ValueError`` unless both are integers >= 1."""
    for name, value in (("first_epoch", first_epoch), ("num_epochs", num_epochs)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def order_rng(seed, epoch):
    """The NumPy generator of 1-based ``epoch``'s order: keyed by (``seed``, ``epoch``) alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, ORDER]))


def augmentation_rng(seed, epoch, batch):
    """The NumPy generator of the augmentation of batch ``batch`` (0-based) of 1-based ``epoch``."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch, AUGMENTATION, batch]))


def epoch_shuffle_seed(seed, epoch):
    """A Python int seed for ``Dataset.shuffle`` in epoch ``epoch``, drawn from (``seed``, ``epoch``)."""
    return int(np.random.default_rng([seed, epoch]).integers(2**31 - 1))
