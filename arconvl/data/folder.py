"""A user's own images as a dataset: one subfolder per class.

::

    DIR/train/CLASS_A/*.png|jpg|jpeg|bmp     (any depth below the class folder)
    DIR/train/CLASS_B/...
    DIR/test/CLASS_A/...                     (optional; the same class folders as train/)

Class names are the subfolder names, sorted; label j is the j-th name. Any k ≥ 2 and any class
sizes: the imbalance is the data's own. Without ``test/``, a stratified seeded test split is drawn
first (``own_data.split_own_data``). Images are streamed from the files by the pipeline of the
large-scale sets (``large.image_files``): decoded, converted to ``channels``, resized to
``image_size`` (by default the first training image's size and channels). Every file is decoded
once first (``verify_images``, a progress bar on stderr), so a corrupt image is an error naming it
before training starts. Hidden files (``.name``) are passed over; any other file that is not an
image is an error naming it.
"""

from pathlib import Path

import numpy as np

from arconvl.data.catalog import FOLDER, class_counts
from arconvl.data.large.image_files import CHANNELS, ImageFiles, bar_progress, image_shape_of, path_array, verify_images
from arconvl.data.large.prepare import LargeScaleSplits
from arconvl.data.own_data import DEFAULT_TEST_FRACTION, check_classes, split_own_data
from arconvl.errors import ConfigError, DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
TRAIN_DIR, TEST_DIR = "train", "test"


def _visible(path, below):
    return not any(part.startswith(".") for part in path.relative_to(below).parts)


def image_files_under(folder):
    """The image files below ``folder`` (recursively, sorted); ``DataError`` naming the first
    visible file whose suffix is not one of ``IMAGE_SUFFIXES``."""
    folder = Path(folder)
    files = sorted(path for path in folder.rglob("*") if path.is_file() and _visible(path, folder))
    for path in files:
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{path}: not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
    return files


def read_class_folders(root):
    """(class names, paths, int32 labels) of ``root``/CLASS/... ; ``DataError`` for a missing
    folder, a file beside the class folders, or a class folder without an image."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder (expected one subfolder of images per class)")
    entries = sorted(entry for entry in root.iterdir() if not entry.name.startswith("."))
    stray = [entry for entry in entries if not entry.is_dir()]
    if stray:
        raise DataError(f"{stray[0]}: a file beside the class folders (images go in {root}/CLASS/)")
    class_names, paths, labels = [], [], []
    for label, folder in enumerate(entries):
        files = image_files_under(folder)
        if not files:
            raise DataError(f"{folder}: an empty class folder (no {', '.join(IMAGE_SUFFIXES)} image)")
        class_names.append(folder.name)
        paths += files
        labels += [label] * len(files)
    return tuple(class_names), path_array(paths), np.asarray(labels, dtype=np.int32)


def read_image_folder(data_dir):
    """The ``ImageFiles`` of ``data_dir`` (``train/`` and, if present, ``test/``; test None when
    absent) with its class names; ``DataError`` when train/ is missing, holds fewer than 2 class
    folders, or test/ holds other classes than train/."""
    data_dir = Path(data_dir)
    if not (data_dir / TRAIN_DIR).is_dir():
        raise DataError(f"{data_dir}: no {TRAIN_DIR}/ folder (expected {data_dir}/{TRAIN_DIR}/CLASS/*.png and "
                        f"optionally {data_dir}/{TEST_DIR}/CLASS/...)")
    class_names, train_paths, train_labels = read_class_folders(data_dir / TRAIN_DIR)
    check_classes(class_names, train_labels, data_dir / TRAIN_DIR)
    test_paths = test_labels = None
    if (data_dir / TEST_DIR).is_dir():
        test_names, test_paths, test_labels = read_class_folders(data_dir / TEST_DIR)
        if test_names != class_names:
            only_train = sorted(set(class_names) - set(test_names))
            only_test = sorted(set(test_names) - set(class_names))
            raise DataError(f"{data_dir}: {TRAIN_DIR}/ and {TEST_DIR}/ hold different classes (only in "
                            f"{TRAIN_DIR}/: {', '.join(only_train) or '-'}; only in {TEST_DIR}/: "
                            f"{', '.join(only_test) or '-'})")
    return ImageFiles(train_paths, train_labels, test_paths, test_labels, source=f"{data_dir} (image folder)",
                      class_names=class_names)


def image_shape_for(first_image, image_size=None, channels=None):
    """(height, width, channels) the images are brought to: ``image_size`` (height, width) and
    ``channels`` (1 or 3) where given, else those of ``first_image`` (grey with or without alpha
    → 1, colour → 3)."""
    if image_size is not None and (len(image_size) != 2 or not all(
            isinstance(side, (int, np.integer)) and not isinstance(side, bool) and side > 0 for side in image_size)):
        raise ConfigError(f"image size must be two positive integers (height width), got {image_size!r}")
    if channels is not None and channels not in CHANNELS:
        raise ConfigError(f"channels must be 1 or 3, got {channels!r}")
    if image_size is None or channels is None:
        height, width, stored = image_shape_of(first_image)
        image_size = image_size or (height, width)
        channels = channels or (1 if stored <= 2 else 3)
    return int(image_size[0]), int(image_size[1]), int(channels)


def prepare_folder_splits(data_dir, seed, val_fraction=0.1, *, test_fraction=DEFAULT_TEST_FRACTION,
                          image_size=None, channels=None, verify=True, progress=True, subsample=1.0):
    """The splits of the image folder ``data_dir`` as ``LargeScaleSplits`` (name "folder"): file
    lists, labels and per-class counts, streamed by the image-file pipelines at
    (``image_size``, ``channels``).

    ``verify``: decode every file once first (``progress``: a bar on stderr). ``pool_counts``:
    the whole train/ folder; ``counts_before_split``: after the test split, before the
    train/validation split; ``test_fraction`` is used only without test/ (``split_own_data``).
    """
    files = read_image_folder(data_dir)
    image_shape = image_shape_for(files.train_paths[0], image_size, channels)
    if verify:
        test_paths = [] if files.test_paths is None else list(files.test_paths)
        verify_images([*files.train_paths, *test_paths], progress=bar_progress() if progress else None)
    k = len(files.class_names)
    splits = split_own_data(files.train_paths, files.train_labels, files.test_paths, files.test_labels, k,
                            seed=seed, val_fraction=val_fraction, test_fraction=test_fraction, subsample=subsample)
    (train_paths, train_labels), (val_paths, val_labels), (test_paths, test_labels) = (
        splits.train, splits.val, splits.test)
    return LargeScaleSplits(
        name=FOLDER, class_names=files.class_names, image_shape=image_shape,
        train_paths=train_paths, train_labels=train_labels, val_paths=val_paths, val_labels=val_labels,
        test_paths=test_paths, test_labels=test_labels,
        pool_counts=class_counts(files.train_labels, k), counts_before_split=splits.counts_before_split,
        train_counts=class_counts(train_labels, k), val_counts=class_counts(val_labels, k),
        test_counts=class_counts(test_labels, k), train_fraction=1.0,
        source=files.source + (f", test split {test_fraction:g} drawn" if splits.test_drawn else ""))
