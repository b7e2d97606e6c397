"""The input pipelines and the SVHN / CIFAR-10 augmentation, each test on both implementations:
``tf.data`` with TF ops (TensorFlow) and NumPy ``PyDataset``s (the other backends). They draw from
different random streams, so each is checked against the documented distributions, not the other."""

from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

from arconvl.data import AUGMENTED_DATASETS, augment, augment_tf, pipeline_numpy, pipeline_tf
from arconvl.data.pipeline import eval_pipeline, train_pipeline

IMPLEMENTATIONS = {
    "tf": SimpleNamespace(train=pipeline_tf.train_pipeline, eval=pipeline_tf.eval_pipeline, augment=augment_tf,
                          seed=lambda k: tf.constant([k, 12345], tf.int64), array=tf.constant,
                          numpy=lambda tensor: tensor.numpy()),
    "numpy": SimpleNamespace(train=pipeline_numpy.TrainBatches, eval=pipeline_numpy.EvalBatches, augment=augment,
                             seed=np.random.default_rng, array=np.asarray, numpy=np.asarray),
}

H = W = 32
FILL = -1.0  # outside the noise range [0, 255), so erased pixels are recognisable


def images_and_ids(n=300, shape=(H, W, 3), seed=0):
    """Random uint8 images and int32 labels equal to each image's index, to identify it in a batch."""
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n, dtype=np.int32)


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request):
    """The pipelines and augmentation of one implementation: ``train``, ``eval``, ``augment`` (the
    module), ``seed(k)`` (its random key), ``array`` (to its arrays) and ``numpy`` (back)."""
    return IMPLEMENTATIONS[request.param]


def batches_of(dataset):
    """The batches of a ``tf.data`` dataset or a PyDataset as NumPy arrays (an image-only
    evaluation batch as the array itself)."""
    if isinstance(dataset, tf.data.Dataset):
        return list(dataset.as_numpy_iterator())
    return [batch[0] if len(batch) == 1 else batch for batch in (dataset[i] for i in range(len(dataset)))]


def epoch(dataset):
    """All (images, labels) of one pass, concatenated."""
    batches = batches_of(dataset)
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def numpy_shift(image, dy, dx, pad=8):
    """Independent edge-replicated shift: pad by repeating the border, then crop."""
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    return padded[pad - dy:pad - dy + image.shape[0], pad - dx:pad - dx + image.shape[1]]


# ---------------------------------------------------------------- pipelines

def test_augmented_datasets():
    assert AUGMENTED_DATASETS == ("svhn", "cifar10")


@pytest.mark.parametrize("pixel_scale", [1.0, 1 / 255])
def test_train_batches_without_augmentation(impl, pixel_scale):
    x, ids = images_and_ids()
    batches = batches_of(impl.train(x, ids, batch_size=128, seed=1, augment=False, pixel_scale=pixel_scale))
    assert [len(b[0]) for b in batches] == [128, 128, 44]      # the partial last batch is kept
    assert batches[0][0].shape == (128, H, W, 3)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int32
    images, labels = epoch(impl.train(x, ids, batch_size=128, seed=1, augment=False, pixel_scale=pixel_scale))
    assert sorted(labels) == list(range(300))                  # each sample exactly once
    assert not np.array_equal(labels, ids)                     # shuffled
    np.testing.assert_allclose(images, x[labels].astype(np.float32) * np.float32(pixel_scale), rtol=1e-6)


def test_grey_images_keep_their_channel(impl):
    x, ids = images_and_ids(n=10, shape=(28, 28, 1))
    images, labels = epoch(impl.train(x, ids, batch_size=4, seed=0, augment=False, pixel_scale=1.0))
    assert images.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(images, x[labels])


def epochs_of(dataset, batches_per_epoch):
    """(images, labels) of each pass of a multi-epoch dataset."""
    batches = batches_of(dataset)
    assert len(batches) % batches_per_epoch == 0
    return [(np.concatenate([b[0] for b in batches[i:i + batches_per_epoch]]),
             np.concatenate([b[1] for b in batches[i:i + batches_per_epoch]]))
            for i in range(0, len(batches), batches_per_epoch)]


def test_train_order_is_seeded_and_reshuffled_every_epoch(impl):
    x, ids = images_and_ids()
    dataset = impl.train(x, ids, batch_size=64, seed=3, augment=True, pixel_scale=1.0, num_epochs=2)
    assert len(dataset) == 10
    (first_images, first), (second_images, second) = epochs_of(dataset, 5)
    assert sorted(first) == sorted(second) == list(range(300))
    assert not np.array_equal(first, second)
    rebuilt = impl.train(x, ids, batch_size=64, seed=3, augment=True, pixel_scale=1.0, num_epochs=2)
    for passes in epochs_of(dataset, 5), epochs_of(rebuilt, 5):  # iterated again, or rebuilt
        for (images, labels), (expected_images, expected) in zip(
            passes, [(first_images, first), (second_images, second)], strict=True
        ):
            np.testing.assert_array_equal(labels, expected)
            np.testing.assert_array_equal(images, expected_images)  # same seed → same augmentation too
    other = epoch(impl.train(x, ids, batch_size=64, seed=4, augment=True, pixel_scale=1.0))[1]
    assert not np.array_equal(first, other)
    # a fresh augmentation every epoch: sample 0 does not look the same twice
    assert not np.array_equal(first_images[first == 0], second_images[second == 0])


def test_each_epoch_depends_only_on_the_seed_and_its_number(impl):
    """What a resumed run relies on: epochs 3–4 alone are the last two passes of epochs 1–4."""
    x, ids = images_and_ids(n=100)
    kwargs = {"batch_size": 32, "seed": 5, "augment": True, "pixel_scale": 1.0}
    whole = epochs_of(impl.train(x, ids, num_epochs=4, **kwargs), 4)
    tail = epochs_of(impl.train(x, ids, first_epoch=3, num_epochs=2, **kwargs), 4)
    assert len(whole) == 4 and len(tail) == 2
    for (images, labels), (expected_images, expected) in zip(tail, whole[2:], strict=True):
        np.testing.assert_array_equal(labels, expected)
        np.testing.assert_array_equal(images, expected_images)
    assert len({tuple(labels) for _, labels in whole}) == 4


def test_augmentation_is_drawn_afresh_every_epoch(impl):
    x, ids = images_and_ids(n=1)
    (first, _), (second, _) = epochs_of(
        impl.train(x, ids, batch_size=1, seed=0, augment=True, pixel_scale=1.0, num_epochs=2), 1)
    assert not np.array_equal(first, second)


def test_augmented_training_batches(impl):
    x, ids = images_and_ids()
    images, labels = epoch(impl.train(x, ids, batch_size=128, seed=0, augment=True, pixel_scale=0.5))
    assert images.shape == x.shape and images.dtype == np.float32
    assert sorted(labels) == list(range(300))
    assert images.min() >= 0 and images.max() < 0.5 * 255 + 1e-3
    changed = np.any(images != x[labels] * np.float32(0.5), axis=(1, 2, 3))
    assert changed.all()  # every image is at least erased


def test_eval_pipeline_is_ordered_images_only(impl):
    x, _ = images_and_ids(n=70)
    dataset = impl.eval(x, batch_size=32, pixel_scale=1 / 255)
    batches = batches_of(dataset)
    assert all(isinstance(batch, np.ndarray) for batch in batches)  # images only
    assert [len(b) for b in batches] == [32, 32, 6]
    np.testing.assert_allclose(np.concatenate(batches), x.astype(np.float32) / 255, rtol=1e-6)


def test_pixel_scale_comes_after_the_augmentation(impl):
    """The augmentation works in raw 0–255 units (erasing noise included), then the scaling."""
    x, ids = images_and_ids(n=100)
    kwargs = {"batch_size": 32, "seed": 2, "augment": True, "num_epochs": 2}
    raw = epochs_of(impl.train(x, ids, pixel_scale=1.0, **kwargs), 4)
    scaled = epochs_of(impl.train(x, ids, pixel_scale=1 / 255, **kwargs), 4)
    for (raw_images, raw_labels), (images, labels) in zip(raw, scaled, strict=True):
        np.testing.assert_array_equal(labels, raw_labels)
        np.testing.assert_array_equal(images, raw_images * np.float32(1 / 255))


def test_the_backend_chooses_the_pipeline():
    """TensorFlow (this process) keeps ``tf.data``; the NumPy pipeline is for the other backends
    (checked under JAX by tests/test_jax_training.py)."""
    x, ids = images_and_ids(n=8)
    assert isinstance(train_pipeline(x, ids, batch_size=4, seed=0, augment=True, pixel_scale=1.0), tf.data.Dataset)
    assert isinstance(eval_pipeline(x, batch_size=4, pixel_scale=1.0), tf.data.Dataset)


def test_numpy_epochs_are_keyed_by_seed_and_epoch_alone():
    """Batch i of a NumPy training dataset is batch i % steps of epoch first + i // steps: its order
    a permutation from (seed, epoch), its augmentation from (seed, epoch, batch)."""
    x, ids = images_and_ids(n=50)
    dataset = pipeline_numpy.TrainBatches(x, ids, batch_size=16, seed=7, augment=True, pixel_scale=1.0,
                                          first_epoch=3, num_epochs=2)
    assert len(dataset) == 8 and [dataset.position(i) for i in (0, 3, 4, 7)] == [(3, 0), (3, 3), (4, 0), (4, 3)]
    order = np.random.default_rng(np.random.SeedSequence([7, 4, 0])).permutation(50)
    images, labels = dataset[5]  # epoch 4, batch 1
    np.testing.assert_array_equal(labels, order[16:32])
    expected = augment.augment_batch(x[order[16:32]].astype(np.float32),
                                     np.random.default_rng(np.random.SeedSequence([7, 4, 1, 1])))
    np.testing.assert_array_equal(images, expected)
    np.testing.assert_array_equal(dataset[1][1], dataset[1][1])  # read again: the same
    with pytest.raises(IndexError):
        dataset[8]


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size"), ({"pixel_scale": 0.0}, "pixel_scale"), ({"x": np.zeros((4, 32, 32))}, "NHWC"),
])
def test_pipeline_argument_checks(impl, kwargs, match):
    arguments = {"x": np.zeros((4, 32, 32, 3), np.uint8), "batch_size": 2, "pixel_scale": 1.0} | kwargs
    with pytest.raises(ValueError, match=match):
        impl.eval(arguments.pop("x"), **arguments)


@pytest.mark.parametrize("kwargs, match", [({"first_epoch": 0}, "first_epoch"), ({"num_epochs": 0}, "num_epochs")])
def test_train_pipeline_epoch_checks(impl, kwargs, match):
    x, ids = images_and_ids(n=4)
    with pytest.raises(ValueError, match=match):
        impl.train(x, ids, batch_size=2, seed=0, augment=False, pixel_scale=1.0, **kwargs)


# ---------------------------------------------------------------- shifts

@pytest.mark.parametrize("dy, dx", [(0, 0), (2, -3), (-4, 4), (4, 1), (-1, -4)])
def test_shift_replicates_the_edge(impl, dy, dx):
    x, _ = images_and_ids(n=1)
    shifted = impl.numpy(impl.augment.shift_images(impl.array(x.astype(np.float32)), impl.array([dy]),
                                                   impl.array([dx])))[0]
    np.testing.assert_array_equal(shifted, numpy_shift(x[0], dy, dx))


def test_shift_direction(impl):
    x, _ = images_and_ids(n=1)
    shifted = impl.numpy(impl.augment.shift_images(impl.array(x), impl.array([1]), impl.array([0])))[0]
    np.testing.assert_array_equal(shifted[1:], x[0, :-1])   # content moved down one row
    np.testing.assert_array_equal(shifted[0], x[0, 0])      # the vacated top row repeats the old top row


def test_random_shifts_are_integers_in_the_range(impl):
    x, _ = images_and_ids(n=400, seed=1)
    shifted = impl.numpy(impl.augment.random_shift(impl.array(x.astype(np.float32)), impl.seed(0)))
    drawn = []
    for original, result in zip(x, shifted):
        matches = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                   if np.array_equal(numpy_shift(original, dy, dx), result)]
        assert len(matches) == 1, "not an edge-replicated integer shift within 4 pixels"
        drawn.append(matches[0])
    dys, dxs = zip(*drawn)
    assert set(dys) == set(dxs) == set(range(-4, 5))


# ---------------------------------------------------------------- flip

def test_random_flip_mirrors_about_half(impl):
    x, _ = images_and_ids(n=400)
    flipped = impl.numpy(impl.augment.random_flip(impl.array(x), impl.seed(1)))
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


def test_erasing_boxes_follow_the_classic_rule(impl):
    top, left, h, w = (impl.numpy(v) for v in impl.augment.erasing_boxes(4000, H, W, impl.seed(2)))
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


def test_erasing_fills_one_rectangle_with_noise(impl):
    images = impl.array(np.full([500, H, W, 3], FILL, np.float32))
    erased = impl.numpy(impl.augment.random_erasing(images, impl.seed(3)))
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


def test_erasing_gives_up_when_no_candidate_fits(impl):
    top, left, h, w = (impl.numpy(v) for v in impl.augment.erasing_boxes(4000, H, W, impl.seed(4), tries=1))
    found = h > 0
    assert not np.any(np.stack([top, left, h, w])[:, ~found])      # no box at all
    assert (top + h <= H)[found].all() and (left + w <= W)[found].all()
    rng = np.random.default_rng(1)
    s, r = rng.uniform(0.02, 0.4, 4000) * H * W, rng.uniform(0.3, 1 / 0.3, 4000)
    w_ref, h_ref = np.sqrt(s / r).astype(int), np.sqrt(s * r).astype(int)
    fits_once = (rng.integers(0, W, 4000) + w_ref <= W) & (rng.integers(0, H, 4000) + h_ref <= H)
    assert abs(found.mean() - fits_once.mean()) < 0.05                # one try of the classic loop


def test_augment_batch_keeps_pixel_range_and_is_seeded(impl):
    x, _ = images_and_ids(n=64)
    batch = impl.array(x.astype(np.float32))
    first = impl.numpy(impl.augment.augment_batch(batch, impl.seed(5)))
    again = impl.numpy(impl.augment.augment_batch(batch, impl.seed(5)))
    other = impl.numpy(impl.augment.augment_batch(batch, impl.seed(6)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.min() >= 0 and first.max() <= 255
