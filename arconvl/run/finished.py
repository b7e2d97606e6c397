"""A finished run directory read back as a model to use: ``model.keras`` (custom objects
registered by importing ``arconvl.model.classifier``), its ``RunConfig`` (pixel scale, seed, split options)
and the class names of its data, for ``predict`` and ``evaluate``.
"""

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from arconvl.data.catalog import FOLDER, OWN_DATA_NAMES
from arconvl.data.own_data import DEFAULT_TEST_FRACTION
from arconvl.errors import ConfigError, DataError
from arconvl.run.config import RunConfig
from arconvl.run.directory import read_checked_result
from arconvl.run.files import CLASSES_KEY, CONFIG_FILE, MODEL_FILE, RESULT_FILE, check_writable_dir, read_config

FINISHED_RUN_FILES = (RESULT_FILE, CONFIG_FILE, MODEL_FILE)


@dataclass(frozen=True, eq=False)
class FinishedRun:
    """A finished run: its directory, ``RunConfig``, class names (label order) and loaded model."""

    path: Path
    config: RunConfig
    class_names: tuple
    model: object

    @property
    def input_shape(self):
        from arconvl.run.predict import model_input_shape  # noqa: PLC0415 - imports TensorFlow

        return model_input_shape(self.model)


def _read(path, read):
    """``read()`` of a file of a finished run; one that cannot be read is a ``ConfigError``."""
    try:
        return read()
    except Exception as error:  # noqa: BLE001 - csv, json, zipfile and Keras raise many kinds
        problem = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        raise ConfigError(f"{path} cannot be read ({problem})") from None


def check_finished_run_dir(run_dir):
    """``run_dir`` as a Path if it holds ``FINISHED_RUN_FILES``, else ``ConfigError``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"RUN_DIR {run_dir} is no directory (give the --out of a finished train)")
    missing = [name for name in FINISHED_RUN_FILES if not (run_dir / name).is_file()]
    if missing:
        raise ConfigError(f"RUN_DIR {run_dir} is not a finished run (no {', '.join(missing)}); train it to the end "
                          "first (runs finished before model.keras was saved must be trained again)")
    return run_dir


def read_finished_run(run_dir):
    """The ``FinishedRun`` of ``run_dir``; ``ConfigError`` for a directory that is not a finished
    run or a file of it that cannot be read."""
    run_dir = check_finished_run_dir(run_dir)
    _read(run_dir / RESULT_FILE, lambda: read_checked_result(run_dir))
    record = _read(run_dir / CONFIG_FILE, lambda: read_config(run_dir))
    config = _read(run_dir / CONFIG_FILE, lambda: RunConfig.from_dict(record))
    names = record.get(CLASSES_KEY, {}).get("names") if isinstance(record.get(CLASSES_KEY), dict) else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ConfigError(f"{run_dir / CONFIG_FILE} records no class names ('{CLASSES_KEY}': {{'names': [...]}})")
    import keras  # noqa: PLC0415 - loading a model needs Keras

    import arconvl.model.classifier  # noqa: F401, PLC0415 - registers PrototypeClassifier and its layers

    model = _read(run_dir / MODEL_FILE, lambda: keras.models.load_model(run_dir / MODEL_FILE, compile=False))
    if getattr(model, "num_classes", None) != len(names):
        raise ConfigError(f"{run_dir / MODEL_FILE} is no model of the {len(names)} classes in {CONFIG_FILE}")
    return FinishedRun(run_dir, config, tuple(names), model)


def evaluation_config(run, dataset):
    """The ``RunConfig`` that reads ``dataset``'s test split for ``run``: the run's seed, fractions
    and subsample (so a test split drawn in training is drawn again the same), an image folder read
    at the model's input size and channels."""
    height, width, channels = run.input_shape
    own = dataset in OWN_DATA_NAMES
    return dataclasses.replace(
        run.config, dataset=dataset,
        test_fraction=(run.config.test_fraction or DEFAULT_TEST_FRACTION) if own else None,
        image_size=(height, width) if dataset == FOLDER else None, channels=channels if dataset == FOLDER else None)


def check_data_fits_run(splits, run):
    """``DataError`` unless ``splits`` (data to evaluate ``run`` on) have the run's classes, in its
    order, and its input shape."""
    if tuple(splits.class_names) != run.class_names:
        raise DataError(f"the data's classes ({', '.join(splits.class_names)}) are not the run's "
                        f"({', '.join(run.class_names)})")
    if tuple(splits.input_shape) != run.input_shape:
        raise DataError(f"the data's images are {'x'.join(map(str, splits.input_shape))}, but the model takes "
                        f"{'x'.join(map(str, run.input_shape))}")


def check_new_output(path, overwrite, *, folder, option="--out"):
    """``ConfigError`` when ``path`` (a file, or with ``folder`` a directory) exists (unless
    ``overwrite``, and then it must be of that kind) or cannot be created."""
    path = Path(path)
    if os.path.lexists(path):
        if not overwrite:
            raise ConfigError(f"{option} {path} exists; move it away, choose another {option} or give --overwrite")
        if path.is_dir() != folder:
            raise ConfigError(f"{option} {path} is {'no' if folder else 'a'} directory")
    check_writable_dir(path if folder else path.parent, option)
