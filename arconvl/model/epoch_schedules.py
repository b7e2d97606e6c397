"""The learning-rate schedules of SPEC §2, §5 as pure functions of the 1-based epoch, without
Keras: a run's configuration places its decays with them, and ``arconvl.model.schedules`` follows
them step by step."""

import math


def scale_epoch(epoch, default_epochs, epochs):
    """Where 1-based ``epoch`` of a ``default_epochs`` schedule falls in an ``epochs``-long run.

    The schedule keeps its shape: epoch e starts after the same fraction (e − 1)/default_epochs
    of training, rounded half up to a whole epoch.
    """
    return math.floor((epoch - 1) * epochs / default_epochs + 0.5) + 1


def step_decay(epoch, base_lr, decay_epochs, factor=0.1):
    """base_lr × factor^m, m = how many of ``decay_epochs`` (1-based starts) are ≤ ``epoch``."""
    return base_lr * factor ** sum(1 for start in decay_epochs if epoch >= start)


def warmup_then_constant(epoch, warmup_lr, lr, warmup_epochs):
    """``warmup_lr`` for the first ``warmup_epochs`` epochs, ``lr`` afterwards (the radii, SPEC §2)."""
    return warmup_lr if epoch <= warmup_epochs else lr
