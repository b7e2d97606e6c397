"""``python -m arconvl train`` on JAX, run by tests/test_jax_backend.py under ``KERAS_BACKEND=jax``
(tests/test_resume.py covers TensorFlow): a user's ``.npz`` trains through the NumPy input
pipeline with TensorFlow not importable, the run records its backend, an interrupted run resumes
and ends as the uninterrupted one, and a checkpoint of TensorFlow (or of a version that recorded no
backend) is refused."""

import json
import os
import subprocess

import keras
import numpy as np
import pytest
from test_resume import assert_same_run, interrupt

from arconvl.run.checkpoint import TrainingState, save_checkpoint
from arconvl.run.config import resolve_run_config
from arconvl.run.files import CHECKPOINT_FILE

from backends import without_tensorflow
from test_cli import REPO, read_rows, run_main

pytestmark = pytest.mark.skipif(keras.config.backend() != "jax", reason="run under JAX by test_jax_backend.py")

EPOCHS = 2
SHAPE = (12, 12, 1)


def write_tiny_npz(path, n_train=90, n_test=30, seed=0):
    """A 3-class ``.npz`` whose class j is a bright square at a position of its own."""
    rng = np.random.default_rng(seed)

    def images_for(labels):
        images = rng.integers(0, 60, (len(labels), *SHAPE), dtype=np.uint8)
        for i, label in enumerate(labels):
            images[i, 4 * label:4 * label + 4, 4 * label:4 * label + 4] = 255
        return images

    y_train, y_test = np.resize(np.arange(3), n_train), np.resize(np.arange(3), n_test)
    np.savez(path, x_train=images_for(y_train), y_train=y_train, x_test=images_for(y_test), y_test=y_test)
    return path


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory):
    return write_tiny_npz(tmp_path_factory.mktemp("data") / "tiny.npz")


def train_args(data, out):
    return ["train", "--dataset", "arrays", "--data-dir", data, "--seed", "1", "--epochs", str(EPOCHS),
            "--out", out, "--quiet"]


@pytest.fixture(scope="module")
def reference(tiny_npz, tmp_path_factory):
    """The directory of an uninterrupted run of ``python -m arconvl train`` in which ``import
    tensorflow`` fails."""
    out = tmp_path_factory.mktemp("reference") / "run"
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run(without_tensorflow("arconvl", *train_args(tiny_npz, out)), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip().splitlines()[-1].startswith("arrays arconvl seed=1: test G-mean ")
    return out


def test_the_run_reads_numpy_batches_and_records_jax(reference):
    from arconvl.data.pipeline import train_pipeline
    from arconvl.data.pipeline_numpy import TrainBatches

    x = np.zeros((4, *SHAPE), np.uint8)
    assert isinstance(train_pipeline(x, np.arange(4), batch_size=2, seed=0, augment=True, pixel_scale=1.0),
                      TrainBatches)
    config = json.loads((reference / "config.json").read_text())
    assert config["backend"] == "jax"
    import jax  # noqa: PLC0415 - the version the run's subprocess trained with

    assert (config["environment"]["backend"], config["environment"]["backend_version"]) == ("jax", jax.__version__)
    (row,) = read_rows(reference / "run.csv")
    assert row["backend"] == "jax" and row["epochs"] == str(EPOCHS)
    assert [h["epoch"] for h in read_rows(reference / "history.csv")] == ["1", "2"]


def test_an_interrupted_run_resumes_as_the_uninterrupted_one(tiny_npz, reference, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        interrupt(patch, 1, before_checkpoint=False)
        code, _, err = run_main(capsys, *train_args(tiny_npz, out))
    assert code == 130, err
    assert (out / CHECKPOINT_FILE).exists() and not (out / "run.csv").exists()
    code, stdout, err = run_main(capsys, *train_args(tiny_npz, out))
    assert code == 0, err
    assert f"resuming {out} after epoch 1 of {EPOCHS}" in stdout
    assert_same_run(out, reference, epochs=EPOCHS)


@pytest.mark.parametrize("recorded", ["tensorflow", None])  # None: a checkpoint that names no backend
def test_a_checkpoint_of_tensorflow_is_refused(tiny_npz, tmp_path, capsys, recorded):
    out = tmp_path / "run"
    out.mkdir()
    config, _ = resolve_run_config("arrays", None, seed=1, epochs=EPOCHS, input_shape=SHAPE)
    assert config.backend == "jax"
    record = {key: value for key, value in config.to_dict().items() if key != "backend"}
    if recorded is not None:
        record["backend"] = recorded
    save_checkpoint(out / CHECKPOINT_FILE, TrainingState(
        config=record, epoch=1, seconds=1.0, weights=[], optimizer=[], radius_optimizer=[],
        best=0.5, best_epoch=1, best_weights=[],
    ))
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    code, _, err = run_main(capsys, *train_args(tiny_npz, out))
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "holds an interrupted run with a different configuration (backend)" in err
    assert "trained on the tensorflow backend and Keras runs on jax here" in err
    assert "KERAS_BACKEND=tensorflow" in err
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


@pytest.mark.parametrize("dataset", ["folder", "celeba"])
def test_image_files_need_tensorflow(tmp_path, capsys, dataset):
    """The image-file pipeline is tf.data: refused in one line before anything is read or written."""
    for name in ("a", "b"):
        (tmp_path / "data" / "train" / name).mkdir(parents=True)
    out = tmp_path / "run"
    q = ["--q", "1"] if dataset == "celeba" else []
    code, _, err = run_main(capsys, "train", "--dataset", dataset, *q, "--data-dir", tmp_path / "data", "--out", out)
    assert code == 2
    assert len(err.splitlines()) == 1
    assert f"dataset {dataset} is read by a tf.data pipeline and needs the TensorFlow backend" in err
    assert "Keras runs on jax" in err
    assert not out.exists()
