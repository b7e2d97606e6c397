"""The prototype layer (class centers), the per-class radii, and the head that joins them
(SPEC §1, §2); ``keras.ops`` only, so they run on every Keras backend."""

import keras
from keras import ops

from arconvl.model.geometry import squared_distances


@keras.saving.register_keras_serializable(package="arconvl")
class Prototypes(keras.layers.Layer):
    """One learnable center per class, k × D, He-uniform; maps features to d²(f(x), C_j), shape (n, k)."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        self.centers = self.add_weight(
            shape=(self.num_classes, input_shape[-1]), initializer="he_uniform", name="centers"
        )

    def call(self, features):
        return squared_distances(features, self.centers)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="arconvl")
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
        return ops.square(self.a)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "initial_value": self.initial_value}


@keras.saving.register_keras_serializable(package="arconvl")
class PrototypeHead(keras.layers.Layer):
    """Features (n, D) → logits −d²(f(x), C_j) (n, k), for a functional model; the class is the
    argmax (the nearest center). With ``radii=True`` the head also holds the learnable class radii,
    read with ``radius_sq()`` (R_j², shape (k,)) by a loss that needs them."""

    def __init__(self, num_classes, radii=False, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.prototypes = Prototypes(num_classes, name="prototypes", dtype="float32")
        self.radii = ClassRadii(num_classes, name="radii", dtype="float32") if radii else None

    def build(self, input_shape):
        self.prototypes.build(input_shape)
        if self.radii is not None:
            self.radii.build()

    @property
    def centers(self):
        return self.prototypes.centers

    def radius_sq(self):
        """R_j², or None without radii."""
        return None if self.radii is None else self.radii()

    def call(self, features):
        return -self.prototypes(ops.cast(features, "float32"))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "radii": self.radii is not None}
