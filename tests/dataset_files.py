"""Writers of the datasets' real file formats, for tests; they do not use the code under test."""

import gzip
import pickle
import struct

import numpy as np
import scipy.io

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def write_idx(path, array, magic, compress=None):
    """An IDX file: big-endian magic, one big-endian uint32 per dimension, then the bytes."""
    payload = struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()
    compress = str(path).endswith(".gz") if compress is None else compress
    path.write_bytes(gzip.compress(payload) if compress else payload)


def write_mnist_idx(folder, seed=0, n_train=12, n_test=5, side=28, suffix=".gz"):
    """Four IDX files in ``folder``; returns the arrays written (images N×side×side, labels)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = (rng.integers(0, 256, (n_train, side, side), dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8),
              rng.integers(0, 256, (n_test, side, side), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8))
    for name, array in zip(IDX_NAMES, arrays):
        write_idx(folder / (name + suffix), array, 2051 if array.ndim == 3 else 2049)
    return arrays


def write_cifar(folder, seed=0, per_batch=4, n_test=3):
    """data_batch_1..5 and test_batch; returns (rows, labels) of the 5 train batches and the test batch."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]:
        rows = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        with open(folder / name, "wb") as handle:
            pickle.dump({b"batch_label": name.encode(), b"data": rows, b"labels": labels,
                         b"filenames": [b"x.png"] * n}, handle, protocol=2)
        written.append((rows, labels))
    return written


def write_svhn(folder, seed=0, n_train=11, n_test=4, **overrides):
    """train_32x32.mat and test_32x32.mat (X: 32×32×3×N uint8, y: N×1 in 1..10)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for split, n in (("train", n_train), ("test", n_test)):
        content = {"X": rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8),
                   "y": np.resize(np.arange(1, 11, dtype=np.uint8), n).reshape(n, 1)}
        content.update(overrides)
        scipy.io.savemat(folder / f"{split}_32x32.mat", content)
        written.append(content)
    return written


def write_mnist_npz(folder, seed=0, n_train=12, n_test=5, drop=(), **overrides):
    """A Keras ``mnist.npz`` in ``folder`` (x_train, y_train, x_test, y_test), without the arrays named in
    ``drop`` and with any array replaced by ``overrides``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test, dtype=np.uint8), **overrides}
    np.savez(folder / "mnist.npz", **{key: value for key, value in arrays.items() if key not in drop})


def write_pickle(path, content):
    """Any object pickled to ``path`` (protocol 2, as the CIFAR-10 batches)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickle.dump(content, handle, protocol=2)


def write_mat(path, **variables):
    """A MATLAB .mat file holding exactly ``variables``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)
