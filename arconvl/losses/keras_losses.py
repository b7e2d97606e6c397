"""The six baselines whose loss depends only on the logits and the class counts (CPL, GCPL, Focal, CB,
CB Focal, LA) as ``keras.losses.Loss`` subclasses on ``(y_true, logits)``, logits = −d² (shape (n, k)),
for any model that ends in a prototype head.

Each class wraps the registry's loss function (``arconvl.losses.registry``), so the maths and the defaults live
in one place; the classes are serialisable (``get_config``) and registered under the package "arconvl".
ARConvL and Affinity, which need the centers (and radii), stay model-level.
"""

import keras
import numpy as np
from keras import ops

from arconvl.losses.registry import METHODS, resolve_method


class PrototypeLoss(keras.losses.Loss):
    """A registry method's loss on (y_true, y_pred): integer labels (n,) or (n, 1) and the logits −d²
    of a prototype head (n, k).

    Args:
      class_counts: N_j of the training data, length k.
      **params: the method's parameters (see ``docs/methods.md``); each one left out takes the
        registry's default, and an unknown name or a bad value raises ``ConfigError``.

    The loss is a batch mean that already carries the method's own class weighting, so per-sample
    weights are refused.
    """

    method_name = None  # set by each subclass

    def __init__(self, class_counts, name=None, reduction="sum_over_batch_size", dtype=None, **params):
        super().__init__(name=name or self.method_name, reduction=reduction, dtype=dtype)
        method = resolve_method(self.method_name, overrides=params)
        self.class_counts = np.asarray(class_counts).tolist()
        self.params = dict(method.params)
        self._loss = method.loss

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__} weighs classes itself; sample_weight is not supported")
        return super().__call__(y_true, y_pred)

    def call(self, y_true, y_pred):
        """The method's loss of the batch (a scalar)."""
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        counts = ops.convert_to_tensor(self.class_counts, "float32")
        loss, _ = self._loss(-ops.cast(y_pred, "float32"), labels, counts, **self.params)
        return loss

    def get_config(self):
        return {**super().get_config(), "class_counts": self.class_counts, **self.params}


def _loss_class(method_name, class_name):
    """A registered ``PrototypeLoss`` subclass named ``class_name`` for the registry's ``method_name``."""
    assert not METHODS[method_name].geometry, f"{method_name} needs more than the logits"
    doc = f"{METHODS[method_name].description}, on (y_true, logits −d²); ``{method_name}`` of the registry."
    cls = type(class_name, (PrototypeLoss,), {"method_name": method_name, "__doc__": doc, "__module__": __name__})
    return keras.saving.register_keras_serializable(package="arconvl")(cls)


CPLLoss = _loss_class("cpl", "CPLLoss")
GCPLLoss = _loss_class("gcpl", "GCPLLoss")
FocalLoss = _loss_class("focal", "FocalLoss")
CBLoss = _loss_class("cb", "CBLoss")
CBFocalLoss = _loss_class("cb_focal", "CBFocalLoss")
LALoss = _loss_class("la", "LALoss")

KERAS_LOSSES = (CPLLoss, GCPLLoss, FocalLoss, CBLoss, CBFocalLoss, LALoss)
