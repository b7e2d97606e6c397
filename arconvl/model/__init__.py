"""The model: feature extractors (``backbones``, their names and checks in ``backbone_names``), the
prototype head (``layers``), squared distances (``geometry``), ``PrototypeClassifier`` (``classifier``)
with its per-backend training step (``train_steps``) and its two-rate optimizer (``optimizers``), the
paper's schedules (``epoch_schedules`` per epoch, ``schedules`` per optimizer step) and the G-mean
metrics (``metrics``)."""
