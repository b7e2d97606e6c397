"""The model: feature extractors (``backbones``), the prototype head (``layers``), squared distances
(``geometry``), ``PrototypeClassifier`` (``classifier``) with its per-backend training step
(``train_steps``) and its two-rate optimizer (``optimizers``), the paper's schedules (``schedules``)
and the G-mean metrics (``metrics``)."""
