"""Every method's loss as a pure function ``fn(features, centers, [radius_sq,] labels, class_counts,
**params) -> (loss, parts)``; ``arconvl.methods`` is the registry that names them."""

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
