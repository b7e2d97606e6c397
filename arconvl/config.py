"""One run's configuration, resolved from the paper's defaults (SPEC §1, §2, §5) and validated once.

The resolved ``RunConfig`` is written beside every result (``config.json`` and the columns of
``run.csv``), so any run can be re-created from its directory.
"""

import dataclasses
import json
from dataclasses import dataclass, field

from arconvl.data.catalog import LARGE_SCALE_NAMES
from arconvl.errors import ConfigError
from arconvl.methods import resolve_method
from arconvl.run_options import PRECISIONS, RUN_DEFAULTS, check_option  # noqa: F401 - PRECISIONS re-exported
from arconvl.schedules import scale_epoch

# Per dataset: backbone, paper epochs, 1-based first epochs of the two ×0.1 decays (paper wording),
# whether the public code augments it, and the batch size (SPEC §1, §4, §5; 64 on the two
# large-scale sets, docs/large_scale_datasets.md).
_SMALL = {"backbone": "small_cnn", "epochs": 50, "lr_decay_epochs": (26, 41), "augment": False, "batch_size": 128}
_LARGE = {"backbone": "resnet56", "epochs": 100, "lr_decay_epochs": (51, 81), "augment": False, "batch_size": 64}
DATASET_DEFAULTS = {
    "mnist": _SMALL,
    "fashion_mnist": _SMALL,
    "svhn": {**_SMALL, "backbone": "resnet44", "augment": True},
    "cifar10": {**_SMALL, "backbone": "resnet44", "augment": True, "epochs": 100, "lr_decay_epochs": (51, 81)},
    "celeba": _LARGE,
    "inaturalist2018": _LARGE,
}

# What the ``code`` and ``paper`` variants change outside the losses (SPEC §2, items 2, 3, 6):
# momentum 0 reproduces the code's fresh optimizer every step; the code feeds raw 0–255 pixels;
# its decays come one epoch later than the paper's wording.
VARIANT_SETTINGS = {
    "code": {"momentum": 0.0, "pixel_scale": 1.0, "decay_delay": 1},
    "paper": {"momentum": 0.9, "pixel_scale": 1.0 / 255.0, "decay_delay": 0},
}

PAPER_RADIUS_WARMUP_EPOCHS = 3
DEFAULT_FEATURE_DIM = 64  # D of every backbone in the paper's experiments


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run."""

    dataset: str
    q: int
    method: str
    seed: int
    epochs: int
    variant: str
    backbone: str
    feature_dim: int
    batch_size: int
    learning_rate: float
    momentum: float
    lr_decay_epochs: tuple
    lr_decay_factor: float
    radius_learning_rate: float
    radius_warmup_learning_rate: float
    radius_warmup_epochs: int
    pixel_scale: float
    augment: bool
    val_fraction: float
    subsample: float = 1.0
    precision: str = "float32"
    xla: bool = False
    method_params: dict = field(default_factory=dict)

    def to_dict(self):
        """A JSON-ready dict (tuples become lists)."""
        record = dataclasses.asdict(self)
        record["lr_decay_epochs"] = list(self.lr_decay_epochs)
        return record

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def flat(self):
        """One flat dict for a CSV row: decay epochs joined by ';', method parameters as param.NAME."""
        record = self.to_dict()
        record["lr_decay_epochs"] = ";".join(str(e) for e in self.lr_decay_epochs)
        params = record.pop("method_params")
        record.update({f"param.{key}": value for key, value in sorted(params.items())})
        return record


def resolve_run_config(
    dataset, q, method=RUN_DEFAULTS["method"], seed=RUN_DEFAULTS["seed"], *, epochs=None,
    variant=RUN_DEFAULTS["variant"], method_overrides=None, subsample=RUN_DEFAULTS["subsample"], feature_dim=None,
    precision=RUN_DEFAULTS["precision"], xla=RUN_DEFAULTS["xla"],
):
    """The paper's configuration for (dataset, q, method, seed), validated.

    Every option is checked against its declaration in ``run_options.RUN_OPTIONS`` (type, range or
    choices; booleans are not numbers), so the command line, TOML run files and sweeps refuse the
    same values.
    ``subsample`` < 1 keeps that fraction of each class of every split (smoke runs only).
    ``feature_dim`` sets D of the small CNN (default 64; 2 draws Fig. 3); the ResNets have D = 64.
    ``precision`` ("float32" or "mixed_bfloat16") and ``xla`` (compile the train and evaluation
    steps with XLA) change speed, not the method; both are off by default (docs/performance.md).
    ``epochs`` shorter (or longer) than the paper's keeps the schedule's shape: every decay and the
    radius warm-up move to the same fraction of training (``scale_epoch``).
    Returns (RunConfig, notes), where ``notes`` lists what differs from the paper's schedule.
    """
    given = {"dataset": dataset, "q": q, "method": method, "seed": seed, "epochs": epochs, "variant": variant,
             "subsample": subsample, "feature_dim": feature_dim, "precision": precision, "xla": xla}
    options = {name: check_option(name, value) for name, value in given.items()}
    dataset, q, method, seed, epochs, variant, subsample, feature_dim, precision, xla = options.values()
    if dataset in LARGE_SCALE_NAMES and q != 1:
        raise ConfigError(f"{dataset} keeps its natural imbalance: q must be 1, got {q}")
    defaults = DATASET_DEFAULTS[dataset]
    paper_epochs = defaults["epochs"]
    epochs = paper_epochs if epochs is None else epochs
    backbone = defaults["backbone"]
    feature_dim = DEFAULT_FEATURE_DIM if feature_dim is None else feature_dim
    if feature_dim != DEFAULT_FEATURE_DIM and backbone != "small_cnn":
        raise ConfigError(f"feature_dim is fixed at {DEFAULT_FEATURE_DIM} for {backbone} ({dataset}); "
                          "only the small CNN (mnist, fashion_mnist) takes another")
    resolved = resolve_method(method, dataset=dataset, variant=variant, overrides=method_overrides)
    settings = VARIANT_SETTINGS[variant]

    decay_epochs = tuple(
        scale_epoch(start + settings["decay_delay"], paper_epochs, epochs)
        for start in defaults["lr_decay_epochs"]
    )
    warmup_epochs = scale_epoch(PAPER_RADIUS_WARMUP_EPOCHS + 1, paper_epochs, epochs) - 1
    notes = []
    if epochs != paper_epochs:
        decays = [str(e) for e in decay_epochs if e <= epochs]
        notes.append(
            f"{epochs} epochs instead of the paper's {paper_epochs}: schedule scaled to the same "
            f"fractions; learning rate x0.1 from epoch{'s' if len(decays) > 1 else ''} "
            f"{', '.join(decays) if decays else '(none within the run)'}, "
            f"radius warm-up {warmup_epochs} epoch{'' if warmup_epochs == 1 else 's'}"
        )
    config = RunConfig(
        dataset=dataset,
        q=q,
        method=method,
        seed=seed,
        epochs=epochs,
        variant=variant,
        backbone=backbone,
        feature_dim=feature_dim,
        batch_size=defaults["batch_size"],
        learning_rate=0.1,
        momentum=settings["momentum"],
        lr_decay_epochs=decay_epochs,
        lr_decay_factor=0.1,
        radius_learning_rate=0.01,
        radius_warmup_learning_rate=0.001,
        radius_warmup_epochs=warmup_epochs,
        pixel_scale=settings["pixel_scale"],
        augment=defaults["augment"],
        val_fraction=0.1,
        subsample=float(subsample),
        precision=precision,
        xla=xla,
        method_params=dict(resolved.params),
    )
    return config, notes
