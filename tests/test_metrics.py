"""Per-class recall, G-mean and class-wise accuracy (SPEC §6) on hand-checkable cases, as NumPy
functions and as the stateful Keras metrics ``GMean`` and ``ClasswiseAccuracy``."""

import math

import keras
import numpy as np
import pytest

from arconvl.model.metrics import ClasswiseAccuracy, GMean, classwise_accuracy, g_mean, per_class_recall


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


def logits_of(predictions, num_classes):
    """Logits whose argmax is ``predictions`` (one row per sample)."""
    return np.eye(num_classes, dtype="float32")[np.asarray(predictions)] * 3.0 - 1.0


HAND_TRUE = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
HAND_PRED = [0, 0, 0, 1, 1, 0, 2, 2, 0, 1]  # recalls 3/4, 1/2, 2/4


@pytest.mark.parametrize("metric, expected", [
    (GMean, (0.75 * 0.5 * 0.5) ** (1 / 3)), (ClasswiseAccuracy, 1.75 / 3),
])
def test_keras_metric_by_hand_from_logits_and_from_labels(metric, expected):
    from_logits = metric()
    from_logits.update_state(np.array(HAND_TRUE), logits_of(HAND_PRED, 3))
    assert from_logits.num_classes == 3  # inferred from the logits
    assert float(from_logits.result()) == pytest.approx(expected, rel=1e-6)
    from_labels = metric(num_classes=3)
    from_labels.update_state(np.array(HAND_TRUE)[:, None], np.array(HAND_PRED))  # (n, 1) labels too
    assert float(from_labels.result()) == pytest.approx(expected, rel=1e-6)


def test_labels_without_num_classes_are_refused():
    with pytest.raises(ValueError, match="num_classes"):
        GMean().update_state(np.array([0, 1]), np.array([0, 1]))


def test_keras_gmean_is_zero_when_a_class_is_never_recalled_and_skips_absent_classes():
    zero = GMean()
    zero.update_state(np.array([0, 1, 2, 2]), logits_of([0, 1, 1, 1], 3))
    assert float(zero.result()) == 0.0
    absent = GMean()
    absent.update_state(np.array([0, 0, 2]), logits_of([0, 1, 2], 3))  # class 1 has no sample
    assert float(absent.result()) == pytest.approx(math.sqrt(0.5), rel=1e-6)
    accuracy = ClasswiseAccuracy()
    accuracy.update_state(np.array([0, 0, 2]), logits_of([0, 1, 2], 3))
    assert float(accuracy.result()) == pytest.approx(0.75, rel=1e-6)


@pytest.mark.parametrize("num_classes", [3, 7])
def test_keras_metrics_accumulate_over_batches_as_the_whole_set(num_classes):
    rng = np.random.default_rng(num_classes)
    y_true = rng.integers(0, num_classes, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, num_classes, 200))  # 70 % right
    recalls = per_class_recall(y_true, y_pred, num_classes)
    gmean, accuracy = GMean(), ClasswiseAccuracy()
    for start in range(0, 200, 32):  # uneven last batch
        for metric in (gmean, accuracy):
            metric.update_state(y_true[start:start + 32], logits_of(y_pred[start:start + 32], num_classes))
    assert g_mean(recalls) > 0.3
    assert float(gmean.result()) == pytest.approx(g_mean(recalls), rel=1e-5)
    assert float(accuracy.result()) == pytest.approx(classwise_accuracy(recalls), rel=1e-5)
    gmean.reset_state()
    gmean.update_state(y_true[:50], logits_of(y_pred[:50], num_classes))
    assert float(gmean.result()) == pytest.approx(g_mean(per_class_recall(y_true[:50], y_pred[:50], num_classes)),
                                                  rel=1e-5)


def test_sample_weights_count_each_sample_that_many_times():
    weighted = GMean()
    weighted.update_state(np.array([0, 0, 1]), logits_of([0, 1, 1], 2), sample_weight=np.array([3.0, 1.0, 1.0]))
    assert float(weighted.result()) == pytest.approx(math.sqrt(3 / 4), rel=1e-6)


def test_keras_metrics_serialise():
    for metric in (GMean(num_classes=4), ClasswiseAccuracy(name="cwa")):
        again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()
