"""An interrupted ``python -m arconvl train`` resumes after its last finished epoch and ends as the
uninterrupted run with the same seed: the same ``run.csv`` and ``history.csv``, every epoch once."""

import dataclasses
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

import pytest

from arconvl.run.callbacks import EpochCheckpoint
from arconvl.run.checkpoint import TrainingState, save_checkpoint
from arconvl.run.config import resolve_run_config
from arconvl.run.files import CHECKPOINT_FILE, rows_to_csv

from test_cli import REPO, read_rows, run_main, write_learnable_mnist

EPOCHS = 3


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_learnable_mnist(tmp_path_factory.mktemp("data") / "mnist", n_train=300, n_test=100).parent


def train_args(data, out, variant="code"):
    return ["train", "--dataset", "mnist", "--q", "2", "--seed", "1", "--epochs", str(EPOCHS),
            "--variant", variant, "--data-dir", data, "--offline", "--out", out, "--quiet"]


@pytest.fixture(scope="module")
def reference(tiny_data, tmp_path_factory):
    """variant → the directory of an uninterrupted run (trained on first use)."""
    from arconvl.cli import main

    runs = {}

    def run(variant):
        if variant not in runs:
            out = tmp_path_factory.mktemp("reference") / variant
            assert main([str(a) for a in train_args(tiny_data, out, variant)]) == 0
            runs[variant] = out
        return runs[variant]

    return run


def assert_same_numbers(row, expected):
    assert row.keys() == expected.keys()
    for key, value in row.items():
        try:
            assert float(value) == pytest.approx(float(expected[key]), rel=1e-6, abs=1e-6), key
        except ValueError:
            assert value == expected[key], key


def assert_same_run(out, reference_dir, epochs=EPOCHS):
    """``out`` finished with the results of the uninterrupted ``reference_dir`` of ``epochs``."""
    (row,), (expected,) = read_rows(out / "run.csv"), read_rows(reference_dir / "run.csv")
    del row["seconds"], expected["seconds"]
    assert_same_numbers(row, expected)
    history, expected_history = read_rows(out / "history.csv"), read_rows(reference_dir / "history.csv")
    assert [h["epoch"] for h in history] == [str(e) for e in range(1, epochs + 1)]
    for h, e in zip(history, expected_history, strict=True):
        assert_same_numbers(h, e)
    assert not (out / CHECKPOINT_FILE).exists()  # deleted once run.csv is written


def interrupt(monkeypatch, epoch, before_checkpoint):
    """Make training stop with a KeyboardInterrupt at the end of 1-based ``epoch``: after its
    history row and before its checkpoint, or after both."""
    save = EpochCheckpoint.on_epoch_end

    def on_epoch_end(self, index, logs=None):
        if index + 1 == epoch and before_checkpoint:
            raise KeyboardInterrupt
        save(self, index, logs)
        if index + 1 == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", on_epoch_end)


@pytest.mark.parametrize(
    "variant, epoch, before_checkpoint",
    [
        ("code", 1, False),   # an ordinary stop between epochs
        ("code", 2, True),    # history.csv holds epoch 2, the checkpoint epoch 1: epoch 2 is redone
        ("code", 3, False),   # every epoch done, run.csv not yet written: nothing left to train
        ("paper", 2, True),   # momentum: the optimizer's slots are part of the checkpoint
    ],
)
def test_an_interrupted_run_resumes_and_ends_as_an_uninterrupted_one(
    variant, epoch, before_checkpoint, tiny_data, tmp_path, capsys, monkeypatch, reference
):
    expected = reference(variant)
    out = tmp_path / "run"
    args = train_args(tiny_data, out, variant)
    with monkeypatch.context() as patch:
        interrupt(patch, epoch, before_checkpoint)
        code, _, err = run_main(capsys, *args)
    assert code == 130, err
    resumed_after = epoch - 1 if before_checkpoint else epoch
    assert [int(h["epoch"]) for h in read_rows(out / "history.csv")] == list(range(1, epoch + 1))
    assert not (out / "run.csv").exists() and (out / CHECKPOINT_FILE).exists()

    code, stdout, err = run_main(capsys, *args)
    assert code == 0, err
    assert f"resuming {out} after epoch {resumed_after} of {EPOCHS}" in stdout
    assert_same_run(out, expected)


def test_a_run_killed_with_sigkill_resumes(tiny_data, tmp_path, reference):
    expected = reference("code")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "arconvl", *map(str, train_args(tiny_data, out))]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (out / CHECKPOINT_FILE).exists():  # epoch 1 is done (its history row first)
            assert process.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not (out / "run.csv").exists()

    again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"resuming {out} after epoch" in again.stdout
    assert_same_run(out, expected)


def test_a_checkpoint_of_another_configuration_is_refused(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    other, _ = resolve_run_config("mnist", 2, "arconvl", 2, epochs=EPOCHS)  # seed 2, not 1
    save_checkpoint(out / CHECKPOINT_FILE, TrainingState(
        config=other.to_dict(), epoch=1, seconds=1.0, weights=[], optimizer=[], radius_optimizer=[],
        best=0.5, best_epoch=1, best_weights=[],
    ))
    before = (out / CHECKPOINT_FILE).read_bytes()
    code, _, err = run_main(capsys, *train_args(tiny_data, out))
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "holds an interrupted run with a different configuration (seed); choose another --out" in err
    assert (out / CHECKPOINT_FILE).read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [CHECKPOINT_FILE]


def files_of(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_the_backend_is_recorded(reference):
    out = reference("code")
    assert json.loads((out / "config.json").read_text())["backend"] == "tensorflow"
    (row,) = read_rows(out / "run.csv")
    assert row["backend"] == "tensorflow"


def test_a_checkpoint_of_another_backend_is_refused(tiny_data, tmp_path, capsys):
    """Resuming would feed the JAX run's later epochs the TensorFlow random stream: refused."""
    out = tmp_path / "run"
    out.mkdir()
    config, _ = resolve_run_config("mnist", 2, "arconvl", 1, epochs=EPOCHS)
    save_checkpoint(out / CHECKPOINT_FILE, TrainingState(
        config=dataclasses.replace(config, backend="jax").to_dict(), epoch=1, seconds=1.0, weights=[], optimizer=[],
        radius_optimizer=[], best=0.5, best_epoch=1, best_weights=[],
    ))
    before = files_of(out)
    code, _, err = run_main(capsys, *train_args(tiny_data, out))
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "holds an interrupted run with a different configuration (backend); it was trained on the jax " in err
    assert "use KERAS_BACKEND=jax for it; choose another --out" in err
    assert files_of(out) == before


def test_the_environment_is_recorded(reference):
    """config.json names the versions and the machine the run trained with."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    environment = json.loads((reference("code") / "config.json").read_text())["environment"]
    assert {key: environment[key] for key in ("python", "numpy", "keras", "backend", "backend_version", "cpus")} == {
        "python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__,
        "backend": "tensorflow", "backend_version": tf.__version__, "cpus": os.cpu_count()}
    assert environment["accelerators"] == [] and environment["platform"] == platform.platform()


ANOTHER_MACHINE = {"python": "3.12.1", "numpy": "1.26.4", "keras": "3.0.0", "backend": "tensorflow",
                   "backend_version": "2.16.1", "platform": "Linux-other", "cpu": "Other CPU", "cpus": 64,
                   "accelerators": ["NVIDIA H100 80GB HBM3"]}


def rewrite_environment(out, environment):
    config = json.loads((out / "config.json").read_text())
    config["environment"] = environment
    (out / "config.json").write_text(json.dumps(config))


def train_into_a_rewritten_finished_run(rewrite, reference, tiny_data, tmp_path, capsys):
    """Train again into a copy of the finished reference run that ``rewrite(out)`` edited: (exit
    code, stdout, stderr, whether every file stayed as it was)."""
    out = tmp_path / "run"
    shutil.copytree(reference("code"), out)
    rewrite(out)
    before = files_of(out)
    code, stdout, err = run_main(capsys, *train_args(tiny_data, out))
    return code, stdout, err, files_of(out) == before


def test_a_finished_run_of_another_machine_is_reused_as_it_is(reference, tiny_data, tmp_path, capsys):
    """The environment is a record, no option: another machine's finished run is not retrained."""
    code, stdout, err, unchanged = train_into_a_rewritten_finished_run(
        lambda out: rewrite_environment(out, ANOTHER_MACHINE), reference, tiny_data, tmp_path, capsys)
    assert code == 0, err
    assert "is finished; not retraining" in stdout and unchanged


def test_a_run_interrupted_on_another_machine_resumes_and_records_this_one(tiny_data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    args = train_args(tiny_data, out)
    with monkeypatch.context() as patch:
        interrupt(patch, 1, before_checkpoint=False)
        assert run_main(capsys, *args)[0] == 130
    here = json.loads((out / "config.json").read_text())["environment"]
    rewrite_environment(out, ANOTHER_MACHINE)
    code, stdout, err = run_main(capsys, *args)
    assert code == 0, err
    assert f"resuming {out} after epoch 1 of {EPOCHS}" in stdout
    assert json.loads((out / "config.json").read_text())["environment"] == here


def rewrite_backend(out, backend):
    """Record ``backend`` in the finished run ``out`` (None: record none, as runs did before it was)."""
    config = json.loads((out / "config.json").read_text())
    (row,) = read_rows(out / "run.csv")
    for record in config, row:
        record.pop("backend")
        if backend is not None:
            record["backend"] = backend
    (out / "config.json").write_text(json.dumps(config))
    (out / "run.csv").write_text(rows_to_csv([row]))


def test_a_finished_run_of_another_backend_is_not_reused(reference, tiny_data, tmp_path, capsys):
    code, _, err, unchanged = train_into_a_rewritten_finished_run(
        lambda out: rewrite_backend(out, "jax"), reference, tiny_data, tmp_path, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "holds a finished run with a different configuration (backend); it was trained on the jax backend" in err
    assert unchanged


def test_a_run_that_records_no_backend_was_trained_on_tensorflow(reference, tiny_data, tmp_path, capsys):
    code, stdout, err, unchanged = train_into_a_rewritten_finished_run(
        lambda out: rewrite_backend(out, None), reference, tiny_data, tmp_path, capsys)
    assert code == 0, err
    assert "is finished; not retraining" in stdout and unchanged


def test_history_keeps_exactly_the_checkpointed_epochs(tmp_path):
    from arconvl.run.files import HistoryFile

    path = tmp_path / "history.csv"
    path.write_text("epoch,loss\n1,0.5\n2,0.25\n3,0.125\n")
    history = HistoryFile(path)
    rows = history.rows_up_to(2)  # epoch 3's row came after the last checkpoint
    assert path.read_text() == "epoch,loss\n1,0.5\n2,0.25\n3,0.125\n"  # reading writes nothing
    history.resume(rows)
    assert path.read_text() == "epoch,loss\n1,0.5\n2,0.25\n"
    history.append({"epoch": 3, "loss": 0.1})
    assert [row["epoch"] for row in read_rows(path)] == ["1", "2", "3"]
    path.write_text("epoch,loss\n1,0.5\n")
    with pytest.raises(ValueError, match="does not hold epochs 1 to 2"):
        HistoryFile(path).rows_up_to(2)
