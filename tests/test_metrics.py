"""Per-class recall, G-mean and class-wise accuracy (SPEC §6) on hand-checkable cases."""

import math

import numpy as np
import pytest

from arconvl.metrics import classwise_accuracy, g_mean, per_class_recall


def test_recall_per_class_by_hand():
    y_true = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 0, 0, 1, 1, 0, 2, 2, 0, 1]
    np.testing.assert_allclose(per_class_recall(y_true, y_pred, 3), [3 / 4, 1 / 2, 2 / 4])


def test_gmean_and_classwise_accuracy_by_hand():
    recalls = [0.75, 0.5, 0.5]
    assert g_mean(recalls) == pytest.approx((0.75 * 0.5 * 0.5) ** (1 / 3))
    assert classwise_accuracy(recalls) == pytest.approx(1.75 / 3)


def test_gmean_is_zero_when_a_class_is_never_recalled():
    recalls = per_class_recall([0, 1, 2, 2], [0, 1, 1, 1], 3)
    assert recalls[2] == 0.0
    assert g_mean(recalls) == 0.0
    assert classwise_accuracy(recalls) == pytest.approx(2 / 3)


def test_absent_class_has_undefined_recall_and_is_left_out():
    recalls = per_class_recall([0, 0, 2], [0, 1, 2], 3)
    assert recalls[0] == 0.5 and math.isnan(recalls[1]) and recalls[2] == 1.0
    assert g_mean(recalls) == pytest.approx(math.sqrt(0.5))
    assert classwise_accuracy(recalls) == pytest.approx(0.75)


def test_perfect_and_balanced_cases():
    labels = np.repeat(np.arange(10), 7)
    assert g_mean(per_class_recall(labels, labels, 10)) == 1.0
    # Always predicting class 0: recall 1 for class 0, 0 elsewhere.
    recalls = per_class_recall(labels, np.zeros_like(labels), 10)
    assert g_mean(recalls) == 0.0 and classwise_accuracy(recalls) == pytest.approx(0.1)
