"""Where a run trained: the versions of Python, NumPy, Keras and the backend's library, the machine and
its accelerators, recorded in ``config.json`` under ``files.ENVIRONMENT_KEY``.

One seed gives the same run twice on one machine; on another CPU or GPU, or with other library
versions, kernels add in another order and the training drifts apart from the first epoch (README,
"Train one run"). So a result names what made it. The record is no run option: a run resumes on
another machine, and ``config.json`` then records the environment of its last attempt.
"""

import os
import platform
import sys

import numpy as np

from arconvl.backend import current_backend


def cpu_name():
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``; None when
    neither says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def accelerators(backend):
    """The names of the backend's GPUs or TPUs, one per device (empty on a CPU)."""
    if backend == "jax":
        import jax  # noqa: PLC0415 - the backend's own library, loaded by Keras already

        return [device.device_kind for device in jax.devices() if device.platform != "cpu"]
    if backend == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415 - as above

        return [tf.config.experimental.get_device_details(device).get("device_name", device.name)
                for device in tf.config.list_physical_devices("GPU")]
    return []


def environment_record():
    """``{"python", "numpy", "keras", "backend", "backend_version", "platform", "cpu", "cpus",
    "accelerators"}`` of this process (Keras is imported if it was not)."""
    import keras  # noqa: PLC0415 - current_backend has imported it quietly

    backend = current_backend()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "backend": backend,
        "backend_version": getattr(sys.modules.get(backend), "__version__", None),
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpus": os.cpu_count(),
        "accelerators": accelerators(backend),
    }
