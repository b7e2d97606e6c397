"""ARConvL: Adaptive Region-Based Convolutional Learning (ECML-PKDD 2023), reproduced.

The folders read top-down as the pipeline:
``data`` (datasets, splits, pipelines) → ``model`` (backbones, prototype head, ``PrototypeClassifier``
and its training step, schedules, metrics) → ``losses`` (every method's loss and the registry)
→ ``run`` (one run: options, training, checkpoint, run files) → ``sweep`` / ``stats`` /
``reports`` (the experiments) → ``cli`` (parses and prints).

The public Keras API (``arconvl.PrototypeClassifier``, ``arconvl.PrototypeHead``, ``arconvl.GMean``,
``arconvl.ClasswiseAccuracy``, the schedules and the Keras losses of
the six logit-only baselines, ``arconvl.CPLLoss`` …) is imported on first use, so that modules which
need no Keras (reports, statistics) stay free of it.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "PrototypeClassifier": "arconvl.model.classifier",
    "PrototypeHead": "arconvl.model.layers",
    "GMean": "arconvl.model.metrics",
    "ClasswiseAccuracy": "arconvl.model.metrics",
    "StepDecay": "arconvl.model.schedules",
    "WarmupThenConstant": "arconvl.model.schedules",
    **{name: "arconvl.losses.keras_losses"
       for name in ("CPLLoss", "GCPLLoss", "FocalLoss", "CBLoss", "CBFocalLoss", "LALoss")},
}

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'arconvl' has no attribute {name!r}")
