"""``tf.data`` pipelines and the SVHN / CIFAR-10 augmentation."""

import numpy as np
import pytest
import tensorflow as tf

from arconvl.data import AUGMENTED_DATASETS, augment, eval_pipeline, train_pipeline

H = W = 32
FILL = -1.0  # outside the noise range [0, 255), so erased pixels are recognisable


def images_and_ids(n=300, shape=(H, W, 3), seed=0):
    """Random uint8 images and int32 labels equal to each image's index, to identify it in a batch."""
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n, dtype=np.int32)


def epoch(dataset):
    """All (images, labels) of one pass, concatenated."""
    batches = list(dataset.as_numpy_iterator())
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def numpy_shift(image, dy, dx, pad=8):
    """Independent edge-replicated shift: pad by repeating the border, then crop."""
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    return padded[pad - dy:pad - dy + image.shape[0], pad - dx:pad - dx + image.shape[1]]


def seed_of(k):
    return tf.constant([k, 12345], tf.int64)


# ---------------------------------------------------------------- pipelines

def test_augmented_datasets():
    assert AUGMENTED_DATASETS == ("svhn", "cifar10")


@pytest.mark.parametrize("pixel_scale", [1.0, 1 / 255])
def test_train_batches_without_augmentation(pixel_scale):
    x, ids = images_and_ids()
    batches = list(train_pipeline(x, ids, batch_size=128, seed=1, augment=False, pixel_scale=pixel_scale))
    assert [len(b[0]) for b in batches] == [128, 128, 44]      # the partial last batch is kept
    assert batches[0][0].shape == (128, H, W, 3)
    assert batches[0][0].dtype == tf.float32 and batches[0][1].dtype == tf.int32
    images, labels = epoch(train_pipeline(x, ids, batch_size=128, seed=1, augment=False, pixel_scale=pixel_scale))
    assert sorted(labels) == list(range(300))                  # each sample exactly once
    assert not np.array_equal(labels, ids)                     # shuffled
    np.testing.assert_allclose(images, x[labels].astype(np.float32) * np.float32(pixel_scale), rtol=1e-6)


def test_grey_images_keep_their_channel():
    x, ids = images_and_ids(n=10, shape=(28, 28, 1))
    images, labels = epoch(train_pipeline(x, ids, batch_size=4, seed=0, augment=False, pixel_scale=1.0))
    assert images.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(images, x[labels])


def epochs_of(dataset, batches_per_epoch):
    """(images, labels) of each pass of a multi-epoch dataset."""
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) % batches_per_epoch == 0
    return [(np.concatenate([b[0] for b in batches[i:i + batches_per_epoch]]),
             np.concatenate([b[1] for b in batches[i:i + batches_per_epoch]]))
            for i in range(0, len(batches), batches_per_epoch)]


def test_train_order_is_seeded_and_reshuffled_every_epoch():
    x, ids = images_and_ids()
    dataset = train_pipeline(x, ids, batch_size=64, seed=3, augment=True, pixel_scale=1.0, num_epochs=2)
    assert dataset.cardinality() == 10
    (first_images, first), (second_images, second) = epochs_of(dataset, 5)
    assert sorted(first) == sorted(second) == list(range(300))
    assert not np.array_equal(first, second)
    rebuilt = train_pipeline(x, ids, batch_size=64, seed=3, augment=True, pixel_scale=1.0, num_epochs=2)
    for passes in epochs_of(dataset, 5), epochs_of(rebuilt, 5):  # iterated again, or rebuilt
        for (images, labels), (expected_images, expected) in zip(
            passes, [(first_images, first), (second_images, second)], strict=True
        ):
            np.testing.assert_array_equal(labels, expected)
            np.testing.assert_array_equal(images, expected_images)  # same seed → same augmentation too
    other = epoch(train_pipeline(x, ids, batch_size=64, seed=4, augment=True, pixel_scale=1.0))[1]
    assert not np.array_equal(first, other)
    # a fresh augmentation every epoch: sample 0 does not look the same twice
    assert not np.array_equal(first_images[first == 0], second_images[second == 0])


def test_each_epoch_depends_only_on_the_seed_and_its_number():
    """What a resumed run relies on: epochs 3–4 alone are the last two passes of epochs 1–4."""
    x, ids = images_and_ids(n=100)
    kwargs = {"batch_size": 32, "seed": 5, "augment": True, "pixel_scale": 1.0}
    whole = epochs_of(train_pipeline(x, ids, num_epochs=4, **kwargs), 4)
    tail = epochs_of(train_pipeline(x, ids, first_epoch=3, num_epochs=2, **kwargs), 4)
    assert len(whole) == 4 and len(tail) == 2
    for (images, labels), (expected_images, expected) in zip(tail, whole[2:], strict=True):
        np.testing.assert_array_equal(labels, expected)
        np.testing.assert_array_equal(images, expected_images)
    assert len({tuple(labels) for _, labels in whole}) == 4


def test_augmentation_is_drawn_afresh_every_epoch():
    x, ids = images_and_ids(n=1)
    (first, _), (second, _) = epochs_of(
        train_pipeline(x, ids, batch_size=1, seed=0, augment=True, pixel_scale=1.0, num_epochs=2), 1)
    assert not np.array_equal(first, second)


def test_augmented_training_batches():
    x, ids = images_and_ids()
    images, labels = epoch(train_pipeline(x, ids, batch_size=128, seed=0, augment=True, pixel_scale=0.5))
    assert images.shape == x.shape and images.dtype == np.float32
    assert sorted(labels) == list(range(300))
    assert images.min() >= 0 and images.max() < 0.5 * 255 + 1e-3
    changed = np.any(images != x[labels] * np.float32(0.5), axis=(1, 2, 3))
    assert changed.all()  # every image is at least erased


def test_eval_pipeline_is_ordered_images_only():
    x, _ = images_and_ids(n=70)
    dataset = eval_pipeline(x, batch_size=32, pixel_scale=1 / 255)
    assert isinstance(dataset.element_spec, tf.TensorSpec)
    batches = list(dataset.as_numpy_iterator())
    assert [len(b) for b in batches] == [32, 32, 6]
    np.testing.assert_allclose(np.concatenate(batches), x.astype(np.float32) / 255, rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size"), ({"pixel_scale": 0.0}, "pixel_scale"), ({"x": np.zeros((4, 32, 32))}, "NHWC"),
])
def test_pipeline_argument_checks(kwargs, match):
    arguments = {"x": np.zeros((4, 32, 32, 3), np.uint8), "batch_size": 2, "pixel_scale": 1.0} | kwargs
    with pytest.raises(ValueError, match=match):
        eval_pipeline(arguments.pop("x"), **arguments)


@pytest.mark.parametrize("kwargs, match", [({"first_epoch": 0}, "first_epoch"), ({"num_epochs": 0}, "num_epochs")])
def test_train_pipeline_epoch_checks(kwargs, match):
    x, ids = images_and_ids(n=4)
    with pytest.raises(ValueError, match=match):
        train_pipeline(x, ids, batch_size=2, seed=0, augment=False, pixel_scale=1.0, **kwargs)


# ---------------------------------------------------------------- shifts

@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -3), (-4, 4), (4, 1), (-1, -4)])
def test_shift_replicates_the_edge(dy, dx):
    x, _ = images_and_ids(n=1)
    shifted = augment.shift_images(tf.constant(x, tf.float32), tf.constant([dy]), tf.constant([dx])).numpy()[0]
    np.testing.assert_array_equal(shifted, numpy_shift(x[0], dy, dx))


def test_shift_direction():
    x, _ = images_and_ids(n=1)
    shifted = augment.shift_images(tf.constant(x), tf.constant([1]), tf.constant([0])).numpy()[0]
    np.testing.assert_array_equal(shifted[1:], x[0, :-1])   # content moved down one row
    np.testing.assert_array_equal(shifted[0], x[0, 0])      # the vacated top row repeats the old top row


def test_random_shifts_are_integers_in_the_range():
    x, _ = images_and_ids(n=400, seed=1)
    shifted = augment.random_shift(tf.constant(x, tf.float32), seed_of(0)).numpy()
    drawn = []
    for original, result in zip(x, shifted):
        matches = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                   if np.array_equal(numpy_shift(original, dy, dx), result)]
        assert len(matches) == 1, "not an edge-replicated integer shift within 4 pixels"
        drawn.append(matches[0])
    dys, dxs = zip(*drawn)
    assert set(dys) == set(dxs) == set(range(-4, 5))


# ---------------------------------------------------------------- flip

def test_random_flip_mirrors_about_half():
    x, _ = images_and_ids(n=400)
    flipped = augment.random_flip(tf.constant(x), seed_of(1)).numpy()
    mirrored = np.array([np.array_equal(f, o[:, ::-1]) for f, o in zip(flipped, x)])
    unchanged = np.array([np.array_equal(f, o) for f, o in zip(flipped, x)])
    assert np.all(mirrored ^ unchanged)
    assert 0.4 < mirrored.mean() < 0.6


# ---------------------------------------------------------------- random erasing

def classic_boxes(n, rng, height=H, width=W):
    """The classic get_random_eraser loop in NumPy: (top, left, h, w) of n images."""
    boxes = []
    for _ in range(n):
        while True:
            s = rng.uniform(0.02, 0.4) * height * width
            r = rng.uniform(0.3, 1 / 0.3)
            w, h = int(np.sqrt(s / r)), int(np.sqrt(s * r))
            left, top = rng.integers(0, width), rng.integers(0, height)
            if left + w <= width and top + h <= height:
                break
        boxes.append((top, left, h, w))
    return np.array(boxes, float)


def test_erasing_boxes_follow_the_classic_rule():
    top, left, h, w = (v.numpy() for v in augment.erasing_boxes(4000, H, W, seed_of(2)))
    assert (h > 0).all() and (w > 0).all()                         # one fits within 100 tries
    assert (top >= 0).all() and (left >= 0).all() and (top + h <= H).all() and (left + w <= W).all()
    assert (h * w <= 0.4 * H * W).all()
    # some s in [0.02, 0.4]·H·W and r in [0.3, 1/0.3] give w = int(sqrt(s/r)), h = int(sqrt(s·r))
    assert ((w + 1) * (h + 1) > 0.02 * H * W).all()
    assert (h / (w + 1) < 1 / 0.3).all() and ((h + 1) / w > 0.3).all()
    ours = np.stack([top, left, h, w], axis=1)
    reference = classic_boxes(4000, np.random.default_rng(0))
    np.testing.assert_allclose(ours.mean(axis=0), reference.mean(axis=0), rtol=0.06)
    np.testing.assert_allclose((h * w).mean(), (reference[:, 2] * reference[:, 3]).mean(), rtol=0.06)


def test_erasing_fills_one_rectangle_with_noise():
    images = tf.fill([500, H, W, 3], FILL)
    erased = augment.random_erasing(images, seed_of(3)).numpy()
    areas = []
    for image in erased:
        mask = image != FILL
        assert (mask == mask[..., :1]).all()                       # all channels of a pixel together
        rows, cols = np.flatnonzero(mask[..., 0].any(axis=1)), np.flatnonzero(mask[..., 0].any(axis=0))
        assert mask[..., 0].sum() == len(rows) * len(cols) > 0     # exactly a filled rectangle
        assert np.array_equal(rows, np.arange(rows[0], rows[-1] + 1))
        noise = image[mask]
        assert (noise >= 0).all() and (noise < 255).all()
        assert len(np.unique(noise)) > noise.size // 2            # per pixel and per channel
        areas.append(mask[..., 0].sum() / (H * W))
    assert max(areas) <= 0.4 and min(areas) >= 4 / (H * W)      # w, h >= 2 on a 32×32 image
    assert np.mean(areas) > 0.1                                  # not only tiny boxes


def test_erasing_gives_up_when_no_candidate_fits():
    top, left, h, w = (v.numpy() for v in augment.erasing_boxes(4000, H, W, seed_of(4), tries=1))
    found = h > 0
    assert not np.any(np.stack([top, left, h, w])[:, ~found])      # no box at all
    assert (top + h <= H)[found].all() and (left + w <= W)[found].all()
    rng = np.random.default_rng(1)
    s, r = rng.uniform(0.02, 0.4, 4000) * H * W, rng.uniform(0.3, 1 / 0.3, 4000)
    w_ref, h_ref = np.sqrt(s / r).astype(int), np.sqrt(s * r).astype(int)
    fits_once = (rng.integers(0, W, 4000) + w_ref <= W) & (rng.integers(0, H, 4000) + h_ref <= H)
    assert abs(found.mean() - fits_once.mean()) < 0.05                # one try of the classic loop


def test_augment_batch_keeps_pixel_range_and_is_seeded():
    x, _ = images_and_ids(n=64)
    batch = tf.constant(x, tf.float32)
    first = augment.augment_batch(batch, seed_of(5)).numpy()
    again = augment.augment_batch(batch, seed_of(5)).numpy()
    other = augment.augment_batch(batch, seed_of(6)).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.min() >= 0 and first.max() <= 255
