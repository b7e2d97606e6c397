"""The values the losses' string parameters may take, without Keras: the registry checks a
configuration against them before any loss (or Keras) is imported."""

FOCAL_CLASS_WEIGHTS = ("none", "inverse_frequency")  # focal_loss's class_weight
CB_FOCAL_FORMS = ("softmax", "sigmoid")  # cb_focal_loss's form: the focal term it weights
