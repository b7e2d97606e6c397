"""Per-class recall, G-mean and class-wise accuracy (SPEC §6), pure NumPy."""

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
