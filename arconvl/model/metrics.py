"""Per-class recall, G-mean and class-wise accuracy (SPEC §6): pure NumPy functions, and the same
quantities as stateful Keras metrics (``GMean``, ``ClasswiseAccuracy``) written in ``keras.ops``."""

import keras
import numpy as np


def per_class_recall(y_true, y_pred, num_classes):
    """r_j = fraction of class-j samples predicted as j; NaN for a class with no sample."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    support = np.bincount(y_true, minlength=num_classes).astype(float)
    hits = np.bincount(y_true[y_true == y_pred], minlength=num_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, hits / support, np.nan)


def g_mean(recalls):
    """(Π_j r_j)^(1/k) over the classes present; 0 when any of them has zero recall."""
    present = np.asarray(recalls, dtype=float)
    present = present[~np.isnan(present)]
    if present.size == 0 or np.any(present == 0):
        return 0.0
    return float(np.exp(np.mean(np.log(present))))


def classwise_accuracy(recalls):
    """Mean per-class recall over the classes present (balanced accuracy)."""
    present = np.asarray(recalls, dtype=float)
    present = present[~np.isnan(present)]
    return float(present.mean()) if present.size else 0.0


class _PerClassCounts(keras.metrics.Metric):
    """Per-class support Σ_i w_i [y_i = j] and hits Σ_i w_i [y_i = j = ŷ_i], accumulated over batches.

    ``y_pred``: logits or scores (n, k), whose argmax is the prediction, or integer labels (n,).
    ``y_true``: integer labels (n,) or (n, 1). ``num_classes``: k; inferred from ``y_pred``'s last
    axis when it is (n, k), required when ``y_pred`` holds labels.
    """

    def __init__(self, num_classes=None, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        if num_classes is not None:
            self._build_counts(num_classes)

    def _build_counts(self, num_classes):
        self.num_classes = int(num_classes)
        self.support = self.add_variable(shape=(self.num_classes,), initializer="zeros", name="support")
        self.hits = self.add_variable(shape=(self.num_classes,), initializer="zeros", name="hits")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_pred.shape) == 2 and y_pred.shape[-1] is not None and y_pred.shape[-1] > 1:
            if self.num_classes is None:
                self._build_counts(y_pred.shape[-1])
            y_pred = ops.argmax(y_pred, axis=-1)
        elif self.num_classes is None:
            raise ValueError(f"{type(self).__name__} needs num_classes= when y_pred holds labels, not logits")
        y_true = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, "int32"), (-1,))
        weight = ops.ones_like(y_true, dtype=self.dtype) if sample_weight is None else ops.reshape(
            ops.cast(sample_weight, self.dtype), (-1,))
        true_one_hot = ops.one_hot(y_true, self.num_classes, dtype=self.dtype) * weight[:, None]
        correct = ops.cast(ops.equal(y_true, y_pred), self.dtype)
        self.support.assign_add(ops.sum(true_one_hot, axis=0))
        self.hits.assign_add(ops.sum(true_one_hot * correct[:, None], axis=0))

    def recalls_and_presence(self):
        """(r_j, present_j): recall of every class (0 where absent) and whether it had a sample."""
        present = keras.ops.greater(self.support, 0.0)
        return self.hits / keras.ops.maximum(self.support, 1.0), keras.ops.cast(present, self.dtype)

    def reset_state(self):
        if self.num_classes is not None:
            for counts in (self.support, self.hits):  # one new array each: JAX donates each variable's buffer
                counts.assign(keras.ops.zeros((self.num_classes,), self.dtype))

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="arconvl")
class GMean(_PerClassCounts):
    """G-mean (Π_j r_j)^(1/k) over the classes present (SPEC §6), 0 when one of them has recall 0;
    the Keras-metric form of ``g_mean(per_class_recall(...))``."""

    def __init__(self, num_classes=None, name="gmean", dtype="float32"):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype)

    def result(self):
        ops = keras.ops
        recalls, present = self.recalls_and_presence()
        num_present = ops.sum(present)
        missed = ops.sum(present * ops.cast(ops.equal(recalls, 0.0), self.dtype))
        log_mean = ops.sum(present * ops.log(ops.maximum(recalls, 1e-30))) / ops.maximum(num_present, 1.0)
        return ops.where(ops.logical_or(missed > 0, num_present == 0), 0.0, ops.exp(log_mean))


@keras.saving.register_keras_serializable(package="arconvl")
class ClasswiseAccuracy(_PerClassCounts):
    """Class-wise accuracy: the mean per-class recall over the classes present (SPEC §6); the
    Keras-metric form of ``classwise_accuracy(per_class_recall(...))``."""

    def __init__(self, num_classes=None, name="classwise_acc", dtype="float32"):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype)

    def result(self):
        recalls, present = self.recalls_and_presence()
        return keras.ops.sum(present * recalls) / keras.ops.maximum(keras.ops.sum(present), 1.0)
