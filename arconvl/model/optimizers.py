"""The network's optimizer and the radii's as one Keras optimizer (SPEC §2: the radii step with
their own SGD and learning rate).

Keras' ``fit`` knows one optimizer: on JAX the training state it threads through the compiled step
holds ``model.optimizer.variables`` and nothing else. ``RadiusSplitOptimizer`` is that one
optimizer: its ``variables`` are the network optimizer's followed by the radius optimizer's, and
``apply`` / ``stateless_apply`` hand each variable's gradient to the optimizer that owns it, so
both states are trained, saved with the model and restored on every backend.
"""

import keras


@keras.saving.register_keras_serializable(package="arconvl")
class RadiusSplitOptimizer(keras.optimizers.Optimizer):
    """``network_optimizer`` for every variable it is built with but the radii, ``radius_optimizer``
    for the radii. Build it with ``build(variables, radius_variables)``; its ``learning_rate`` and
    ``iterations`` are the network optimizer's."""

    def __init__(self, network_optimizer, radius_optimizer, name="radius_split_optimizer", **kwargs):
        kwargs.pop("learning_rate", None)  # from get_config's base keys: the inner optimizers hold the rates
        super().__init__(learning_rate=0.0, name=name, **kwargs)
        self.network_optimizer = keras.optimizers.get(network_optimizer)
        self.radius_optimizer = keras.optimizers.get(radius_optimizer)
        self._is_radius = []

    def build(self, var_list, radius_variables=None):
        """``var_list``: every trainable variable; those in ``radius_variables`` step with the radius
        optimizer, the others (in their order) with the network optimizer. Building again does
        nothing (as for Keras' own optimizers: ``fit`` builds an optimizer the model has built)."""
        if self.built:
            return
        if radius_variables is None:
            raise ValueError("RadiusSplitOptimizer.build needs radius_variables, the variables of the radius optimizer")
        radius_ids = {id(variable) for variable in radius_variables}
        self._is_radius = [id(variable) in radius_ids for variable in var_list]
        self.network_optimizer.build(self._part(var_list, False))
        self.radius_optimizer.build(self._part(var_list, True))
        super().build(var_list)

    def _part(self, values, radius):
        return [value for value, is_radius in zip(values, self._is_radius) if is_radius == radius]

    @property
    def variables(self):
        return self.network_optimizer.variables + self.radius_optimizer.variables

    @property
    def learning_rate(self):
        return self.network_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if hasattr(self, "network_optimizer"):  # the base __init__ sets it before the inner optimizers exist
            self.network_optimizer.learning_rate = learning_rate
        else:
            keras.optimizers.Optimizer.learning_rate.fset(self, learning_rate)

    @property
    def iterations(self):
        return self.network_optimizer.iterations

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            raise ValueError("build RadiusSplitOptimizer with build(variables, radius_variables) before apply")
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        grads = list(grads)
        for optimizer, radius in ((self.network_optimizer, False), (self.radius_optimizer, True)):
            optimizer.apply(self._part(grads, radius), self._part(variables, radius))

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """(new trainable values, new optimizer values), each inner optimizer on its own part."""
        count = len(self.network_optimizer.variables)
        states = (optimizer_variables[:count], optimizer_variables[count:])
        new_values, new_states = list(trainable_variables), []
        for optimizer, radius, state in zip((self.network_optimizer, self.radius_optimizer), (False, True), states):
            updated, state = optimizer.stateless_apply(
                state, self._part(grads, radius), self._part(trainable_variables, radius))
            positions = [i for i, is_radius in enumerate(self._is_radius) if is_radius == radius]
            for i, value in zip(positions, updated):
                new_values[i] = value
            new_states += list(state)
        return new_values, new_states

    def finalize_variable_values(self, var_list):
        radius_ids = {id(variable) for variable in self._part(self._trainable_variables, True)}
        self.network_optimizer.finalize_variable_values([v for v in var_list if id(v) not in radius_ids])
        self.radius_optimizer.finalize_variable_values([v for v in var_list if id(v) in radius_ids])

    def get_config(self):
        return {
            "name": self.name,
            "network_optimizer": keras.optimizers.serialize(self.network_optimizer),
            "radius_optimizer": keras.optimizers.serialize(self.radius_optimizer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("network_optimizer", "radius_optimizer"):
            config[key] = keras.optimizers.deserialize(config[key], custom_objects=custom_objects)
        return cls(**config)
