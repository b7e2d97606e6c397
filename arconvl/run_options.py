"""The run options, each declared once (name, type, range or choices, default, help), and their checks.

``train``'s command line is built from ``RUN_OPTIONS``; the command line, a TOML run file
(``train --config FILE``) and an experiment config (``sweep``) all check their values with
``check_option``, so a value refused by one is refused by all, before anything is written. A run
file looks like this:

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

Options given on the command line win over the file. Booleans are never numbers: ``q = true`` and
``subsample = true`` are refused, as is ``[params] gamma = true`` (by the method registry).
"""

import math
from dataclasses import dataclass

from arconvl.data.catalog import TRAINABLE_DATASETS
from arconvl.errors import ConfigError
from arconvl.methods import METHODS, VARIANTS
from arconvl.toml_file import read_toml

# Compute precision of the backbone (centers, radii, distances and losses stay float32).
# float16 would need loss scaling shared by the two optimizers; bfloat16 has float32's range.
PRECISIONS = ("float32", "mixed_bfloat16")
MAX_SEED = 2**32 - 1  # NumPy's legacy seeding (and keras.utils.set_random_seed) takes 32 bits


@dataclass(frozen=True)
class RunOption:
    """One option of a run: its type, its allowed values (``choices``, or ``low``..``high``;
    ``low_open``: ``low`` itself excluded), its default (None: the paper's, or required) and help."""

    name: str
    kind: type
    help: str
    default: object = None
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    required: bool = False

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    def describe(self):
        """What a valid value looks like, for error messages."""
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.kind is bool:
            return "true or false"
        if self.kind is int:
            return f"an integer from {self.low} to {self.high}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


RUN_OPTIONS = {option.name: option for option in (
    RunOption("dataset", str, "required here or in --config; celeba and inaturalist2018 need --data-dir",
              choices=TRAINABLE_DATASETS, required=True),
    RunOption("q", int, "imbalance: keep 1/q of each even class (required here or in --config; 1 for celeba and "
              "inaturalist2018)", low=1, high=1_000_000, required=True),
    RunOption("method", str, "one of the methods listed below (default: arconvl)", default="arconvl",
              choices=tuple(METHODS)),
    RunOption("seed", int, f"drives subsampling, split, init, shuffling (default: 0; at most {MAX_SEED})",
              default=0, low=0, high=MAX_SEED),
    RunOption("epochs", int, "default: the paper's (50; 100 on cifar10, celeba, inaturalist2018); other values "
              "scale the schedule (at most 10000)", low=1, high=10_000),
    RunOption("subsample", float, "keep this fraction of each class of every split, for quick checks (default: 1)",
              default=1.0, low=0.0, high=1.0, low_open=True),
    RunOption("feature_dim", int, "D, the feature dimension of the small CNN (default: 64; Fig. 3 uses 2)",
              low=1, high=4096),
    RunOption("precision", str, "backbone compute precision (default float32; distances and losses stay float32)",
              default="float32", choices=PRECISIONS),
    RunOption("xla", bool, "compile the train and evaluation steps with XLA (default: off)", default=False),
    RunOption("variant", str, "'code' as the authors' public code (default), 'paper' as the paper's text",
              default="code", choices=VARIANTS),
)}
RUN_DEFAULTS = {name: option.default for name, option in RUN_OPTIONS.items() if not option.required}


def check_option(name, value):
    """``value`` of run option ``name``, checked and normalised (an int for a float option becomes a
    float); raises ``ConfigError`` ("'NAME' must be ..., got VALUE") for a wrong type or a value out
    of range. ``None`` stands for the default and is returned as it is for options without one."""
    option = RUN_OPTIONS[name]
    if value is None and not option.required:
        return option.default
    accepted = (int, float) if option.kind is float else option.kind
    in_range = isinstance(value, accepted) and (option.kind is bool or not isinstance(value, bool))
    if in_range and option.choices:
        in_range = value in option.choices
    elif in_range and option.kind in (int, float):
        above_low = value > option.low if option.low_open else value >= option.low
        in_range = math.isfinite(value) and above_low and value <= option.high
    if not in_range:
        raise ConfigError(f"{name!r} must be {option.describe()}, got {value!r}")
    return float(value) if option.kind is float else value


def read_run_options(path):
    """The options of a TOML run file as a dict of checked values (``params``: a dict of overrides,
    checked by the method registry)."""
    raw = read_toml(path)
    options = {}
    for key, value in raw.items():
        if key == "params":
            if not isinstance(value, dict):
                raise ConfigError(f"config {path}: 'params' must be a table of parameter = value")
            options["params"] = dict(value)
        elif key in RUN_OPTIONS:
            try:
                options[key] = check_option(key, value)
            except ConfigError as error:
                raise ConfigError(f"config {path}: {error}") from None
        else:
            raise ConfigError(f"config {path}: unknown key {key!r}; known: {', '.join([*RUN_OPTIONS, 'params'])}")
    return options
