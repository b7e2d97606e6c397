"""Two training steps of a small ``PrototypeClassifier`` from given weights on whatever Keras backend
this process runs (``KERAS_BACKEND``), for the TensorFlow-vs-JAX equivalence test
(tests/test_jax_backend.py).

``python tests/backend_step.py IN.npz OUT.npz``: IN holds ``x``, ``y`` and, per method M, the initial
weights ``M.weights.i``; OUT gets per method the losses and parts of both steps (``M.logs.name``)
and the weights after them (``M.weights.i``).
"""

import sys

import keras
import numpy as np

import arconvl

METHODS = ("arconvl", "cpl")
CLASS_COUNTS = [20, 8, 4]


def build(method):
    """The model of ``method``: Dense → BatchNorm → ReLU → Dense backbone, SGD with momentum for
    the network and the default radius optimizer (SGD 0.01, momentum 0.9) for the radii."""
    backbone = keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization(), keras.layers.ReLU(),
                                 keras.layers.Dense(4)])
    model = arconvl.PrototypeClassifier(backbone, class_counts=CLASS_COUNTS, method=method)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
    model.build((None, 5))
    return model


def two_steps(model, x, y):
    """The logs (loss and parts) of two ``train_on_batch`` steps on (x, y), keyed 'name.step'."""
    logs = {}
    for step in (1, 2):
        for name, value in model.train_on_batch(x, y, return_dict=True).items():
            logs[f"{name}.{step}"] = float(value)
    return logs


def run(inputs):
    """{M.logs.name: value, M.weights.i: array} of every method from the arrays of IN.npz."""
    outputs = {}
    for method in METHODS:
        model = build(method)
        count = len(model.get_weights())
        model.set_weights([inputs[f"{method}.weights.{i}"] for i in range(count)])
        for name, value in two_steps(model, inputs["x"], inputs["y"]).items():
            outputs[f"{method}.logs.{name}"] = np.array(value)
        outputs.update({f"{method}.weights.{i}": w for i, w in enumerate(model.get_weights())})
    return outputs


if __name__ == "__main__":
    with np.load(sys.argv[1]) as data:
        np.savez(sys.argv[2], **run(dict(data)))
