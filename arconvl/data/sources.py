"""Where a dataset's arrays come from. ``load_dataset`` tries, in this order:

1. ``data_dir`` (the user's ``--data-dir``): first its subfolder named after the dataset
   (``mnist/``, ``fashion_mnist/`` or ``fashion-mnist/``, ``svhn/``, ``cifar10/`` or ``cifar-10/``),
   then ``data_dir`` itself, holding the standard files of ``layouts.LAYOUTS`` (CIFAR-10's batches
   may also sit one level deeper in ``cifar-10-batches-py/``). MNIST and Fashion-MNIST share the
   IDX file names, so IDX files directly in ``data_dir`` are taken as whichever of the two is asked
   for; keep both in their named subfolders to hold both.
2. ``SYSTEM_LOCATIONS[name]``, folders of system packages (e.g. Debian's dataset-fashion-mnist),
   searched by the same rules.
3. A download (or the Keras cache in ``~/.keras/datasets``): ``keras.datasets.<name>.load_data()``;
   SVHN's official .mat files through ``keras.utils.get_file``. Only when ``allow_download``.

A ``data_dir`` that does not exist is an error. A folder holding some of the dataset's files is
read, and any missing or malformed file is an error: it is never silently replaced by the next
source. A folder holding none of them is passed over.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arconvl.data.catalog import IMAGE_SHAPES, check_dataset_name
from arconvl.data.formats import checked, read_svhn_mat
from arconvl.data.layouts import DATASET_DIR_NAMES, LAYOUTS
from arconvl.errors import DataError

SYSTEM_LOCATIONS = {
    "mnist": (),
    "fashion_mnist": ("/usr/share/datasets/fashion-mnist",),
    "svhn": (),
    "cifar10": (),
}
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/{split}_32x32.mat"


@dataclass(frozen=True, eq=False)
class ArrayDataset:
    """A dataset's train and test arrays (uint8 NHWC images, int32 labels; the test pair None when
    the data have no test set), where they came from, and the class names when the file names them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    class_names: tuple = ()


def _candidate_folders(base, name):
    base = Path(base)
    return [base / sub for sub in DATASET_DIR_NAMES[name]] + [base]


def _from_folders(name, folders, kind):
    """The arrays from the first folder holding any of the dataset's files, or None."""
    for folder in folders:
        for layout in LAYOUTS[name]:
            found = layout.locate(folder)
            if found is not None:
                return layout.load(found), f"{found} ({kind}, {layout.label})"
    return None


def download(name):
    """(x_train, y_train, x_test, y_test) fetched by Keras; raises whatever the download raises."""
    import keras  # noqa: PLC0415 - only a download needs Keras

    if name == "svhn":
        paths = [Path(keras.utils.get_file(f"{split}_32x32.mat", SVHN_URL.format(split=split),
                                           cache_subdir="datasets/svhn")) for split in ("train", "test")]
        return (*read_svhn_mat(paths[0]), *read_svhn_mat(paths[1])), f"{paths[0].parent} (downloaded)"
    where = f"keras.datasets.{name}"
    (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    arrays = (*checked(x_train, y_train, f"{where} [train]"), *checked(x_test, y_test, f"{where} [test]"))
    return arrays, f"{where} (downloaded or from the Keras cache)"


def _not_found(name, searched, download_note):
    files = " or ".join(layout.describe() for layout in LAYOUTS[name])
    looked = ", ".join(str(folder) for folder in searched) or "nowhere"
    return DataError(f"{name}: no data found. Put {files} in a directory DIR (or DIR/{DATASET_DIR_NAMES[name][0]}) "
                     f"and pass --data-dir DIR (looked in: {looked}; {download_note})")


def _dataset(name, arrays, source):
    x_train, y_train, x_test, y_test = arrays
    for split, images in (("train", x_train), ("test", x_test)):
        if images.shape[1:] != IMAGE_SHAPES[name]:
            raise DataError(f"{source}: {split} images of shape {images.shape[1:]}, "
                            f"expected {IMAGE_SHAPES[name]} for {name}")
    return ArrayDataset(x_train, y_train, x_test, y_test, source)


def load_dataset(name, data_dir=None, *, allow_download=True):
    """The train and test arrays of dataset ``name`` from the first source that has them.

    See the module docstring for the order; raises ``DataError`` with one line naming the files
    expected when no source has them.
    """
    check_dataset_name(name)
    searched = []
    if data_dir is not None:
        if not Path(data_dir).is_dir():
            raise DataError(f"{name}: data directory {data_dir} does not exist")
        searched += _candidate_folders(data_dir, name)
        found = _from_folders(name, _candidate_folders(data_dir, name), "data dir")
        if found is not None:
            return _dataset(name, *found)
    system = [Path(folder) for folder in SYSTEM_LOCATIONS.get(name, ())]
    searched += system
    found = _from_folders(name, system, "system location")
    if found is not None:
        return _dataset(name, *found)
    if not allow_download:
        raise _not_found(name, searched, "download not allowed")
    try:
        return _dataset(name, *download(name))
    except Exception as exc:  # noqa: BLE001 - Keras raises bare Exception on network failure
        note = " ".join(f"download failed: {type(exc).__name__}: {exc}".split())
        raise _not_found(name, searched, note) from exc
