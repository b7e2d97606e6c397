"""The training wiring of ``training.train_run`` (SPEC §2, §5) on a tiny real run: best-validation
selection (ties → the later epoch), the learning rates the two optimizers actually hold in each
epoch and that ``history.csv`` logs, and one train step of the radii and centers by hand.

The run is real (small CNN, 12×12 images, one step an epoch); only the per-epoch validation and
test G-means are scripted, so that they disagree and tie where the tests need it.
"""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from arconvl.data.splits import Splits
from arconvl.run import training
from arconvl.run.callbacks import EpochEvaluation, LearningRateLog
from arconvl.run.config import resolve_run_config
from arconvl.run.files import HISTORY_FILE, read_csv_rows

SIDE, K = 12, 3
# Epochs 1..6: validation G-means tie at a non-zero 0.5 in epochs 2 and 4; the test G-mean is best
# in epoch 5 and low in epoch 4. Selection by validation, ties to the later epoch: epoch 4.
VAL_GMEAN = (0.2, 0.5, 0.3, 0.5, 0.1, 0.4)
TEST_GMEAN = (0.9, 0.1, 0.8, 0.2, 0.95, 0.3)
SELECTED_EPOCH = 4
DECAY_EPOCHS = (4, 6)
# What the optimizers must hold in epochs 1..6: ×0.1 from epoch 4 and again from 6; the radii at
# 0.001 for the paper's 3 warm-up epochs, 0.01 afterwards.
NETWORK_LR = (0.1, 0.1, 0.1, 0.01, 0.01, 0.001)
RADIUS_LR = (0.001, 0.001, 0.001, 0.01, 0.01, 0.01)


def tiny_splits(seed=0):
    """3 classes of random 12×12 grey images: 30 training (one batch), 6 validation, 6 test."""
    rng = np.random.default_rng(seed)

    def part(n):
        return rng.integers(0, 256, (n, SIDE, SIDE, 1)).astype(np.uint8), np.resize(np.arange(K), n).astype(np.int32)

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = part(30), part(6), part(6)
    counts = np.bincount(y_train, minlength=K)
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test, counts_before_split=counts, train_counts=counts,
                  val_counts=np.bincount(y_val, minlength=K), source="tests/test_wiring.py")


def tiny_config(variant="code"):
    """The paper's MNIST configuration of ARConvL cut to 6 epochs, decays at ``DECAY_EPOCHS``."""
    config, _ = resolve_run_config("mnist", 1, "arconvl", 0, variant=variant)
    assert (config.learning_rate, config.radius_warmup_learning_rate, config.radius_learning_rate,
            config.radius_warmup_epochs) == (0.1, 0.001, 0.01, 3)   # the paper's (SPEC §2, §5)
    return dataclasses.replace(config, epochs=len(VAL_GMEAN), lr_decay_epochs=DECAY_EPOCHS)


def rate_of(optimizer):
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


@dataclasses.dataclass
class ScriptedRun:
    row: dict             # what train_run returned
    history: list         # rows of history.csv
    held: list            # (1-based epoch, network lr, radius lr) read from the optimizers at every step
    epoch_weights: list   # the model's weights at the end of each epoch
    final_weights: list   # the model's weights when train_run returned


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory):
    held, epoch_weights, models = [], [], []

    class RateProbe(LearningRateLog):
        """The real rate log, and what the optimizers hold when each train step starts."""

        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            self.epoch = epoch + 1

        def on_train_batch_begin(self, batch, logs=None):
            held.append((self.epoch, rate_of(self.model.optimizer), rate_of(self.model.radius_optimizer)))

    class ScriptedEvaluation(EpochEvaluation):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_gmean"], logs["test_gmean"] = VAL_GMEAN[epoch], TEST_GMEAN[epoch]
            logs["val_classwise_acc"] = logs["test_classwise_acc"] = 0.5
            epoch_weights.append(self.model.get_weights())

    def kept_model(*args, **kwargs):
        models.append(build_model(*args, **kwargs))
        return models[-1]

    build_model = training.build_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "LearningRateLog", RateProbe)
        patch.setattr(training, "EpochEvaluation", ScriptedEvaluation)
        patch.setattr(training, "build_model", kept_model)
        run_dir = tmp_path_factory.mktemp("scripted")
        row = training.train_run(tiny_config(), tiny_splits(), run_dir, verbose=0)
    return ScriptedRun(row, read_csv_rows(run_dir / HISTORY_FILE), held, epoch_weights, models[0].get_weights())


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_selection_follows_validation_not_test(scripted_run):
    row = scripted_run.row
    assert row["best_epoch"] == SELECTED_EPOCH != 1 + int(np.argmax(TEST_GMEAN))
    assert row["val_gmean"] == VAL_GMEAN[SELECTED_EPOCH - 1]
    assert row["test_gmean_last"] == TEST_GMEAN[-1]
    # The run ends with the weights of the selected epoch, and the epochs' weights do differ.
    assert same_weights(scripted_run.final_weights, scripted_run.epoch_weights[SELECTED_EPOCH - 1])
    for epoch in (2, 5, 6):
        assert not same_weights(scripted_run.final_weights, scripted_run.epoch_weights[epoch - 1]), epoch


def test_a_nonzero_validation_tie_goes_to_the_later_epoch(scripted_run):
    tied = [epoch for epoch, value in enumerate(VAL_GMEAN, start=1) if value == max(VAL_GMEAN)]
    assert tied == [2, SELECTED_EPOCH] and max(VAL_GMEAN) > 0
    assert scripted_run.row["best_epoch"] == tied[-1]


def test_optimizers_hold_the_scheduled_rates_in_each_epoch(scripted_run):
    """Decays at the start of epochs 4 and 6; the radius warm-up (0.001) for epochs 1-3, 0.01 after."""
    held = scripted_run.held
    assert [epoch for epoch, _, _ in held] == list(range(1, 7))   # one step an epoch
    assert [lr for _, lr, _ in held] == pytest.approx(NETWORK_LR, rel=1e-6)
    assert [radius_lr for _, _, radius_lr in held] == pytest.approx(RADIUS_LR, rel=1e-6)


def test_history_logs_the_rates_the_optimizers_held(scripted_run):
    history = scripted_run.history
    assert [int(row["epoch"]) for row in history] == list(range(1, 7))
    assert [float(row["lr"]) for row in history] == list(NETWORK_LR)
    assert [float(row["radius_lr"]) for row in history] == list(RADIUS_LR)


def one_batch(seed=1, n=12):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.integers(0, 256, (n, SIDE, SIDE, 1)), tf.float32),
            tf.constant(np.resize(np.arange(K), n), tf.int32))


@pytest.mark.parametrize("variant", ["code", "paper"])
def test_radii_and_centers_move_by_the_held_rate_times_their_gradient(variant):
    """Two train steps of ``training.build_model``'s model, in epoch 3 (last warm-up epoch) and
    epoch 4 (radius lr 0.01, network lr decayed to 0.01) as the optimizers' schedules give them. Keras SGD:
    m ← μ m − lr g, w ← w + m. Under ``code`` μ = 0 (the authors' fresh optimizer every step), so
    each step moves by −lr g; under ``paper`` μ = 0.9 and the second step carries −0.9 lr₁ g₁."""
    config = tiny_config(variant)
    splits = tiny_splits()
    model = training.build_model(config, splits.train_counts, splits.input_shape,
                                 training.steps_per_epoch(splits, config))
    assert training.steps_per_epoch(splits, config) == 1
    for optimizer in (model.network_optimizer, model.radius_optimizer):
        optimizer.iterations.assign(2)  # epoch 3's step; the first step moves them on to epoch 4
    images, labels = one_batch()
    radius, centers = model.radii.trainable_variables[0], model.prototypes.centers
    step = tf.function(model.train_step)
    moves, gradients, scale = [], [], []
    for epoch in (3, 4):
        with tf.GradientTape() as tape:
            features = model.features(images, training=True)
            loss, _ = model.method(features, centers, labels, model.class_counts, model.radius_sq())
        gradients.append([g.numpy() for g in tape.gradient(loss, [radius, centers])])
        before = [radius.numpy(), centers.numpy()]
        step((images, labels))
        moves.append([radius.numpy() - before[0], centers.numpy() - before[1]])
        scale.append([np.abs(value).max() for value in before])
    assert all(np.abs(g).max() > 1e-3 for g in gradients[0])
    momentum = {"code": 0.0, "paper": 0.9}[variant]
    for which, (lr_3, lr_4) in enumerate([(0.001, 0.01), (0.1, 0.01)]):   # radii, centers
        g_3, g_4 = gradients[0][which], gradients[1][which]
        round_off = 4 * np.spacing(np.float32(max(scale[0][which], scale[1][which])))   # of w + Δw in float32
        np.testing.assert_allclose(moves[0][which], -lr_3 * g_3, rtol=1e-4, atol=round_off)
        np.testing.assert_allclose(moves[1][which], -momentum * lr_3 * g_3 - lr_4 * g_4, rtol=1e-4, atol=round_off)
