"""Every bad input the command line can meet ends the same way: exit code 2, one line on stderr that
names the problem, no traceback, no warning, and nothing written or changed on disk.

Each case builds its own files in a fresh directory (data in the datasets' real formats, written by
``dataset_files.py``), runs ``arconvl.cli.main`` in this process, and compares the directory's
content before and after. A few cases also run as real ``python -m arconvl`` processes, where a
traceback or a stray warning would show on the real stderr.
"""

import gzip
import os
import struct
import warnings

import numpy as np
import pytest

from arconvl.run.checkpoint import TrainingState, save_checkpoint
from arconvl.run.config import resolve_run_config
from arconvl.run.files import CHECKPOINT_FILE, write_config, write_result

from dataset_files import (
    IDX_NAMES,
    write_cifar,
    write_idx,
    write_mat,
    write_mnist_idx,
    write_mnist_npz,
    write_pickle,
    write_svhn,
)
from test_cli import _is_tensorflow_log, run_cli, run_main, write_learnable_mnist

TRAIN_IMAGES = IDX_NAMES[0] + ".gz"
TRAIN_LABELS = IDX_NAMES[1] + ".gz"


def snapshot(root):
    """Every path under ``root`` with the bytes of each file: what "nothing written" compares."""
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def assert_refused(capsys, root, argv, message):
    """``python -m arconvl *argv`` (in this process) exits 2 with one line naming the problem, no
    traceback, no warning, and leaves ``root`` as it was."""
    before = snapshot(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run_main(capsys, *argv)
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m arconvl") and message in lines[0], err
    assert "Traceback" not in out + err
    shown = [w for w in caught if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    assert not shown, [str(w.message) for w in shown]
    assert snapshot(root) == before, "something was written"


# ---------------------------------------------------------------- builders of commands and files

def train(tmp, *extra, dataset="mnist", data="data"):
    """A ``train`` command line reading ``tmp/data`` (when ``data``), writing ``tmp/out``; ``extra``
    options come last and win over the defaults."""
    argv = ["train", "--dataset", dataset, "--q", "2", "--epochs", "1", "--offline", "--quiet", "--out", tmp / "out"]
    if data:
        (tmp / data).mkdir(exist_ok=True)
        argv += ["--data-dir", tmp / data]
    return argv + list(extra)


def good_mnist(tmp):
    """Learnable MNIST-format files, 30 training images per class, in tmp/data/mnist."""
    write_learnable_mnist(tmp / "data" / "mnist", n_train=300, n_test=50)
    return tmp / "data" / "mnist"


def with_config(text):
    """``train --config FILE`` with ``text`` as the file (bytes are written as they are)."""
    def build(tmp):
        path = tmp / "run.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["train", "--config", path, "--offline", "--out", tmp / "out", "--data-dir", tmp]
    return build


def with_mnist(corrupt, **files):
    """``train`` on MNIST IDX files in tmp/data/mnist, damaged by ``corrupt(folder)``."""
    def build(tmp):
        folder = tmp / "data" / "mnist"
        write_mnist_idx(folder, **files)
        corrupt(folder)
        return train(tmp)
    return build


def gz(folder, name, payload):
    (folder / name).write_bytes(gzip.compress(payload))


def truncate(path, keep):
    path.write_bytes(path.read_bytes()[:keep])


def idx_header(magic, *dims):
    return struct.pack(f">{1 + len(dims)}I", magic, *dims)


def with_npz(**npz):
    def build(tmp):
        write_mnist_npz(tmp / "data" / "mnist", **npz)
        return train(tmp)
    return build


def with_corrupted(dataset, write):
    """A case builder: ``write`` the dataset's files, ``corrupt`` them, train on them."""
    def case(corrupt):
        def build(tmp):
            folder = tmp / "data" / dataset
            write(folder)
            corrupt(folder)
            return train(tmp, dataset=dataset)
        return build
    return case


with_cifar = with_corrupted("cifar10", write_cifar)
with_svhn = with_corrupted("svhn", write_svhn)


def svhn_train(x, y):
    """SVHN files whose train_32x32.mat holds ``x`` as X and ``y`` as y."""
    return with_svhn(lambda folder: write_mat(folder / "train_32x32.mat", X=x, y=y))


def with_out(prepare, *extra):
    """``train`` on good data into tmp/out, after ``prepare(tmp, out)`` set tmp/out up."""
    def build(tmp):
        good_mnist(tmp)
        prepare(tmp, tmp / "out")
        return train(tmp, *extra)
    return build


def finished_row(config, **changes):
    """A ``run.csv`` row of ``config`` as ``train`` writes it (metrics of 0.5), with ``changes``."""
    metrics = {"best_epoch": 1, "val_gmean": 0.5, "test_gmean": 0.5, "test_classwise_acc": 0.5,
               "test_gmean_last": 0.5, "test_classwise_acc_last": 0.5}
    return {**config.flat(), **metrics, **changes}


def finished_run(seed, config_text=None):
    """tmp/out holding a finished run (config.json, run.csv) of mnist q=2 arconvl with ``seed``,
    its config.json replaced by ``config_text`` when given."""
    def prepare(tmp, out):
        out.mkdir()
        config, _ = resolve_run_config("mnist", 2, "arconvl", seed, epochs=1)
        write_config(out, config)
        write_result(out, finished_row(config))
        if config_text is not None:
            (out / "config.json").write_text(config_text)
    return prepare


def interrupted_run(seed):
    def prepare(tmp, out):
        out.mkdir()
        config, _ = resolve_run_config("mnist", 2, "arconvl", seed, epochs=1)
        save_checkpoint(out / CHECKPOINT_FILE, TrainingState(
            config=config.to_dict(), epoch=1, seconds=1.0, weights=[], optimizer=[], radius_optimizer=[],
            best=0.5, best_epoch=1, best_weights=[]))
    return prepare


def out_file(name, content):
    def prepare(tmp, out):
        out.mkdir(exist_ok=True)
        (out / name).write_bytes(content)
    return prepare


SWEEP_CONFIG = """\
name = "tiny"
methods = ["cpl", "arconvl"]
datasets = ["mnist"]
qs = [2]
seeds = [0]
epochs = 1
[params.arconvl]
gamma = 0.1
[profiles.smoke]
seeds = [0, 1]
"""


def sweep(edit=None, *extra, text=None, results=None):
    """``sweep CONFIG`` of SWEEP_CONFIG changed by ``edit`` (old, new) or replaced by ``text``,
    with results in tmp/results (``results(tmp)`` may fill it first)."""
    def build(tmp):
        path = tmp / "tiny.toml"
        content = text if text is not None else SWEEP_CONFIG.replace(*edit) if edit else SWEEP_CONFIG
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        good_mnist(tmp)
        if results:
            results(tmp)
        return ["sweep", path, "--results-dir", tmp / "results", "--data-dir", tmp / "data", "--offline", *extra]
    return build


def results_file(content, name="paper/tiny.csv"):
    def fill(tmp):
        path = tmp / "results" / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
    return fill


def report(*names, results=None):
    def build(tmp):
        if results:
            results(tmp)
        return ["report", *names, "--results-dir", tmp / "results"]
    return build


def stats(content, *extra):
    def build(tmp):
        path = tmp / "table.tsv"
        if content is not None:
            path.write_bytes(content)
        return ["stats", "--table", path, *extra]
    return build


def a_regular_file(tmp):
    (tmp / "file").write_text("a regular file")
    return tmp / "file"


def read_only_dir(tmp):
    (tmp / "ro").mkdir()
    (tmp / "ro").chmod(0o500)
    return tmp / "ro"


# ---------------------------------------------------------------- the cases

TRAIN_ARGUMENTS = [
    ("unknown dataset", lambda t: train(t, "--dataset", "imagenet"), "invalid choice: 'imagenet'"),
    ("unknown method", lambda t: train(t, "--method", "softmax"), "invalid choice: 'softmax'"),
    ("unknown variant", lambda t: train(t, "--variant", "mine"), "invalid choice: 'mine'"),
    ("unknown command", lambda t: ["fit", "--dataset", "mnist"], "invalid choice: 'fit'"),
    ("no command", lambda t: [], "the following arguments are required: COMMAND"),
    ("unknown option", lambda t: train(t, "--learning-rate", "0.1"), "unrecognized arguments: --learning-rate"),
    ("unknown method parameter", lambda t: train(t, "--param", "delta=1"), "has no parameter 'delta'"),
    ("parameter not KEY=VALUE", lambda t: train(t, "--param", "gamma"), "expected KEY=VALUE"),
    ("parameter not a number", lambda t: train(t, "--param", "gamma=abc"), "parameter 'gamma' must be of type float"),
    ("parameter not a boolean", lambda t: train(t, "--param", "center_term=maybe"), "must be true or false"),
    ("parameter not a choice", lambda t: train(t, "--method", "focal", "--param", "class_weight=sqrt"),
     "parameter 'class_weight' of 'focal' must be one of none, inverse_frequency"),
    ("parameter of another method", lambda t: train(t, "--method", "cpl", "--param", "gamma=0.1"),
     "method 'cpl' has no parameter 'gamma'"),
    ("q = 0", lambda t: train(t, "--q", "0"), "'q' must be an integer from 1 to 1000000, got 0"),
    ("negative q", lambda t: train(t, "--q", "-5"), "'q' must be an integer from 1 to 1000000, got -5"),
    ("q not an integer", lambda t: train(t, "--q", "ten"), "invalid int value: 'ten'"),
    ("fractional q", lambda t: train(t, "--q", "2.5"), "invalid int value: '2.5'"),
    ("negative seed", lambda t: train(t, "--seed", "-1"), "'seed' must be an integer from 0 to 4294967295, got -1"),
    ("epochs = 0", lambda t: train(t, "--epochs", "0"), "'epochs' must be an integer from 1 to 10000, got 0"),
    ("negative epochs", lambda t: train(t, "--epochs", "-3"), "'epochs' must be an integer from 1 to 10000, got -3"),
    ("subsample = 0", lambda t: train(t, "--subsample", "0"), "'subsample' must be a number in (0, 1], got 0.0"),
    ("subsample > 1", lambda t: train(t, "--subsample", "1.5"), "'subsample' must be a number in (0, 1], got 1.5"),
    ("negative subsample", lambda t: train(t, "--subsample", "-0.1"), "'subsample' must be a number in (0, 1]"),
    ("subsample nan", lambda t: train(t, "--subsample", "nan"), "'subsample' must be a number in (0, 1], got nan"),
    ("feature dim 0", lambda t: train(t, "--feature-dim", "0"),
     "'feature_dim' must be an integer from 1 to 4096, got 0"),
    ("feature dim on a ResNet", lambda t: train(t, "--feature-dim", "2", dataset="svhn"),
     "feature_dim is fixed at 64 for resnet44 (svhn)"),
    ("no dataset", lambda t: ["train", "--q", "2", "--out", t / "out"], "--dataset is required"),
    ("no q", lambda t: ["train", "--dataset", "mnist", "--out", t / "out"], "--q is required"),
    ("no --out", lambda t: ["train", "--dataset", "mnist", "--q", "2"], "the following arguments are required: --out"),
    ("q too large for a class", lambda t: [good_mnist(t), *train(t, "--q", "31")][1:],
     "q = 31 would leave class 0 with no sample (it has 30); q may be at most 30"),
]

TRAIN_CONFIG_FILES = [
    ("config missing", lambda t: ["train", "--config", t / "none.toml", "--out", t / "out"],
     "cannot read config"),
    ("config is a directory", lambda t: ["train", "--config", t, "--out", t / "out"], "cannot read config"),
    ("malformed TOML", with_config("dataset = 'mnist'\nq = \n"), "is not valid TOML"),
    ("TOML not UTF-8", with_config(b"dataset = 'mnist'\nq = 2\n# \xff\xfe\n"), "is not valid TOML: not UTF-8"),
    ("unknown key", with_config("dataset = 'mnist'\nq = 2\nlearning_rate = 0.3\n"), "unknown key 'learning_rate'"),
    ("q a string", with_config("dataset = 'mnist'\nq = 'ten'\n"),
     "'q' must be an integer from 1 to 1000000, got 'ten'"),
    ("q a float", with_config("dataset = 'mnist'\nq = 2.5\n"), "'q' must be an integer from 1 to 1000000, got 2.5"),
    ("q a boolean", with_config("dataset = 'mnist'\nq = true\n"), "'q' must be an integer from 1 to 1000000, got True"),
    ("seed a list", with_config("dataset = 'mnist'\nq = 2\nseed = [0]\n"),
     "'seed' must be an integer from 0 to 4294967295, got [0]"),
    ("subsample a string", with_config("dataset = 'mnist'\nq = 2\nsubsample = 'half'\n"),
     "'subsample' must be a number in (0, 1], got 'half'"),
    ("params not a table", with_config("dataset = 'mnist'\nq = 2\nparams = 3\n"), "'params' must be a table"),
    ("dataset unknown", with_config("dataset = 'imagenet'\nq = 2\n"),
     "'dataset' must be one of mnist, fashion_mnist, svhn, cifar10, celeba, inaturalist2018, folder, arrays, "
     "got 'imagenet'"),
    ("method unknown", with_config("dataset = 'mnist'\nq = 2\nmethod = 'softmax'\n"),
     "'method' must be one of cpl, gcpl, focal, cb, cb_focal, affinity, la, arconvl, arconvl_beta0"),
    ("variant unknown", with_config("dataset = 'mnist'\nq = 2\nvariant = 'mine'\n"),
     "'variant' must be one of code, paper, got 'mine'"),
    ("negative q in config", with_config("dataset = 'mnist'\nq = -1\n"),
     "'q' must be an integer from 1 to 1000000, got -1"),
    ("parameter unknown", with_config("dataset = 'mnist'\nq = 2\n[params]\ndelta = 1\n"), "has no parameter 'delta'"),
    ("parameter ill-typed", with_config("dataset = 'mnist'\nq = 2\n[params]\ngamma = 'big'\n"),
     "parameter 'gamma' must be of type float, got 'big'"),
    ("parameter a list", with_config("dataset = 'mnist'\nq = 2\n[params]\ngamma = [1]\n"),
     "parameter 'gamma' must be of type float, got [1]"),
]

DATA_FILES = [
    ("data dir missing", lambda t: train(t, "--data-dir", t / "nowhere"), "does not exist or is not a directory"),
    ("data dir a file", lambda t: train(t, "--data-dir", a_regular_file(t)), "does not exist or is not a directory"),
    ("no data files", lambda t: train(t), "mnist: no data found"),
    ("no SVHN files", lambda t: train(t, dataset="svhn"), "train_32x32.mat, test_32x32.mat"),
    ("one IDX file missing", with_mnist(lambda f: (f / TRAIN_LABELS).unlink()),
     "train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte missing"),
    ("bad gzip", with_mnist(lambda f: (f / TRAIN_IMAGES).write_bytes(b"this is not gzip")),
     f"{TRAIN_IMAGES}: not a readable gzip file"),
    ("truncated gzip", with_mnist(lambda f: truncate(f / TRAIN_IMAGES, 200)), f"{TRAIN_IMAGES}: not a readable gzip"),
    ("empty file", with_mnist(lambda f: (f / TRAIN_IMAGES).write_bytes(gzip.compress(b""))),
     f"{TRAIN_IMAGES}: truncated IDX file (0 bytes"),
    ("wrong IDX magic", with_mnist(lambda f: write_idx(f / TRAIN_IMAGES, np.zeros(12, np.uint8), 2049)),
     "magic number 2049, expected 2051"),
    ("IDX of floats", with_mnist(lambda f: gz(f, TRAIN_IMAGES, idx_header(0x0D03, 1, 28, 28) + bytes(4 * 784))),
     "magic number 3331, expected 2051"),
    ("IDX header cut short", with_mnist(lambda f: gz(f, TRAIN_IMAGES, idx_header(2051, 12))),
     "truncated IDX file (8 bytes, the header alone needs 16)"),
    ("IDX data shorter than its header says", with_mnist(
        lambda f: gz(f, TRAIN_IMAGES, idx_header(2051, 12, 28, 28) + bytes(100))),
     "IDX header announces shape (12, 28, 28) (9408 bytes) but the file holds 100 data bytes"),
    ("IDX data longer than its header says", with_mnist(
        lambda f: gz(f, TRAIN_LABELS, idx_header(2049, 12) + bytes(13))), "announces shape (12,)"),
    ("images and labels disagree in number", with_mnist(
        lambda f: write_idx(f / TRAIN_LABELS, np.zeros(11, np.uint8), 2049)), "12 images but 11 labels"),
    ("label out of range", with_mnist(lambda f: write_idx(f / TRAIN_LABELS, np.full(12, 10, np.uint8), 2049)),
     "labels out of range 0..9 (found 10..10)"),
    ("images of the wrong size", with_mnist(lambda f: None, side=20),
     "train images of shape (20, 20, 1), expected (28, 28, 1) for mnist"),
    ("npz without the test arrays", with_npz(drop=("x_test", "y_test")), "missing array(s) x_test, y_test"),
    ("npz not a zip archive", lambda t: [*train(t), (t / "data" / "mnist.npz").write_bytes(b"PK\x03\x04 broken")][:-1],
     "mnist.npz: not a readable NumPy .npz archive"),
    ("npz of pickled objects", with_npz(x_train=np.array([object()] * 12)), "not a readable NumPy .npz archive"),
    ("npz images of floats", with_npz(x_train=np.zeros((12, 28, 28), np.float32)),
     "expected uint8 images of shape (N, H, W[, C]), found float32"),
    ("CIFAR batch not a dict", with_cifar(lambda f: write_pickle(f / "data_batch_2", [1, 2, 3])),
     "data_batch_2: expected a pickled dict, found list"),
    ("CIFAR batch without data", with_cifar(lambda f: write_pickle(f / "data_batch_1", {b"labels": [1]})),
     "data_batch_1: the pickled dict lacks 'data' or 'labels'"),
    ("CIFAR rows of the wrong size", with_cifar(lambda f: write_pickle(
        f / "test_batch", {b"data": np.zeros((3, 3000), np.uint8), b"labels": [1, 2, 3]})),
     "test_batch: expected uint8 data of shape (N, 3072), found uint8 (3, 3000)"),
    ("CIFAR data of floats", with_cifar(lambda f: write_pickle(
        f / "test_batch", {b"data": np.zeros((3, 3072)), b"labels": [1, 2, 3]})), "found float64 (3, 3072)"),
    ("CIFAR labels and rows disagree", with_cifar(lambda f: write_pickle(
        f / "test_batch", {b"data": np.zeros((3, 3072), np.uint8), b"labels": [1, 2]})), "3 images but 2 labels"),
    ("CIFAR batch not a pickle", with_cifar(lambda f: (f / "data_batch_5").write_bytes(b"\x80\x04garbage")),
     "data_batch_5: not a readable CIFAR-10 python batch"),
    ("CIFAR test batch missing", with_cifar(lambda f: (f / "test_batch").unlink()), "(test_batch missing)"),
    (".mat without X", with_svhn(lambda f: write_mat(f / "train_32x32.mat", y=np.ones((3, 1), np.uint8))),
     "train_32x32.mat: no variable X in the .mat file"),
    (".mat without y", with_svhn(lambda f: write_mat(f / "test_32x32.mat", X=np.zeros((32, 32, 3, 2), np.uint8))),
     "test_32x32.mat: no variable y in the .mat file"),
    (".mat images N×H×W×C", svhn_train(np.zeros((11, 32, 32, 3), np.uint8), np.ones((11, 1), np.uint8)),
     "expected X as uint8 H×W×3×N, found uint8 (11, 32, 32, 3)"),
    (".mat images 28×28", svhn_train(np.zeros((28, 28, 3, 11), np.uint8), np.ones((11, 1), np.uint8)),
     "train images of shape (28, 28, 3), expected (32, 32, 3) for svhn"),
    (".mat images of floats", svhn_train(np.zeros((32, 32, 3, 11)), np.ones((11, 1), np.uint8)),
     "expected X as uint8 H×W×3×N, found float64"),
    (".mat label 0", svhn_train(np.zeros((32, 32, 3, 11), np.uint8), np.zeros((11, 1), np.uint8)),
     "labels out of range 1..10 (found 0..0)"),
    (".mat labels fewer than images", svhn_train(np.zeros((32, 32, 3, 11), np.uint8), np.ones((5, 1), np.uint8)),
     "expected y as 11 integer labels, found uint8 (5, 1)"),
    ("not a .mat file", with_svhn(lambda f: (f / "test_32x32.mat").write_bytes(b"MATLAB? no.")),
     "test_32x32.mat: not a readable MATLAB .mat file"),
]

OUTPUT_DIRECTORY = [
    ("--out under a regular file", lambda t: train(t, "--out", a_regular_file(t) / "out"),
     "/file/out cannot be created: "),
    ("--out a regular file", lambda t: train(t, "--out", a_regular_file(t)), "/file is not a directory"),
    ("--out holds another finished run", with_out(finished_run(seed=5)),
     "holds a finished run with a different configuration (seed)"),
    ("--out holds another interrupted run", with_out(interrupted_run(seed=5)),
     "holds an interrupted run with a different configuration (seed)"),
    ("--out holds a corrupt checkpoint", with_out(out_file(CHECKPOINT_FILE, b"PK\x03\x04 not a zip")),
     "checkpoint.npz cannot be read (BadZipFile"),
    ("--out holds an empty run.csv", with_out(out_file("run.csv", b"")),
     "run.csv cannot be read (ValueError: 0 rows, expected 1)"),
    ("--out holds a corrupt config.json", with_out(finished_run(seed=0, config_text="{not json")),
     "config.json cannot be read (JSONDecodeError"),
]
if os.geteuid() != 0:  # root writes through a read-only mode
    OUTPUT_DIRECTORY.append(("--out in a read-only directory", lambda t: train(t, "--out", read_only_dir(t) / "out"),
                             "cannot be written: no write permission on"))

SWEEPS = [
    ("sweep config missing", lambda t: ["sweep", t / "none.toml"], "cannot read experiment config"),
    ("sweep config malformed", sweep(text="name = 'tiny\n"), "is not valid TOML"),
    ("sweep config not UTF-8", sweep(text=b"name = 'tiny'\n\xff\n"), "is not valid TOML: not UTF-8"),
    ("sweep unknown key", sweep(("epochs = 1", "epochs = 1\nlearning_rate = 0.3")), "unknown key 'learning_rate'"),
    ("sweep unknown method", sweep(('"cpl", "arconvl"', '"cpl", "softmax"')), "'methods' has a bad entry 'softmax'"),
    ("sweep unknown dataset", sweep(('["mnist"]', '["imagenet"]')), "'datasets' has a bad entry 'imagenet'"),
    ("sweep methods not a list", sweep(('["cpl", "arconvl"]', '"cpl"')), "'methods' must be a non-empty list"),
    ("sweep q a string", sweep(("qs = [2]", 'qs = ["2"]')), "'qs' has a bad entry '2'"),
    ("sweep q = 0", sweep(("qs = [2]", "qs = [0]")), "'qs' has a bad entry 0"),
    ("sweep negative seed", sweep(("seeds = [0]", "seeds = [-1]")), "'seeds' has a bad entry -1"),
    ("sweep repeated seed", sweep(("seeds = [0]", "seeds = [0, 0]")), "'seeds' repeats an entry"),
    ("sweep epochs = 0", sweep(("epochs = 1", "epochs = 0")), "'epochs' must be an integer from 1 to 10000, got 0"),
    ("sweep epochs a string", sweep(("epochs = 1", "epochs = '1'")),
     "'epochs' must be an integer from 1 to 10000, got '1'"),
    ("sweep subsample > 1", sweep(("epochs = 1", "subsample = 2")), "'subsample' must be a number in (0, 1], got 2"),
    ("sweep unknown variant", sweep(("epochs = 1", "variant = 'mine'")), "'variant' must be one of code, paper"),
    ("sweep bad name", sweep(('name = "tiny"', 'name = "a b"')), "'name' must be a simple identifier"),
    ("sweep parameter unknown", sweep(("gamma = 0.1", "delta = 1")), "method 'arconvl' has no parameter 'delta'"),
    ("sweep parameter ill-typed", sweep(("gamma = 0.1", "gamma = 'big'")), "parameter 'gamma' must be of type float"),
    ("sweep params of a method not run", sweep(("[params.arconvl]", "[params.la]")),
     "[params.la] names a method that is not in 'methods'"),
    ("sweep unknown profile", sweep(None, "--profile", "fast"), "no profile 'fast'; it has: paper, smoke"),
    ("sweep profile not a table", sweep(text='name = "tiny"\nmethods = ["cpl"]\ndatasets = ["mnist"]\nqs = [2]\n'
                                        'seeds = [0]\nprofiles = 3\n'), "'profiles' must hold one table per profile"),
    ("sweep profile unknown key", sweep(("seeds = [0, 1]", "batch = 3"), "--profile", "smoke"),
     "[profiles.smoke] has unknown key 'batch'"),
    ("sweep --shard not i/N", sweep(None, "--shard", "a/b"), "--shard must look like i/N"),
    ("sweep --shard without /", sweep(None, "--shard", "3"), "--shard must look like i/N"),
    ("sweep --shard i = N", sweep(None, "--shard", "4/4"), "--shard i/N needs 0 <= i < N, got '4/4'"),
    ("sweep --shard negative", sweep(None, "--shard=-1/2"), "--shard i/N needs 0 <= i < N"),
    ("sweep --shard N = 0", sweep(None, "--shard", "0/0"), "--shard i/N needs 0 <= i < N"),
    ("sweep --jobs 0", sweep(None, "--jobs", "0"), "--jobs must be >= 1, got 0"),
    ("sweep negative --jobs", sweep(None, "--jobs", "-2"), "--jobs must be >= 1, got -2"),
    ("sweep --jobs not a number", sweep(None, "--jobs", "two"), "invalid int value: 'two'"),
    ("sweep --data-dir missing", sweep(None, "--data-dir", "/nonexistent/data"), "does not exist"),
    ("sweep --results-dir under a regular file", lambda t: [*sweep()(t), "--results-dir", a_regular_file(t) / "r"],
     "/file is not a directory"),
    ("sweep results CSV of another kind", sweep(results=results_file(b"a,b\n1,2\n")),
     "tiny.csv is not a results CSV (no column 'dataset')"),
    ("sweep results CSV not text", sweep(results=results_file(b"dataset,q\n\xff\xfe\x00\n")),
     "tiny.csv is not a results CSV"),
    ("sweep --dry-run on a results CSV of another kind", sweep(None, "--dry-run", results=results_file(b"x\n1\n")),
     "is not a results CSV (no column 'dataset')"),
]

REPORTS_AND_STATS = [
    ("unknown report", report("table9"), "unknown report 'table9'"),
    ("report without results", report(), "no results in"),
    ("report of a CSV of another kind", report(results=results_file(b"a,b\n1,2\n", "paper/table1.csv")),
     "lacks the column(s) dataset, q, method, seed"),
    ("report of a CSV not text", report(results=results_file(b"\x00\xff\xfe", "paper/table1.csv")),
     "is not a readable CSV"),
    ("report of a non-integer q", report(results=results_file(
        b"dataset,q,method,seed,test_gmean,test_classwise_acc\nmnist,ten,cpl,0,0.5,0.5\n", "paper/table1.csv")),
     "column 'q' holds non-integer values"),
    ("stats table missing", stats(None), "does not exist"),
    ("stats table too small", stats(b"x\ty\n1\t2\n"), "at least 3 methods"),
    ("stats table not text", stats(b"\xff\xfe\x00"), "cannot read table"),
    ("stats alpha out of range", stats(b"x\n", "--alpha", "2"), "must lie strictly between 0 and 1, got 2"),
    ("stats alpha not a number", stats(b"x\n", "--alpha", "x"), "expected a number, got 'x'"),
]

ALL_CASES = TRAIN_ARGUMENTS + TRAIN_CONFIG_FILES + DATA_FILES + OUTPUT_DIRECTORY + SWEEPS + REPORTS_AND_STATS


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=name) for name, b, m in ALL_CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, build, message):
    argv = build(tmp_path)
    assert_refused(capsys, tmp_path, argv, message)


def test_the_case_names_are_unique():
    names = [name for name, _, _ in ALL_CASES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", ["--out under a regular file", "sweep results CSV of another kind"])
def test_in_a_real_process_there_is_no_traceback(tmp_path, name):
    """As a real process: its stderr, TensorFlow's own start-up lines aside, is the one line."""
    build, message = next((b, m) for n, b, m in ALL_CASES if n == name)
    argv = build(tmp_path)
    before = snapshot(tmp_path)
    result = run_cli(*argv)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if not _is_tensorflow_log(line)]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(tmp_path) == before
