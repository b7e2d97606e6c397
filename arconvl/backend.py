"""The Keras backend a process runs on, as a run records it, and the parts that need TensorFlow.

TensorFlow is the default and the reference. On another backend (JAX) the array datasets train
with the NumPy input pipeline (``arconvl.data.pipeline``) and no TensorFlow; the image-file
pipeline of CelebA, iNaturalist 2018 and image folders is ``tf.data`` and refuses to run there.
Run directories written before the backend was recorded were all written on TensorFlow
(``UNRECORDED_BACKEND``).

Keras is imported on first use, so that modules which need no Keras stay free of it.
"""

import os
import sys

from arconvl.errors import ConfigError

TENSORFLOW = "tensorflow"
UNRECORDED_BACKEND = TENSORFLOW  # the backend of a config.json, run.csv or checkpoint that names none


def import_keras_quietly():
    """Import Keras, and its backend with it, with file descriptor 2 on /dev/null unless the user asked
    for TensorFlow's INFO lines (``TF_CPP_MIN_LOG_LEVEL=0``): TensorFlow writes its start-up lines (the
    oneDNN notice, CUDA probing on a CPU machine) before its C++ logging is set up, where that variable
    alone does not reach them. A Python error in the import still shows. The commands that train or
    load a model call it first, and ``current_backend`` through it; the others never import Keras."""
    if "keras" in sys.modules:
        return
    quiet = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "") not in ("", "0")
    saved = os.dup(2) if quiet else None
    if quiet:
        sys.stderr.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        import keras  # noqa: F401, PLC0415 - the point of this function
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)


def current_backend():
    """The Keras backend of this process ("tensorflow", "jax", ...), fixed when Keras is imported."""
    import_keras_quietly()
    import keras  # noqa: PLC0415 - imported above, on first use

    return keras.config.backend()


def on_tensorflow():
    return current_backend() == TENSORFLOW


def require_tensorflow(what, instead=""):
    """Raise ``ConfigError`` unless Keras runs on TensorFlow: ``what`` (e.g. "dataset celeba")
    needs it; ``instead``: what to do on this backend, appended to the message."""
    if not on_tensorflow():
        raise ConfigError(f"{what} is read by a tf.data pipeline and needs the TensorFlow backend, but Keras runs "
                          f"on {current_backend()} (KERAS_BACKEND); run it with KERAS_BACKEND=tensorflow"
                          + (f", or {instead}" if instead else ""))
