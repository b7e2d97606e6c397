"""The one model of every method: backbone → prototype layer, with a compiled custom train step.

Logits are −d²(f(x), C_j) and the prediction is the nearest center for every method (SPEC §1).
Each training step computes the method's loss, every adaptive quantity included, inside the
graph; the network and centers step with the main optimizer, the radii with their own.
"""

import keras
import tensorflow as tf

from arconvl.layers import ClassRadii, Prototypes


class PrototypeClassifier(keras.Model):
    """Backbone + class centers (+ class radii when the method learns them).

    Args:
      backbone: a Keras model mapping images to features f(x) of dimension D.
      method: a ``ResolvedMethod`` (the loss with its parameters).
      class_counts: N_j over the training split, shape (k,).
      radius_optimizer: optimizer of the radii; required when ``method.uses_radii``.
    """

    def __init__(self, backbone, method, class_counts, radius_optimizer=None, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.method = method
        self.num_classes = len(class_counts)
        self.class_counts = tf.constant(class_counts, dtype=tf.float32)
        # Centers, radii, distances and losses in float32 whatever the backbone computes in.
        self.prototypes = Prototypes(self.num_classes, name="prototypes", dtype="float32")
        self.radii = ClassRadii(self.num_classes, name="radii", dtype="float32") if method.uses_radii else None
        if method.uses_radii and radius_optimizer is None:
            raise ValueError(f"method {method.name!r} learns radii and needs a radius_optimizer")
        self.radius_optimizer = radius_optimizer
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", *method.parts)}

    def build(self, input_shape):
        self.backbone.build(input_shape)
        self.prototypes.build(self.backbone.output_shape)
        if self.radii is not None:
            self.radii.build()
            self.radius_optimizer.build(self.radii.trainable_variables)
        self.built = True

    @property
    def network_variables(self):
        """The variables of the main optimizer: the backbone's trainable ones, then the centers."""
        return self.backbone.trainable_variables + self.prototypes.trainable_variables

    @property
    def metrics(self):
        return list(self.trackers.values())

    def features(self, inputs, training=False):
        """f(x) as float32 (a mixed-precision backbone computes in bfloat16)."""
        return tf.cast(self.backbone(inputs, training=training), tf.float32)

    def call(self, inputs, training=False):
        """Logits −d²(f(x), C_j), shape (n, k)."""
        return -self.prototypes(self.features(inputs, training=training))

    def radius_sq(self):
        """R_j², or None when the method has no radii."""
        return None if self.radii is None else self.radii()

    def train_step(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)  # sample weights: not used
        network_vars = self.network_variables
        radius_vars = [] if self.radii is None else self.radii.trainable_variables
        with tf.GradientTape() as tape:
            features = self.features(images, training=True)
            loss, parts = self.method(
                features, self.prototypes.centers, labels, self.class_counts, self.radius_sq()
            )
        gradients = tape.gradient(loss, network_vars + radius_vars)
        self.optimizer.apply(gradients[: len(network_vars)], network_vars)
        if radius_vars:
            self.radius_optimizer.apply(gradients[len(network_vars):], radius_vars)
        for name, value in (("loss", loss), *parts.items()):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def predict_step(self, data):
        """The nearest center's class for every image (int32)."""
        images = data[0] if isinstance(data, (tuple, list)) else data
        return tf.argmax(self(images, training=False), axis=1, output_type=tf.int32)
