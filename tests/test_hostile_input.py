"""What a hostile user tries (issue 17, issue 11 items 3 and 5): each defect class with several cases,
every refusal of ``train`` on a run directory it could resume leaving that directory byte-identical,
and property-based tests (``hypothesis``) over generated ``train`` / ``sweep`` command lines and
TOML files: never a traceback, exit 0 or 2, and a refused call changes no file.

Every case ends as ``test_bad_input.assert_refused`` demands: exit code 2, one line on stderr naming
the problem, no traceback, no warning, nothing under the test's directory written or changed.
"""

import contextlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import (
    SWEEP_CONFIG,
    assert_refused,
    finished_row,
    good_mnist,
    gz,
    idx_header,
    snapshot,
    sweep,
    train,
    with_cifar,
    with_config,
    with_mnist,
    with_out,
    with_svhn,
)

from arconvl.reports.results import finished_runs, read_results
from arconvl.run.checkpoint import TrainingState, capture_state, save_checkpoint
from arconvl.run.config import resolve_run_config
from arconvl.run.files import CHECKPOINT_FILE, write_config, write_result
from arconvl.sweep.results_file import append_result, read_result_rows

from dataset_files import IDX_NAMES, write_idx, write_mat, write_mnist_npz, write_pickle
from test_cli import run_cli, run_main

TRAIN_IMAGES, TRAIN_LABELS = IDX_NAMES[0] + ".gz", IDX_NAMES[1] + ".gz"
TEST_IMAGES = IDX_NAMES[2] + ".gz"
BIG = 2**32 - 1


def config_of(seed=0, epochs=1):
    """The configuration ``test_bad_input.train`` resolves (mnist, q = 2, arconvl)."""
    return resolve_run_config("mnist", 2, "arconvl", seed, epochs=epochs)[0]


@pytest.fixture(scope="module")
def model_state():
    """The ``TrainingState`` of a freshly built model of ``config_of()`` after "epoch 1"."""
    from arconvl.run.training import build_model

    config = config_of()
    model = build_model(config, np.full(10, 20), (28, 28, 1), steps_per_epoch=2)
    best = SimpleNamespace(best=0.5, best_epoch=1, best_weights=model.get_weights())
    return capture_state(model, config.to_dict(), 1, 1.0, best)


def resumable(state, damage=None, history="epoch,loss\n1,0.5\n", extra=None):
    """Prepare tmp/out as an interrupted run that ``train`` could resume: checkpoint of ``state``
    (changed by ``damage(state)`` first), ``history.csv``, ``config.json``, a ``failed.json`` and a
    best-weights file, which a refused resume must leave exactly as they are."""
    def prepare(tmp, out):
        out.mkdir()
        changed = TrainingState(**{k: list(v) if isinstance(v, list) else v for k, v in state.__dict__.items()})
        if damage:
            damage(changed)
        save_checkpoint(out / CHECKPOINT_FILE, changed)
        (out / "history.csv").write_bytes(history if isinstance(history, bytes) else history.encode())
        write_config(out, config_of())
        (out / "failed.json").write_text('{"epoch": 2, "reason": "non-finite loss = nan"}\n')
        (out / "best.weights.h5").write_bytes(b"the best weights so far")
        if extra:
            extra(tmp, out)
    return prepare


def in_out(name, make):
    """Prepare tmp/out with ``make(path)`` for its file ``name``."""
    def prepare(tmp, out):
        out.mkdir(exist_ok=True)
        make(out / name)
    return prepare


def loop(path):
    os.symlink(path.name + ".b", path)
    os.symlink(path.name, path.with_name(path.name + ".b"))


def dangling(path):
    os.symlink("nowhere", path)


def npz_member(path, name, value):
    """Rewrite the checkpoint's member ``name`` (None: drop it)."""
    with np.load(path) as data:
        members = {key: data[key] for key in data.files}
    if value is None:
        del members[name]
    else:
        members[name] = np.asarray(value)
    with open(path, "wb") as handle:
        np.savez(handle, **members)


def checkpoint_member(state, name, value):
    return resumable(state, extra=lambda tmp, out: npz_member(out / CHECKPOINT_FILE, name, value))


def flip_bytes(path, at=200):
    data = bytearray(path.read_bytes())
    data[at:at + 8] = bytes(b ^ 0xFF for b in data[at:at + 8])
    path.write_bytes(bytes(data))


def finished_with(row_changes=None, config_text=None, csv_text=None):
    """tmp/out holding the finished run of ``config_of()``, its row or config.json edited."""
    def prepare(tmp, out):
        out.mkdir()
        config = config_of()
        write_config(out, config)
        write_result(out, finished_row(config, **(row_changes or {})))
        if config_text is not None:
            (out / "config.json").write_text(config_text)
        if csv_text is not None:
            (out / "run.csv").write_text(csv_text)
    return prepare


def sweep_config(*edits, text=None):
    content = text if text is not None else SWEEP_CONFIG
    for old, new in edits:
        content = content.replace(old, new)
    return sweep(text=content)


def results_rows(text, name="paper/tiny.csv"):
    def fill(tmp):
        path = tmp / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return fill


def results_path_made(make, name="paper/tiny.csv"):
    def fill(tmp):
        path = tmp / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)
    return fill


# ---------------------------------------------------------------- class 1: numbers out of range

OUT_OF_RANGE = [
    ("--seed 2**32", lambda t: train(t, "--seed", str(2**32)),
     "'seed' must be an integer from 0 to 4294967295, got 4294967296"),
    ("--seed of 25 digits", lambda t: train(t, "--seed", "9" * 25), "'seed' must be an integer from 0 to 4294967295"),
    ("TOML seed 2**32", with_config(f"dataset = 'mnist'\nq = 2\nseed = {2**32}\n"),
     "'seed' must be an integer from 0 to 4294967295, got 4294967296"),
    ("sweep seed 2**32", sweep_config(("seeds = [0]\n", f"seeds = [0, {2**32}]\n")),
     "'seeds' has a bad entry 4294967296"),
    ("--epochs 10001", lambda t: train(t, "--epochs", "10001"), "'epochs' must be an integer from 1 to 10000"),
    ("--epochs 2**64", lambda t: train(t, "--epochs", str(2**64)), "'epochs' must be an integer from 1 to 10000"),
    ("TOML epochs 10**9", with_config("dataset = 'mnist'\nq = 2\nepochs = 1000000000\n"),
     "'epochs' must be an integer from 1 to 10000, got 1000000000"),
    ("sweep epochs 10**6", sweep_config(("epochs = 1", "epochs = 1000000")),
     "'epochs' must be an integer from 1 to 10000, got 1000000"),
    ("--q 10**7", lambda t: train(t, "--q", "10000000"), "'q' must be an integer from 1 to 1000000"),
    ("sweep q 2**63 - 1", sweep_config(("qs = [2]", f"qs = [{2**63 - 1}]")), f"'qs' has a bad entry {2**63 - 1}"),
    ("--feature-dim 10**6", lambda t: train(t, "--feature-dim", "1000000"),
     "'feature_dim' must be an integer from 1 to 4096"),
    ("--subsample inf", lambda t: train(t, "--subsample", "inf"), "'subsample' must be a number in (0, 1], got inf"),
    ("TOML subsample nan", with_config("dataset = 'mnist'\nq = 2\nsubsample = nan\n"),
     "'subsample' must be a number in (0, 1], got nan"),
    ("sweep subsample -inf", sweep_config(("epochs = 1", "epochs = 1\nsubsample = -inf")),
     "'subsample' must be a number in (0, 1], got -inf"),
    ("sweep q of a large-scale set", sweep_config(('["mnist"]', '["celeba"]')),
     "celeba keeps its natural imbalance: q must be 1, got 2"),
    ("TOML q 2**63 - 1", with_config(f"dataset = 'mnist'\nq = {2**63 - 1}\n"),
     f"'q' must be an integer from 1 to 1000000, got {2**63 - 1}"),
]


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=n) for n, b, m in OUT_OF_RANGE])
def test_numbers_out_of_range_are_refused_everywhere(tmp_path, capsys, build, message):
    assert_refused(capsys, tmp_path, build(tmp_path), message)


def test_the_range_ends_themselves_are_accepted():
    assert config_of(seed=2**32 - 1, epochs=10_000).seed == 2**32 - 1
    config, _ = resolve_run_config("mnist", 1_000_000, "cpl", feature_dim=4096, subsample=1e-9)
    assert (config.q, config.feature_dim) == (1_000_000, 4096)


# ---------------------------------------------------------------- class 2: output paths

OUTPUT_PATHS = [
    ("--out empty", lambda t: train(t, "--out", ""), "argument --out: expected a path, got ''"),
    ("--out blank", lambda t: train(t, "--out", "  "), "argument --out: expected a path, got '  '"),
    ("--data-dir empty", lambda t: train(t, "--data-dir", ""), "argument --data-dir: expected a path, got ''"),
    ("--config empty", lambda t: train(t, "--config", ""), "argument --config: expected a path, got ''"),
    ("sweep config empty", lambda t: ["sweep", ""], "argument config: expected a path, got ''"),
    ("sweep --results-dir empty", lambda t: [*sweep()(t), "--results-dir", ""], "argument --results-dir: expected"),
    ("report --results-dir empty", lambda t: ["report", "--results-dir", ""], "argument --results-dir: expected"),
    ("--out a dangling link", with_out(lambda t, out: dangling(out)),
     "/out is a dangling symbolic link (to nowhere)"),
    ("--out a symbolic link loop", with_out(lambda t, out: loop(out)), "/out is a symbolic link loop"),
    ("--out under a dangling link", lambda t: [dangling(t / "link"), good_mnist(t), *train(t,
     "--out", t / "link" / "run")][2:],
     "/link is a dangling symbolic link"),
    ("--out with a name too long", lambda t: [good_mnist(t), *train(t, "--out", t / ("x" * 300))][1:],
     "a name in it is too long"),
    ("--out/.lock a directory", with_out(in_out(".lock", Path.mkdir)), "/out/.lock is a directory"),
    ("--out/history.csv a directory", with_out(in_out("history.csv", Path.mkdir)), "/out/history.csv is a directory"),
    ("--out/checkpoint.npz a dangling link", with_out(in_out(CHECKPOINT_FILE, dangling)),
     "checkpoint.npz is a dangling symbolic link"),
    ("--out/run.csv a link loop", with_out(in_out("run.csv", loop)), "/out/run.csv is a symbolic link loop"),
    ("--out/.config.json.tmp a directory", with_out(in_out(".config.json.tmp", Path.mkdir)),
     ".config.json.tmp is a directory"),
    ("sweep --results-dir a dangling link", lambda t: [dangling(t / "r"), *sweep()(t), "--results-dir", t / "r"][1:],
     "/r is a dangling symbolic link"),
    ("sweep --results-dir a link loop", lambda t: [loop(t / "r"), *sweep()(t), "--results-dir", t / "r"][1:],
     "/r is a symbolic link loop"),
    ("sweep results CSV's lock a directory", sweep(results=results_path_made(Path.mkdir, "paper/tiny.csv.lock")),
     "tiny.csv.lock is a directory"),
]


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=n) for n, b, m in OUTPUT_PATHS])
def test_bad_output_paths_are_refused_naming_the_path(tmp_path, capsys, build, message):
    assert_refused(capsys, tmp_path, build(tmp_path), message)


def test_an_empty_out_in_a_real_process_writes_nothing_in_the_current_directory(tmp_path):
    (tmp_path / "data").mkdir()
    result = run_cli("train", "--dataset", "mnist", "--q", "2", "--out", "", "--data-dir", tmp_path / "data")
    assert result.returncode == 2 and "argument --out: expected a path, got ''" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- class 3: damaged run directories

def damaged_run_dirs(state):
    weights = state.weights
    return [
        ("config.json null", finished_with(config_text="null"),
         "config.json cannot be read (ValueError: it holds null"),
        ("config.json a list", finished_with(config_text="[1, 2]"), "not a JSON object"),
        ("config.json a string", finished_with(config_text='"mnist"'), "not a JSON object"),
        ("run.csv of another seed", finished_with({"seed": 7}), "finished run with a different configuration (seed)"),
        ("run.csv of another q, spreadsheet-style", finished_with({"q": "5.0"}),
         "finished run with a different configuration (q)"),
        ("run.csv metric not a number", finished_with({"test_gmean": "n/a"}),
         "run.csv cannot be read (ValueError: could not convert string to float: 'n/a')"),
        ("run.csv without its metrics", finished_with(csv_text="dataset,q\nmnist,2\n"),
         "run.csv cannot be read (ValueError: no 'test_gmean' column)"),
        ("run.csv of two rows", finished_with(csv_text="test_gmean\n0.5\n0.5\n"),
         "run.csv cannot be read (ValueError: 2 rows, expected 1)"),
        ("checkpoint without its epoch", checkpoint_member(state, "epoch", None),
         "checkpoint.npz cannot be read (KeyError"),
        ("checkpoint epoch 0", checkpoint_member(state, "epoch", 0), "member 'epoch' is 0, expected >= 1"),
        ("checkpoint epoch a string", checkpoint_member(state, "epoch", "1"), "member 'epoch' is not a scalar"),
        ("checkpoint epoch beyond the run", checkpoint_member(state, "epoch", 5), "it holds epoch 5 of a 1-epoch run"),
        ("checkpoint config not an object", checkpoint_member(state, "config", "[1]"),
         "member 'config' is not a JSON object"),
        ("checkpoint config not JSON", checkpoint_member(state, "config", "{mnist"), "(JSONDecodeError"),
        ("checkpoint seconds negative", checkpoint_member(state, "seconds", -1.0), "seconds -1.0 out of range"),
        ("checkpoint weight count negative", checkpoint_member(state, "weights.count", -1),
         "member 'weights.count' is -1"),
        ("checkpoint with flipped bytes", resumable(state, extra=lambda t, out: flip_bytes(out / CHECKPOINT_FILE)),
         "checkpoint.npz cannot be read"),
        ("checkpoint array of the wrong shape", resumable(state, lambda s: s.weights.__setitem__(0, weights[0][:1])),
         "checkpoint.npz does not fit the model of its run (its weights have shapes that do not fit the model)"),
        ("checkpoint best weights one short", resumable(state, lambda s: setattr(s, "best_weights", weights[:-1])),
         "its best_weights ("),
        ("checkpoint optimizer variables missing", resumable(state, lambda s: setattr(s, "optimizer", [])),
         "its optimizer (0 arrays) do not fit the model"),
        ("checkpoint weights of text", resumable(state, lambda s: s.weights.__setitem__(1, np.full(weights[1].shape,
         "a"))),
         "its weights hold arrays that are not numbers"),
        ("history.csv cell not a number", resumable(state, history="epoch,loss\n1,low\n"),
         "history.csv cannot be read (ValueError: could not convert string to float: 'low')"),
        ("history.csv without an epoch column", resumable(state, history="loss\n0.5\n"),
         "history.csv has no 'epoch' column"),
        ("history.csv epoch not a number", resumable(state, history="epoch,loss\none,0.5\n"),
         "history.csv cannot be read (ValueError: invalid literal for int()"),
        ("history.csv short of the checkpoint's epoch", resumable(state, history="epoch,loss\n"),
         "does not hold epochs 1 to 1 once each"),
        ("history.csv row of too many cells", resumable(state, history="epoch,loss\n1,0.5,9\n"),
         "the row of epoch 1 has a wrong number of cells"),
        ("history.csv not UTF-8", resumable(state, history=b"epoch,loss\n1,0.5\xff\n"),
         "history.csv cannot be read"),
    ]


DAMAGE_NAMES = [name for name, _, _ in damaged_run_dirs(SimpleNamespace(weights=[np.zeros(1)] * 2))]


@pytest.mark.parametrize("name", DAMAGE_NAMES)
def test_damaged_run_directories_are_refused_naming_the_file_and_rewrite_nothing(
        tmp_path, capsys, model_state, name):
    prepare, message = next((p, m) for n, p, m in damaged_run_dirs(model_state) if n == name)
    assert_refused(capsys, tmp_path, with_out(prepare)(tmp_path), message)


def test_damaged_results_csvs_are_refused_naming_the_file_and_line(tmp_path, capsys):
    header = "dataset,q,method,seed,test_gmean\n"
    for rows, message in [("mnist,ten,cpl,0,0.5\n", "tiny.csv, line 2: not a run's key"),
                          ("mnist,2,cpl,0,0.5\nmnist,2.5,cpl,1,0.5\n", "line 3: not a run's key"),
                          ("mnist,2,cpl\n", "line 2: not a run's key"),
                          ("mnist,2,cpl,nan,0.5\n", "line 2: not a run's key")]:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        argv = sweep(None, "--dry-run", results=results_rows(header + rows))(folder)
        assert_refused(capsys, folder, argv, message)


# ---------------------------------------------------------------- class 4: types (booleans are no numbers)

BOOLEANS = [
    ("TOML float parameter true", with_config("dataset = 'mnist'\nq = 2\nmethod = 'focal'\n[params]\ngamma = true\n"),
     "parameter 'gamma' must be of type float, got True"),
    ("TOML optional number true", with_config("dataset = 'mnist'\nq = 2\n[params]\nfixed_beta = true\n"),
     "parameter 'fixed_beta' must be of type float, got True"),
    ("TOML choice true", with_config("dataset = 'mnist'\nq = 2\nmethod = 'focal'\n[params]\nclass_weight = false\n"),
     "parameter 'class_weight' must be of type str, got False"),
    ("sweep float parameter true", sweep_config(("gamma = 0.1", "gamma = true")),
     "[params.arconvl]: parameter 'gamma' must be of type float, got True"),
    ("TOML epochs true", with_config("dataset = 'mnist'\nq = 2\nepochs = true\n"),
     "'epochs' must be an integer from 1 to 10000, got True"),
    ("TOML subsample true", with_config("dataset = 'mnist'\nq = 2\nsubsample = true\n"),
     "'subsample' must be a number in (0, 1], got True"),
    ("TOML feature_dim false", with_config("dataset = 'mnist'\nq = 2\nfeature_dim = false\n"),
     "'feature_dim' must be an integer from 1 to 4096, got False"),
    ("TOML xla 1", with_config("dataset = 'mnist'\nq = 2\nxla = 1\n"), "'xla' must be true or false, got 1"),
    ("TOML boolean parameter 1", with_config("dataset = 'mnist'\nq = 2\n[params]\nclamp_underflow = 1\n"),
     "parameter 'clamp_underflow' must be true or false, got 1"),
    ("sweep boolean parameter 0.0", sweep_config(("gamma = 0.1", "clamp_underflow = 0.0")),
     "[params.arconvl]: parameter 'clamp_underflow' must be true or false, got 0.0"),
    ("sweep seeds [true]", sweep_config(("seeds = [0]\n", "seeds = [true]\n")), "'seeds' has a bad entry True"),
    ("sweep qs [true]", sweep_config(("qs = [2]", "qs = [true]")), "'qs' has a bad entry True"),
    ("sweep epochs true", sweep_config(("epochs = 1", "epochs = true")), "'epochs' must be an integer"),
    ("sweep subsample false", sweep_config(("epochs = 1", "epochs = 1\nsubsample = false")),
     "'subsample' must be a number in (0, 1], got False"),
    ("sweep xla 0", sweep_config(("epochs = 1", "epochs = 1\nxla = 0")), "'xla' must be true or false, got 0"),
    ("sweep method a number", sweep_config(('"cpl", "arconvl"', '"cpl", 3')), "'methods' has a bad entry 3"),
]


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=n) for n, b, m in BOOLEANS])
def test_booleans_are_no_numbers_and_types_are_checked_alike(tmp_path, capsys, build, message):
    assert_refused(capsys, tmp_path, build(tmp_path), message)


# ---------------------------------------------------------------- class 5: data files (and issue 11 item 5)

def only_one_of_class_0(tmp):
    labels = np.resize(np.arange(1, 10, dtype=np.uint8), 300)
    labels[0] = 0
    write_idx(tmp / "data" / "mnist" / TRAIN_LABELS, labels, 2049)


def without_class(label):
    """Learnable MNIST files whose training split has no sample of class ``label``."""
    def build(tmp):
        folder = good_mnist(tmp)
        labels = np.resize(np.arange(10, dtype=np.uint8), 300)
        labels[labels == label] = (label + 1) % 10
        write_idx(folder / TRAIN_LABELS, labels, 2049)
        return train(tmp, "--q", "1")
    return build


DATA_HEADERS = [
    ("IDX dimensions past 2**64", with_mnist(lambda f: gz(f, TRAIN_IMAGES, idx_header(2051, BIG, BIG, BIG) + bytes(9))),
     f"IDX header announces shape ({BIG}, {BIG}, {BIG}) ({BIG**3} bytes) but the file holds 9 data bytes"),
    ("IDX dimensions whose product wraps to 0", with_mnist(lambda f: gz(f, TRAIN_IMAGES, idx_header(2051, 2**31, 2**31,
        4))),
     f"({2**64} bytes) but the file holds 0 data bytes"),
    ("IDX of 0 training images", with_mnist(lambda f: gz(f, TRAIN_IMAGES, idx_header(2051, 0, 28, 28))),
     "IDX header announces shape (0, 28, 28): no data"),
    ("IDX of 0 test labels", with_mnist(lambda f: gz(f, IDX_NAMES[3] + ".gz", idx_header(2049, 0))),
     "IDX header announces shape (0,): no data"),
    ("IDX images of 0 rows", with_mnist(lambda f: gz(f, TEST_IMAGES, idx_header(2051, 5, 0, 28))),
     "announces shape (5, 0, 28): no data"),
    ("npz of 0 test images", lambda t: [write_mnist_npz(t / "data" / "mnist", x_test=np.zeros((0, 28, 28), np.uint8),
                                                        y_test=np.zeros(0, np.uint8)), *train(t)][1:],
     "mnist.npz [test]: no images"),
    ("CIFAR batch of 0 rows", with_cifar(lambda f: write_pickle(
        f / "test_batch", {b"data": np.zeros((0, 3072), np.uint8), b"labels": np.zeros(0, np.int64)})),
         "test_batch: no images"),
    ("SVHN of 0 images", with_svhn(lambda f: write_mat(
        f / "test_32x32.mat", X=np.zeros((32, 32, 3, 0), np.uint8), y=np.zeros((0, 1), np.uint8))),
     "test_32x32.mat: no images"),
    ("a class with no training sample", without_class(7), "class 7 has no training sample"),
    ("class 0 with no training sample", without_class(0), "class 0 has no training sample"),
]


@pytest.mark.parametrize("build, message", [pytest.param(b, m, id=n) for n, b, m in DATA_HEADERS])
def test_data_headers_and_empty_classes_are_refused_when_loaded(tmp_path, capsys, build, message):
    assert_refused(capsys, tmp_path, build(tmp_path), message)


# ---------------------------------------------------------------- class 6: reports

def report_with(make, name="paper/table1.csv", *names):
    def build(tmp):
        path = tmp / "results" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)
        return ["report", *names, "--results-dir", tmp / "results"]
    return build


GOOD_RESULTS = ("dataset,q,method,seed,test_gmean,test_classwise_acc\n"
                "mnist,10,cpl,0,0.5,0.6\nmnist,10,arconvl,0,0.7,0.8\n")


def good_results_and(path_in_folder, make):
    def prepare(path):
        path.write_text(GOOD_RESULTS)
        make(path.parent / path_in_folder)
    return prepare


REPORTS = [
    ("results path a directory", report_with(Path.mkdir), "results file", "cannot be read: Is a directory"),
    ("table2 results a directory", report_with(Path.mkdir, "paper/table2.csv"), "table2.csv cannot be read"),
    ("results path a link loop", report_with(loop), "table1.csv cannot be read: Too many levels of symbolic links"),
    ("results path a dangling link", report_with(dangling), "table1.csv does not exist"),
    ("a report's file a directory", report_with(good_results_and("table1_gmean.md", Path.mkdir)),
     "cannot write a report into", "table1_gmean.md"),
    ("sweep --dry-run on a results path that is a directory", sweep(None, "--dry-run", results=results_path_made(
        Path.mkdir)), "tiny.csv is not a results CSV (Is a directory)"),
    ("sweep on a results path that is a directory", sweep(results=results_path_made(Path.mkdir)),
     "tiny.csv is a directory"),
]


@pytest.mark.parametrize("build, messages", [pytest.param(c[1], c[2:], id=c[0]) for c in REPORTS])
def test_report_paths_that_are_no_files_are_refused(tmp_path, capsys, build, messages):
    argv = build(tmp_path)
    for message in messages:
        assert_refused(capsys, tmp_path, argv, message)


# ---------------------------------------------------------------- class 7: typed result keys

SPREADSHEET_ROWS = "dataset,q,method,seed,test_gmean\nmnist,2.0,cpl, 0,0.5\n mnist ,2,arconvl,0.0,0.5\n"


def test_results_rewritten_by_a_spreadsheet_name_the_same_runs(tmp_path, capsys):
    path = tmp_path / "results" / "paper" / "tiny.csv"
    argv = sweep(None, "--dry-run", results=results_rows(SPREADSHEET_ROWS))(tmp_path)
    code, out, err = run_main(capsys, *argv)
    assert (code, out, err) == (0, "", "")  # both runs of the grid count as finished
    before = path.read_bytes()
    for q, seed, method in [(2, 0, "cpl"), ("2", "0", "arconvl"), (2.0, " 0", " cpl "), ("2.", "0e0", "cpl")]:
        assert not append_result(path, {"dataset": "mnist", "q": q, "method": method, "seed": seed})
    assert path.read_bytes() == before
    assert append_result(path, {"dataset": "mnist", "q": 2, "method": "cpl", "seed": 1})
    assert len(read_result_rows(path)) == 3
    runs = finished_runs(read_results(path, required=("dataset", "q", "method", "seed")), "test_gmean")
    assert sorted(zip(runs["dataset"], runs["method"], runs["seed"])) == [("mnist", "arconvl", 0), ("mnist", "cpl", 0)]
    path.write_text(SPREADSHEET_ROWS + "mnist,2,cpl,0,0.75\n")  # a re-run's row, keyed "2" and "0": the same run
    runs = finished_runs(read_results(path, required=("dataset", "q", "method", "seed")), "test_gmean")
    assert len(runs) == 2 and runs.loc[runs["method"] == "cpl", "test_gmean"].item() == 0.75  # the last row wins


def test_a_sweep_appends_no_duplicate_of_a_spreadsheet_row(tmp_path, fake_python):
    from arconvl.sweep import load_experiment, run_sweep

    config = tmp_path / "tiny.toml"
    config.write_text(SWEEP_CONFIG)
    results = tmp_path / "tiny.csv"
    results.write_text("dataset,q,method,seed,test_gmean\nmnist,2.0,cpl, 0,0.5\n")
    finished, failed = run_sweep(load_experiment(config), results, tmp_path / "runs", python=fake_python,
                                 stream=io.StringIO())
    assert (finished, failed) == (1, 0)  # arconvl only
    assert [(row["method"], row["q"]) for row in read_result_rows(results)] == [("cpl", "2.0"), ("arconvl", "2")]


# ---------------------------------------------------------------- issue 11 item 3: every refusal of a resumable run

def every_train_refusal(state):
    """(name, extra train arguments, how to set tmp up beyond a resumable tmp/out, message)."""
    busy = {}

    def hold_lock(tmp, out):
        import fcntl
        handle = open(out / ".lock", "a")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy["handle"] = handle  # held until the test ends

    return [
        ("argument error", ["--q", "x"], None, "invalid int value"),
        ("option out of range", ["--seed", str(2**32)], None, "'seed' must be an integer"),
        ("method parameter", ["--param", "gamma=true"], None, "parameter 'gamma' must be of type float"),
        ("config file", ["--config", "missing.toml"], None, "cannot read config"),
        ("data dir", ["--data-dir", "missing"], None, "does not exist or is not a directory"),
        ("another configuration", ["--seed", "3"], None, "interrupted run with a different configuration (seed)"),
        ("feature dim on a ResNet", ["--dataset", "svhn", "--feature-dim", "2"], None, "feature_dim is fixed"),
        ("no data", [], lambda tmp, out: [p.unlink() for p in (tmp / "data" / "mnist").iterdir()], "no data found"),
        ("q too large for the data", [], lambda tmp, out: only_one_of_class_0(tmp),
         "q = 2 would leave class 0 with no sample (it has 1)"),
        ("class without training sample", [], lambda tmp, out: without_class(3)(tmp), "class 3 has no training sample"),
        ("history disagrees with the checkpoint", [],
         lambda tmp, out: (out / "history.csv").write_text("epoch,loss\n2,0.5\n"), "does not hold epochs 1 to 1"),
        ("checkpoint not fitting the model", [],
         lambda tmp, out: save_checkpoint(out / CHECKPOINT_FILE, TrainingState(**{**state.__dict__, "weights": []})),
         "does not fit the model of its run"),
        ("run directory busy", [], hold_lock, "is being trained by another process"),
    ]


REFUSAL_NAMES = [name for name, *_ in every_train_refusal(None)]


@pytest.mark.parametrize("name", REFUSAL_NAMES)
def test_every_refusal_leaves_a_resumable_run_directory_byte_identical(tmp_path, capsys, model_state, name):
    """The old code deleted failed.json and rewrote config.json and history.csv before it refused."""
    extra, setup, message = next((e, s, m) for n, e, s, m in every_train_refusal(model_state) if n == name)
    good_mnist(tmp_path)
    resumable(model_state, extra=setup)(tmp_path, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert {"checkpoint.npz", "config.json", "failed.json", "history.csv", "best.weights.h5"} <= set(names)
    argv = [str(a).replace("missing", str(tmp_path / "missing")) for a in train(tmp_path, *extra)]
    assert_refused(capsys, tmp_path, argv, message)  # snapshots every name and byte under tmp_path


def test_the_resumable_directory_of_these_tests_does_resume(tmp_path, capsys, model_state):
    """The control: without a fault, the same directory resumes (no epoch left) and finishes."""
    good_mnist(tmp_path)
    out = tmp_path / "out"
    resumable(model_state, history="epoch,loss,val_gmean,test_gmean,test_classwise_acc\n1,0.5,0.1,0.2,0.3\n")(
        tmp_path, out)
    code, stdout, err = run_main(capsys, *train(tmp_path))
    assert code == 0, err
    assert f"resuming {out} after epoch 1 of 1" in stdout and (out / "run.csv").exists()
    assert not (out / "failed.json").exists()


# ---------------------------------------------------------------- property-based: generated command lines and files

EXAMPLES = {"train": 0, "sweep": 0, "toml": 0}
HOSTILE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
NUMBERS = st.one_of(st.integers(-2**70, 2**70), st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.one_of(HOSTILE_TEXT, NUMBERS.map(str), st.sampled_from(
    ["", " ", "true", "false", "nan", "-1", "0", "1", "2", "4294967296", "1e400", "mnist", "celeba", "arconvl",
     "focal", "paper", "mixed_bfloat16", "gamma=true", "gamma=1", "--out", "="]))
TRAIN_FLAGS = ["--dataset", "--q", "--method", "--seed", "--epochs", "--subsample", "--feature-dim", "--precision",
               "--variant", "--param", "--config", "--data-dir", "--out", "--bogus"]
TOML_VALUES = st.one_of(st.booleans(), st.integers(-2**63, 2**63 - 1), st.floats(), HOSTILE_TEXT,
                        st.lists(st.one_of(st.integers(-5, 2**40), st.booleans(), HOSTILE_TEXT), max_size=3),
                        st.sampled_from(["mnist", "fashion_mnist", "celeba", "cpl", "arconvl", "code", "float32"]))
RUN_KEYS = ["dataset", "q", "method", "seed", "epochs", "variant", "subsample", "feature_dim", "precision", "xla",
            "params", "bogus"]
SWEEP_KEYS = ["name", "methods", "datasets", "qs", "seeds", "epochs", "variant", "subsample", "precision", "xla",
              "params", "profiles", "bogus"]


def toml_value(value):
    """``value`` written as TOML (a string as a basic string; ``nan`` and ``inf`` as TOML spells them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


def toml_text(table):
    lines = [f"{key} = {toml_value(value)}" for key, value in table.items() if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += [f"[{key}]", *(f"{k} = {toml_value(v)}" for k, v in value.items())]
    return "\n".join(lines) + "\n"


def call_cli(argv, watched):
    """Run the CLI in this process; assert it exits 0 or 2 without a traceback, and that a refusal
    changed nothing under ``watched``. Returns the exit code."""
    from arconvl.cli import main

    before = snapshot(watched)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exit_:
            code = exit_.code
    err = stderr.getvalue()
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err + stdout.getvalue()
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert snapshot(watched) == before, argv
    return code


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory):
    """A folder with an empty data dir (a valid ``train`` stops at "no data found") and run
    directories of every kind: empty, finished, interrupted, damaged."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "data").mkdir()
    finished = root / "finished"
    finished_with()(root, finished)
    (root / "damaged").mkdir()
    (root / "damaged" / "config.json").write_text("null")
    (root / "damaged" / "run.csv").write_text("test_gmean\nx\n")
    (root / "interrupted").mkdir()
    (root / "interrupted" / "history.csv").write_text("epoch\n1\n")
    dangling(root / "dangling")
    return root


def run_dirs(root):
    return st.sampled_from([root / "fresh", root / "finished", root / "damaged", root / "interrupted",
                            root / "dangling", root / "finished" / "run.csv"])


PROPERTY = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(data=st.data())
def test_generated_train_command_lines_never_crash_and_refusals_write_nothing(hostile_root, data):
    out = data.draw(run_dirs(hostile_root))
    argv = ["train", "--dataset", "mnist", "--q", "2", "--epochs", "1", "--offline",
     "--data-dir", hostile_root / "data"]
    paths = st.sampled_from(["", " ", hostile_root / "data", hostile_root / "nowhere", hostile_root / "dangling",
                             hostile_root / "finished" / "config.json"])
    for _ in range(data.draw(st.integers(0, 4))):
        flag = data.draw(st.sampled_from(TRAIN_FLAGS))
        argv += [flag, data.draw(paths if flag in ("--config", "--data-dir") else VALUES)]
    argv += ["--out", out] if data.draw(st.booleans()) else []
    EXAMPLES["train"] += 1
    call_cli(argv, hostile_root)


@PROPERTY
@given(table=st.dictionaries(st.sampled_from(RUN_KEYS), TOML_VALUES, max_size=6),
       params=st.dictionaries(st.sampled_from(["gamma", "fixed_beta", "center_term", "class_weight", "tau", "x"]),
                              TOML_VALUES, max_size=2),
       out=st.sampled_from(["fresh", "finished", "damaged", "interrupted"]))
def test_generated_toml_run_files_never_crash_and_refusals_write_nothing(hostile_root, table, params, out):
    if "params" in table and params:
        table["params"] = params
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.toml"
        path.write_text(toml_text({"dataset": "mnist", "q": 2, "epochs": 1, **table}))
        EXAMPLES["toml"] += 1
        call_cli(["train", "--config", path, "--offline", "--data-dir", hostile_root / "data",
                  "--out", hostile_root / out], hostile_root)


@PROPERTY
@given(table=st.dictionaries(st.sampled_from(SWEEP_KEYS), TOML_VALUES, max_size=5),
       extra=st.lists(st.sampled_from(["--shard", "1/2", "0/0", "--jobs", "0", "--profile", "smoke", "--engine",
                                       "ray", "--results-dir", "", "--dry-run"]), max_size=4))
def test_generated_sweep_configs_never_crash_and_refusals_write_nothing(table, extra):
    config = {"name": "tiny", "methods": ["cpl"], "datasets": ["mnist"], "qs": [2], "seeds": [0], "epochs": 1,
              **table}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "tiny.toml"
        path.write_text(toml_text(config))
        results = folder / "results"
        EXAMPLES["sweep"] += 1
        code = call_cli(["sweep", path, "--results-dir", results, "--offline", "--dry-run", *extra], folder)
        assert code == 2 or not results.exists()  # a dry run writes nothing either


def test_the_property_based_tests_ran_their_examples():
    """Runs after the three above (file order): how many examples each generated, for the record."""
    print(f"\nproperty-based examples: {EXAMPLES}")
    assert all(count >= 50 for count in EXAMPLES.values()), EXAMPLES


# ---------------------------------------------------------------- the process's own streams

def test_a_closed_standard_output_ends_the_command_quietly(tmp_path):
    """``sweep CONFIG --dry-run | head -1``: the reader has gone before the runs are listed."""
    import subprocess
    import sys

    from test_cli import REPO

    config = tmp_path / "tiny.toml"
    config.write_text(SWEEP_CONFIG)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command's own default, as a user's shell would leave it
    process = subprocess.Popen([sys.executable, "-m", "arconvl", "sweep", str(config), "--results-dir",
                                str(tmp_path / "results"), "--dry-run"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `head` does once it has its line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=600) == 141, stderr
    assert stderr == ""  # no BrokenPipeError, and none of TensorFlow's start-up lines
