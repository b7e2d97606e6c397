"""A user's own data (issue 13): image folders (``arconvl.data.folder``) and ``.npz`` arrays
(``arconvl.data.arrays``): class names, counts and splits on generated folders whose right
answer is known (solid-colour classes), and every bad input as one ``DataError`` / ``ConfigError``."""

import numpy as np
import pytest
from PIL import Image

from arconvl.data.arrays import prepare_array_splits, read_array_file
from arconvl.data.folder import prepare_folder_splits, read_image_folder
from arconvl.data.imbalance import validation_count
from arconvl.data.large.image_files import verify_images
from arconvl.errors import ArconvlError, ConfigError, DataError

GREY_SIZES = {"ant": 30, "bee": 10, "cat": 3}  # k = 3, sorted names: labels 0, 1, 2
COLOURS = {"c0": (255, 0, 0), "c1": (0, 255, 0), "c2": (0, 0, 255), "c3": (255, 255, 0), "c4": (0, 255, 255),
           "c5": (255, 0, 255), "c6": (128, 128, 128)}  # k = 7


def grey_value(label):
    return 40 * label + 20


def write_grey_folder(root, sizes=GREY_SIZES, shape=(8, 6)):
    """DIR/train/CLASS/i.png, solid grey images whose value gives the class."""
    for label, (name, count) in enumerate(sorted(sizes.items())):
        (root / "train" / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full(shape, grey_value(label), np.uint8)).save(root / "train" / name / f"{i}.png")
    return root


def write_colour_folder(root, train_count=lambda j: 3 + 2 * j, test_count=2):
    """DIR/{train,test}/CLASS/i.jpg, solid RGB images of mixed sizes (the first one 10×12)."""
    for split, count in (("train", train_count), ("test", lambda j: test_count)):
        for j, (name, colour) in enumerate(COLOURS.items()):
            (root / split / name).mkdir(parents=True)
            for i in range(count(j)):
                size = (12, 10) if i % 2 == 0 else (7, 16)  # PIL: (width, height)
                Image.new("RGB", size, colour).save(root / split / name / f"{i}.jpg", quality=95)
    return root


def one_line(error_type, match, function, *args, **kwargs):
    with pytest.raises(error_type, match=match) as caught:
        function(*args, **kwargs)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def batch_arrays(batches):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in batches])
    return np.concatenate(images), np.concatenate(labels)


# --- image folders -------------------------------------------------------------------------


def test_a_grey_folder_without_test_gets_a_stratified_seeded_test_split(tmp_path):
    root = write_grey_folder(tmp_path)
    splits = prepare_folder_splits(root, seed=0, progress=False)
    assert splits.class_names == ("ant", "bee", "cat") and splits.image_shape == (8, 6, 1)
    sizes = np.array([30, 10, 3])
    test = np.array([validation_count(n, 0.2) for n in sizes])  # [6, 2, 1]
    val = np.array([validation_count(n, 0.1) for n in sizes - test])  # [2, 1, 0]
    np.testing.assert_array_equal(splits.pool_counts, sizes)
    np.testing.assert_array_equal(splits.test_counts, test)
    np.testing.assert_array_equal(splits.counts_before_split, sizes - test)
    np.testing.assert_array_equal(splits.val_counts, val)
    np.testing.assert_array_equal(splits.train_counts, sizes - test - val)
    every = [*splits.train_paths, *splits.val_paths, *splits.test_paths]
    assert len(set(every)) == len(every) == 43
    assert "test split 0.2 drawn" in splits.source
    # The label of every file is its folder's: the solid grey value tells the class.
    images, labels = batch_arrays(splits.train_batches(batch_size=8, seed=0, augment=False, pixel_scale=1.0))
    assert images.shape == (splits.num_train, 8, 6, 1)
    np.testing.assert_array_equal(images[:, 0, 0, 0], grey_value(labels))
    again = prepare_folder_splits(root, seed=0, progress=False)
    other = prepare_folder_splits(root, seed=1, progress=False)
    assert list(again.test_paths) == list(splits.test_paths) and list(other.test_paths) != list(splits.test_paths)


def test_a_colour_folder_with_test_keeps_it_and_resizes_mixed_sizes(tmp_path):
    root = write_colour_folder(tmp_path)
    splits = prepare_folder_splits(root, seed=0, test_fraction=0.5, progress=False)  # unused: test/ exists
    assert splits.class_names == tuple(COLOURS) and splits.image_shape == (10, 12, 3)  # the first image's
    np.testing.assert_array_equal(splits.test_counts, [2] * 7)
    np.testing.assert_array_equal(splits.counts_before_split, [3 + 2 * j for j in range(7)])
    assert "drawn" not in splits.source
    images = np.concatenate([x.numpy() for x in splits.eval_batches("test", batch_size=5, pixel_scale=1.0)])
    assert images.shape == (14, 10, 12, 3)
    expected = np.array(list(COLOURS.values()), float)[splits.labels("test")]
    np.testing.assert_allclose(images.mean(axis=(1, 2)), expected, atol=4)  # JPEG of a solid colour
    # Asked for 5×5 grey: every image resized and converted to luma.
    grey = prepare_folder_splits(root, seed=0, image_size=(5, 5), channels=1, verify=False)
    assert grey.image_shape == (5, 5, 1)
    images = np.concatenate([x.numpy() for x in grey.eval_batches("test", batch_size=5, pixel_scale=1.0)])
    luma = np.array(list(COLOURS.values()), float) @ [0.2989, 0.587, 0.114]
    np.testing.assert_allclose(images[..., 0].mean(axis=(1, 2)), luma[grey.labels("test")], atol=4)


def test_verify_shows_a_progress_bar_on_stderr(tmp_path, capsys):
    root = write_grey_folder(tmp_path, {"a": 3, "b": 2})
    prepare_folder_splits(root, seed=0, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "5/5" in err and "image" in err


@pytest.mark.parametrize("breakage, error_type, message", [
    ("no_train", DataError, "no train/ folder"),
    ("one_class", DataError, "1 class .a.; at least 2"),
    ("empty_class", DataError, "train/b: an empty class folder"),
    ("not_an_image", DataError, "notes.txt: not an image file"),
    ("stray_file", DataError, "stray.png: a file beside the class folders"),
    ("corrupt", DataError, "broken.png: cannot be decoded as an image"),
    ("first_corrupt", DataError, "0.png: cannot be decoded as an image"),
    ("test_classes_differ", DataError, "only in train/: b; only in test/: c"),
    ("bad_size", ConfigError, "image size must be two positive integers"),
    ("bad_channels", ConfigError, "channels must be 1 or 3"),
    ("bad_test_fraction", ConfigError, "test fraction must lie in"),
])
def test_bad_folders_are_one_clear_error(tmp_path, breakage, error_type, message):
    root = tmp_path / "data"
    options = {}
    if breakage != "no_train":
        write_grey_folder(root, {"a": 4} if breakage == "one_class" else {"a": 4, "b": 3})
    if breakage == "empty_class":
        for path in (root / "train" / "b").iterdir():
            path.unlink()
    if breakage == "not_an_image":
        (root / "train" / "a" / "notes.txt").write_text("hello")
    if breakage == "stray_file":
        (root / "train" / "a" / "0.png").rename(root / "train" / "stray.png")
    if breakage in ("corrupt", "first_corrupt"):
        name = "broken.png" if breakage == "corrupt" else "0.png"
        (root / "train" / "b" / name).write_bytes(b"\x89PNG\r\n\x1a\n not really")
        if breakage == "first_corrupt":
            (root / "train" / "b" / name).rename(root / "train" / "a" / name)
    if breakage == "test_classes_differ":
        for name in ("a", "c"):
            (root / "test" / name).mkdir(parents=True)
            Image.fromarray(np.zeros((8, 6), np.uint8)).save(root / "test" / name / "0.png")
    options = {"bad_size": {"image_size": (0, 5)}, "bad_channels": {"channels": 2},
               "bad_test_fraction": {"test_fraction": 1.0}}.get(breakage, {})
    one_line(error_type, message, prepare_folder_splits, root, seed=0, progress=False, **options)
    assert issubclass(error_type, ArconvlError)


def test_hidden_files_are_passed_over(tmp_path):
    root = write_grey_folder(tmp_path, {"a": 2, "b": 2})
    (root / "train" / "a" / ".DS_Store").write_bytes(b"\0\0")
    (root / "train" / ".hidden").mkdir()
    files = read_image_folder(root)
    assert len(files.train_paths) == 4 and files.class_names == ("a", "b") and files.test_paths is None


def test_verify_names_a_corrupt_file_without_a_bar_when_quiet(tmp_path, capsys):
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(good)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff truncated")
    one_line(DataError, "bad.jpg: cannot be decoded", verify_images, [good, tmp_path / "bad.jpg"])
    assert capsys.readouterr().err == ""


# --- .npz arrays ----------------------------------------------------------------------------


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def solid_images(labels, shape=(4, 4)):
    return np.stack([np.full(shape, grey_value(j), np.uint8) for j in labels])


def test_arrays_with_a_test_set_and_class_names(tmp_path):
    y = np.repeat([0, 1, 2, 3], [40, 20, 10, 5])
    y_test = np.array([0, 1, 2, 3, 3])
    path = write_npz(tmp_path / "d.npz", x_train=solid_images(y), y_train=y, x_test=solid_images(y_test),
                     y_test=y_test.reshape(-1, 1), class_names=np.array(["w", "x", "y", "z"]))
    splits = prepare_array_splits(path, seed=3)
    assert splits.class_names == ("w", "x", "y", "z") and splits.input_shape == (4, 4, 1)
    np.testing.assert_array_equal(splits.counts_before_split, [40, 20, 10, 5])
    np.testing.assert_array_equal(splits.val_counts, [validation_count(n, 0.1) for n in (40, 20, 10, 5)])
    np.testing.assert_array_equal(splits.y_test, y_test)
    for x, labels in ((splits.x_train, splits.y_train), (splits.x_val, splits.y_val)):
        np.testing.assert_array_equal(x[:, 0, 0, 0], grey_value(labels))


def test_arrays_without_a_test_set_draw_one_and_name_classes_by_number(tmp_path):
    y = np.repeat([0, 1, 2], [50, 10, 4])
    path = write_npz(tmp_path / "d.npz", x_train=solid_images(y, (3, 3)).reshape(-1, 3, 3, 1), y_train=y)
    splits = prepare_array_splits(path, seed=0, test_fraction=0.25)
    test = [validation_count(n, 0.25) for n in (50, 10, 4)]
    assert read_array_file(path).class_names == ("0", "1", "2")
    np.testing.assert_array_equal(np.bincount(splits.y_test), test)
    np.testing.assert_array_equal(splits.counts_before_split, np.array([50, 10, 4]) - test)
    assert len(splits.y_train) + len(splits.y_val) + len(splits.y_test) == 64


@pytest.mark.parametrize("arrays, message", [
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 2, 5], class_names=np.array(["a", "b", "c"])),
     r"labels out of range 0..2 \(found 0..5\)"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 1]), "4 images but 3 labels"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 0, 0, 0]), "1 class .0.; at least 2"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 2, 0, 2]), "no training sample of class 1"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], x_test=np.zeros((1, 2, 2), np.uint8),
          y_test=[2]), "no training sample of class 2"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, -1]), "labels out of range 0 or more"),
    (dict(x_train=np.zeros((4, 2, 2), np.float32), y_train=[0, 1, 0, 1]), "expected uint8 images"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0.0, 1.0, 0.0, 1.0]), "expected integer labels"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], x_test=np.zeros((1, 3, 3), np.uint8),
          y_test=[0]), r"test images of shape \(3, 3, 1\) but training images of shape \(2, 2, 1\)"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], x_test=np.zeros((1, 2, 2), np.uint8)),
     "x_test and y_test go together"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8)), "missing y_train"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], X_test=np.zeros(1)),
     "unknown array.s. X_test"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], class_names=np.array(["a", "a"])),
     "class_names repeats a name"),
    (dict(x_train=np.zeros((4, 2, 2), np.uint8), y_train=[0, 1, 0, 1], class_names=np.array([1, 2])),
     "class_names must be a 1-D array of strings"),
])
def test_bad_arrays_are_one_clear_error(tmp_path, arrays, message):
    path = write_npz(tmp_path / "d.npz", **arrays)
    one_line(DataError, message, prepare_array_splits, path, seed=0)


def test_a_missing_or_unreadable_array_file_is_one_clear_error(tmp_path):
    one_line(DataError, "gone.npz: no such file", read_array_file, tmp_path / "gone.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    one_line(DataError, "text.npz: not a readable NumPy .npz archive", read_array_file, tmp_path / "text.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    one_line(DataError, "a single array, not a .npz", read_array_file, tmp_path / "single.npy")
