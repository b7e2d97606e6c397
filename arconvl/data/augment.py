"""Training-time augmentation of SVHN and CIFAR-10 (SPEC §4): the transforms, and their NumPy
implementation for the NumPy input pipeline of non-TensorFlow backends (``pipeline_numpy``).
The ``tf.data`` pipeline applies the same transforms as TF ops (``augment_tf``).

Applied in this order to float32 images in raw 0–255 units, as the authors' Keras
``ImageDataGenerator`` did (its transforms first, then the ``preprocessing_function``):

1. a random integer shift of each image, uniform in [-4, 4] pixels in height and in width, the
   vacated border filled with the nearest pixel (``fill_mode="nearest"``), by clipped gathers;
2. a horizontal flip with probability 0.5;
3. random erasing of every image (the classic ``get_random_eraser`` with p = 1 and pixel-level
   noise): draw area s ~ U(0.02, 0.4)·H·W, aspect r ~ U(0.3, 1/0.3), w = int(sqrt(s/r)),
   h = int(sqrt(s·r)), left ~ randint(0, W), top ~ randint(0, H) until the box fits, and fill it
   with uniform noise in [0, 255) per pixel and channel. The retry loop is vectorised: ``ERASE_TRIES``
   candidates are drawn at once and the first that fits is used (the same distribution as the
   loop); when none fits, nothing is erased.

Both implementations draw from these distributions, from different random streams (the TF ops
from stateless seeds, the NumPy functions from a ``np.random.Generator``), so the same seed
augments differently on TensorFlow and elsewhere. This module imports no TensorFlow.
"""

import numpy as np

AUGMENTED_DATASETS = ("svhn", "cifar10")
MAX_SHIFT = 4
FLIP_PROBABILITY = 0.5
ERASE_AREA = (0.02, 0.4)
ERASE_ASPECT = (0.3, 1 / 0.3)
ERASE_VALUES = (0.0, 255.0)
ERASE_TRIES = 100


def shift_images(images, dy, dx):
    """Move image i of an NHWC array down by dy[i] and right by dx[i] pixels (negative: up / left),
    filling the vacated border with the nearest edge pixel: out[i, r, c] = in[i, clip(r − dy[i]), clip(c − dx[i])]."""
    count, height, width = images.shape[:3]
    rows = np.clip(np.arange(height)[np.newaxis, :] - np.asarray(dy)[:, np.newaxis], 0, height - 1)
    cols = np.clip(np.arange(width)[np.newaxis, :] - np.asarray(dx)[:, np.newaxis], 0, width - 1)
    return images[np.arange(count)[:, np.newaxis, np.newaxis], rows[:, :, np.newaxis], cols[:, np.newaxis, :]]


def random_shift(images, rng, max_shift=MAX_SHIFT):
    """``shift_images`` by integer shifts drawn uniformly from [-max_shift, max_shift]."""
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=(2, len(images)))
    return shift_images(images, dy, dx)


def random_flip(images, rng, probability=FLIP_PROBABILITY):
    """Mirror each image left–right with the given probability."""
    flip = rng.random(len(images)) < probability
    return np.where(flip[:, np.newaxis, np.newaxis, np.newaxis], images[:, :, ::-1], images)


def erasing_boxes(batch_size, height, width, rng, tries=ERASE_TRIES):
    """(top, left, h, w) integer vectors of the random-erasing box of each image; (0, 0, 0, 0)
    for an image none of whose ``tries`` candidates fits."""
    shape = (batch_size, tries)
    area = rng.uniform(*ERASE_AREA, size=shape) * (height * width)
    aspect = rng.uniform(*ERASE_ASPECT, size=shape)
    box_w = np.sqrt(area / aspect).astype(np.int64)
    box_h = np.sqrt(area * aspect).astype(np.int64)
    left = rng.integers(0, width, size=shape)
    top = rng.integers(0, height, size=shape)
    fits = (left + box_w <= width) & (top + box_h <= height)
    first, found = np.argmax(fits, axis=1), np.any(fits, axis=1)
    return tuple(np.where(found, values[np.arange(batch_size), first], 0) for values in (top, left, box_h, box_w))


def random_erasing(images, rng):
    """Replace one random box of each image by uniform noise in [0, 255) (see the module docstring)."""
    count, height, width = images.shape[:3]
    top, left, box_h, box_w = erasing_boxes(count, height, width, rng)

    def inside(start, size, length):
        positions = np.arange(length)[np.newaxis, :]
        return (positions >= start[:, np.newaxis]) & (positions < (start + size)[:, np.newaxis])

    box = inside(top, box_h, height)[:, :, np.newaxis] & inside(left, box_w, width)[:, np.newaxis, :]
    noise = rng.uniform(*ERASE_VALUES, size=images.shape).astype(images.dtype)
    return np.where(box[..., np.newaxis], noise, images)


def augment_batch(images, rng):
    """Shift, flip, then erase a float32 NHWC NumPy batch in 0–255 units, drawing from ``rng``."""
    return random_erasing(random_flip(random_shift(images, rng), rng), rng)
