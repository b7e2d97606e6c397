"""The one model of every method: backbone → prototype layer, trained by ``fit`` with the method's loss.

Logits are −d²(f(x), C_j) and the prediction is their argmax, the nearest center, for every method
(SPEC §1). Each training step computes the method's loss, every adaptive quantity included, inside
the compiled step; the network and centers step with the main optimizer, the radii with their own
(``compile(radius_optimizer=...)``), both inside one ``optimizers.RadiusSplitOptimizer``. The
gradient step is written per backend in ``arconvl.model.train_steps``; everything here is ``keras.ops``.
"""

import keras
import numpy as np
from keras import ops

from arconvl.losses.registry import ResolvedMethod, resolve_method
from arconvl.model import train_steps
from arconvl.model.layers import ClassRadii, Prototypes
from arconvl.model.optimizers import RadiusSplitOptimizer

# The radii's optimizer when ``compile`` is given none: SGD(0.01, momentum 0.9), the paper's radius
# learning rate after its warm-up and its momentum (SPEC §2). A plain fallback: ``compile`` knows no
# steps per epoch for the 3-epoch warm-up at 0.001, nor the variant's momentum (0 for ``code``);
# ``arconvl.run.training`` passes both (``WarmupThenConstant``, ``VARIANT_SETTINGS``).
DEFAULT_RADIUS_LEARNING_RATE = 0.01
DEFAULT_RADIUS_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package="arconvl")
class PrototypeClassifier(keras.Model):
    """Backbone + class centers (+ class radii when the method learns them).

    Args:
      backbone: a Keras model or layer mapping inputs to features f(x), shape (n, D).
      num_classes: k ≥ 2; taken from ``class_counts`` when not given.
      class_counts: N_j over the training data, length k.
      method: a registry name (``arconvl.losses.registry.METHODS``) or a ``ResolvedMethod``.
      variant: ``"code"`` or ``"paper"`` (docs/variants.md); used with a method name.
      **method_params: the method's parameters (e.g. ``gamma=0.05``); used with a method name.
    """

    def __init__(self, backbone, num_classes=None, class_counts=None, method="arconvl", variant="code",
                 name=None, trainable=True, **method_params):
        super().__init__(name=name, trainable=trainable)
        if class_counts is None:
            raise ValueError("PrototypeClassifier needs class_counts, the N_j of the training data")
        counts = np.asarray(class_counts, dtype="float32").reshape(-1)
        if num_classes is None:
            num_classes = len(counts)
        if num_classes < 2 or len(counts) != num_classes:
            raise ValueError(f"need num_classes >= 2 and one class count per class; got num_classes={num_classes} "
                             f"and {len(counts)} class counts")
        if isinstance(method, ResolvedMethod):
            if method_params:
                raise ValueError("give method parameters to resolve_method, not beside a ResolvedMethod")
        else:
            method = resolve_method(method, dataset=None, variant=variant, overrides=method_params)
        self.backbone = backbone
        self.method = method
        self.variant = variant
        self.num_classes = int(num_classes)
        self.class_counts = counts
        # Centers, radii, distances and losses in float32 whatever the backbone computes in.
        self.prototypes = Prototypes(self.num_classes, name="prototypes", dtype="float32")
        self.radii = ClassRadii(self.num_classes, name="radii", dtype="float32") if method.uses_radii else None
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", *method.parts)}

    # --- building and compiling -------------------------------------------------------------

    def build(self, input_shape):
        features = self.backbone(keras.KerasTensor(tuple(input_shape)))  # builds the backbone
        self.prototypes.build(features.shape)
        if self.radii is not None:
            self.radii.build()
        self.built = True
        self._build_optimizers()

    def compile(self, optimizer="sgd", metrics=None, radius_optimizer=None, **kwargs):
        """``keras.Model.compile`` with the radii's optimizer; a method that learns radii gets
        SGD(0.01, momentum 0.9) when ``radius_optimizer`` is None, with no warm-up (the paper's
        schedule: ``radius_optimizer=SGD(WarmupThenConstant(0.001, 0.01, 3, steps_per_epoch))``,
        as ``train`` passes it). The loss is the method's: ``loss=`` is not taken.

        With radii, ``model.optimizer`` is a ``RadiusSplitOptimizer`` of the two (the one optimizer
        whose state Keras trains and saves on every backend); ``network_optimizer`` and
        ``radius_optimizer`` are the two given."""
        if kwargs.pop("loss", None) is not None:
            raise ValueError(f"the loss is the method's ({self.method.name!r}); compile takes no loss=")
        if isinstance(optimizer, RadiusSplitOptimizer):  # recompiled with its own ``model.optimizer``
            optimizer, radius_optimizer = optimizer.network_optimizer, radius_optimizer or optimizer.radius_optimizer
        if radius_optimizer is not None and self.radii is None:
            raise ValueError(f"method {self.method.name!r} learns no radii; it takes no radius_optimizer")
        if self.radii is not None:
            radius_optimizer = keras.optimizers.get(radius_optimizer) if radius_optimizer is not None else (
                keras.optimizers.SGD(DEFAULT_RADIUS_LEARNING_RATE, momentum=DEFAULT_RADIUS_MOMENTUM))
            optimizer = RadiusSplitOptimizer(keras.optimizers.get(optimizer), radius_optimizer)
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)
        if self.built:
            self._build_optimizers()

    def _build_optimizers(self):
        """The optimizers' variables for their own model variables, before any compiled step."""
        if getattr(self, "optimizer", None) is None:
            return
        if self.radii is None:
            self.optimizer.build(self.optimized_variables)
        else:
            self.optimizer.build(self.optimized_variables, self.radius_variables)

    @property
    def network_optimizer(self):
        """The optimizer of the network and the centers (the one given to ``compile``)."""
        optimizer = getattr(self, "optimizer", None)
        return optimizer.network_optimizer if isinstance(optimizer, RadiusSplitOptimizer) else optimizer

    @property
    def radius_optimizer(self):
        """The optimizer of the radii, None for a method without radii or before ``compile``."""
        optimizer = getattr(self, "optimizer", None)
        return optimizer.radius_optimizer if isinstance(optimizer, RadiusSplitOptimizer) else None

    def get_compile_config(self):
        config = super().get_compile_config() or {}
        if self.radius_optimizer is not None:
            config["optimizer"] = keras.saving.serialize_keras_object(self.network_optimizer)
            config["radius_optimizer"] = keras.saving.serialize_keras_object(self.radius_optimizer)
        return config

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))

    # --- variables and forward pass ---------------------------------------------------------

    @property
    def network_variables(self):
        """The variables of the main optimizer: the backbone's trainable ones, then the centers."""
        return self.backbone.trainable_variables + self.prototypes.trainable_variables

    @property
    def radius_variables(self):
        """The variables of the radius optimizer (the a_j), empty without radii."""
        return [] if self.radii is None else self.radii.trainable_variables

    @property
    def optimized_variables(self):
        """Every variable ``model.optimizer`` steps, in the order it is built with: network, then radii."""
        return self.network_variables + self.radius_variables

    @property
    def metrics(self):
        """The loss and its parts (means over the epoch), then the compiled metrics."""
        compiled = getattr(self, "_compile_metrics", None)
        return [*self.trackers.values(), *([compiled] if compiled is not None else [])]

    def features(self, inputs, training=False):
        """f(x) as float32 (a mixed-precision backbone computes in bfloat16)."""
        return ops.cast(self.backbone(inputs, training=training), "float32")

    def call(self, inputs, training=False):
        """Logits −d²(f(x), C_j), shape (n, k)."""
        return -self.prototypes(self.features(inputs, training=training))

    def radius_sq(self):
        """R_j², or None when the method has no radii."""
        return None if self.radii is None else self.radii()

    def loss_parts_logits(self, images, labels, training):
        """(loss, {part: value}, logits) of one batch: the method's loss with every adaptive quantity."""
        if not self.built:  # fit on TensorFlow builds in the step's first trace, never through call()
            self.build(tuple(images.shape))
        features = self.features(images, training=training)
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        loss, parts = self.method(features, self.prototypes.centers, labels, self.class_counts, self.radius_sq())
        return loss, parts, -self.prototypes(features)

    def update_metrics(self, images, labels, logits, loss, parts, sample_weight=None):
        """Add one batch to the loss trackers and the compiled metrics; the logs of all of them."""
        for name, value in (("loss", loss), *parts.items()):
            self.trackers[name].update_state(value)
        return self.compute_metrics(images, labels, logits, sample_weight)

    # --- the steps of fit / evaluate (per backend) ------------------------------------------

    def train_step(self, *args):
        return train_steps.train_step(self, *args)

    def test_step(self, *args):
        return train_steps.test_step(self, *args)

    # --- serialisation ----------------------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "num_classes": self.num_classes,
            "class_counts": self.class_counts.tolist(),
            "method": self.method.name,
            "variant": self.variant,
            **self.method.params,  # fully resolved: the variant's defaults included
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        backbone = keras.saving.deserialize_keras_object(config.pop("backbone"))
        return cls(backbone, **config)
