"""Backend-neutral helpers for the tests that run on TensorFlow and again, under
``KERAS_BACKEND=jax``, on JAX (``tests/test_jax_backend.py``): tensors, gradients, and a mark for
the tests that are TensorFlow's alone (``tf.function`` graphs, nested gradient tapes)."""

import sys

import keras
import numpy as np
import pytest

BACKEND = keras.config.backend()
TENSORFLOW_ONLY = "TensorFlow-specific (tf.function, tapes)"
ONCE_ON_TENSORFLOW = "backend-neutral, slow to run on JAX: checked on TensorFlow"
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason=TENSORFLOW_ONLY)
once_on_tensorflow = pytest.mark.skipif(BACKEND != "tensorflow", reason=ONCE_ON_TENSORFLOW)


def tensor(value, dtype="float32"):
    """``value`` as a tensor of this backend (int64 is int32 on JAX, which keeps 32-bit types)."""
    if BACKEND == "jax" and dtype == "int64":
        dtype = "int32"
    return keras.ops.convert_to_tensor(np.asarray(value), dtype)


def numpy(value):
    """A tensor of this backend as a NumPy array."""
    return keras.ops.convert_to_numpy(value)


def gradients(function, *arrays):
    """{name: [the gradient of output ``name`` w.r.t. each of ``arrays``]} as float32 NumPy arrays,
    where ``function(*tensors)`` returns a dict of scalars and ``arrays`` are taken as float32.
    An output that does not depend on an array: None on TensorFlow, zeros on JAX."""
    values = [np.asarray(array, np.float32) for array in arrays]
    if BACKEND == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415 - only on TensorFlow

        variables = [tf.Variable(value) for value in values]
        with tf.GradientTape(persistent=True) as tape:
            outputs = function(*variables)
        return {name: [None if g is None else tf.convert_to_tensor(g).numpy() for g in tape.gradient(output, variables)]
                for name, output in outputs.items()}
    if BACKEND == "jax":
        import jax  # noqa: PLC0415 - only on JAX

        tensors = [tensor(value) for value in values]
        argnums = tuple(range(len(values)))
        names = list(jax.eval_shape(function, *tensors))

        def all_gradients(*xs):  # one compiled function: op by op, JAX compiles every operation apart
            return {name: jax.grad(lambda *ys, name=name: function(*ys)[name], argnums)(*xs) for name in names}

        return {name: [np.asarray(g) for g in grads] for name, grads in jax.jit(all_gradients)(*tensors).items()}
    raise NotImplementedError(f"no gradients on {BACKEND}")


def without_tensorflow(module, *args):
    """The command line of ``python -m module ARGS`` in which ``import tensorflow`` fails, as on a
    machine without TensorFlow (``sys.modules["tensorflow"] = None`` before anything runs)."""
    start = ("import runpy, sys; sys.modules['tensorflow'] = None; "
             f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)")
    return [sys.executable, "-c", start, *map(str, args)]
