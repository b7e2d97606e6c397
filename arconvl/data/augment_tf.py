"""The augmentation of ``arconvl.data.augment`` (its docstring: the transforms, their order and
distributions) as TF ops on whole batches, for the ``tf.data`` pipeline (``pipeline_tf``).

All draws are stateless random ops keyed by a seed of shape [2], so a pipeline seed fixes them.
"""

import tensorflow as tf

from arconvl.data.augment import ERASE_AREA, ERASE_ASPECT, ERASE_TRIES, ERASE_VALUES, FLIP_PROBABILITY, MAX_SHIFT


def _subseed(seed, k):
    return tf.random.experimental.stateless_fold_in(seed, k)


def shift_images(images, dy, dx):
    """Move image i down by dy[i] and right by dx[i] pixels (negative: up / left), filling the
    vacated border with the nearest edge pixel: out[i, r, c] = in[i, clip(r − dy[i]), clip(c − dx[i])]."""
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    rows = tf.clip_by_value(tf.range(height)[tf.newaxis, :] - dy[:, tf.newaxis], 0, height - 1)
    cols = tf.clip_by_value(tf.range(width)[tf.newaxis, :] - dx[:, tf.newaxis], 0, width - 1)
    images = tf.gather(images, rows, axis=1, batch_dims=1)
    return tf.gather(images, cols, axis=2, batch_dims=1)


def random_shift(images, seed, max_shift=MAX_SHIFT):
    """``shift_images`` by integer shifts drawn uniformly from [-max_shift, max_shift]."""
    shifts = tf.random.stateless_uniform([2, tf.shape(images)[0]], seed, -max_shift, max_shift + 1, tf.int32)
    return shift_images(images, shifts[0], shifts[1])


def random_flip(images, seed, probability=FLIP_PROBABILITY):
    """Mirror each image left–right with the given probability."""
    flip = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < probability
    return tf.where(flip[:, tf.newaxis, tf.newaxis, tf.newaxis], tf.reverse(images, axis=[2]), images)


def erasing_boxes(batch_size, height, width, seed, tries=ERASE_TRIES):
    """(top, left, h, w) int32 vectors of the random-erasing box of each image; (0, 0, 0, 0)
    for an image none of whose ``tries`` candidates fits."""
    shape = [batch_size, tries]
    area = tf.random.stateless_uniform(shape, _subseed(seed, 0), *ERASE_AREA) * tf.cast(height * width, tf.float32)
    aspect = tf.random.stateless_uniform(shape, _subseed(seed, 1), *ERASE_ASPECT)
    box_w = tf.cast(tf.sqrt(area / aspect), tf.int32)
    box_h = tf.cast(tf.sqrt(area * aspect), tf.int32)
    left = tf.random.stateless_uniform(shape, _subseed(seed, 2), 0, width, tf.int32)
    top = tf.random.stateless_uniform(shape, _subseed(seed, 3), 0, height, tf.int32)
    fits = (left + box_w <= width) & (top + box_h <= height)
    first = tf.argmax(tf.cast(fits, tf.int32), axis=1, output_type=tf.int32)
    found = tf.reduce_any(fits, axis=1)
    return tuple(tf.where(found, tf.gather(values, first, batch_dims=1), 0) for values in (top, left, box_h, box_w))


def random_erasing(images, seed):
    """Replace one random box of each image by uniform noise in [0, 255) (see the module docstring)."""
    shape = tf.shape(images)
    top, left, box_h, box_w = erasing_boxes(shape[0], shape[1], shape[2], _subseed(seed, 0))

    def inside(start, size, length):
        positions = tf.range(length)[tf.newaxis, :]
        return (positions >= start[:, tf.newaxis]) & (positions < (start + size)[:, tf.newaxis])

    box = inside(top, box_h, shape[1])[:, :, tf.newaxis] & inside(left, box_w, shape[2])[:, tf.newaxis, :]
    noise = tf.random.stateless_uniform(shape, _subseed(seed, 1), *ERASE_VALUES, dtype=images.dtype)
    return tf.where(box[..., tf.newaxis], noise, images)


def augment_batch(images, seed):
    """Shift, flip, then erase a float32 NHWC batch in 0–255 units; ``seed``: int tensor of shape [2]."""
    images = random_shift(images, _subseed(seed, 0))
    images = random_flip(images, _subseed(seed, 1))
    return random_erasing(images, _subseed(seed, 2))
