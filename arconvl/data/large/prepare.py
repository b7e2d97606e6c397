"""One run's file lists for CelebA hair-5 or iNaturalist 2018: read the user's local copy,
optionally keep a stratified fraction of the training pool (iNaturalist: the paper's quarter),
then the stratified 90/10 train/validation split (SPEC §4); and the per-class counts beside the
paper's (supplementary Table 1).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arconvl.data.imbalance import stratified_split, stratified_subsample_each
from arconvl.data.large import celeba, inaturalist
from arconvl.data.large.image_files import image_file_eval_pipeline, image_file_train_pipeline, verify_images
from arconvl.errors import ConfigError
from arconvl.paper import paper_class_counts


@dataclass(frozen=True)
class LargeScaleDataset:
    """A dataset read from a local copy: its reader ``read(data_dir, **options) -> ImageFiles``,
    class names in label order, image shape, and the fraction of the training pool the paper
    trained on."""

    name: str
    class_names: tuple
    image_shape: tuple
    read: Callable
    paper_train_fraction: float = 1.0


LARGE_SCALE_DATASETS = {
    "celeba": LargeScaleDataset("celeba", celeba.CLASS_NAMES, celeba.IMAGE_SHAPE, celeba.read_celeba),
    "inaturalist2018": LargeScaleDataset("inaturalist2018", inaturalist.SUPERCATEGORIES, inaturalist.IMAGE_SHAPE,
                                         inaturalist.read_inaturalist, inaturalist.PAPER_TRAIN_FRACTION),
}


# Subfolders of a shared --data-dir searched for each dataset, and the index file that marks one.
DIR_NAMES = {"celeba": ("celeba", "CelebA"), "inaturalist2018": ("inaturalist2018", "inat2018", "iNat2018")}
INDEX_FILES = {"celeba": celeba.ATTRIBUTE_FILE, "inaturalist2018": inaturalist.TRAIN_FILE}


def large_scale_dataset(name):
    """The ``LargeScaleDataset`` called ``name``; ``ConfigError`` for an unknown name."""
    if name not in LARGE_SCALE_DATASETS:
        raise ConfigError(f"unknown large-scale dataset {name!r}; expected one of {', '.join(LARGE_SCALE_DATASETS)}")
    return LARGE_SCALE_DATASETS[name]


@dataclass(frozen=True, eq=False)
class LargeScaleSplits:
    """Train / validation / test file lists (object arrays of str) and int32 labels of one run;
    also the splits of a user's own image folder (``arconvl.data.folder``), ``name`` "folder".

    Per-class counts: ``pool_counts`` of the whole training pool read from disk;
    ``counts_before_split`` after the ``train_fraction`` subsample, before the 90/10 split (the
    paper's "training set per class"); ``train_counts`` (the N_j the losses use), ``val_counts``,
    ``test_counts``.
    """

    name: str
    class_names: tuple
    image_shape: tuple
    train_paths: np.ndarray
    train_labels: np.ndarray
    val_paths: np.ndarray
    val_labels: np.ndarray
    test_paths: np.ndarray
    test_labels: np.ndarray
    pool_counts: np.ndarray
    counts_before_split: np.ndarray
    train_counts: np.ndarray
    val_counts: np.ndarray
    test_counts: np.ndarray
    train_fraction: float
    source: str

    # The interface ``training.train_run`` uses, shared with ``data.Splits``.
    @property
    def input_shape(self):
        return self.image_shape

    @property
    def num_train(self):
        return len(self.train_labels)

    def labels(self, split):
        """The labels of ``split`` ("train", "val" or "test")."""
        return getattr(self, f"{split}_labels")

    def train_batches(self, *, batch_size, seed, augment, pixel_scale, first_epoch=1, num_epochs=1):
        """``image_file_train_pipeline`` of the training files; no augmentation (as the public code)."""
        if augment:
            raise ConfigError(f"{self.name}: the image-file pipeline has no augmentation")
        return image_file_train_pipeline(
            self.train_paths, self.train_labels, image_size=self.image_shape[:2], batch_size=batch_size, seed=seed,
            pixel_scale=pixel_scale, first_epoch=first_epoch, num_epochs=num_epochs, channels=self.image_shape[2])

    def eval_batches(self, split, *, batch_size, pixel_scale):
        """``image_file_eval_pipeline`` of ``split``'s files, in order."""
        return image_file_eval_pipeline(getattr(self, f"{split}_paths"), image_size=self.image_shape[:2],
                                        batch_size=batch_size, pixel_scale=pixel_scale, channels=self.image_shape[2])


def per_class_counts(labels, num_classes):
    """Number of labels equal to each class 0..num_classes-1 (int64)."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)


def allocate_fraction(counts, fraction):
    """Per-class sizes of a stratified ``fraction`` of a pool with ``counts`` per class:
    floor(fraction · total) in all, shared in proportion to the counts by largest remainders
    (ties to the lower class index). The rule of a stratified split's allocation (as in
    scikit-learn's ``train_test_split(..., stratify=labels)``); applied to the official
    iNaturalist 2018 training counts with fraction 1/4 it gives the paper's counts exactly."""
    if not 0 < fraction <= 1:
        raise ConfigError(f"training fraction must lie in (0, 1], got {fraction!r}")
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    draw = math.floor(fraction * total)
    if total == 0 or draw == total:
        return counts.copy()
    exact = counts * draw / total
    sizes = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[:draw - int(sizes.sum())]] += 1
    return sizes


def stratified_fraction(labels, num_classes, fraction, rng):
    """Sorted indices of a random ``allocate_fraction`` subset of each class."""
    sizes = allocate_fraction(per_class_counts(labels, num_classes), fraction)
    keep = [rng.permutation(np.flatnonzero(labels == j))[:sizes[j]] for j in range(num_classes)]
    return np.sort(np.concatenate(keep))


def split_indices(labels, val_fraction, rng):
    """(train indices, validation indices), both sorted: ``imbalance.stratified_split`` of the indices."""
    train, _, val, _ = stratified_split(np.arange(len(labels)), np.asarray(labels), val_fraction, rng)
    return train, val


def dataset_folder(name, data_dir):
    """The folder of ``name`` under ``data_dir``: its first subfolder named after the dataset
    (``DIR_NAMES``) holding the dataset's index file, else ``data_dir`` itself, so one --data-dir
    can hold both datasets (and the four small ones) side by side."""
    data_dir = Path(data_dir)
    for sub in DIR_NAMES[name]:
        if (data_dir / sub / INDEX_FILES[name]).is_file():
            return data_dir / sub
    return data_dir


def prepare_large_scale_splits(name, data_dir, seed, val_fraction=0.1, *, train_fraction=None, verify=False,
                               progress=None, subsample=1.0, **read_options):
    """The splits of ``name`` ("celeba" or "inaturalist2018") read from ``data_dir`` (or its
    subfolder named after the dataset, ``dataset_folder``).

    ``seed`` alone fixes the subsample and the split (one ``np.random.default_rng(seed)``).
    ``train_fraction``: the stratified fraction of the training pool kept before the split;
    None = the paper's (1 for CelebA, 1/4 for iNaturalist 2018). ``subsample`` < 1 then keeps that
    fraction of each class of every split (quick checks only; the counts stay the full run's).
    ``verify``: decode every image of the three splits once (``verify_images``, which calls
    ``progress``), so that a corrupt file is a ``DataError`` naming it.
    ``read_options`` go to the reader (CelebA: ``train_partitions``; iNaturalist: ``check_files``).
    The test set is untouched.
    """
    dataset = large_scale_dataset(name)
    files = dataset.read(dataset_folder(name, data_dir), **read_options)
    k = len(dataset.class_names)
    fraction = dataset.paper_train_fraction if train_fraction is None else train_fraction
    rng = np.random.default_rng(seed)
    keep = stratified_fraction(files.train_labels, k, fraction, rng)
    paths, labels = files.train_paths[keep], files.train_labels[keep]
    train, val = split_indices(labels, val_fraction, rng)
    (train_paths, train_labels), (val_paths, val_labels), (test_paths, test_labels) = stratified_subsample_each(
        [(paths[train], labels[train]), (paths[val], labels[val]), (files.test_paths, files.test_labels)],
        subsample, rng)
    if verify:
        verify_images([*train_paths, *val_paths, *test_paths], progress=progress)
    return LargeScaleSplits(
        name=name, class_names=dataset.class_names, image_shape=dataset.image_shape,
        train_paths=train_paths, train_labels=train_labels, val_paths=val_paths, val_labels=val_labels,
        test_paths=test_paths, test_labels=test_labels,
        pool_counts=per_class_counts(files.train_labels, k), counts_before_split=per_class_counts(labels, k),
        train_counts=per_class_counts(train_labels, k), val_counts=per_class_counts(val_labels, k),
        test_counts=per_class_counts(test_labels, k), train_fraction=fraction, source=files.source)


def paper_counts(name):
    """(training counts before the 90/10 split, test counts) per class from supplementary Table 1."""
    return paper_class_counts(large_scale_dataset(name).name)


def compare_with_paper(name, counts):
    """Our per-class counts beside the paper's: one dict per class with ``class``, ``train``,
    ``paper_train``, ``test``, ``paper_test``. ``counts``: a ``LargeScaleSplits`` or a pair
    (training counts before the split, test counts)."""
    if isinstance(counts, LargeScaleSplits):
        counts = (counts.counts_before_split, counts.test_counts)
    train, test = (np.asarray(c, dtype=np.int64) for c in counts)
    class_names = large_scale_dataset(name).class_names
    paper_train, paper_test = paper_counts(name)
    if not len(train) == len(test) == len(class_names):
        raise ValueError(f"{name} has {len(class_names)} classes, "
                         f"got {len(train)} training and {len(test)} test counts")
    return [{"class": cls, "train": int(ours_train), "paper_train": theirs_train, "test": int(ours_test),
             "paper_test": theirs_test}
            for cls, ours_train, theirs_train, ours_test, theirs_test
            in zip(class_names, train, paper_train, test, paper_test)]


def format_count_comparison(rows):
    """``compare_with_paper``'s rows as an aligned text table with differences and totals."""
    total = {key: sum(row[key] for row in rows) for key in ("train", "paper_train", "test", "paper_test")}
    lines = [f"{'class':<16}{'train':>9}{'paper':>9}{'diff':>8}{'test':>9}{'paper':>9}{'diff':>8}"]
    for row in [*rows, {"class": "total", **total}]:
        train_diff, test_diff = row["train"] - row["paper_train"], row["test"] - row["paper_test"]
        lines.append(f"{row['class']:<16}{row['train']:>9}{row['paper_train']:>9}{train_diff:>+8}"
                     f"{row['test']:>9}{row['paper_test']:>9}{test_diff:>+8}")
    return "\n".join(lines)
