"""Feature extractors f(x): the paper's small CNN and ResNet family (SPEC §1), at any input size
and any ResNet depth 6n + 2, and ``keras.applications`` backbones (ResNet50V2, EfficientNetB0) with
weights none, ImageNet's or a file, for a user's own images.

Names (``build_backbone``, checked in ``arconvl.model.backbone_names``): ``small_cnn``, ``resnetN``
(N = 6n + 2: 20, 32, 44, 56, …), ``resnet50v2``, ``efficientnetb0``.
"""

import keras
from keras import layers

from arconvl.errors import ConfigError
from arconvl.model.backbone_names import (
    APPLICATIONS,
    IMAGENET,
    check_backbone_name,
    check_resnet_depth,
    check_weights,
    resnet_depth,
)

SMALL_CNN_MIN_SIDE = 4  # two 2×2 max-poolings
APPLICATION_MIN_SIDE = 32  # keras.applications without their top


def small_cnn(input_shape, feature_dim=64):
    """MNIST / Fashion-MNIST backbone: conv32-conv32-maxpool-conv64-conv64-maxpool → dense(D) → BN.

    3×3 convolutions, same padding, ReLU, He-uniform; the batch-norm output is f(x). Any image
    of at least 4×4 pixels.
    """
    if min(input_shape[:2]) < SMALL_CNN_MIN_SIDE:
        raise ConfigError(f"small_cnn needs images of at least {SMALL_CNN_MIN_SIDE}×{SMALL_CNN_MIN_SIDE} pixels, "
                          f"got {input_shape[0]}×{input_shape[1]}")
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in (32, 64):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", kernel_initializer="he_uniform")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(feature_dim, kernel_initializer="he_uniform")(x)
    features = layers.BatchNormalization()(x)
    return keras.Model(inputs, features, name="small_cnn")


def _conv(filters, strides=1, kernel_size=3):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", kernel_initializer="he_normal")


def _residual_block(x, filters, strides):
    """conv3×3 → ELU → conv3×3 → BN, added to the shortcut, no activation after the add."""
    y = _conv(filters, strides)(x)
    y = layers.Activation("elu")(y)
    y = _conv(filters)(y)
    y = layers.BatchNormalization()(y)
    if strides != 1:
        x = _conv(filters, strides, kernel_size=1)(x)
        x = layers.BatchNormalization()(x)
    return layers.Add()([x, y])


def resnet(input_shape, depth):
    """ResNet of the public code: stem conv(16) → BN → ELU; 3 stacks of (depth − 2)/6 blocks with
    16/32/64 filters (stride 2 and a 1×1 projection at the start of stacks 2 and 3); ELU → global
    average pooling. The 64-d pooled vector is f(x), so D = 64. Any depth 6n + 2 (n ≥ 1), any
    image size (the strides round up).
    """
    check_resnet_depth(depth)
    blocks_per_stack = (depth - 2) // 6
    inputs = keras.Input(shape=input_shape)
    x = _conv(16)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("elu")(x)
    for stack, filters in enumerate((16, 32, 64)):
        for block in range(blocks_per_stack):
            strides = 2 if stack > 0 and block == 0 else 1
            x = _residual_block(x, filters, strides)
    x = layers.Activation("elu")(x)
    features = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, features, name=f"resnet{depth}")


def application(name, input_shape, feature_dim=64, weights=None, pixel_scale=1.0):
    """``keras.applications`` backbone ``name`` without its top, global average pooling, then
    dense(D) → BN as the small CNN's head. Inputs are raw pixels × ``pixel_scale``; a rescaling
    layer maps them to the range the application expects. ``weights``: None, "imagenet" (Keras
    downloads them once into ~/.keras/models) or a weights file of the application without top.
    """
    constructor_name, scale, offset = APPLICATIONS[name]
    constructor = getattr(keras.applications, constructor_name)
    weights = check_weights(weights)
    if min(input_shape[:2]) < APPLICATION_MIN_SIDE:
        raise ConfigError(f"{name} needs images of at least {APPLICATION_MIN_SIDE}×{APPLICATION_MIN_SIDE} pixels, "
                          f"got {input_shape[0]}×{input_shape[1]}")
    if weights == IMAGENET and input_shape[-1] != 3:
        raise ConfigError(f"{name}'s ImageNet weights need 3-channel images, got {input_shape[-1]} channel(s)")
    try:
        base = constructor(include_top=False, weights=weights, input_shape=tuple(input_shape), pooling="avg")
    except Exception as exc:  # noqa: BLE001 - a failed download is a bare Exception, a bad file a ValueError/OSError
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        if weights == IMAGENET:
            raise ConfigError(f"{name}: the ImageNet weights are not in the Keras cache (~/.keras/models) and could "
                              f"not be downloaded ({reason}); download them on a connected machine, or give a weights "
                              "file") from exc
        if weights is not None:
            raise ConfigError(f"{name}: cannot load backbone weights {weights} ({reason})") from exc
        raise
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(scale / pixel_scale, offset)(inputs)
    x = base(x)
    x = layers.Dense(feature_dim, kernel_initializer="he_uniform")(x)
    features = layers.BatchNormalization()(x)
    return keras.Model(inputs, features, name=name)


def build_backbone(name, input_shape, feature_dim=64, *, weights=None, pixel_scale=1.0):
    """The backbone ``name`` (module docstring) for images of ``input_shape``. The paper's ResNets
    ignore ``feature_dim`` (D = 64); ``weights`` and ``pixel_scale`` concern the
    ``keras.applications`` backbones only."""
    check_backbone_name(name)
    if name in APPLICATIONS:
        return application(name, input_shape, feature_dim, weights, pixel_scale)
    if check_weights(weights) is not None:
        raise ConfigError(f"backbone {name} takes no pretrained weights (only {', '.join(APPLICATIONS)} do)")
    if name == "small_cnn":
        return small_cnn(input_shape, feature_dim)
    return resnet(input_shape, resnet_depth(name))
