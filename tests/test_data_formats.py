"""Readers of the standard file formats and the source resolution of ``load_dataset``.

Every dataset file here is generated in its real format by the writers of ``dataset_files.py``,
which do not use the code under test.
"""

import pickle

import numpy as np
import pytest
import scipy.io

from arconvl.data import SYSTEM_LOCATIONS, formats, load_dataset, sources
from arconvl.errors import ConfigError, DataError

from dataset_files import IDX_NAMES, write_cifar, write_idx, write_mnist_idx, write_svhn


@pytest.fixture
def no_system_locations(monkeypatch):
    monkeypatch.setattr(sources, "SYSTEM_LOCATIONS", {name: () for name in SYSTEM_LOCATIONS})


@pytest.fixture
def no_system_data(no_system_locations, monkeypatch):
    """No system locations, and a download that fails instead of touching the network."""

    def refuse(name):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(sources, "download", refuse)


# ---------------------------------------------------------------- readers, well-formed files

@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, suffix):
    x_train, y_train, x_test, y_test = write_mnist_idx(tmp_path, suffix=suffix)
    images, labels = formats.read_idx_dataset(tmp_path / (IDX_NAMES[0] + suffix), tmp_path / (IDX_NAMES[1] + suffix))
    assert images.shape == (12, 28, 28, 1) and images.dtype == np.uint8
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(images[..., 0], x_train)
    np.testing.assert_array_equal(labels, y_train)


def test_keras_npz_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.array([9, 0], np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    x_train, y_train, x_test, y_test = formats.read_npz_dataset(tmp_path / "mnist.npz")
    assert x_train.shape == (6, 28, 28, 1) and x_test.shape == (2, 28, 28, 1)
    np.testing.assert_array_equal(x_train[..., 0], arrays["x_train"])
    np.testing.assert_array_equal(y_test, [9, 0])
    assert y_train.dtype == np.int32


def test_cifar_batch_is_red_then_green_then_blue_planes_row_major(tmp_path):
    row = np.concatenate([np.full(1024, 10), np.arange(1024) % 256, np.full(1024, 30)]).astype(np.uint8)
    with open(tmp_path / "data_batch_1", "wb") as handle:
        pickle.dump({b"data": row[np.newaxis], b"labels": [7]}, handle)
    images, labels = formats.read_cifar_batch(tmp_path / "data_batch_1")
    assert images.shape == (1, 32, 32, 3) and images.dtype == np.uint8
    assert (images[0, :, :, 0] == 10).all() and (images[0, :, :, 2] == 30).all()
    assert images[0, 0, 5, 1] == 5 and images[0, 1, 0, 1] == 32 and images[0, 7, 3, 1] == (7 * 32 + 3) % 256
    np.testing.assert_array_equal(labels, [7])


def test_cifar_round_trip(tmp_path):
    written = write_cifar(tmp_path)
    images, labels = formats.read_cifar_batch(tmp_path / "data_batch_3")
    rows, expected_labels = written[2]
    for i in range(len(rows)):
        for channel in range(3):
            plane = rows[i, 1024 * channel:1024 * (channel + 1)]
            np.testing.assert_array_equal(images[i, :, :, channel].ravel(), plane)
    np.testing.assert_array_equal(labels, expected_labels)


def test_svhn_mat_round_trip_and_label_mapping(tmp_path):
    written = write_svhn(tmp_path)
    images, labels = formats.read_svhn_mat(tmp_path / "train_32x32.mat")
    assert images.shape == (11, 32, 32, 3) and images.dtype == np.uint8 and labels.dtype == np.int32
    for i in range(11):
        np.testing.assert_array_equal(images[i], written[0]["X"][:, :, :, i])
    y = written[0]["y"][:, 0]
    assert y[0] == 1 and labels[0] == 0       # digit 1 → class 0
    assert y[9] == 10 and labels[9] == 9      # label 10 (digit 0) → class 9
    np.testing.assert_array_equal(labels, y.astype(int) - 1)


# ---------------------------------------------------------------- readers, malformed files

def _raises_naming(path, match):
    return pytest.raises(DataError, match=rf"{path.name}.*{match}")


def test_bad_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip data")
    with _raises_naming(path, "gzip"):
        formats.read_idx(path, formats.IDX_IMAGES_MAGIC)


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros((4, 28, 28), np.uint8), 2051)
    path.write_bytes(path.read_bytes()[:-20])
    with _raises_naming(path, "gzip"):
        formats.read_idx(path, formats.IDX_IMAGES_MAGIC)


def test_wrong_idx_magic(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, np.zeros(4, np.uint8), 2049)  # a label file under an image file's name
    with _raises_naming(path, "magic number 2049, expected 2051"):
        formats.read_idx(path, formats.IDX_IMAGES_MAGIC)


@pytest.mark.parametrize("cut", [3, 100])
def test_truncated_idx(tmp_path, cut):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((4, 28, 28), np.uint8), 2051)
    path.write_bytes(path.read_bytes()[:cut] if cut < 16 else path.read_bytes()[:-cut])
    with _raises_naming(path, "truncated|announces"):
        formats.read_idx(path, formats.IDX_IMAGES_MAGIC)


def test_idx_labels_out_of_range(tmp_path):
    write_idx(tmp_path / "i.gz", np.zeros((3, 28, 28), np.uint8), 2051)
    write_idx(tmp_path / "l.gz", np.array([0, 10, 3], np.uint8), 2049)
    with pytest.raises(DataError, match=r"l\.gz.*out of range"):
        formats.read_idx_dataset(tmp_path / "i.gz", tmp_path / "l.gz")


def test_idx_count_mismatch(tmp_path):
    write_idx(tmp_path / "i.gz", np.zeros((3, 28, 28), np.uint8), 2051)
    write_idx(tmp_path / "l.gz", np.array([0, 1], np.uint8), 2049)
    with pytest.raises(DataError, match="3 images but 2 labels"):
        formats.read_idx_dataset(tmp_path / "i.gz", tmp_path / "l.gz")


def test_npz_missing_array(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    with _raises_naming(tmp_path / "mnist.npz", "x_test, y_test"):
        formats.read_npz_dataset(tmp_path / "mnist.npz")


def test_npz_not_an_archive(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 broken zip")
    with _raises_naming(tmp_path / "mnist.npz", "not a readable"):
        formats.read_npz_dataset(tmp_path / "mnist.npz")


def test_unpicklable_cifar_batch(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04garbage")
    with _raises_naming(tmp_path / "data_batch_1", "not a readable CIFAR-10"):
        formats.read_cifar_batch(tmp_path / "data_batch_1")


@pytest.mark.parametrize("content, match", [
    ({b"labels": [1]}, "lacks"),
    ({b"data": np.zeros((1, 3000), np.uint8), b"labels": [1]}, r"shape \(N, 3072\)"),
    ([1, 2, 3], "dict"),
])
def test_malformed_cifar_batch(tmp_path, content, match):
    with open(tmp_path / "test_batch", "wb") as handle:
        pickle.dump(content, handle)
    with _raises_naming(tmp_path / "test_batch", match):
        formats.read_cifar_batch(tmp_path / "test_batch")


def test_mat_without_x(tmp_path):
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"y": np.ones((3, 1), np.uint8)})
    with _raises_naming(tmp_path / "train_32x32.mat", "no variable X"):
        formats.read_svhn_mat(tmp_path / "train_32x32.mat")


def test_mat_labels_out_of_range(tmp_path):
    write_svhn(tmp_path, n_train=3, y=np.array([[1], [0], [10]], np.uint8))
    with _raises_naming(tmp_path / "train_32x32.mat", r"out of range 1\.\.10"):
        formats.read_svhn_mat(tmp_path / "train_32x32.mat")


def test_mat_wrong_image_layout(tmp_path):
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"X": np.zeros((3, 32, 32, 3), np.uint8), "y": np.ones((3, 1))})
    with _raises_naming(tmp_path / "train_32x32.mat", "H×W×3×N"):
        formats.read_svhn_mat(tmp_path / "train_32x32.mat")


def test_not_a_mat_file(tmp_path):
    (tmp_path / "test_32x32.mat").write_bytes(b"MATLAB? no.")
    with _raises_naming(tmp_path / "test_32x32.mat", "not a readable MATLAB"):
        formats.read_svhn_mat(tmp_path / "test_32x32.mat")


# ---------------------------------------------------------------- load_dataset: where data comes from

def test_unknown_dataset_name():
    with pytest.raises(ConfigError, match="unknown dataset 'imagenet'"):
        load_dataset("imagenet", allow_download=False)


def test_missing_data_dir_is_an_error(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path / "nowhere")):
        load_dataset("mnist", tmp_path / "nowhere")


@pytest.mark.parametrize("name, subdir", [
    ("fashion_mnist", ""), ("fashion_mnist", "fashion_mnist"), ("fashion_mnist", "fashion-mnist"), ("mnist", "mnist"),
])
def test_idx_files_in_data_dir(tmp_path, no_system_data, name, subdir):
    x_train, y_train, x_test, y_test = write_mnist_idx(tmp_path / subdir)
    data = load_dataset(name, tmp_path)
    np.testing.assert_array_equal(data.x_train[..., 0], x_train)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.x_test.shape == (5, 28, 28, 1)
    assert str(tmp_path / subdir) in data.source and "data dir" in data.source


def test_named_subfolder_wins_over_files_directly_in_data_dir(tmp_path, no_system_data):
    write_mnist_idx(tmp_path, seed=1)
    in_subfolder = write_mnist_idx(tmp_path / "mnist", seed=2, n_train=7)
    data = load_dataset("mnist", tmp_path)
    np.testing.assert_array_equal(data.x_train[..., 0], in_subfolder[0])


def test_mnist_npz_in_data_dir(tmp_path, no_system_data):
    np.savez(tmp_path / "mnist.npz", x_train=np.ones((3, 28, 28), np.uint8), y_train=np.array([1, 2, 3]),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.array([4]))
    data = load_dataset("mnist", tmp_path)
    assert data.x_train.shape == (3, 28, 28, 1) and "mnist.npz" in data.source
    np.testing.assert_array_equal(data.y_train, [1, 2, 3])


@pytest.mark.parametrize("subdir", ["", "cifar-10-batches-py", "cifar10", "cifar10/cifar-10-batches-py"])
def test_cifar_batches_in_data_dir(tmp_path, no_system_data, subdir):
    written = write_cifar(tmp_path / subdir)
    data = load_dataset("cifar10", tmp_path)
    assert data.x_train.shape == (20, 32, 32, 3) and data.x_test.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(data.y_train, np.concatenate([labels for _, labels in written[:5]]))
    np.testing.assert_array_equal(data.y_test, written[5][1])
    # sample 4 is the first image of data_batch_2 (4 per batch): its green plane is the middle third of the row
    np.testing.assert_array_equal(data.x_train[4, :, :, 1].ravel(), written[1][0][0, 1024:2048])


def test_svhn_in_data_dir(tmp_path, no_system_data):
    written = write_svhn(tmp_path / "svhn")
    data = load_dataset("svhn", tmp_path)
    assert data.x_train.shape == (11, 32, 32, 3) and data.x_test.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(data.y_test, written[1]["y"][:, 0].astype(int) - 1)


def test_unreadable_files_in_data_dir_do_not_fall_through(tmp_path, monkeypatch):
    write_mnist_idx(tmp_path / "system")
    monkeypatch.setitem(sources.SYSTEM_LOCATIONS, "fashion_mnist", (str(tmp_path / "system"),))
    write_mnist_idx(tmp_path / "user")
    (tmp_path / "user" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz"):
        load_dataset("fashion_mnist", tmp_path / "user", allow_download=False)


def test_incomplete_data_dir_names_the_missing_file(tmp_path, no_system_data):
    write_mnist_idx(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte missing"):
        load_dataset("fashion_mnist", tmp_path)


def test_wrong_image_size_for_the_dataset(tmp_path, no_system_data):
    write_mnist_idx(tmp_path, side=20)
    with pytest.raises(DataError, match=r"\(20, 20, 1\), expected \(28, 28, 1\)"):
        load_dataset("mnist", tmp_path)


def test_empty_data_dir_falls_through_to_system_location(tmp_path, monkeypatch):
    written = write_mnist_idx(tmp_path / "system")
    monkeypatch.setitem(sources.SYSTEM_LOCATIONS, "fashion_mnist", (str(tmp_path / "system"),))
    (tmp_path / "user").mkdir()
    data = load_dataset("fashion_mnist", tmp_path / "user", allow_download=False)
    np.testing.assert_array_equal(data.y_train, written[1])
    assert "system location" in data.source and str(tmp_path / "system") in data.source


def test_nothing_found_without_download_names_the_expected_files(tmp_path, no_system_data):
    with pytest.raises(DataError) as caught:
        load_dataset("fashion_mnist", tmp_path, allow_download=False)
    message = str(caught.value)
    assert "\n" not in message
    for name in IDX_NAMES:
        assert f"{name}.gz" in message
    assert "--data-dir" in message and "download not allowed" in message and str(tmp_path) in message


@pytest.mark.parametrize("name, expected", [
    ("mnist", "mnist.npz"), ("cifar10", "data_batch_5, test_batch"), ("svhn", "train_32x32.mat, test_32x32.mat"),
])
def test_failed_download_message(no_system_data, name, expected):
    pattern = rf"{name}: no data found\. Put .*{expected}.*download failed: OSError: network"
    with pytest.raises(DataError, match=pattern):
        load_dataset(name)


def test_download_through_keras_is_normalised(monkeypatch, no_system_locations):
    import keras

    images = np.arange(2 * 32 * 32 * 3, dtype=np.uint8).reshape(2, 32, 32, 3)
    monkeypatch.setattr(keras.datasets.cifar10, "load_data",
                        lambda: ((images, np.array([[3], [4]], np.uint8)), (images[:1], np.array([[9]], np.uint8))))
    data = load_dataset("cifar10")
    np.testing.assert_array_equal(data.x_train, images)
    np.testing.assert_array_equal(data.y_train, [3, 4])
    assert data.y_train.dtype == np.int32 and "keras.datasets.cifar10" in data.source


def test_svhn_download_uses_the_official_files(tmp_path, monkeypatch, no_system_locations):
    import keras

    write_svhn(tmp_path)
    requested = []

    def fake_get_file(fname, origin, **kwargs):
        requested.append(origin)
        return str(tmp_path / fname)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    data = load_dataset("svhn")
    assert requested == ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
                         "http://ufldl.stanford.edu/housenumbers/test_32x32.mat"]
    assert data.x_train.shape == (11, 32, 32, 3) and "downloaded" in data.source
