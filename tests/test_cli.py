"""``python -m arconvl train`` end to end on tiny generated data, and its error cases."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dataset_files import IDX_NAMES, write_idx

REPO = Path(__file__).resolve().parents[1]


def write_learnable_mnist(folder, n_train=2000, n_test=200, seed=0):
    """MNIST-format IDX files whose class j is a bright 7×7 square at a position of its own."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def images_for(labels):
        images = rng.integers(0, 60, (len(labels), 28, 28), dtype=np.uint8)
        for i, label in enumerate(labels):
            top, left = 3 + 8 * (label // 4), 3 + 8 * (label % 4)
            images[i, top:top + 7, left:left + 7] = 255
        return images

    y_train = np.resize(np.arange(10, dtype=np.uint8), n_train)
    y_test = np.resize(np.arange(10, dtype=np.uint8), n_test)
    for name, array in zip(IDX_NAMES, (images_for(y_train), y_train, images_for(y_test), y_test)):
        write_idx(folder / f"{name}.gz", array, 2051 if array.ndim == 3 else 2049)
    return folder


def run_cli(*args, timeout=600):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "arconvl", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env,
    )


def run_main(capsys, *args):
    """The CLI in this process: (exit code, stdout, stderr)."""
    from arconvl.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_learnable_mnist(tmp_path_factory.mktemp("data") / "mnist")


@pytest.fixture(scope="module")
def finished_run(tiny_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    args = ["train", "--dataset", "mnist", "--q", "2", "--method", "arconvl", "--seed", "3",
            "--epochs", "3", "--data-dir", tiny_data, "--offline", "--out", out, "--quiet"]
    result = run_cli(*args)
    return args, out, result


def test_train_writes_both_csvs_and_learns(finished_run):
    args, out, result = finished_run
    assert result.returncode == 0, result.stderr
    assert "3 epochs instead of the paper's 50" in result.stdout
    final = result.stdout.strip().splitlines()[-1]
    assert final.startswith("mnist q=2 arconvl seed=3: test G-mean ")

    (row,) = read_rows(out / "run.csv")
    assert (row["dataset"], row["q"], row["method"], row["seed"], row["epochs"]) == ("mnist", "2", "arconvl", "3", "3")
    recalls = [float(row[f"recall_{j}"]) for j in range(10)]
    assert float(row["test_gmean"]) == pytest.approx(np.prod(recalls) ** 0.1, abs=1e-6)
    assert float(row["test_classwise_acc"]) == pytest.approx(np.mean(recalls), abs=1e-6)
    # The squares are easy: far above chance (0.1) already. (The G-mean may still be 0 after so few
    # steps: batch norm's moving statistics, momentum 0.99, have not caught up with raw pixels.)
    assert float(row["test_classwise_acc"]) > 0.5
    assert f"{100 * float(row['test_gmean']):.2f}%" in final
    assert row["variant"] == "code" and row["param.gamma"] == "0.05"

    history = read_rows(out / "history.csv")
    assert [h["epoch"] for h in history] == ["1", "2", "3"]
    for column in ("loss", "region", "distribution", "margin_ce", "center", "beta", "sigma2",
                   "r_ben_sq", "r_upp_sq", "lr", "radius_lr", "val_gmean", "test_gmean"):
        assert all(np.isfinite(float(h[column])) for h in history), column
    best = int(row["best_epoch"])
    val = [float(h["val_gmean"]) for h in history]
    assert val[best - 1] == max(val) and all(v < max(val) for v in val[best:])  # ties → later epoch
    assert float(row["test_gmean"]) == pytest.approx(float(history[best - 1]["test_gmean"]), abs=1e-6)
    assert float(row["test_gmean_last"]) == pytest.approx(float(history[-1]["test_gmean"]), abs=1e-6)
    assert (out / "best.weights.h5").exists() and (out / "config.json").exists()


def test_finished_run_is_reported_not_retrained(finished_run):
    args, out, first = finished_run
    before = (out / "run.csv").read_text(), (out / "history.csv").stat().st_mtime_ns
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert "not retraining" in again.stdout
    assert again.stdout.strip().splitlines()[-1] == first.stdout.strip().splitlines()[-1]
    assert ((out / "run.csv").read_text(), (out / "history.csv").stat().st_mtime_ns) == before


def test_finished_run_with_another_config_is_refused(finished_run):
    args, out, _ = finished_run
    changed = [("4" if a == "3" and args[i - 1] == "--seed" else a) for i, a in enumerate(args)]
    result = run_cli(*changed)
    assert result.returncode == 2
    assert "different configuration (seed)" in result.stderr


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--dataset": "imagenet"}, "invalid choice: 'imagenet'"),
        ({"--method": "softmax"}, "invalid choice: 'softmax'"),
        ({"--q": "0"}, "'q' must be an integer from 1 to 1000000"),
        ({"--q": "ten"}, "invalid int value: 'ten'"),
        ({"--epochs": "-3"}, "'epochs' must be an integer from 1 to 10000"),
        ({"--data-dir": "/nonexistent/data"}, "does not exist"),
        ({"--param": "gamma"}, "expected KEY=VALUE"),
        ({"--param": "delta=1"}, "has no parameter 'delta'"),
        ({"--variant": "mine"}, "invalid choice: 'mine'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, change, message):
    options = {"--dataset": "mnist", "--q": "10", "--method": "arconvl", "--epochs": "1",
               "--data-dir": str(tmp_path), "--out": str(tmp_path / "out")}
    options.update(change)
    code, _, err = run_main(capsys, "train", *[item for pair in options.items() for item in pair], "--offline")
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_unreadable_data_files_exit_2_without_traceback(tmp_path):
    """In a real process: one line on stderr besides TensorFlow's own start-up lines."""
    data = tmp_path / "data"
    data.mkdir()
    for name in IDX_NAMES:
        (data / f"{name}.gz").write_bytes(b"this is not gzip")
    result = run_cli("train", "--dataset", "mnist", "--q", "10", "--epochs", "1",
                     "--data-dir", data, "--offline", "--out", tmp_path / "out")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if not _is_tensorflow_log(line)]
    assert len(lines) == 1 and "train-images-idx3-ubyte.gz" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_data_offline_names_the_files(tmp_path, capsys):
    code, _, err = run_main(capsys, "train", "--dataset", "svhn", "--q", "10", "--epochs", "1",
                            "--data-dir", tmp_path, "--offline", "--out", tmp_path / "out")
    assert code == 2
    assert "train_32x32.mat" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_out_path_that_is_a_file_is_refused(tmp_path, capsys, tiny_data):
    (tmp_path / "out").write_text("not a directory")
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--epochs", "1",
                            "--data-dir", tiny_data.parent, "--offline", "--out", tmp_path / "out")
    assert code == 2 and "is not a directory" in err
    assert (tmp_path / "out").read_text() == "not a directory"


def test_help_lists_every_method(capsys):
    from arconvl.losses.registry import METHODS

    code, out, _ = run_main(capsys, "train", "--help")
    assert code == 0
    for name, method in METHODS.items():
        assert name in out and method.description in out


# Each command in one fresh process, which then names any Keras / TensorFlow / JAX module it loaded.
_IMPORT_PROBE = """
import sys
from arconvl.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"keras", "tensorflow", "jax"})
print("EXIT", code, "LOADED", " ".join(heavy) or "none")
"""


@pytest.mark.parametrize("args", [
    ("--help",), ("train", "--help"), ("sweep", "--help"), ("predict", "--help"),
    ("report", "table1", "comparison", "--profile", "fashion", "--results-dir", "{results}"),
    ("stats", "--table", "arconvl/paper/paper-table1-gmean.tsv"),
], ids=lambda args: " ".join(args[:2]))
def test_commands_that_train_nothing_never_import_keras(args, tmp_path):
    """Help, reports and statistics start in about a second: the registry names its losses, and the
    backbone names and epoch schedules live apart from the Keras code, so none of them loads Keras."""
    results = tmp_path / "results"
    (results / "fashion").mkdir(parents=True)
    (results / "fashion" / "table1.csv").write_bytes((REPO / "results/fashion/table1.csv").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE, *(a.format(results=results) for a in args)],
                          capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert done.stdout.splitlines()[-1] == "EXIT 0 LOADED none", done.stderr[-2000:]


def _is_tensorflow_log(line):
    """TensorFlow's native start-up lines, printed before its log level applies."""
    return line.startswith(("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 "))


def test_a_non_finite_loss_stops_the_run_and_records_the_failure(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--epochs", "2",
                            "--param", "fixed_sigma2=nan", "--data-dir", tiny_data.parent, "--offline",
                            "--out", out, "--quiet")
    assert code == 3
    assert "run failed at epoch 1: non-finite" in err and "loss = nan" in err
    failure = json.loads((out / "failed.json").read_text())
    assert failure["epoch"] == 1 and "margin_ce = nan" in failure["reason"]
    assert not (out / "run.csv").exists() and not (out / "history.csv").exists()
    # A finite run in the same directory trains afresh and clears the failure.
    code, _, err = run_main(capsys, "train", "--dataset", "mnist", "--q", "2", "--epochs", "1",
                            "--data-dir", tiny_data.parent, "--offline", "--out", out, "--quiet")
    assert code == 0, err
    assert (out / "run.csv").exists() and not (out / "failed.json").exists()
