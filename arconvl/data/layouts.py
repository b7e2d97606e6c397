"""Which standard files make up each dataset on disk, and how to read a directory holding them.

A dataset may be stored in more than one layout (MNIST: IDX files or the Keras ``mnist.npz``);
the first layout with any of its files in a directory is the one read from it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arconvl.data.formats import read_cifar_batch, read_idx_dataset, read_npz_dataset, read_svhn_mat
from arconvl.errors import DataError


@dataclass(frozen=True)
class Layout:
    """One way of storing a dataset.

    ``files``: the required files, each as a tuple of accepted names (the first existing one is
    used); ``read``: the list of their paths → (x_train, y_train, x_test, y_test);
    ``subdirs``: where inside a directory the files may sit (``""`` = directly).
    """

    label: str
    files: tuple
    read: Callable
    subdirs: tuple = ("",)

    def describe(self):
        """The file names to tell a user, e.g. ``"a.gz, b.gz"``."""
        names = ", ".join(names[0] for names in self.files)
        inside = [f"{subdir}/" for subdir in self.subdirs if subdir]
        return names + (f" (directly or inside {' or '.join(inside)})" if inside else "")

    def locate(self, directory):
        """The folder (``directory`` or one of its ``subdirs``) holding any of the files, or None."""
        for subdir in self.subdirs:
            folder = Path(directory) / subdir
            if any((folder / name).is_file() for names in self.files for name in names):
                return folder
        return None

    def load(self, folder):
        """Read the files from ``folder``; ``DataError`` when one is missing or malformed."""
        paths, missing = [], []
        for names in self.files:
            found = next((folder / name for name in names if (folder / name).is_file()), None)
            paths.append(found)
            if found is None:
                missing.append(" or ".join(names))
        if missing:
            raise DataError(f"{folder}: incomplete {self.label} ({'; '.join(missing)} missing)")
        return self.read(paths)


def _idx_names(split, kind, ndim):
    base = f"{split}-{kind}-idx{ndim}-ubyte"
    return (f"{base}.gz", base)


def _read_idx(paths):
    train_images, train_labels, test_images, test_labels = paths
    return (*read_idx_dataset(train_images, train_labels), *read_idx_dataset(test_images, test_labels))


def _read_npz(paths):
    return read_npz_dataset(paths[0])


def _read_cifar(paths):
    train = [read_cifar_batch(path) for path in paths[:-1]]
    return (np.concatenate([images for images, _ in train]), np.concatenate([labels for _, labels in train]),
            *read_cifar_batch(paths[-1]))


def _read_svhn(paths):
    return (*read_svhn_mat(paths[0]), *read_svhn_mat(paths[1]))


IDX_LAYOUT = Layout(
    label="IDX files",
    files=(_idx_names("train", "images", 3), _idx_names("train", "labels", 1),
           _idx_names("t10k", "images", 3), _idx_names("t10k", "labels", 1)),
    read=_read_idx,
)
NPZ_LAYOUT = Layout(label="Keras mnist.npz", files=(("mnist.npz",),), read=_read_npz)
CIFAR_LAYOUT = Layout(
    label="CIFAR-10 python batches",
    files=tuple((f"data_batch_{i}",) for i in range(1, 6)) + (("test_batch",),),
    read=_read_cifar,
    subdirs=("", "cifar-10-batches-py"),
)
SVHN_LAYOUT = Layout(label="SVHN .mat files", files=(("train_32x32.mat",), ("test_32x32.mat",)), read=_read_svhn)

LAYOUTS = {
    "mnist": (IDX_LAYOUT, NPZ_LAYOUT),
    "fashion_mnist": (IDX_LAYOUT,),
    "svhn": (SVHN_LAYOUT,),
    "cifar10": (CIFAR_LAYOUT,),
}

# Subfolders of a user's data directory that are taken to hold one dataset, in search order.
DATASET_DIR_NAMES = {
    "mnist": ("mnist",),
    "fashion_mnist": ("fashion_mnist", "fashion-mnist"),
    "svhn": ("svhn",),
    "cifar10": ("cifar10", "cifar-10"),
}
