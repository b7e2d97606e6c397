"""A user's own images as arrays in one NumPy ``.npz`` file.

Arrays: ``x_train`` (uint8, N×H×W or N×H×W×C, raw 0–255 pixels), ``y_train`` (integer labels
0..k-1, shape N or N×1); optionally ``x_test`` and ``y_test`` (both or neither; same image shape)
and ``class_names`` (k strings in label order). Without ``class_names``, k is the largest label + 1
and the classes are named "0" … "k-1". Without a test set, a stratified seeded test split is drawn
first (``own_data.split_own_data``). Write one with
``np.savez("mine.npz", x_train=x, y_train=y, class_names=np.array(["cat", "dog"]))``.
"""

from pathlib import Path

import numpy as np

from arconvl.data.catalog import class_counts
from arconvl.data.formats import checked, parsing
from arconvl.data.own_data import DEFAULT_TEST_FRACTION, check_classes, split_own_data
from arconvl.data.sources import ArrayDataset
from arconvl.data.splits import Splits
from arconvl.errors import DataError

REQUIRED_KEYS = ("x_train", "y_train")
OPTIONAL_KEYS = ("x_test", "y_test", "class_names")


def _load(path):
    """{key: array} of the .npz at ``path``; ``DataError`` for a missing or unreadable file, a
    missing array or an unknown one."""
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected a .npz with {', '.join(REQUIRED_KEYS)})")
    with parsing(path, "NumPy .npz archive"), open(path, "rb") as handle:
        archive = np.load(handle, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: a single array, not a .npz archive of {', '.join(REQUIRED_KEYS)}")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    missing = [key for key in REQUIRED_KEYS if key not in arrays]
    unknown = [key for key in arrays if key not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown array(s) {', '.join(unknown)}"
        raise DataError(f"{path}: {problem} (expected {', '.join(REQUIRED_KEYS)} and optionally "
                        f"{', '.join(OPTIONAL_KEYS)})")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise DataError(f"{path}: x_test and y_test go together (found only "
                        f"{'x_test' if 'x_test' in arrays else 'y_test'})")
    return arrays


def _class_names(path, arrays):
    """The file's class names as a tuple of str, or None when it names none."""
    if "class_names" not in arrays:
        return None
    names = arrays["class_names"]
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise DataError(f"{path}: class_names must be a 1-D array of strings, found {names.dtype} {names.shape}")
    names = tuple(str(name.decode() if isinstance(name, bytes) else name) for name in names)
    if len(set(names)) != len(names):
        raise DataError(f"{path}: class_names repeats a name ({', '.join(names)})")
    return names


def read_array_file(path):
    """The ``ArrayDataset`` of the .npz at ``path`` (test arrays None when absent) with its class
    names; ``DataError`` naming the file and the array for any malformed content, a label outside
    0..k-1, fewer than 2 classes or a class without a training sample."""
    path = Path(path)
    arrays = _load(path)
    names = _class_names(path, arrays)
    num_classes = None if names is None else len(names)
    x_train, y_train = checked(arrays["x_train"], arrays["y_train"], f"{path} [x_train, y_train]", num_classes)
    x_test = y_test = None
    if "x_test" in arrays:
        x_test, y_test = checked(arrays["x_test"], arrays["y_test"], f"{path} [x_test, y_test]", num_classes)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise DataError(f"{path}: test images of shape {x_test.shape[1:]} but training images of shape "
                            f"{x_train.shape[1:]}")
    if names is None:
        labels = np.concatenate([y_train, *([] if y_test is None else [y_test])])
        names = tuple(str(j) for j in range(int(labels.max()) + 1 if labels.size else 0))
    check_classes(names, y_train, path)
    return ArrayDataset(x_train, y_train, x_test, y_test, source=f"{path} (arrays)", class_names=names)


def prepare_array_splits(path, seed, val_fraction=0.1, *, test_fraction=DEFAULT_TEST_FRACTION, subsample=1.0):
    """The ``Splits`` of the .npz at ``path``: its own imbalance, no q; ``test_fraction`` is used
    only without x_test (``split_own_data``); ``counts_before_split``: after the test split,
    before the train/validation split."""
    data = read_array_file(path)
    k = len(data.class_names)
    splits = split_own_data(data.x_train, data.y_train, data.x_test, data.y_test, k, seed=seed,
                            val_fraction=val_fraction, test_fraction=test_fraction, subsample=subsample)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits.train, splits.val, splits.test
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test,
                  counts_before_split=splits.counts_before_split, train_counts=class_counts(y_train, k),
                  val_counts=class_counts(y_val, k),
                  source=data.source + (f", test split {test_fraction:g} drawn" if splits.test_drawn else ""),
                  class_names=data.class_names)
