"""Every method's loss as a pure ``keras.ops`` function ``fn(d2, labels, class_counts, *, [centers,
radius_sq,] **params) -> (loss, parts)`` of the squared distances d² = d²(f(x_i), C_j), shape (n, k).

The parameters are keyword-only and have no defaults: ``arconvl.losses.registry``, the registry that names
the losses, holds every default in one place.

The loss functions load on first use (PEP 562), so that the registry, and the command line's help,
reports and statistics built on it, run without importing Keras and its backend.
"""

import importlib

_EXPORTS = {  # module: the loss functions and the names of their parts (the keys of their parts dict)
    "affinity": ("affinity_loss", "AFFINITY_PARTS"),
    "arconvl": ("arconvl_loss", "ARCONVL_PARTS"),
    "cpl": ("cpl_loss", "CPL_PARTS", "gcpl_loss", "GCPL_PARTS"),
    "logit_adjustment": ("la_loss", "LA_PARTS"),
    "reweighting": ("focal_loss", "FOCAL_PARTS", "cb_loss", "CB_PARTS", "cb_focal_loss", "CB_FOCAL_PARTS"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name):
    """``arconvl.losses.<name>``: a loss function or its parts, its module (and Keras) imported on first use."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)


def __dir__():
    return sorted([*globals(), *__all__])
