"""One run's data: load a dataset, make it q-imbalanced, split off validation (SPEC §4)."""

from dataclasses import dataclass

import numpy as np

from arconvl.data.catalog import CLASS_NAMES, class_counts
from arconvl.data.imbalance import make_imbalanced, stratified_split, stratified_subsample_each
from arconvl.data.pipeline import eval_pipeline, train_pipeline
from arconvl.data.sources import load_dataset


@dataclass(frozen=True, eq=False)
class Splits:
    """Train / validation / test arrays of one run, with per-class counts and the data source.

    ``counts_before_split``: per class after the imbalance, before the split (supplementary
    Table 1); ``train_counts``: per class in the training split (the N_j the losses use);
    ``class_names`` in label order.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    counts_before_split: np.ndarray
    train_counts: np.ndarray
    val_counts: np.ndarray
    source: str
    class_names: tuple = ()

    # The interface ``training.train_run`` uses, shared with ``large.LargeScaleSplits``.
    @property
    def input_shape(self):
        return self.x_train.shape[1:]

    @property
    def num_train(self):
        return len(self.y_train)

    def labels(self, split):
        """The labels of ``split`` ("train", "val" or "test")."""
        return getattr(self, f"y_{split}")

    def train_batches(self, *, batch_size, seed, augment, pixel_scale, first_epoch=1, num_epochs=1):
        """``pipeline.train_pipeline`` of the training split."""
        return train_pipeline(self.x_train, self.y_train, batch_size=batch_size, seed=seed, augment=augment,
                              pixel_scale=pixel_scale, first_epoch=first_epoch, num_epochs=num_epochs)

    def eval_batches(self, split, *, batch_size, pixel_scale):
        """``pipeline.eval_pipeline`` of ``split``'s images, in order."""
        return eval_pipeline(getattr(self, f"x_{split}"), batch_size=batch_size, pixel_scale=pixel_scale)


def prepare_splits(name, q, seed, data_dir=None, allow_download=True, val_fraction=0.1, subsample=1.0):
    """The splits of dataset ``name`` at imbalance ratio ``q``; ``seed`` alone fixes the subsample
    and the split (one ``np.random.default_rng(seed)`` drives both). The test set is untouched.

    ``subsample`` < 1 (quick smoke runs only) then keeps that fraction of each class of the
    training, validation and test sets; ``counts_before_split`` stays the full run's.
    """
    data = load_dataset(name, data_dir, allow_download=allow_download)
    rng = np.random.default_rng(seed)
    x, y = make_imbalanced(data.x_train, data.y_train, q, rng)
    x_train, y_train, x_val, y_val = stratified_split(x, y, val_fraction, rng)
    x_test, y_test = data.x_test, data.y_test
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = stratified_subsample_each(
        [(x_train, y_train), (x_val, y_val), (x_test, y_test)], subsample, rng)
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test,
                  counts_before_split=class_counts(y), train_counts=class_counts(y_train),
                  val_counts=class_counts(y_val), source=data.source, class_names=CLASS_NAMES[name])
