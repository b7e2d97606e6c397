"""A run's options from a TOML file (``train --config FILE``), validated key by key.

    dataset = "fashion_mnist"
    q = 100
    method = "cb_focal"
    seed = 0
    epochs = 10            # optional; default: the paper's
    variant = "code"       # optional
    subsample = 1.0        # optional; < 1 only for quick checks
    feature_dim = 64       # optional; D of the small CNN (2 for Fig. 3)
    precision = "float32"  # optional; or "mixed_bfloat16"
    xla = false            # optional; compile the steps with XLA
    [params]               # optional method-parameter overrides
    gamma = 1.0

Options given on the command line win over the file.
"""

from arconvl.errors import ConfigError
from arconvl.toml_file import read_toml

RUN_OPTION_TYPES = {
    "dataset": str, "q": int, "method": str, "seed": int, "epochs": int, "variant": str, "subsample": float,
    "feature_dim": int, "precision": str, "xla": bool,
}


def read_run_options(path):
    """The options of a TOML run file as a dict (``params`` as a dict of overrides)."""
    raw = read_toml(path)
    options = {}
    for key, value in raw.items():
        if key == "params":
            if not isinstance(value, dict):
                raise ConfigError(f"config {path}: 'params' must be a table of parameter = value")
            options["params"] = dict(value)
        elif key in RUN_OPTION_TYPES:
            expected = RUN_OPTION_TYPES[key]
            accepted = (int, float) if expected is float else expected
            if not isinstance(value, accepted) or (isinstance(value, bool) and expected is not bool):
                raise ConfigError(f"config {path}: {key!r} must be {expected.__name__}, got {value!r}")
            options[key] = value
        else:
            raise ConfigError(
                f"config {path}: unknown key {key!r}; known: {', '.join([*RUN_OPTION_TYPES, 'params'])}"
            )
    return options
