"""An experiment grid read from a TOML file into a validated ``Experiment``.

    name = "table1"
    description = "Table 1 and supplementary Table 3"
    methods = ["cpl", "arconvl"]
    datasets = ["mnist", "fashion_mnist"]
    qs = [1, 10, 20, 50, 100]
    seeds = [0, 1, 2]
    variant = "code"              # optional
    # epochs = 50                 # optional; default: the paper's schedule per dataset
    # subsample = 1.0             # optional; < 1 only for quick checks
    # precision = "float32"       # optional; or "mixed_bfloat16" (train --precision)
    # xla = false                 # optional; train --xla
    [params.cb_focal]             # optional per-method parameter overrides
    form = "softmax"
    [profiles.smoke]              # a profile overrides any of the keys above
    datasets = ["fashion_mnist"]
    epochs = 1

Every key is checked once, here; an unknown key or a bad value raises ``ConfigError`` naming it.
"""

import itertools
from dataclasses import dataclass, field

from arconvl.config import PRECISIONS
from arconvl.data import TRAINABLE_DATASETS
from arconvl.errors import ConfigError
from arconvl.methods import METHODS, VARIANTS, resolve_method
from arconvl.toml_file import read_toml

GRID_KEYS = ("methods", "datasets", "qs", "seeds")
SETTING_KEYS = ("variant", "epochs", "subsample", "precision", "xla", "params")
TOP_LEVEL_KEYS = ("name", "description", *GRID_KEYS, *SETTING_KEYS, "profiles")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: a point of the grid with the experiment's settings."""

    dataset: str
    q: int
    method: str
    seed: int
    variant: str
    epochs: int | None
    subsample: float
    params: dict = field(default_factory=dict)
    precision: str = "float32"
    xla: bool = False

    @property
    def key(self):
        """A unique, file-name-safe name of this run within its experiment."""
        return f"{self.dataset}-q{self.q}-{self.method}-s{self.seed}"

    @property
    def result_key(self):
        """(dataset, q, method, seed) as strings, as ``results_file.run_key`` reads them from a row."""
        return (self.dataset, str(self.q), self.method, str(self.seed))

    def train_arguments(self):
        """The ``python -m arconvl train`` options of this run (without --out / --data-dir)."""
        args = ["--dataset", self.dataset, "--q", str(self.q), "--method", self.method,
                "--seed", str(self.seed), "--variant", self.variant, "--subsample", repr(self.subsample)]
        if self.epochs is not None:
            args += ["--epochs", str(self.epochs)]
        if self.precision != "float32":
            args += ["--precision", self.precision]
        if self.xla:
            args.append("--xla")
        for key, value in sorted(self.params.items()):
            args += ["--param", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
        return args


@dataclass(frozen=True)
class Experiment:
    """A validated grid: methods × datasets × qs × seeds, with shared settings, for one profile."""

    name: str
    profile: str
    description: str
    methods: tuple
    datasets: tuple
    qs: tuple
    seeds: tuple
    variant: str = "code"
    epochs: int | None = None
    subsample: float = 1.0
    params: dict = field(default_factory=dict)
    precision: str = "float32"
    xla: bool = False

    def runs(self):
        """Every run of the grid, in a fixed order (methods, then datasets, qs and seeds)."""
        return [
            RunSpec(dataset, q, method, seed, self.variant, self.epochs, self.subsample,
                    dict(self.params.get(method, {})), self.precision, self.xla)
            for method, dataset, q, seed in itertools.product(self.methods, self.datasets, self.qs, self.seeds)
        ]


def _list_of(where, key, value, kind, check):
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty list")
    for item in value:
        if not isinstance(item, kind) or isinstance(item, bool) or not check(item):
            raise ConfigError(f"{where}: {key!r} has a bad entry {item!r}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{where}: {key!r} repeats an entry")
    return tuple(value)


def _validated(where, settings):
    """Type- and range-check the merged settings of one profile."""
    checked = {
        "methods": _list_of(where, "methods", settings.get("methods"), str, lambda m: m in METHODS),
        "datasets": _list_of(where, "datasets", settings.get("datasets"), str, lambda d: d in TRAINABLE_DATASETS),
        "qs": _list_of(where, "qs", settings.get("qs"), int, lambda q: q >= 1),
        "seeds": _list_of(where, "seeds", settings.get("seeds"), int, lambda s: s >= 0),
    }
    variant = settings.get("variant", "code")
    if variant not in VARIANTS:
        raise ConfigError(f"{where}: 'variant' must be one of {', '.join(VARIANTS)}, got {variant!r}")
    epochs = settings.get("epochs")
    if epochs is not None and (not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1):
        raise ConfigError(f"{where}: 'epochs' must be an integer >= 1, got {epochs!r}")
    subsample = settings.get("subsample", 1.0)
    if isinstance(subsample, bool) or not isinstance(subsample, (int, float)) or not 0 < subsample <= 1:
        raise ConfigError(f"{where}: 'subsample' must be a fraction in (0, 1], got {subsample!r}")
    params = settings.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ConfigError(f"{where}: 'params' must hold one table per method, e.g. [params.cb_focal]")
    for method, overrides in params.items():
        if method not in checked["methods"]:
            raise ConfigError(f"{where}: [params.{method}] names a method that is not in 'methods'")
        for dataset in checked["datasets"]:
            try:
                resolve_method(method, dataset=dataset, variant=variant, overrides=overrides)
            except ConfigError as error:
                raise ConfigError(f"{where}: [params.{method}]: {error}") from None
    precision = settings.get("precision", "float32")
    if precision not in PRECISIONS:
        raise ConfigError(f"{where}: 'precision' must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    xla = settings.get("xla", False)
    if not isinstance(xla, bool):
        raise ConfigError(f"{where}: 'xla' must be true or false, got {xla!r}")
    return {**checked, "variant": variant, "epochs": epochs, "subsample": float(subsample), "params": params,
            "precision": precision, "xla": xla}


def load_experiment(path, profile="paper"):
    """The experiment of TOML file ``path`` under ``profile`` ("paper" = the file's top level)."""
    raw = read_toml(path, "experiment config")
    unknown = sorted(set(raw) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; known: {', '.join(TOP_LEVEL_KEYS)}")
    if not isinstance(raw.get("name"), str) or not raw["name"].isidentifier():
        raise ConfigError(f"{path}: 'name' must be a simple identifier such as \"table1\"")
    profiles = raw.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must hold one table per profile, e.g. [profiles.smoke]")
    if profile != "paper" and profile not in profiles:
        raise ConfigError(f"{path}: no profile {profile!r}; it has: {', '.join(['paper', *profiles])}")
    overrides = profiles.get(profile, {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: [profiles.{profile}] must be a table")
    bad = sorted(set(overrides) - set(GRID_KEYS) - set(SETTING_KEYS))
    if bad:
        raise ConfigError(f"{path}: [profiles.{profile}] has unknown key {bad[0]!r}")
    merged = {key: value for key, value in raw.items() if key in GRID_KEYS + SETTING_KEYS}
    merged.update(overrides)
    settings = _validated(f"{path} (profile {profile})", merged)
    return Experiment(name=raw["name"], profile=profile, description=str(raw.get("description", "")), **settings)
