"""``RUN_DIR/checkpoint.npz``: the whole training state after the last finished epoch, so that an
interrupted run (even by SIGKILL) resumes where it stopped and ends as an uninterrupted one would.

One NumPy ``.npz`` file, replaced atomically after every epoch (``files.write_atomically``):
the resolved configuration (JSON), the epoch, the seconds trained so far, the model's weights
(``get_weights``: batch-norm statistics, centers and radii included), the variables of both
optimizers (iteration counts, learning rates and, under momentum, the momentum slots), and the
best-validation value, epoch and weights. It is written after ``history.csv``, and a resumed run
keeps only the history rows up to the checkpoint's epoch, so no epoch is ever listed twice or
lost. It is deleted once ``run.csv`` is written.
"""

import io
import json
from dataclasses import dataclass

import numpy as np

from arconvl.run.files import write_atomically


@dataclass
class TrainingState:
    """The state of a run after its ``epoch``-th epoch (1-based)."""

    config: dict
    epoch: int
    seconds: float
    weights: list
    optimizer: list
    radius_optimizer: list
    best: float
    best_epoch: int | None
    best_weights: list | None


_LISTS = ("weights", "optimizer", "radius_optimizer", "best_weights")


def save_checkpoint(path, state):
    arrays = {
        "config": np.array(json.dumps(state.config, sort_keys=True)),
        "epoch": np.array(state.epoch),
        "seconds": np.array(state.seconds, np.float64),
        "best": np.array(state.best, np.float64),
        "best_epoch": np.array(-1 if state.best_epoch is None else state.best_epoch),
    }
    for name in _LISTS:
        values = getattr(state, name)
        arrays[f"{name}.count"] = np.array(-1 if values is None else len(values))
        arrays.update({f"{name}.{i}": np.asarray(value) for i, value in enumerate(values or [])})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def read_checkpoint_header(path):
    """(epoch, configuration dict) of the checkpoint at ``path``, without loading the weights."""
    with open(path, "rb") as handle, np.load(handle) as data:  # closed even when NumPy cannot read it
        return _epoch(data), _config(data)


def _scalar(data, name, kind):
    value = data[name]
    if value.shape != () or not np.issubdtype(value.dtype, kind):
        raise ValueError(f"member {name!r} is not a scalar of type {kind.__name__} ({value.dtype} {value.shape})")
    return value.item()


def _epoch(data):
    epoch = _scalar(data, "epoch", np.integer)
    if epoch < 1:
        raise ValueError(f"member 'epoch' is {epoch}, expected >= 1")
    return epoch


def _config(data):
    config = json.loads(_scalar(data, "config", np.str_))
    if not isinstance(config, dict):
        raise ValueError("member 'config' is not a JSON object")
    return config


def load_checkpoint(path):
    """The ``TrainingState`` saved at ``path``, checked for consistency (members present and of
    their types, epochs in range); raises an exception naming what is wrong otherwise."""
    with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
        lists = {}
        for name in _LISTS:
            count = _scalar(data, f"{name}.count", np.integer)
            if count < -1 or (count < 0 and name != "best_weights"):
                raise ValueError(f"member '{name}.count' is {count}")
            lists[name] = None if count < 0 else [data[f"{name}.{i}"] for i in range(count)]
        epoch = _epoch(data)
        best_epoch = _scalar(data, "best_epoch", np.integer)
        seconds = _scalar(data, "seconds", np.floating)
        if not (best_epoch == -1 or 1 <= best_epoch <= epoch) or not (seconds >= 0 and np.isfinite(seconds)):
            raise ValueError(f"best epoch {best_epoch} or seconds {seconds} out of range for epoch {epoch}")
        return TrainingState(
            config=_config(data),
            epoch=epoch,
            seconds=seconds,
            best=_scalar(data, "best", np.floating),
            best_epoch=None if best_epoch < 0 else best_epoch,
            **lists,
        )


def check_state_fits(model, state):
    """Raise ``ValueError`` unless ``state`` fits ``model`` (built as the run that saved it): as
    many weights and optimizer variables, each of the same shape. Changes nothing."""
    expected = {
        "weights": [w.shape for w in model.get_weights()],
        "best_weights": [w.shape for w in model.get_weights()],
        "optimizer": [tuple(v.shape) for v in _variables(model.network_optimizer)],
        "radius_optimizer": [tuple(v.shape) for v in _variables(model.radius_optimizer)],
    }
    for name, shapes in expected.items():
        values = getattr(state, name)
        if values is None:
            continue
        if not all(np.issubdtype(np.asarray(value).dtype, np.number) for value in values):
            raise ValueError(f"its {name} hold arrays that are not numbers")
        found = [np.shape(value) for value in values]
        if found != [tuple(shape) for shape in shapes]:
            raise ValueError(f"its {name} ({len(found)} arrays) do not fit the model ({len(shapes)} arrays)"
                             if len(found) != len(shapes) else
                             f"its {name} have shapes that do not fit the model")


def _variables(optimizer):
    return [] if optimizer is None else optimizer.variables


def _optimizer_values(optimizer):
    return [] if optimizer is None else [variable.numpy() for variable in optimizer.variables]


def _assign_optimizer(optimizer, values, name):
    variables = [] if optimizer is None else optimizer.variables
    if len(variables) != len(values):
        raise ValueError(f"the checkpoint holds {len(values)} {name} variables, the model {len(variables)}")
    for variable, value in zip(variables, values):
        variable.assign(value)


def capture_state(model, config, epoch, seconds, best=None):
    """The ``TrainingState`` of a ``PrototypeClassifier`` (both optimizers built) after ``epoch``;
    ``best``: the run's ``callbacks.BestWeights`` (None: no best-validation record, for a state
    that is only restored, never saved)."""
    return TrainingState(
        config=config, epoch=epoch, seconds=seconds, weights=model.get_weights(),
        optimizer=_optimizer_values(model.network_optimizer),
        radius_optimizer=_optimizer_values(model.radius_optimizer),
        best=best and best.best, best_epoch=best and best.best_epoch, best_weights=best and best.best_weights,
    )


def restore_state(model, state):
    """Put the weights and both optimizers' variables of ``state`` into ``model`` (built as the
    run that saved it, both optimizers built)."""
    model.set_weights(state.weights)
    _assign_optimizer(model.network_optimizer, state.optimizer, "optimizer")
    _assign_optimizer(model.radius_optimizer, state.radius_optimizer, "radius optimizer")
