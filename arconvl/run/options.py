"""The run options, each declared once (name, type, range or choices, default, help), and their checks.

``RUN_OPTIONS`` is the one list of run options: ``train``'s command line is built from it, and
``with_run_options`` gives ``config.RunConfig`` (so ``config.json``, ``run.csv`` and the reports'
configuration columns) and the sweep's ``RunSpec`` and ``Experiment`` one field per option. The
command line, a TOML run file (``train --config FILE``) and an experiment config (``sweep``) all
check their values with ``check_option``, so a value refused by one is refused by all, before
anything is written. A run file looks like this:

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
    backbone = "resnet20"  # optional; default: the paper's (own data: by image size)
    backbone_weights = "imagenet"  # optional; resnet50v2 / efficientnetb0 only
    test_fraction = 0.2    # optional; folder / arrays without a test set
    image_size = [64, 64]  # optional; folder only (height, width)
    channels = 3           # optional; folder only
    [params]               # optional method-parameter overrides
    gamma = 1.0

Options given on the command line win over the file. Booleans are never numbers: ``q = true`` and
``subsample = true`` are refused, as is ``[params] gamma = true`` (by the method registry).
"""

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from arconvl.data.catalog import TRAINABLE_DATASETS
from arconvl.data.own_data import DEFAULT_TEST_FRACTION
from arconvl.errors import ConfigError
from arconvl.losses.registry import METHODS, VARIANTS
from arconvl.model.backbone_names import BACKBONE_NAMES_HELP, check_backbone_name, check_weights
from arconvl.run.toml_file import read_toml

# Compute precision of the backbone (centers, radii, distances and losses stay float32).
# float16 would need loss scaling shared by the two optimizers; bfloat16 has float32's range.
PRECISIONS = ("float32", "mixed_bfloat16")
MAX_SEED = 2**32 - 1  # NumPy's legacy seeding (and keras.utils.set_random_seed) takes 32 bits


@dataclass(frozen=True)
class RunOption:
    """One option of a run: its type, its allowed values (``choices``, or ``low``..``high``;
    ``low_open`` / ``high_open``: that end excluded; ``check``: a function that returns the value
    normalised or raises ``ConfigError``), its default (None: the paper's, or required), its help,
    ``count``, the number of values it takes (a list in TOML, several words on the command line),
    ``metavar``, its placeholder in ``--help``, and ``speed_only``: it changes speed, not what is
    learned, so runs that differ only in it count as one configuration in the reports."""

    name: str
    kind: type
    help: str
    default: object = None
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    required: bool = False
    check: Callable | None = None
    count: int = 1
    metavar: str | tuple | None = None
    speed_only: bool = False

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    @property
    def annotation(self):
        """The type of a field holding this option's value."""
        kind = tuple if self.count > 1 else self.kind
        return kind if self.required or self.default is not None else kind | None

    def field(self):
        """A dataclass field of this option: its default (none when required), the option in its
        ``metadata["option"]``."""
        if self.required:
            return dataclasses.field(metadata={"option": self})
        return dataclasses.field(default=self.default, metadata={"option": self})

    def describe(self):
        """What a valid value (one of ``count``) looks like, for error messages."""
        if self.choices:
            return f"one of {', '.join(map(str, self.choices))}"
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "a text"
        if self.kind is int:
            return f"an integer from {self.low} to {self.high}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


RUN_OPTIONS = {option.name: option for option in (
    RunOption("dataset", str, "required here or in --config; folder (DIR/train/CLASS/*.png) and arrays (FILE.npz) "
              "are your own data (docs/your_data.md); they, celeba and inaturalist2018 need --data-dir",
              choices=TRAINABLE_DATASETS, required=True),
    RunOption("q", int, "imbalance of the paper's datasets: keep 1/q of each even class (required here or in "
              "--config; 1 for celeba and inaturalist2018; refused for folder and arrays, which keep their own)",
              low=1, high=1_000_000, required=True),
    RunOption("method", str, "one of the methods listed below (default: arconvl)", default="arconvl",
              choices=tuple(METHODS), metavar="METHOD"),
    RunOption("seed", int, f"drives subsampling, split, init, shuffling (default: 0; at most {MAX_SEED})",
              default=0, low=0, high=MAX_SEED),
    RunOption("epochs", int, "default: the paper's (50; 100 on cifar10, celeba, inaturalist2018); other values "
              "scale the schedule (at most 10000)", low=1, high=10_000),
    RunOption("subsample", float, "keep this fraction of each class of every split, for quick checks (default: 1)",
              default=1.0, low=0.0, high=1.0, low_open=True),
    RunOption("feature_dim", int, "D, the feature dimension of small_cnn, resnet50v2 and efficientnetb0 (default: 64; "
              "Fig. 3 uses 2); the paper's ResNets have D = 64", low=1, high=4096),
    RunOption("precision", str, "backbone compute precision (default float32; distances and losses stay float32)",
              default="float32", choices=PRECISIONS, speed_only=True),
    RunOption("xla", bool, "compile the train and evaluation steps with XLA (default: off)", default=False,
              speed_only=True),
    RunOption("variant", str, "'code' as the authors' public code (default), 'paper' as the paper's text",
              default="code", choices=VARIANTS),
    RunOption("backbone", str, f"the feature extractor: {BACKBONE_NAMES_HELP} (default: the paper's; for folder "
              "and arrays small_cnn up to 32 pixels a side, resnet32 above)", check=check_backbone_name,
              metavar="NAME"),
    RunOption("backbone_weights", str, "resnet50v2 and efficientnetb0: none (default), imagenet (Keras downloads "
              "them once into ~/.keras/models) or a weights FILE of the application without its top",
              check=check_weights, metavar="none|imagenet|FILE"),
    RunOption("test_fraction", float, "folder and arrays without a test set: the stratified fraction of each class "
              f"drawn as the test split (default: {DEFAULT_TEST_FRACTION})",
              low=0.0, high=1.0, low_open=True, high_open=True),
    RunOption("image_size", int, "folder: the height and width images are resized to (default: the first "
              "training image's)", low=1, high=4096, count=2, metavar=("H", "W")),
    RunOption("channels", int, "folder: 1 (grey) or 3 (colour) (default: the first training image's)",
              choices=(1, 3)),
)}


def with_run_options(*, exclude=()):
    """A class decorator: the class as a frozen, keyword-only dataclass with one field per run option
    (all of ``RUN_OPTIONS`` but ``exclude``), typed and defaulted by its ``RunOption``, before the
    class's own fields. ``option_values`` reads them back."""

    def decorate(cls):
        own = cls.__dict__.get("__annotations__", {})
        options = {name: option for name, option in RUN_OPTIONS.items() if name not in exclude}
        clash = sorted(set(own) & set(options))
        if clash:
            raise TypeError(f"{cls.__name__} declares run option {clash[0]!r} itself")
        cls.__annotations__ = {**{name: option.annotation for name, option in options.items()}, **own}
        for name, option in options.items():
            setattr(cls, name, option.field())
        return dataclass(frozen=True, kw_only=True)(cls)

    return decorate


def option_values(instance):
    """The run options of a ``with_run_options`` dataclass instance, as {name: value}."""
    return {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance) if "option" in f.metadata}


def _checked_value(option, value, given):
    """One value of ``option``, checked and normalised; ``given`` (the whole value) for the error."""
    accepted = (int, float) if option.kind is float else option.kind
    in_range = isinstance(value, accepted) and (option.kind is bool or not isinstance(value, bool))
    if in_range and option.choices:
        in_range = value in option.choices
    elif in_range and option.kind in (int, float):
        above_low = value > option.low if option.low_open else value >= option.low
        below_high = value < option.high if option.high_open else value <= option.high
        in_range = math.isfinite(value) and above_low and below_high
    if not in_range:
        count = f"{option.count} values, each " if option.count > 1 else ""
        raise ConfigError(f"{option.name!r} must be {count}{option.describe()}, got {given!r}")
    value = float(value) if option.kind is float else value
    if option.check is not None:
        try:
            value = option.check(value)
        except ConfigError as error:
            raise ConfigError(f"{option.name!r}: {error}") from None
    return value


def check_option(name, value):
    """``value`` of run option ``name``, checked and normalised (an int for a float option becomes a
    float; an option of ``count`` > 1 values a tuple); raises ``ConfigError`` ("'NAME' must be ...,
    got VALUE") for a wrong type or a value out of range. ``None`` stands for the default and is
    returned as it is for options without one."""
    option = RUN_OPTIONS[name]
    if value is None and not option.required:
        return option.default
    if option.count == 1:
        return _checked_value(option, value, value)
    if not isinstance(value, (list, tuple)) or len(value) != option.count:
        raise ConfigError(f"{name!r} must be {option.count} values, each {option.describe()}, got {value!r}")
    return tuple(_checked_value(option, item, value) for item in value)


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
