"""Every method's loss as a pure ``keras.ops`` function ``fn(d2, labels, class_counts, *, [centers,
radius_sq,] **params) -> (loss, parts)`` of the squared distances d² = d²(f(x_i), C_j), shape (n, k).

The parameters are keyword-only and have no defaults: ``arconvl.losses.registry``, the registry that names
the losses, holds every default in one place."""

from arconvl.losses.affinity import AFFINITY_PARTS, affinity_loss
from arconvl.losses.arconvl import ARCONVL_PARTS, arconvl_loss
from arconvl.losses.cpl import CPL_PARTS, GCPL_PARTS, cpl_loss, gcpl_loss
from arconvl.losses.logit_adjustment import LA_PARTS, la_loss
from arconvl.losses.reweighting import (
    CB_FOCAL_PARTS,
    CB_PARTS,
    FOCAL_PARTS,
    cb_focal_loss,
    cb_loss,
    focal_loss,
)

__all__ = [
    "AFFINITY_PARTS", "ARCONVL_PARTS", "CB_FOCAL_PARTS", "CB_PARTS", "CPL_PARTS", "FOCAL_PARTS",
    "GCPL_PARTS", "LA_PARTS", "affinity_loss", "arconvl_loss", "cb_focal_loss", "cb_loss",
    "cpl_loss", "focal_loss", "gcpl_loss", "la_loss",
]
