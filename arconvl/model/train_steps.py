"""The training and evaluation steps of ``PrototypeClassifier`` for each Keras backend.

Keras' ``fit`` calls ``train_step(data)`` on TensorFlow (compiled with ``tf.function``) and
``train_step(state, data)`` on JAX (pure, under ``jax.jit``; Keras' guide "custom train step in
JAX"). Both compute ``model.loss_parts_logits`` and apply the main optimizer to the network and the
centers and the radius optimizer to the radii, both through ``model.optimizer`` (an
``optimizers.RadiusSplitOptimizer`` when the method learns radii, so that JAX's training state holds
both optimizers' variables). TensorFlow is the reference.
"""

import keras


def train_step(model, *args):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_train_step(model, *args)
    if backend == "jax":
        return _jax_train_step(model, *args)
    raise NotImplementedError(f"PrototypeClassifier trains on the tensorflow and jax backends, not {backend!r}")


def test_step(model, *args):
    if keras.backend.backend() == "jax":
        return _jax_test_step(model, *args)
    images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(args[0])
    loss, parts, logits = model.loss_parts_logits(images, labels, training=False)
    return model.update_metrics(images, labels, logits, loss, parts, sample_weight)


def _tensorflow_train_step(model, data):
    import tensorflow as tf

    images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)  # sample weights: metrics only
    variables = model.optimized_variables
    with tf.GradientTape() as tape:
        loss, parts, logits = model.loss_parts_logits(images, labels, training=True)
    model.optimizer.apply(tape.gradient(loss, variables), variables)
    return model.update_metrics(images, labels, logits, loss, parts, sample_weight)


def _stateless(variables, values, fn):
    """``fn()`` with ``variables`` read as ``values``; (its result, the variables' values after it)."""
    with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
        result = fn()
    after = []
    for variable, value in zip(variables, values):
        new = scope.get_current_value(variable)
        after.append(value if new is None else new)
    return result, after


def _jax_metrics(model, metrics_values, images, labels, logits, loss, parts, sample_weight):
    """(logs, new metric variable values) after one batch, without touching the metric variables."""
    return _stateless(model.metrics_variables, metrics_values,
                      lambda: model.update_metrics(images, labels, logits, loss, parts, sample_weight))


def _jax_train_step(model, state, data):
    import jax

    trainable_values, non_trainable_values, optimizer_values, metrics_values = state
    images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    variables = model.trainable_variables + model.non_trainable_variables
    num_trainable = len(model.trainable_variables)

    def loss_fn(trainable, non_trainable):
        (loss, parts, logits), after = _stateless(
            variables, list(trainable) + list(non_trainable),
            lambda: model.loss_parts_logits(images, labels, training=True),
        )
        return loss, (parts, logits, after[num_trainable:])

    (loss, (parts, logits, non_trainable_values)), gradients = jax.value_and_grad(loss_fn, has_aux=True)(
        trainable_values, non_trainable_values
    )
    # The optimizer updates its variables in the order it was built with (model.optimized_variables).
    position = {id(variable): i for i, variable in enumerate(model.trainable_variables)}
    optimized = [position[id(variable)] for variable in model.optimized_variables]
    new_values, optimizer_values = model.optimizer.stateless_apply(
        optimizer_values, [gradients[i] for i in optimized], [trainable_values[i] for i in optimized]
    )
    trainable_values = list(trainable_values)
    for i, value in zip(optimized, new_values):
        trainable_values[i] = value
    logs, metrics_values = _jax_metrics(model, metrics_values, images, labels, logits, loss, parts, sample_weight)
    return logs, (trainable_values, non_trainable_values, optimizer_values, metrics_values)


def _jax_test_step(model, state, data):
    trainable_values, non_trainable_values, metrics_values = state
    images, labels, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    (loss, parts, logits), _ = _stateless(
        model.trainable_variables + model.non_trainable_variables,
        list(trainable_values) + list(non_trainable_values),
        lambda: model.loss_parts_logits(images, labels, training=False),
    )
    logs, metrics_values = _jax_metrics(model, metrics_values, images, labels, logits, loss, parts, sample_weight)
    return logs, (trainable_values, non_trainable_values, metrics_values)
