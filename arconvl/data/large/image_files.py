"""Streaming ``tf.data`` pipelines over image files (CelebA, iNaturalist 2018), and a check that
every file decodes.

A file is read with ``tf.io.read_file``, decoded with ``tf.io.decode_image`` (JPEG, PNG, GIF, BMP;
always 3 channels: grey images are repeated, CMYK JPEGs converted; ``channels=1`` then takes the
luma, ``tf.image.rgb_to_grayscale``), resized to the target size
with ``tf.image.resize`` (bilinear, antialiased by default, aspect ratio not kept, no crop), then
rounded to uint8, so an image is exactly what a pre-resized uint8 copy would hold and a cache
stores one byte per value. Batches come out as float32 in raw 0–255 units times ``pixel_scale``,
the convention of ``arconvl.data.pipeline``.

Corrupt files: ``verify_images`` decodes every file once, in parallel, with this same decoder and
raises ``DataError`` naming the first bad file; ``prepare_large_scale_splits(..., verify=True)``
runs it on the files of the three splits, and ``python -m arconvl train`` always does, before it
writes anything. The streaming pipelines do not re-check: a file that goes bad after that check
stops the iteration with TensorFlow's ``InvalidArgumentError``, which does not name the file.
"""

import contextlib
import functools
import hashlib
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from arconvl.data.epochs import check_epochs, epoch_shuffle_seed
from arconvl.data.epochs_tf import epoch_key, epoch_permutation, per_epoch
from arconvl.errors import DataError

DEFAULT_BATCH_SIZE = 64   # the paper's batch size for CelebA and iNaturalist 2018
DEFAULT_SHUFFLE_BUFFER = 4096


@dataclass(frozen=True, eq=False)
class ImageFiles:
    """A dataset as lists of image files: paths (object arrays of str) and int32 class labels of
    the training pool and of the test set (None when the data have none), where they came from,
    and the class names in label order when the reader knows them."""

    train_paths: np.ndarray
    train_labels: np.ndarray
    test_paths: np.ndarray
    test_labels: np.ndarray
    source: str
    class_names: tuple = ()


def path_array(paths):
    """``paths`` as a 1-D object array of str."""
    array = np.empty(len(paths), dtype=object)
    array[:] = [str(path) for path in paths]
    return array


def _check_size(image_size):
    if (len(image_size) != 2
            or not all(isinstance(side, (int, np.integer)) and side > 0 for side in image_size)):
        raise ValueError(f"image_size must be (height, width) in pixels, got {image_size!r}")
    return int(image_size[0]), int(image_size[1])


def _check(paths, batch_size, pixel_scale):
    if len(paths) == 0:
        raise ValueError("no image files to read")
    if not (isinstance(batch_size, (int, np.integer)) and batch_size > 0):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not pixel_scale > 0:
        raise ValueError(f"pixel_scale must be positive, got {pixel_scale!r}")


CHANNELS = (1, 3)  # grey or colour


def _decode(path):
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


def _check_channels(channels):
    if channels not in CHANNELS:
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    return channels


def decode_and_resize(path, image_size, antialias=True, channels=3):
    """One file (a string tensor) → a uint8 (height, width, ``channels``) image."""
    height, width = _check_size(image_size)
    image = _decode(path)
    if _check_channels(channels) == 1:
        image = tf.image.rgb_to_grayscale(image)
    image = tf.image.resize(image, (height, width), antialias=antialias)
    image = tf.cast(tf.round(tf.clip_by_value(image, 0.0, 255.0)), tf.uint8)
    return tf.ensure_shape(image, (height, width, channels))


def image_shape_of(path):
    """(height, width, channels) of one file as stored (channels: 1 grey, 2 grey + alpha, 3 or 4);
    ``DataError`` naming the file when it does not decode."""
    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), expand_animations=False)
    except tf.errors.OpError as error:
        raise DataError(f"{path}: {_why_unreadable(str(path))}") from error
    return tuple(int(side) for side in image.shape)


def cache_file(prefix, paths, image_size, antialias, channels=3):
    """``prefix`` + a digest of the file list, the size, the channels and the resize mode: a
    ``tf.data`` file cache is read back blindly, so a changed list or size must not find the old
    cache (a 3-channel cache keeps its digest of before the channels were an option)."""
    key = (tuple(image_size), bool(antialias)) if channels == 3 else (tuple(image_size), bool(antialias), channels)
    digest = hashlib.sha1(repr(key).encode())
    for path in paths:
        digest.update(str(path).encode() + b"\0")
    return f"{prefix}-{digest.hexdigest()[:16]}"


def _cached(dataset, cache, paths, image_size, antialias, channels):
    """``dataset.cache`` in memory (``cache=True``) or in files at a prefix (str or Path); None /
    False: no cache."""
    if cache is None or cache is False:
        return dataset
    if cache is True:
        return dataset.cache()
    if isinstance(cache, (str, Path)) and str(cache):
        return dataset.cache(cache_file(cache, paths, image_size, antialias, channels))
    raise ValueError(f"cache must be None, True (memory) or a file prefix, got {cache!r}")


def _to_float(pixel_scale):
    def convert(images, *rest):
        images = tf.cast(images, tf.float32) * pixel_scale
        return (images, *rest) if rest else images
    return convert


def image_file_train_pipeline(paths, labels, *, image_size, batch_size=DEFAULT_BATCH_SIZE, seed, pixel_scale,
                              cache=None, shuffle_buffer=DEFAULT_SHUFFLE_BUFFER, antialias=True,
                              first_epoch=1, num_epochs=1, channels=3):
    """Batches (float32 images, int32 labels) of all files, one pass for each of the 1-based epochs
    ``first_epoch`` … ``first_epoch + num_epochs − 1`` (``ceil(len(paths) / batch_size)`` batches
    each; the last batch of a pass may be smaller). Decoding and resizing run in parallel.

    Epoch e's order depends on (``seed``, e) alone (``arconvl.data.epochs``), so a resumed run
    sees the batches of an uninterrupted one. Without ``cache``, epoch e reads the files in a
    permutation keyed by (``seed``, e) (a full shuffle). With ``cache`` (True: memory; a path
    prefix: files) the decoded, resized uint8 images are cached in file-list order on the first
    pass, and epoch e streams them through a shuffle buffer of ``shuffle_buffer`` images seeded by
    (``seed``, e) (a partial shuffle; the buffer holds decoded images). ``channels``: 3 (colour) or 1 (grey).
    """
    _check(paths, batch_size, pixel_scale)
    size = _check_size(image_size)
    if len(paths) != len(labels):
        raise ValueError(f"{len(paths)} image files but {len(labels)} labels")
    path_tensor = tf.constant([str(p) for p in paths], tf.string)
    label_tensor = tf.constant(np.asarray(labels), tf.int32)
    count = len(paths)

    def load(path, label):
        return decode_and_resize(path, size, antialias, channels), label

    steps = -(-count // batch_size)
    if cache is None or cache is False:
        def epoch_batches(epoch):
            order = epoch_permutation(epoch_key(seed, epoch), count)
            return (tf.data.Dataset.from_tensor_slices((tf.gather(path_tensor, order), tf.gather(label_tensor, order)))
                    .map(load, num_parallel_calls=tf.data.AUTOTUNE)
                    .batch(batch_size))

        batches = per_epoch(first_epoch, num_epochs, epoch_batches, steps)
    else:
        check_epochs(first_epoch, num_epochs)
        files = tf.data.Dataset.from_tensor_slices((path_tensor, label_tensor))
        decoded = _cached(files.map(load, num_parallel_calls=tf.data.AUTOTUNE), cache, paths, size, antialias,
                          channels)
        # Dataset.shuffle takes its seed as a Python int here (a tensor seed fails under a global
        # seed), so the epochs are chained in Python, each with a seed drawn from (seed, epoch).
        epochs = [decoded.shuffle(min(shuffle_buffer, count), seed=epoch_shuffle_seed(seed, epoch),
                                  reshuffle_each_iteration=False).batch(batch_size)
                  for epoch in range(first_epoch, first_epoch + num_epochs)]
        batches = functools.reduce(tf.data.Dataset.concatenate, epochs)
    return (batches
            .map(_to_float(pixel_scale), num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def image_file_eval_pipeline(paths, *, image_size, batch_size=DEFAULT_BATCH_SIZE, pixel_scale, cache=None,
                             antialias=True, channels=3):
    """Batches of float32 images of the files in order (no labels, no shuffling); ``cache`` and
    ``channels`` as in ``image_file_train_pipeline``."""
    _check(paths, batch_size, pixel_scale)
    size = _check_size(image_size)
    images = (tf.data.Dataset.from_tensor_slices(tf.constant([str(p) for p in paths], tf.string))
              .map(lambda path: decode_and_resize(path, size, antialias, channels),
                   num_parallel_calls=tf.data.AUTOTUNE))
    return (_cached(images, cache, paths, size, antialias, channels)
            .batch(batch_size)
            .map(_to_float(pixel_scale), num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def _why_unreadable(path):
    """TensorFlow's reason why ``path`` does not decode, without its op-name decorations."""
    try:
        _decode(tf.constant(path))
    except tf.errors.NotFoundError:
        return "file not found"
    except tf.errors.OpError as error:
        message = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", error.message).strip()
        return f"cannot be decoded as an image ({message or type(error).__name__})"
    return "could not be decoded"  # failed in the parallel pass only (e.g. removed meanwhile)


VERIFY_BATCH = 1024   # images decoded between two calls of ``verify_images``'s ``progress``


def bar_progress(unit="image"):
    """A ``progress(done, total)`` callback drawing a ``keras.utils.Progbar`` on stderr (so stdout
    keeps only results); the bar is made at the first call, when the total is known."""
    import keras  # noqa: PLC0415 - only a progress bar needs Keras here

    bar = None

    def progress(done, total):
        nonlocal bar
        if bar is None:
            bar = keras.utils.Progbar(total, unit_name=unit)
        with contextlib.redirect_stdout(sys.stderr):
            bar.update(done)

    return progress


@contextlib.contextmanager
def progress_bar(total, unit, enabled=True):
    """``bar_progress`` over ``total`` steps as ``update(count)``; a no-op when not ``enabled``."""
    if not enabled:
        yield lambda count: None
        return
    progress = bar_progress(unit)
    done = [0]

    def update(count):
        done[0] = count
        progress(count, total)

    try:
        yield update
    finally:
        if total is not None and done[0] < total:  # stopped short (an error): end the bar's line
            sys.stderr.write("\n")


def verify_images(paths, progress=None):
    """Decode every file once, in parallel, with the pipelines' decoder; ``DataError`` naming the
    first file (in list order) that is missing or does not decode. Returns the number checked.
    ``progress(checked, total)``, when given (``print_progress``, ``bar_progress``), is called after
    every ``VERIFY_BATCH`` files."""
    paths = [str(path) for path in paths]
    if not paths:
        return 0
    decoded = (tf.data.Dataset.from_tensor_slices(tf.constant(paths, tf.string))
               .map(lambda path: (path, tf.shape(_decode(path))),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
               .ignore_errors()
               .batch(VERIFY_BATCH))
    good = set()
    for batch, _ in decoded.as_numpy_iterator():
        good.update(path.decode() for path in batch)
        if progress is not None:
            progress(len(good), len(paths))
    if len(good) < len(set(paths)):
        bad = next(path for path in paths if path not in good)
        raise DataError(f"{bad}: {_why_unreadable(bad)}")
    return len(paths)


def print_progress(every=10.0, stream=None):
    """A ``verify_images`` progress callback printing "checked N of M images" to ``stream``
    (default stdout) at most once every ``every`` seconds, so only a slow check shows it."""
    last = time.monotonic()

    def progress(checked, total):
        nonlocal last
        if time.monotonic() - last >= every:
            last = time.monotonic()
            print(f"checking that the images decode: {checked} of {total}", file=stream or sys.stdout, flush=True)

    return progress
