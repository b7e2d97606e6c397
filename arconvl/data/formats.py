"""Readers of the standard file formats the four datasets are distributed in.

* IDX (MNIST, Fashion-MNIST): ``*-images-idx3-ubyte`` / ``*-labels-idx1-ubyte``, gzipped or not;
* the Keras ``mnist.npz`` (arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``);
* CIFAR-10 python batches (pickled dicts with ``data``: N×3072 uint8 rows holding the red, green
  and blue 32×32 planes in turn, and ``labels``);
* SVHN ``*_32x32.mat`` (``X``: H×W×3×N uint8, ``y``: N×1 with labels 1..10, 10 meaning digit 0).

Every reader returns uint8 NHWC images (a grey image gets C = 1) and int32 labels in 0..9, and
turns a malformed file into a one-line ``DataError`` that names the file.
"""

import contextlib
import gzip
import math
import pickle
import struct
from pathlib import Path

import numpy as np

from arconvl.data.catalog import NUM_CLASSES
from arconvl.errors import DataError

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
CIFAR_IMAGE_SHAPE = (3, 32, 32)  # the channel-first layout of one row of a batch


def _fail(path, problem):
    raise DataError(f"{path}: {problem}")


@contextlib.contextmanager
def parsing(path, what):
    """Turn whatever a third-party parser raises on a malformed file into a ``DataError``.

    The parsers (gzip, zipfile, pickle, scipy.io) raise many unrelated exception types on bad
    input, hence the broad catch; our own ``DataError`` and ``MemoryError`` pass through.
    """
    try:
        yield
    except (DataError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        raise DataError(f"{path}: not a readable {what} ({type(exc).__name__}: {exc})") from exc


def checked(images, labels, where, num_classes=NUM_CLASSES):
    """Validate an (images, labels) pair and return it as (uint8 NHWC, int32 labels in
    0..num_classes-1; ``num_classes`` None: any label ≥ 0).

    Accepts N×H×W images (given C = 1) and N×1 labels; ``where`` names the source in errors.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or images.dtype != np.uint8:
        _fail(where, f"expected uint8 images of shape (N, H, W[, C]), found {images.dtype} {images.shape}")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        _fail(where, f"expected integer labels of shape (N,), found {labels.dtype} {labels.shape}")
    if len(labels) != len(images):
        _fail(where, f"{len(images)} images but {len(labels)} labels")
    if not len(images):
        _fail(where, "no images")
    top = np.iinfo(np.int32).max if num_classes is None else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= top):
        allowed = "0 or more" if num_classes is None else f"0..{num_classes - 1}"
        _fail(where, f"labels out of range {allowed} (found {labels.min()}..{labels.max()})")
    return images, labels.astype(np.int32)


def read_file_bytes(path):
    """The whole content of ``path``, gunzipped when its name ends in ``.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        with parsing(path, "gzip file"), gzip.open(path, "rb") as handle:
            return handle.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def read_idx(path, magic):
    """The array stored in an IDX file of unsigned bytes, checking its magic number and length."""
    data = read_file_bytes(path)
    ndim = magic & 0xFF
    header_size = 4 * (1 + ndim)
    found = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else None
    if found is not None and found != magic:
        _fail(path, f"not an IDX file of {ndim}-D unsigned bytes (magic number {found}, expected {magic})")
    if len(data) < header_size:
        _fail(path, f"truncated IDX file ({len(data)} bytes, the header alone needs {header_size})")
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    if 0 in dims:
        _fail(path, f"IDX header announces shape {tuple(dims)}: no data")
    needed = math.prod(dims)  # a Python int: no wrap-around past 2**64
    if len(data) - header_size != needed:
        _fail(path, f"IDX header announces shape {tuple(dims)} ({needed} bytes) "
                    f"but the file holds {len(data) - header_size} data bytes")
    return np.frombuffer(data, np.uint8, offset=header_size).reshape(dims)


def read_idx_dataset(images_path, labels_path):
    """(images, labels) from a pair of IDX files (images: magic 2051, labels: magic 2049)."""
    images = read_idx(images_path, IDX_IMAGES_MAGIC)
    labels = read_idx(labels_path, IDX_LABELS_MAGIC)
    return checked(images, labels, f"{images_path} + {labels_path.name}")


def read_npz_dataset(path):
    """(x_train, y_train, x_test, y_test) from a Keras-style ``mnist.npz``."""
    with parsing(path, "NumPy .npz archive"), open(path, "rb") as handle, \
            np.load(handle, allow_pickle=False) as archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            _fail(path, f"missing array(s) {', '.join(missing)} (expected {', '.join(NPZ_KEYS)})")
        arrays = {key: archive[key] for key in NPZ_KEYS}
    return (*checked(arrays["x_train"], arrays["y_train"], f"{path} [train]"),
            *checked(arrays["x_test"], arrays["y_test"], f"{path} [test]"))


def read_cifar_batch(path):
    """(images, labels) from one CIFAR-10 python batch (``data_batch_i`` or ``test_batch``)."""
    with parsing(path, "CIFAR-10 python batch (pickle)"):
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        if not isinstance(batch, dict):
            _fail(path, f"expected a pickled dict, found {type(batch).__name__}")
        data, labels = (batch.get(key.encode(), batch.get(key)) for key in ("data", "labels"))
        if data is None or labels is None:
            _fail(path, "the pickled dict lacks 'data' or 'labels'")
        data, labels = np.asarray(data), np.asarray(labels)
    row_size = int(np.prod(CIFAR_IMAGE_SHAPE))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != row_size:
        _fail(path, f"expected uint8 data of shape (N, {row_size}), found {data.dtype} {data.shape}")
    images = data.reshape(-1, *CIFAR_IMAGE_SHAPE).transpose(0, 2, 3, 1)
    return checked(np.ascontiguousarray(images), labels, path)


def read_svhn_mat(path):
    """(images, labels) from an SVHN ``*_32x32.mat``; class = label − 1 (class 9 is digit 0)."""
    import scipy.io  # noqa: PLC0415 - only SVHN needs scipy

    with parsing(path, "MATLAB .mat file"):
        mat = scipy.io.loadmat(path, variable_names=("X", "y"))
    missing = [name for name in ("X", "y") if name not in mat]
    if missing:
        _fail(path, f"no variable {' or '.join(missing)} in the .mat file (expected X and y)")
    x, y = mat["X"], mat["y"]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[2] != 3:
        _fail(path, f"expected X as uint8 H×W×3×N, found {x.dtype} {x.shape}")
    if y.size != x.shape[3] or not np.issubdtype(y.dtype, np.integer):
        _fail(path, f"expected y as {x.shape[3]} integer labels, found {y.dtype} {y.shape}")
    y = y.reshape(-1).astype(np.int64)
    if y.size and (y.min() < 1 or y.max() > NUM_CLASSES):
        _fail(path, f"labels out of range 1..{NUM_CLASSES} (found {y.min()}..{y.max()})")
    return checked(np.ascontiguousarray(x.transpose(3, 0, 1, 2)), y - 1, path)
