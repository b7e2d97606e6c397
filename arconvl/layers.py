"""The prototype layer (class centers) and the per-class radii (SPEC §1, §2)."""

import keras

from arconvl.geometry import squared_distances


class Prototypes(keras.layers.Layer):
    """One learnable center per class, k × D, He-uniform; maps features to d²(f(x), C_j)."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        self.centers = self.add_weight(
            shape=(self.num_classes, input_shape[-1]), initializer="he_uniform", name="centers"
        )

    def call(self, features):
        return squared_distances(features, self.centers)


class ClassRadii(keras.layers.Layer):
    """Per-class variables a_j (init 0.1) with R_j² = a_j², as the public code stores them."""

    def __init__(self, num_classes, initial_value=0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.initial_value = initial_value

    def build(self, input_shape=None):
        self.a = self.add_weight(
            shape=(self.num_classes,),
            initializer=keras.initializers.Constant(self.initial_value),
            name="radius",
        )

    def call(self, inputs=None):
        """R_j², shape (k,)."""
        return keras.ops.square(self.a)
