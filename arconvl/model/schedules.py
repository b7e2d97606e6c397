"""The learning-rate schedules of SPEC §2, §5 (``arconvl.model.epoch_schedules``) as
``keras.optimizers.schedules.LearningRateSchedule`` keyed on the optimizer's step, so that plain
``fit`` follows the protocol (``StepDecay`` for the network, ``WarmupThenConstant`` for the radii)."""

import keras
from keras import ops

from arconvl.model.epoch_schedules import step_decay


def _epoch_of_step(step, steps_per_epoch):
    """The 1-based epoch of 0-based optimizer step ``step``."""
    return ops.floor_divide(ops.cast(step, "int32"), steps_per_epoch) + 1


@keras.saving.register_keras_serializable(package="arconvl")
class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``step_decay`` per step: base_lr × factor^m, m = how many of ``decay_epochs`` (1-based epochs
    at whose start the rate drops) the step's epoch has reached; ``steps_per_epoch`` batches an epoch.

    The paper's main rate: StepDecay(0.1, (26, 41), steps_per_epoch) on the small datasets
    (``RunConfig.lr_decay_epochs`` holds each dataset's and variant's epochs).
    """

    def __init__(self, base_learning_rate, decay_epochs, steps_per_epoch, factor=0.1):
        self.base_learning_rate = float(base_learning_rate)
        self.decay_epochs = tuple(int(e) for e in decay_epochs)
        self.steps_per_epoch = int(steps_per_epoch)
        self.factor = float(factor)

    def __call__(self, step):
        epoch = _epoch_of_step(step, self.steps_per_epoch)
        decays = sum(ops.cast(epoch >= start, "int32") for start in self.decay_epochs)
        # step_decay's rates (float64, then float32 once) at epoch 1 and at each decay, indexed by the decays.
        rates = [step_decay(epoch, self.base_learning_rate, self.decay_epochs, self.factor)
                 for epoch in (1, *sorted(self.decay_epochs))]
        return ops.take(ops.convert_to_tensor(rates, "float32"), decays)

    def get_config(self):
        return {"base_learning_rate": self.base_learning_rate, "decay_epochs": list(self.decay_epochs),
                "steps_per_epoch": self.steps_per_epoch, "factor": self.factor}


@keras.saving.register_keras_serializable(package="arconvl")
class WarmupThenConstant(keras.optimizers.schedules.LearningRateSchedule):
    """``warmup_then_constant`` per step: ``warmup_learning_rate`` for the first ``warmup_epochs``
    epochs, ``learning_rate`` afterwards; the radii's WarmupThenConstant(0.001, 0.01, 3, steps_per_epoch)
    (SPEC §2)."""

    def __init__(self, warmup_learning_rate, learning_rate, warmup_epochs, steps_per_epoch):
        self.warmup_learning_rate = float(warmup_learning_rate)
        self.learning_rate = float(learning_rate)
        self.warmup_epochs = int(warmup_epochs)
        self.steps_per_epoch = int(steps_per_epoch)

    def __call__(self, step):
        warm = _epoch_of_step(step, self.steps_per_epoch) <= self.warmup_epochs
        return ops.where(warm, self.warmup_learning_rate, self.learning_rate)

    def get_config(self):
        return {"warmup_learning_rate": self.warmup_learning_rate, "learning_rate": self.learning_rate,
                "warmup_epochs": self.warmup_epochs, "steps_per_epoch": self.steps_per_epoch}
