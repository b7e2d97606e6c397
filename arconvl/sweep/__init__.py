"""Experiment grids (TOML configs with profiles) and the sweep runner that trains them, locally or on Ray.

The names below are imported on first use, so that a Ray worker, which imports only
``arconvl.sweep.ray_engine``, does not import the experiment code and with it TensorFlow.
"""

import importlib

EXPORTS = {
    "Experiment": "experiment", "RunSpec": "experiment", "load_experiment": "experiment",
    "parse_shard": "runner", "run_sweep": "runner", "select_shard": "runner",
    "run_sweep_on_ray": "ray_engine",
}
__all__ = list(EXPORTS)


def __getattr__(name):
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{EXPORTS[name]}"), name)
