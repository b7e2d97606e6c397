"""Keras callbacks of the training protocol (SPEC §5): the rates held, per-epoch evaluation,
best-validation weights and the per-epoch history file. Epochs are 1-based everywhere outside Keras.
"""

import keras
import numpy as np

from arconvl.errors import NumericalFault
from arconvl.model.metrics import classwise_accuracy, g_mean, per_class_recall
from arconvl.run.checkpoint import capture_state, save_checkpoint


def held_learning_rate(optimizer):
    """The learning rate ``optimizer`` holds now: its float32 value, as the shortest decimal that
    reads back to it (0.001, not 0.0010000000474974513)."""
    return float(str(np.float32(keras.ops.convert_to_numpy(optimizer.learning_rate))))


class LearningRateLog(keras.callbacks.Callback):
    """Logs (``lr``, ``radius_lr``) the rates the two optimizers held during each epoch: their
    schedules (``arconvl.model.schedules``) read at the epoch's first step."""

    def on_epoch_begin(self, epoch, logs=None):
        model = self.model
        self.rates = {"lr": held_learning_rate(model.network_optimizer)}
        if model.radius_optimizer is not None:
            self.rates["radius_lr"] = held_learning_rate(model.radius_optimizer)

    def on_epoch_end(self, epoch, logs=None):
        logs.update(self.rates)


def evaluate_recalls(model, images, labels, num_classes):
    """Per-class recall of the model's nearest-center predictions on a batched image dataset."""
    predictions = np.argmax(model.predict(images, verbose=0), axis=1)  # the logits' argmax
    return per_class_recall(labels, predictions, num_classes)


class EpochEvaluation(keras.callbacks.Callback):
    """Adds the validation and test G-mean and class-wise accuracy of every epoch to its logs.

    ``splits``: name → (batched image dataset, labels), e.g. {"val": ..., "test": ...}.
    ``last_recalls[name]`` keeps the per-class recalls of the latest epoch.
    """

    def __init__(self, splits, num_classes):
        super().__init__()
        self.splits = splits
        self.num_classes = num_classes
        self.last_recalls = {}

    def on_epoch_end(self, epoch, logs=None):
        for name, (images, labels) in self.splits.items():
            recalls = evaluate_recalls(self.model, images, labels, self.num_classes)
            self.last_recalls[name] = recalls
            logs[f"{name}_gmean"] = g_mean(recalls)
            logs[f"{name}_classwise_acc"] = classwise_accuracy(recalls)


class BestWeights(keras.callbacks.Callback):
    """Keeps the weights of the best ``monitor`` value (ties → the later epoch, as the public code)
    on disk at ``path`` and in memory (``best_weights``); ``train_run`` restores them after ``fit``,
    including when a resumed run has no epoch left to fit."""

    def __init__(self, path, monitor="val_gmean"):
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.best = -np.inf
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = logs[self.monitor]
        if value >= self.best:
            self.best, self.best_epoch = value, epoch + 1
            self.best_weights = self.model.get_weights()
            self.model.save_weights(self.path)

    def resume(self, model, best, best_epoch, best_weights):
        """Take up a checkpoint's best so far, and rewrite the weights file from it (a run may have
        been stopped after writing the file for a better epoch that its checkpoint does not hold).
        Leaves ``model`` with ``best_weights``."""
        self.best, self.best_epoch, self.best_weights = best, best_epoch, best_weights
        if best_weights is not None:
            model.set_weights(best_weights)
            model.save_weights(self.path)


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises ``NumericalFault`` at the end of an epoch whose mean loss (or a part) is NaN or ±inf."""

    def on_epoch_end(self, epoch, logs=None):
        bad = {name: value for name, value in logs.items() if not np.isfinite(value)}
        if bad:
            raise NumericalFault(epoch + 1, "non-finite " + ", ".join(f"{k} = {v}" for k, v in sorted(bad.items())))


class HistoryWriter(keras.callbacks.Callback):
    """Appends one row per finished epoch (1-based ``epoch`` column) to a CSV file."""

    def __init__(self, history_file):
        super().__init__()
        self.history_file = history_file

    def on_epoch_end(self, epoch, logs=None):
        self.history_file.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})


class EpochCheckpoint(keras.callbacks.Callback):
    """Writes the training state (``arconvl.run.checkpoint``) after every epoch. Must come after the
    ``HistoryWriter``: a run stopped between the two writes then redoes the epoch, whose history
    row the resumed run drops."""

    def __init__(self, path, config, best, seconds):
        super().__init__()
        self.path = path
        self.config = config
        self.best = best
        self.seconds = seconds  # () → seconds trained so far

    def on_epoch_end(self, epoch, logs=None):
        save_checkpoint(self.path, capture_state(self.model, self.config, epoch + 1, self.seconds(), self.best))
