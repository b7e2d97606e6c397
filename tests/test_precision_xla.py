"""The speed options of a run: a mixed-bfloat16 backbone with float32 centers, radii, distances
and losses, and XLA-compiled train and evaluation steps that compute what the plain steps do."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from arconvl.errors import ConfigError
from arconvl.run.config import resolve_run_config
from arconvl.run.training import build_model

from test_cli import read_rows, run_main, write_learnable_mnist

COUNTS = np.array([40, 30, 20, 10, 8, 6, 5, 4, 3, 2])


def batch(seed=0, n=16, scale=255.0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, scale, size=(n, 28, 28, 1)).astype("float32"),
            rng.integers(0, 10, size=n).astype("int32"))


def model_of(**options):
    config, _ = resolve_run_config("mnist", 10, "arconvl", 0, **options)
    keras.utils.set_random_seed(0)
    return build_model(config, COUNTS, (28, 28, 1), steps_per_epoch=10)


def test_mixed_bfloat16_keeps_centers_radii_and_losses_float32():
    model = model_of(precision="mixed_bfloat16")
    assert keras.mixed_precision.dtype_policy().name == "float32"   # the global policy is restored
    convolution = next(layer for layer in model.backbone.layers if isinstance(layer, keras.layers.Conv2D))
    assert (convolution.compute_dtype, convolution.kernel.dtype) == ("bfloat16", "float32")
    assert model.prototypes.centers.dtype == "float32" and model.radii.a.dtype == "float32"
    images, labels = batch()
    assert model(images).dtype == tf.float32
    logs = model.train_on_batch(images, labels, return_dict=True)
    assert all(np.isfinite(value) for value in logs.values())
    # bfloat16 keeps 8 bits of mantissa: the loss is near the float32 model's with the same weights.
    plain = model_of()
    plain.set_weights(model.get_weights())
    mixed_logits, plain_logits = model(images).numpy(), plain(images).numpy()
    np.testing.assert_allclose(mixed_logits, plain_logits, atol=0.05 * np.abs(plain_logits).max())


def test_xla_steps_compute_what_the_plain_steps_compute():
    images, labels = batch(1, scale=1.0)  # small steps: float reassociation stays at rounding level
    plain, compiled = model_of(), model_of(xla=True)
    assert compiled.jit_compile and not plain.jit_compile
    compiled.set_weights(plain.get_weights())
    for step in range(2):
        expected = plain.train_on_batch(images, labels, return_dict=True)
        got = compiled.train_on_batch(images, labels, return_dict=True)
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=1e-4, abs=1e-5), (step, key)
    for a, b in zip(plain.get_weights(), compiled.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)  # rounding, amplified by batch norm
    np.testing.assert_array_equal(np.argmax(plain.predict(images, verbose=0), axis=1),
                                  np.argmax(compiled.predict(images, verbose=0), axis=1))


def test_bad_speed_options_are_config_errors():
    with pytest.raises(ConfigError, match="'precision' must be one of float32, mixed_bfloat16"):
        resolve_run_config("mnist", 10, "arconvl", 0, precision="float16")
    with pytest.raises(ConfigError, match="'xla' must be true or false"):
        resolve_run_config("mnist", 10, "arconvl", 0, xla="yes")


def test_train_takes_the_speed_options_from_the_command_line_and_a_config_file(tmp_path, capsys):
    data = write_learnable_mnist(tmp_path / "data" / "mnist", n_train=200, n_test=50).parent
    common = ["train", "--dataset", "mnist", "--q", "2", "--epochs", "1", "--data-dir", data, "--offline", "--quiet"]
    code, _, err = run_main(capsys, *common, "--precision", "mixed_bfloat16", "--xla", "--out", tmp_path / "a")
    assert code == 0, err
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (config["precision"], config["xla"]) == ("mixed_bfloat16", True)
    assert np.isfinite(float(read_rows(tmp_path / "a" / "history.csv")[0]["loss"]))
    options = tmp_path / "fast.toml"
    options.write_text('xla = true\nprecision = "float32"\n')
    code, _, err = run_main(capsys, *common, "--config", options, "--out", tmp_path / "b")
    assert code == 0, err
    assert json.loads((tmp_path / "b" / "config.json").read_text())["xla"] is True
    options.write_text('xla = "yes"\n')
    code, _, err = run_main(capsys, *common, "--config", options, "--out", tmp_path / "c")
    assert code == 2 and "'xla' must be true or false" in err
