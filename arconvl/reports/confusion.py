"""A test set's evaluation for a user: per-class recall, G-mean, class-wise accuracy (SPEC §6)
and the confusion matrix as CSV and as a picture (class names on the axes, counts in the cells,
colours the fraction of each true class). NumPy and matplotlib's Agg canvas only.
"""

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from arconvl.model.metrics import classwise_accuracy, g_mean, per_class_recall


def confusion_matrix(y_true, y_pred, num_classes):
    """M[i, j] = number of samples of true class i predicted as j, shape (k, k), int64."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def row_normalised(matrix):
    """Each row divided by its sum (the fraction of the true class); 0 for a class with no sample."""
    matrix = np.asarray(matrix, float)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Per-class recall r_j (NaN for a class absent from the set), the G-mean and class-wise
    accuracy over the classes present, and the confusion matrix (rows: true class)."""

    class_names: tuple
    recalls: np.ndarray
    gmean: float
    classwise_accuracy: float
    confusion: np.ndarray

    @property
    def support(self):
        return self.confusion.sum(axis=1)

    def per_class_rows(self):
        """One dict per class: class, support, correct, recall (empty when the class is absent)."""
        return [{"class": name, "support": int(support), "correct": int(self.confusion[j, j]),
                 "recall": "" if np.isnan(recall) else float(recall)}
                for j, (name, support, recall) in enumerate(zip(self.class_names, self.support, self.recalls))]

    def summary_rows(self):
        """The two scalar metrics as rows of (metric, value)."""
        return [{"metric": "gmean", "value": self.gmean},
                {"metric": "classwise_accuracy", "value": self.classwise_accuracy}]

    def confusion_rows(self):
        """The confusion matrix as dicts: ``true`` then one column per predicted class."""
        return [{"true": name, **{predicted: int(count) for predicted, count in zip(self.class_names, row)}}
                for name, row in zip(self.class_names, self.confusion)]


def evaluate_labels(y_true, y_pred, class_names):
    """The ``Evaluation`` of predictions ``y_pred`` against ``y_true`` (labels 0..k-1)."""
    k = len(class_names)
    recalls = per_class_recall(y_true, y_pred, k)
    return Evaluation(tuple(class_names), recalls, g_mean(recalls), classwise_accuracy(recalls),
                      confusion_matrix(y_true, y_pred, k))


def confusion_figure(matrix, class_names, title=None):
    """A Figure of the confusion matrix: colour = row-normalised fraction, text = the count."""
    matrix = np.asarray(matrix)
    k = len(class_names)
    fractions = row_normalised(matrix)
    side = 2.5 + 0.55 * k
    figure = Figure(figsize=(side + 1.2, side), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    image = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if fractions[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), labels=class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), labels=class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    figure.colorbar(image, ax=ax, label="fraction of the true class")
    if title:
        ax.set_title(title)
    return figure


def figure_png(figure):
    """The PNG bytes of ``figure``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()
