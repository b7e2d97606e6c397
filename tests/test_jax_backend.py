"""The JAX backend (issue 12): the public-API, loss, model, metric and training tests run again
under ``KERAS_BACKEND=jax`` in a subprocess in which ``import tensorflow`` fails, as on a machine
without TensorFlow (Keras fixes its backend at import, so one pytest process runs one backend), and
two training steps from the same weights and batch agree on TensorFlow and JAX.

Skipped where JAX is not installed, and inside the JAX run itself."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import backend_step
import keras
import numpy as np
import pytest

from backends import ONCE_ON_TENSORFLOW, TENSORFLOW_ONLY, without_tensorflow

TESTS = Path(__file__).resolve().parent
# The tests that run on JAX as well: backend-neutral Keras. Skipped there: what is TensorFlow's alone
# (``backends.tensorflow_only``: tf.function graphs, a nested tape, the TensorFlow train step) and,
# to keep the run short, ``backends.once_on_tensorflow``: the ResNet structure tests, and in
# test_losses_saturation.py the ablations and all but the first variant / γ of each Table 1 method.
JAX_TEST_FILES = ("test_keras_api.py", "test_losses_keras.py", "test_metrics.py", "test_losses_cpl.py",
                  "test_losses_arconvl.py", "test_losses_baselines.py", "test_losses_saturation.py", "test_model.py",
                  "test_jax_training.py")

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed"),
    pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="compares JAX with TensorFlow"),
]


def run_on_jax(command):
    """``command`` under KERAS_BACKEND=jax from the repository root; the completed process."""
    path = os.pathsep.join(filter(None, [str(TESTS.parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": path}
    return subprocess.run(command, cwd=TESTS.parent, env=env, capture_output=True, text=True, timeout=900)


def test_the_backend_neutral_tests_pass_on_jax_without_tensorflow():
    files = [str(TESTS / name) for name in JAX_TEST_FILES]
    done = run_on_jax(without_tensorflow("pytest", "-q", "-rs", "-p", "no:cacheprovider", *files))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all(TENSORFLOW_ONLY in line or ONCE_ON_TENSORFLOW in line for line in skipped), skipped  # only these


def test_two_training_steps_agree_on_tensorflow_and_jax(tmp_path):
    """Same initial weights (drawn here on TensorFlow), same batch → the same losses and parts of both
    steps and the same weights after them on JAX, for ARConvL (radii, their own optimizer) and CPL."""
    rng = np.random.default_rng(0)
    inputs = {"x": rng.normal(size=(16, 5)).astype("float32"), "y": rng.integers(0, 3, 16).astype("int32")}
    keras.utils.set_random_seed(0)
    for method in backend_step.METHODS:
        weights = backend_step.build(method).get_weights()
        inputs.update({f"{method}.weights.{i}": w for i, w in enumerate(weights)})
    np.savez(tmp_path / "in.npz", **inputs)
    tensorflow = backend_step.run(inputs)
    done = run_on_jax([sys.executable, str(TESTS / "backend_step.py"), str(tmp_path / "in.npz"),
                       str(tmp_path / "out.npz")])
    assert done.returncode == 0, done.stderr[-4000:]
    with np.load(tmp_path / "out.npz") as jax_outputs:
        jax = dict(jax_outputs)
    assert sorted(jax) == sorted(tensorflow)
    assert {"arconvl.logs.loss.2", "arconvl.logs.region.2", "cpl.logs.loss.2"} <= set(jax)
    for key in sorted(tensorflow):
        np.testing.assert_allclose(jax[key], tensorflow[key], rtol=2e-5, atol=2e-6, err_msg=key)
    for method in backend_step.METHODS:  # the steps did change the weights
        assert not np.allclose(jax[f"{method}.weights.0"], inputs[f"{method}.weights.0"])
