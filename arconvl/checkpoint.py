"""``RUN_DIR/checkpoint.npz``: the whole training state after the last finished epoch, so that an
interrupted run (even by SIGKILL) resumes where it stopped and ends as an uninterrupted one would.

One NumPy ``.npz`` file, replaced atomically after every epoch (``run_files.write_atomically``):
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

from arconvl.run_files import write_atomically


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
        return int(data["epoch"]), json.loads(str(data["config"]))


def load_checkpoint(path):
    with open(path, "rb") as handle, np.load(handle) as data:
        lists = {}
        for name in _LISTS:
            count = int(data[f"{name}.count"])
            lists[name] = None if count < 0 else [data[f"{name}.{i}"] for i in range(count)]
        best_epoch = int(data["best_epoch"])
        return TrainingState(
            config=json.loads(str(data["config"])),
            epoch=int(data["epoch"]),
            seconds=float(data["seconds"]),
            best=float(data["best"]),
            best_epoch=None if best_epoch < 0 else best_epoch,
            **lists,
        )


def _optimizer_values(optimizer):
    return [] if optimizer is None else [variable.numpy() for variable in optimizer.variables]


def _assign_optimizer(optimizer, values, name):
    variables = [] if optimizer is None else optimizer.variables
    if len(variables) != len(values):
        raise ValueError(f"the checkpoint holds {len(values)} {name} variables, the model {len(variables)}")
    for variable, value in zip(variables, values):
        variable.assign(value)


def capture_state(model, config, epoch, seconds, best):
    """The ``TrainingState`` of a ``PrototypeClassifier`` (both optimizers built) after ``epoch``;
    ``best``: the run's ``callbacks.BestWeights``."""
    return TrainingState(
        config=config, epoch=epoch, seconds=seconds, weights=model.get_weights(),
        optimizer=_optimizer_values(model.optimizer),
        radius_optimizer=_optimizer_values(model.radius_optimizer),
        best=best.best, best_epoch=best.best_epoch, best_weights=best.best_weights,
    )


def restore_state(model, state):
    """Put the weights and both optimizers' variables of ``state`` into ``model`` (built as the
    run that saved it, both optimizers built)."""
    model.set_weights(state.weights)
    _assign_optimizer(model.optimizer, state.optimizer, "optimizer")
    _assign_optimizer(model.radius_optimizer, state.radius_optimizer, "radius optimizer")
