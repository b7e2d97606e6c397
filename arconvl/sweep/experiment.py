"""An experiment grid read from a TOML file into a validated ``Experiment``.

    name = "table1"
    description = "Table 1 and supplementary Table 3"
    methods = ["cpl", "arconvl"]
    datasets = ["mnist", "fashion_mnist"]
    qs = [1, 10, 20, 50, 100]
    seeds = [0, 1, 2]
    variant = "code"              # optional: any other run option of train, one value for every run
    # epochs = 50                 # (arconvl.run.options.RUN_OPTIONS; left out: its default)
    [params.cb_focal]             # optional per-method parameter overrides
    form = "softmax"
    [profiles.smoke]              # a profile overrides any of the keys above
    datasets = ["fashion_mnist"]
    epochs = 1

Your own data: ``datasets = ["arrays"]`` (or ``"folder"``) with ``sweep --data-dir FILE.npz|DIR``.
``qs`` apply to the paper's datasets only: a folder or arrays dataset runs once per method and
seed on its own imbalance (q = 1 in the results); ``qs`` may be left out when every dataset is one
of them.

Every key is checked here, before any run starts, against the same declarations as ``train``'s
options (``options.RUN_OPTIONS``: types, ranges, choices; booleans are no numbers), and every
run of the grid is resolved as ``train`` would resolve it; an unknown key or a bad value raises
``ConfigError`` naming it. ``RunSpec`` and ``Experiment`` take one field per run option from that
table (``options.with_run_options``), so a new option reaches the sweep with no edit here.
"""

import itertools
from dataclasses import field

from arconvl.data.catalog import NATURAL_Q, OWN_DATA_NAMES
from arconvl.errors import ConfigError
from arconvl.run.config import resolve_run_config
from arconvl.run.options import RUN_OPTIONS, check_option, option_values, with_run_options
from arconvl.run.toml_file import read_toml

GRID_OPTIONS = {"methods": "method", "datasets": "dataset", "qs": "q", "seeds": "seed"}  # list key → run option
GRID_KEYS = tuple(GRID_OPTIONS)
SETTING_OPTIONS = tuple(name for name in RUN_OPTIONS if name not in GRID_OPTIONS.values())  # one value for all runs
SETTING_KEYS = (*SETTING_OPTIONS, "params")
TOP_LEVEL_KEYS = ("name", "description", *GRID_KEYS, *SETTING_KEYS, "profiles")


@with_run_options()
class RunSpec:
    """One run of a sweep: a point of the grid with the experiment's settings (one field per run option)."""

    params: dict = field(default_factory=dict)

    @property
    def key(self):
        """A unique, file-name-safe name of this run within its experiment."""
        return f"{self.dataset}-q{self.q}-{self.method}-s{self.seed}"

    @property
    def result_key(self):
        """(dataset, q, method, seed) typed, as ``results_file.run_key`` reads them from a row."""
        return (self.dataset, self.q, self.method, self.seed)

    def options(self):
        """The run options (``options.RUN_OPTIONS`` names) of this run."""
        return option_values(self)

    def train_arguments(self):
        """The ``python -m arconvl train`` options of this run (without --out / --data-dir): the grid
        point, and each setting that is not its option's default (q not for a user's own data)."""
        args = []
        for name, value in self.options().items():
            if value is None or (name in SETTING_OPTIONS and value == RUN_OPTIONS[name].default):
                continue
            if name == "q" and self.dataset in OWN_DATA_NAMES:
                continue
            flag = RUN_OPTIONS[name].flag
            values = value if isinstance(value, tuple) else (value,)
            args += [flag] if value is True else [flag, *(repr(v) if isinstance(v, float) else str(v) for v in values)]
        for key, value in sorted(self.params.items()):
            args += ["--param", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
        return args


@with_run_options(exclude=GRID_OPTIONS.values())
class Experiment:
    """A validated grid: methods × datasets × qs × seeds, with shared settings (one field per run
    option but the grid's), for one profile."""

    name: str
    profile: str
    description: str
    methods: tuple
    datasets: tuple
    qs: tuple
    seeds: tuple
    params: dict = field(default_factory=dict)

    def runs(self):
        """Every run of the grid, in a fixed order: seed by seed, and within a seed datasets, qs and
        methods as the config lists them, so that a sweep cut short leaves whole tables at fewer
        seeds rather than a few cells at every seed; a user's own dataset once per method and seed,
        at q = 1."""
        settings = option_values(self)
        return [
            RunSpec(dataset=dataset, q=q, method=method, seed=seed, params=dict(self.params.get(method, {})),
                    **settings)
            for seed, dataset in itertools.product(self.seeds, self.datasets)
            for q in _qs_of(dataset, self.qs) for method in self.methods
        ]


def _qs_of(dataset, qs):
    """The qs a run of ``dataset`` takes: ``qs``, or the natural q alone for a user's own data."""
    return (NATURAL_Q,) if dataset in OWN_DATA_NAMES else qs


def _checked(where, name, value):
    """``check_option(name, value)`` with ``where`` in its error."""
    try:
        return check_option(name, value)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _list_of(where, key, value):
    """The entries of grid list ``key``, each checked as its run option."""
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty list")
    for item in value:
        try:
            check_option(GRID_OPTIONS[key], item)
        except ConfigError as error:
            raise ConfigError(f"{where}: {key!r} has a bad entry {item!r} ({error})") from None
    if len(set(value)) != len(value):
        raise ConfigError(f"{where}: {key!r} repeats an entry")
    return tuple(value)


def _validated(where, settings):
    """Type- and range-check the merged settings of one profile, then resolve every run of its grid."""
    own_only = isinstance(settings.get("datasets"), list) and bool(settings["datasets"]) and all(
        isinstance(dataset, str) and dataset in OWN_DATA_NAMES for dataset in settings["datasets"])
    if own_only and "qs" in settings:
        raise ConfigError(f"{where}: 'qs' does not apply to {', '.join(map(str, settings['datasets']))}: the data's "
                          "own imbalance is used; leave qs out")
    if own_only:
        settings = {**settings, "qs": [NATURAL_Q]}
    checked = {key: _list_of(where, key, settings.get(key)) for key in GRID_KEYS}
    checked.update({name: _checked(where, name, settings.get(name)) for name in SETTING_OPTIONS})
    params = settings.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ConfigError(f"{where}: 'params' must hold one table per method, e.g. [params.cb_focal]")
    for method in params:
        if method not in checked["methods"]:
            raise ConfigError(f"{where}: [params.{method}] names a method that is not in 'methods'")
    for method, dataset in itertools.product(checked["methods"], checked["datasets"]):
        for q in _qs_of(dataset, checked["qs"]):
            try:  # as `train` will: a q for a large-scale set, a parameter of the wrong type, ...
                resolve_run_config(dataset, None if dataset in OWN_DATA_NAMES else q, method, checked["seeds"][0],
                                   method_overrides=params.get(method),
                                   **{name: checked[name] for name in SETTING_OPTIONS})
            except ConfigError as error:
                table = f"[params.{method}]: " if method in params else ""
                raise ConfigError(f"{where}: {table}{error} ({dataset} q={q} {method})") from None
    return {**checked, "params": params}


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
