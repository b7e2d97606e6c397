"""Every method's loss as a pure function ``fn(features, centers, [radius_sq,] labels, class_counts,
**params) -> (loss, parts)``; see ``arconvl.methods`` for the registry that names them."""

from arconvl.losses.arconvl import ARCONVL_PARTS, arconvl_loss
from arconvl.losses.cpl import CPL_PARTS, cpl_loss

__all__ = ["ARCONVL_PARTS", "CPL_PARTS", "arconvl_loss", "cpl_loss"]
