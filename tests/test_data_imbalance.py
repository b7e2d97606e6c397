"""q-imbalance, the stratified split, and ``prepare_splits`` against supplementary Table 1."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from arconvl.data import DATASETS, class_counts, make_imbalanced, prepare_splits, stratified_split
from arconvl.errors import ConfigError
from arconvl.paper import paper_class_counts

QS = (1, 10, 20, 50, 100)
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def labels_with_counts(counts, seed=0):
    """A shuffled label vector holding counts[j] samples of class j."""
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(len(counts)), counts)).astype(np.int32)


# ---------------------------------------------------------------- make_imbalanced

@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("q", QS)
def test_imbalance_counts_match_the_paper(name, q):
    y = labels_with_counts(paper_class_counts(name, 1)[0])
    ids = np.arange(len(y))
    kept_ids, kept_y = make_imbalanced(ids, y, q, np.random.default_rng(q))
    assert class_counts(kept_y).tolist() == paper_class_counts(name, q)[0]
    assert np.all(np.diff(kept_ids) > 0)                 # a subset, in the original order
    np.testing.assert_array_equal(y[kept_ids], kept_y)   # each kept sample keeps its own label


def test_odd_classes_are_kept_whole_and_q1_keeps_everything():
    y = labels_with_counts([30] * 10)
    ids = np.arange(len(y))
    kept_ids, _ = make_imbalanced(ids, y, 10, np.random.default_rng(0))
    np.testing.assert_array_equal(np.intersect1d(kept_ids, ids[y % 2 == 1]), ids[y % 2 == 1])
    all_ids, all_y = make_imbalanced(ids, y, 1, np.random.default_rng(0))
    np.testing.assert_array_equal(all_ids, ids)
    np.testing.assert_array_equal(all_y, y)


def test_imbalance_selection_is_random_and_seeded():
    y = labels_with_counts([500] * 10)
    ids = np.arange(len(y))
    first = make_imbalanced(ids, y, 10, np.random.default_rng(3))[0]
    again = make_imbalanced(ids, y, 10, np.random.default_rng(3))[0]
    other = make_imbalanced(ids, y, 10, np.random.default_rng(4))[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    class0 = first[y[first] == 0]
    assert class0.max() - class0.min() > len(y) / 2   # spread over the data, not its first samples


@pytest.mark.parametrize("q", [0, 0.5, -1, float("nan"), "10", None, True])
def test_imbalance_ratio_must_be_at_least_one(q):
    with pytest.raises(ConfigError, match="q must be a number >= 1"):
        make_imbalanced(np.arange(10), np.arange(10) % 10, q, np.random.default_rng(0))


# ---------------------------------------------------------------- stratified_split

@pytest.mark.parametrize("n, n_val", [(0, 0), (1, 0), (4, 0), (5, 1), (44, 4), (45, 5), (50, 5), (54, 5),
                                      (55, 6), (60, 6), (6000, 600), (13861, 1386)])
def test_split_sizes_round_half_up(n, n_val):
    counts = [n] + [10] * 9
    y = labels_with_counts(counts)
    _, y_train, _, y_val = stratified_split(np.arange(len(y)), y, 0.1, np.random.default_rng(0))
    assert class_counts(y_val)[0] == n_val and class_counts(y_train)[0] == n - n_val
    assert class_counts(y_val)[1] == 1


def test_single_sample_class_stays_in_training_even_with_a_large_fraction():
    y = labels_with_counts([1, 2] + [4] * 8)
    _, y_train, _, y_val = stratified_split(np.arange(len(y)), y, 0.9, np.random.default_rng(0))
    assert class_counts(y_train)[:3].tolist() == [1, 1, 1]
    assert class_counts(y_val)[:3].tolist() == [0, 1, 3]


def test_split_is_a_seeded_random_partition():
    y = labels_with_counts([100] * 10)
    ids = np.arange(len(y))
    x_train, y_train, x_val, y_val = stratified_split(ids, y, 0.1, np.random.default_rng(5))
    np.testing.assert_array_equal(np.sort(np.concatenate([x_train, x_val])), ids)
    np.testing.assert_array_equal(y[x_train], y_train)
    np.testing.assert_array_equal(y[x_val], y_val)
    assert len(np.intersect1d(x_train, x_val)) == 0
    again = stratified_split(ids, y, 0.1, np.random.default_rng(5))[2]
    other = stratified_split(ids, y, 0.1, np.random.default_rng(6))[2]
    np.testing.assert_array_equal(x_val, again)
    assert not np.array_equal(x_val, other)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_split_fraction_range(fraction):
    with pytest.raises(ConfigError, match="validation fraction"):
        stratified_split(np.arange(10), np.arange(10), fraction, np.random.default_rng(0))


# ---------------------------------------------------------------- prepare_splits on the real Fashion-MNIST

needs_fashion = pytest.mark.skipif(not FASHION_DIR.is_dir(),
                                   reason=f"real Fashion-MNIST not installed ({FASHION_DIR} absent)")


def read_idx_independently(path, header):
    with gzip.open(path) as handle:
        return np.frombuffer(handle.read()[header:], np.uint8)


@pytest.fixture(scope="module")
def fashion_raw():
    return {"x_train": read_idx_independently(FASHION_DIR / "train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1),
            "y_train": read_idx_independently(FASHION_DIR / "train-labels-idx1-ubyte.gz", 8),
            "x_test": read_idx_independently(FASHION_DIR / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1),
            "y_test": read_idx_independently(FASHION_DIR / "t10k-labels-idx1-ubyte.gz", 8)}


@needs_fashion
@pytest.mark.parametrize("q", QS)
def test_fashion_mnist_splits_match_the_paper(q, fashion_raw):
    splits = prepare_splits("fashion_mnist", q, seed=0, allow_download=False)
    before, test = paper_class_counts("fashion_mnist", q)
    assert splits.counts_before_split.tolist() == before
    assert class_counts(splits.y_test).tolist() == test
    np.testing.assert_array_equal(splits.train_counts + splits.val_counts, before)
    np.testing.assert_array_equal(splits.train_counts, class_counts(splits.y_train))
    np.testing.assert_array_equal(splits.val_counts, class_counts(splits.y_val))
    assert splits.val_counts.tolist() == [int(n / 10 + 0.5) for n in before]
    assert str(FASHION_DIR) in splits.source
    np.testing.assert_array_equal(splits.x_test, fashion_raw["x_test"])
    np.testing.assert_array_equal(splits.y_test, fashion_raw["y_test"])
    # every selected (image, label) pair is one of the real training pairs, none used twice
    real = {(image.tobytes(), int(label)) for image, label in zip(fashion_raw["x_train"], fashion_raw["y_train"])}
    chosen = [(image.tobytes(), int(label)) for x, y in ((splits.x_train, splits.y_train), (splits.x_val, splits.y_val))
              for image, label in zip(x, y)]
    assert set(chosen) <= real and len(set(chosen)) == len(chosen)


@needs_fashion
def test_fashion_mnist_seed_fixes_the_splits():
    first = prepare_splits("fashion_mnist", 100, seed=7, allow_download=False)
    again = prepare_splits("fashion_mnist", 100, seed=7, allow_download=False)
    other = prepare_splits("fashion_mnist", 100, seed=8, allow_download=False)
    for field in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    assert first.x_train.shape == other.x_train.shape
    assert not np.array_equal(first.x_train, other.x_train)
    assert not np.array_equal(first.x_val, other.x_val)


def test_stratified_subsample_keeps_a_fraction_of_every_class():
    from arconvl.data.imbalance import stratified_subsample

    y = np.repeat(np.arange(10), [100, 3, 50, 1, 20, 20, 20, 20, 20, 20])
    x = np.arange(len(y))
    xs, ys = stratified_subsample(x, y, 0.1, np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(ys, minlength=10), [10, 1, 5, 1, 2, 2, 2, 2, 2, 2])
    np.testing.assert_array_equal(y[xs], ys)  # the images travel with their labels
    assert np.all(np.diff(xs) > 0)  # original order kept
    full = stratified_subsample(x, y, 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(full[1], y)
    with pytest.raises(ConfigError, match="subsample"):
        stratified_subsample(x, y, 0.0, np.random.default_rng(0))
