"""The method names of the paper's tables, in the paper's column order (no TensorFlow import, so
reports and statistics can use them); ``arconvl.losses.registry`` registers a loss under each."""

TABLE1_METHODS = ("cpl", "gcpl", "focal", "cb", "cb_focal", "affinity", "la", "arconvl")
ABLATION_METHODS = (
    "arconvl_beta0", "arconvl_beta0.5", "arconvl_beta1",
    "arconvl_sigma0", "arconvl_sigma0.5", "arconvl_sigma1", "arc_c",
)
