"""One run's configuration, resolved from the paper's defaults (SPEC §1, §2, §5) and validated once.

The resolved ``RunConfig`` is written beside every result (``config.json`` and the columns of
``run.csv``), so any run can be re-created from its directory. It records the Keras backend that
trains the run (``backend``): the backends draw the data's order and augmentation from different
random streams (``arconvl.data.epochs``), so a run is resumed or reused on its own backend only.
"""

import dataclasses
import json
from dataclasses import field

from arconvl.backend import UNRECORDED_BACKEND, current_backend
from arconvl.data.catalog import FOLDER, LARGE_SCALE_NAMES, NATURAL_Q, OWN_DATA_NAMES
from arconvl.data.own_data import DEFAULT_TEST_FRACTION
from arconvl.errors import ConfigError
from arconvl.losses.registry import resolve_method
from arconvl.model.backbone_names import APPLICATIONS, takes_feature_dim
from arconvl.model.epoch_schedules import scale_epoch
from arconvl.run.options import PRECISIONS, RUN_OPTIONS, check_option, with_run_options  # noqa: F401 - PRECISIONS re-exported

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
# A user's own data (folder, arrays; docs/your_data.md): the small sets' schedule and batch size, no
# augmentation (a flip or shift may change what an image shows), and a backbone by image size.
OWN_DATA_DEFAULTS = {**_SMALL, "backbone": None}
OWN_DATA_SMALL_CNN_MAX_SIDE = 32  # the small CNN's largest images in the paper (SPEC §1)
OWN_DATA_RESNET = "resnet32"


def own_data_backbone(input_shape):
    """The default backbone of a user's images of ``input_shape`` (height, width, channels)."""
    return "small_cnn" if max(input_shape[:2]) <= OWN_DATA_SMALL_CNN_MAX_SIDE else OWN_DATA_RESNET

# What the ``code`` and ``paper`` variants change outside the losses (SPEC §2, items 2, 3, 6):
# momentum 0 reproduces the code's fresh optimizer every step; the code feeds raw 0–255 pixels;
# its decays come one epoch later than the paper's wording.
VARIANT_SETTINGS = {
    "code": {"momentum": 0.0, "pixel_scale": 1.0, "decay_delay": 1},
    "paper": {"momentum": 0.9, "pixel_scale": 1.0 / 255.0, "decay_delay": 0},
}

PAPER_RADIUS_WARMUP_EPOCHS = 3
DEFAULT_FEATURE_DIM = 64  # D of every backbone in the paper's experiments


@with_run_options()
class RunConfig:
    """Everything that determines one training run: every run option of ``options.RUN_OPTIONS``
    (one field each, resolved: the paper's epochs and backbone filled in), and the settings resolved
    from them below."""

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
    method_params: dict = field(default_factory=dict)
    backend: str = UNRECORDED_BACKEND  # the Keras backend that trains it; records without one: TensorFlow's

    def to_dict(self):
        """A JSON-ready dict (tuples become lists)."""
        record = dataclasses.asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in record.items()}

    @classmethod
    def from_dict(cls, record):
        """The ``RunConfig`` of a ``to_dict()`` record (``config.json``); fields added since it was
        written take their defaults, keys that are no field are left out."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {key: tuple(value) if isinstance(value, list) else value
                  for key, value in record.items() if key in names}
        return cls(**values)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def flat(self):
        """One flat dict for a CSV row: decay epochs joined by ';', method parameters as param.NAME."""
        record = {key: ";".join(map(str, value)) if isinstance(value, list) else value
                  for key, value in self.to_dict().items()}
        params = record.pop("method_params")
        record.update({f"param.{key}": value for key, value in sorted(params.items())})
        return record


def resolve_run_config(dataset, q, method=None, seed=None, *, method_overrides=None, input_shape=None, **options):
    """The paper's configuration for (dataset, q, method, seed) and the other run ``options``, validated.

    ``options`` are any of ``options.RUN_OPTIONS`` (an option left out or None takes its default).
    Every option is checked against its declaration there (type, range or choices; booleans are
    not numbers), so the command line, TOML run files and sweeps refuse the same values.
    ``subsample`` < 1 keeps that fraction of each class of every split (smoke runs only).
    ``feature_dim`` sets D of the small CNN, resnet50v2 and efficientnetb0 (default 64; 2 draws
    Fig. 3); the paper's ResNets have D = 64. ``backbone`` (default: the dataset's in the paper)
    and ``backbone_weights`` (resnet50v2 / efficientnetb0 only) choose the feature extractor.
    A user's own data (``folder``, ``arrays``) take no ``q`` (their own imbalance is trained on;
    q is recorded as 1), the small sets' schedule, no augmentation, ``test_fraction`` (default
    ``own_data.DEFAULT_TEST_FRACTION``), for ``folder`` ``image_size`` and ``channels``, and by
    default ``own_data_backbone(input_shape)`` (None while ``input_shape`` is not known).
    ``precision`` ("float32" or "mixed_bfloat16") and ``xla`` (compile the train and evaluation
    steps with XLA) change speed, not the method; both are off by default (docs/performance.md).
    ``epochs`` shorter (or longer) than the paper's keeps the schedule's shape: every decay and the
    radius warm-up move to the same fraction of training (``scale_epoch``).
    ``backend``: the Keras backend of this process (``KERAS_BACKEND``), no option.
    Returns (RunConfig, notes), where ``notes`` lists what differs from the paper's schedule.
    """
    unknown = sorted(set(options) - set(RUN_OPTIONS))
    if unknown:
        raise TypeError(f"resolve_run_config() got an unexpected keyword argument {unknown[0]!r}")
    own_data = check_option("dataset", dataset) in OWN_DATA_NAMES
    if own_data and q is not None:
        raise ConfigError(f"q does not apply to dataset {dataset}: the data's own imbalance is used (the paper's "
                          "q-rule is for its datasets); leave q out")
    given = {**options, "dataset": dataset, "q": NATURAL_Q if own_data else q, "method": method, "seed": seed}
    options = {name: check_option(name, given.get(name)) for name in RUN_OPTIONS}
    dataset, q, variant = options["dataset"], options["q"], options["variant"]
    if dataset in LARGE_SCALE_NAMES and q != NATURAL_Q:
        raise ConfigError(f"{dataset} keeps its natural imbalance: q must be {NATURAL_Q}, got {q}")
    only_for = {"test_fraction": OWN_DATA_NAMES, "image_size": (FOLDER,), "channels": (FOLDER,)}
    for name, datasets in only_for.items():
        if options[name] is not None and dataset not in datasets:
            raise ConfigError(f"{name} is an option of dataset {' and '.join(datasets)}, not of {dataset}")
    defaults = OWN_DATA_DEFAULTS if own_data else DATASET_DEFAULTS[dataset]
    paper_epochs = defaults["epochs"]
    epochs = paper_epochs if options["epochs"] is None else options["epochs"]
    backbone = options["backbone"]
    if backbone is None:
        backbone = defaults["backbone"] or (None if input_shape is None else own_data_backbone(input_shape))
    if options["backbone_weights"] is not None and backbone not in APPLICATIONS:
        raise ConfigError(f"backbone_weights is for backbone {' or '.join(APPLICATIONS)}, not "
                          f"{backbone or f'the default backbone of {dataset}'}")
    feature_dim = DEFAULT_FEATURE_DIM if options["feature_dim"] is None else options["feature_dim"]
    if feature_dim != DEFAULT_FEATURE_DIM and backbone is not None and not takes_feature_dim(backbone):
        raise ConfigError(f"feature_dim is fixed at {DEFAULT_FEATURE_DIM} for {backbone} ({dataset}); "
                          f"only small_cnn and {', '.join(APPLICATIONS)} take another")
    resolved = resolve_method(options["method"], dataset=dataset, variant=variant, overrides=method_overrides)
    settings = VARIANT_SETTINGS[variant]

    decay_epochs = tuple(
        scale_epoch(start + settings["decay_delay"], paper_epochs, epochs)
        for start in defaults["lr_decay_epochs"]
    )
    warmup_epochs = scale_epoch(PAPER_RADIUS_WARMUP_EPOCHS + 1, paper_epochs, epochs) - 1
    notes = []
    if own_data and options["backbone"] is None and backbone is not None:
        notes.append(f"backbone {backbone} for {input_shape[0]}x{input_shape[1]} images (small_cnn up to "
                     f"{OWN_DATA_SMALL_CNN_MAX_SIDE} pixels a side, {OWN_DATA_RESNET} above; --backbone chooses)")
    if epochs != paper_epochs:
        decays = [str(e) for e in decay_epochs if e <= epochs]
        notes.append(
            f"{epochs} epochs instead of the paper's {paper_epochs}: schedule scaled to the same "
            f"fractions; learning rate x0.1 from epoch{'s' if len(decays) > 1 else ''} "
            f"{', '.join(decays) if decays else '(none within the run)'}, "
            f"radius warm-up {warmup_epochs} epoch{'' if warmup_epochs == 1 else 's'}"
        )
    test_fraction = options["test_fraction"]
    config = RunConfig(
        **{**options, "epochs": epochs, "backbone": backbone, "feature_dim": feature_dim,
           "test_fraction": (DEFAULT_TEST_FRACTION if test_fraction is None else test_fraction) if own_data else None},
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
        method_params=dict(resolved.params),
        backend=current_backend(),
    )
    return config, notes
