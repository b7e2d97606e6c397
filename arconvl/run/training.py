"""One training run of the paper's protocol (SPEC §5): build, fit with best-validation selection,
evaluate on the test set, and write the run directory."""

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from arconvl.data.run_data import class_record
from arconvl.errors import ConfigError, DataError, NumericalFault
from arconvl.losses.registry import resolve_method
from arconvl.model.backbones import build_backbone
from arconvl.model.classifier import PrototypeClassifier
from arconvl.model.metrics import classwise_accuracy, g_mean
from arconvl.model.schedules import StepDecay, WarmupThenConstant
from arconvl.run.callbacks import (
    BestWeights,
    EpochCheckpoint,
    EpochEvaluation,
    HistoryWriter,
    LearningRateLog,
    StopOnNonFiniteLoss,
    evaluate_recalls,
)
from arconvl.run.checkpoint import check_state_fits, restore_state
from arconvl.run.directory import ResumePoint, inspect_run_dir, read_resume_point, resume_progress
from arconvl.run.environment import environment_record
from arconvl.run.files import (
    CHECKPOINT_FILE,
    HISTORY_FILE,
    WEIGHTS_FILE,
    HistoryFile,
    clear_failure,
    locked_run_dir,
    save_model,
    write_config,
    write_failure,
    write_result,
)


def build_model(config, class_counts, input_shape, steps_per_epoch):
    """The compiled ``PrototypeClassifier`` of ``config`` with both optimizers built.

    The rates follow the protocol's schedules (SPEC §2, §5) keyed on each optimizer's step,
    ``steps_per_epoch`` steps an epoch: the network's ``StepDecay``, the radii's ``WarmupThenConstant``.
    Compiled with XLA under ``config.xla``, and always on JAX (op by op it is many times slower)."""
    method = resolve_method(
        config.method, dataset=config.dataset, variant=config.variant, overrides=config.method_params
    )
    previous_policy = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(config.precision)  # the backbone's layers take it up
    try:
        backbone = build_backbone(config.backbone, input_shape, config.feature_dim, weights=config.backbone_weights,
                                  pixel_scale=config.pixel_scale)
    finally:
        keras.mixed_precision.set_dtype_policy(previous_policy)
    network_rate = StepDecay(config.learning_rate, config.lr_decay_epochs, steps_per_epoch, config.lr_decay_factor)
    radius_rate = WarmupThenConstant(config.radius_warmup_learning_rate, config.radius_learning_rate,
                                     config.radius_warmup_epochs, steps_per_epoch)
    radius_optimizer = keras.optimizers.SGD(radius_rate, momentum=config.momentum) if method.uses_radii else None
    model = PrototypeClassifier(backbone, class_counts=np.asarray(class_counts), method=method)
    model.compile(optimizer=keras.optimizers.SGD(network_rate, momentum=config.momentum),
                  radius_optimizer=radius_optimizer, jit_compile=config.xla or keras.backend.backend() == "jax")
    model.build((None, *input_shape))  # builds the optimizers too: their variables exist before the first step
    return model


def steps_per_epoch(splits, config):
    """Training batches an epoch: ceil(N / batch size), the last one possibly smaller."""
    return math.ceil(splits.num_train / config.batch_size)


@dataclass
class RunStart:
    """What ``prepare_run`` checked and built: the model (seeded, built, nothing restored yet) and
    the interrupted run to resume (None: a fresh run)."""

    model: PrototypeClassifier
    resume: ResumePoint | None


def check_splits(splits):
    """Raise ``DataError`` when a class has no training sample (its prior, weight and center
    would be meaningless) or a split holds no sample at all."""
    empty = [j for j, count in enumerate(splits.train_counts) if count == 0]
    if empty:
        raise DataError(f"class {empty[0]} has no training sample (training split "
                        f"{list(map(int, splits.train_counts))}); every class needs at least one")
    for split in ("val", "test"):
        if len(splits.labels(split)) == 0:
            raise DataError(f"the {'validation' if split == 'val' else 'test'} split holds no sample")


def prepare_run(config, splits, resume):
    """Everything ``train_run`` checks before it writes anything: the splits, and that the
    checkpoint of ``resume`` (a ``directory.ResumePoint`` or None) fits the model it builds.
    Raises ``ArconvlError`` (naming the file or the class); writes nothing."""
    check_splits(splits)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, splits.train_counts, splits.input_shape, steps_per_epoch(splits, config))
    if resume is not None:
        try:
            check_state_fits(model, resume.state)
        except ValueError as error:
            raise ConfigError(f"{resume.path} does not fit the model of its run ({error}); "
                              "delete it to train afresh") from None
    return RunStart(model, resume)


@dataclass(frozen=True)
class RunOutcome:
    """What ``train_in_run_dir`` did: the ``run.csv`` row, and whether this process trained it
    (False: another process finished the run while this one prepared)."""

    row: dict
    trained: bool


def train_in_run_dir(config, splits, run_dir, resume, *, verbose=1, say=print):
    """Train ``config`` in ``run_dir`` from ``resume`` (``directory.inspect_run_dir``'s resume point,
    checked before the data was read), holding the directory's lock; a ``RunOutcome``.

    The life of a run directory after its first inspection: the checkpoint is checked against the
    model (``prepare_run``) before the lock is taken; under the lock the directory is inspected again,
    for another process may have finished the run (nothing is trained) or moved its checkpoint on
    (the new one is checked); ``say`` tells which epoch it resumes after. A NaN or infinite loss
    leaves ``failed.json`` (epoch and reason) and raises ``NumericalFault``; a busy directory raises
    ``ConfigError``."""
    start = prepare_run(config, splits, resume)  # a class without samples, a checkpoint not fitting the model
    with locked_run_dir(run_dir):  # one process at a time trains run_dir
        finished, now = inspect_run_dir(run_dir, config)
        if finished is not None:
            return RunOutcome(finished, trained=False)
        if resume_progress(now) != resume_progress(resume):
            start = prepare_run(config, splits, now)
        if now is not None:
            say(f"resuming {run_dir} after epoch {now.epoch} of {config.epochs}")
        try:
            return RunOutcome(train_run(config, splits, run_dir, start=start, verbose=verbose), trained=True)
        except NumericalFault as fault:
            write_failure(run_dir, fault.epoch, fault.reason)
            raise


def train_run(config, splits, run_dir, *, verbose=1, start=None):
    """Train ``config`` on ``splits`` and write ``run_dir``; returns the ``run.csv`` row (a dict).

    ``splits``: a ``data.Splits`` (arrays) or a ``data.large.LargeScaleSplits`` (image files),
    as ``data.prepare_run_data`` gives them. ``start``: ``prepare_run``'s result for this
    directory, when the caller has checked it already.

    Metrics in the row are fractions in [0, 1]; ``test_*`` are those of the best-validation
    weights, ``test_*_last`` those of the last epoch; ``recall_0`` … ``recall_{k-1}`` per class;
    ``class_names`` and ``train_counts`` JSON lists in label order. The best-validation model is
    saved as ``model.keras`` just before ``run.csv``.

    After every epoch the training state goes to ``run_dir/checkpoint.npz``. When ``run_dir``
    already holds one (an interrupted run of this same configuration, else ``ConfigError``), the
    run resumes after its epoch and ends as the uninterrupted run would have; the checkpoint is
    deleted once ``run.csv`` is written. Every check (``prepare_run``, ``directory.read_resume_point``)
    comes before the first write: a refused run leaves ``run_dir`` as it was.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    checkpoint_path = run_dir / CHECKPOINT_FILE
    if start is None:
        start = prepare_run(config, splits, read_resume_point(run_dir, config))
    model, state = start.model, start.resume and start.resume.state
    # Every check is done: from here on the run writes.
    run_dir.mkdir(parents=True, exist_ok=True)
    clear_failure(run_dir)
    classes = class_record(splits)
    write_config(run_dir, config, classes, environment_record())

    num_classes = len(splits.train_counts)
    history_file = HistoryFile(run_dir / HISTORY_FILE)
    best = BestWeights(str(run_dir / WEIGHTS_FILE))
    done = 0  # finished epochs
    if state is not None:
        history_file.resume(start.resume.history_rows)  # drops a row written after the checkpoint
        best.resume(model, state.best, state.best_epoch, state.best_weights)
        restore_state(model, state)
        done, started = state.epoch, started - state.seconds

    def evaluation_data(split):
        """(ordered image batches, labels) of ``split``."""
        images = splits.eval_batches(split, batch_size=config.batch_size, pixel_scale=config.pixel_scale)
        return images, splits.labels(split)

    if done < config.epochs:
        train_data = splits.train_batches(
            batch_size=config.batch_size, seed=config.seed, augment=config.augment, pixel_scale=config.pixel_scale,
            first_epoch=done + 1, num_epochs=config.epochs - done,
        )
        evaluation = EpochEvaluation({split: evaluation_data(split) for split in ("val", "test")}, num_classes)
        callbacks = [
            LearningRateLog(),
            StopOnNonFiniteLoss(),  # before anything records the epoch
            evaluation,
            best,
            HistoryWriter(history_file),
            EpochCheckpoint(checkpoint_path, json.loads(config.to_json()), best,
                            lambda: time.perf_counter() - started),  # after the history
        ]
        # One dataset for all remaining epochs, each of ``steps_per_epoch`` batches: Keras keeps its iterator.
        model.fit(train_data, initial_epoch=done, epochs=config.epochs,
                  steps_per_epoch=steps_per_epoch(splits, config), callbacks=callbacks, verbose=verbose, shuffle=False)
    if best.best_weights is not None:  # the one place the best-validation weights are restored
        model.set_weights(best.best_weights)

    last = history_file.rows[-1]
    test_recalls = evaluate_recalls(model, *evaluation_data("test"), num_classes)
    row = {
        "dataset": config.dataset,
        "q": config.q,
        "method": config.method,
        "seed": config.seed,
        "epochs": config.epochs,
        "best_epoch": best.best_epoch,
        "val_gmean": best.best,
        "test_gmean": g_mean(test_recalls),
        "test_classwise_acc": classwise_accuracy(test_recalls),
        "test_gmean_last": float(last["test_gmean"]),
        "test_classwise_acc_last": float(last["test_classwise_acc"]),
        **{f"recall_{j}": float(r) for j, r in enumerate(test_recalls)},
        "seconds": round(time.perf_counter() - started, 1),
        "class_names": json.dumps(classes["names"]),
        "train_counts": json.dumps(classes["train"]),
    }
    row.update({k: v for k, v in config.flat().items() if k not in row})
    save_model(run_dir, model)  # the best-validation model, before run.csv says the run is finished
    write_result(run_dir, row)
    checkpoint_path.unlink(missing_ok=True)  # run.csv now says the run is finished
    return row
