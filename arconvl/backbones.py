"""Feature extractors f(x) of SPEC §1: the small CNN and the ResNet family (depth 44 / 56)."""

import keras
from keras import layers

from arconvl.errors import ConfigError


def small_cnn(input_shape, feature_dim=64):
    """MNIST / Fashion-MNIST backbone: conv32-conv32-maxpool-conv64-conv64-maxpool → dense(D) → BN.

    3×3 convolutions, same padding, ReLU, He-uniform; the batch-norm output is f(x).
    """
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
    average pooling. The 64-d pooled vector is f(x), so D = 64.
    """
    if (depth - 2) % 6 != 0:
        raise ConfigError(f"ResNet depth must be 6n + 2 (e.g. 44, 56), got {depth}")
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


BACKBONES = {
    "small_cnn": lambda input_shape, feature_dim: small_cnn(input_shape, feature_dim),
    "resnet44": lambda input_shape, feature_dim: resnet(input_shape, 44),
    "resnet56": lambda input_shape, feature_dim: resnet(input_shape, 56),
}


def build_backbone(name, input_shape, feature_dim=64):
    """The backbone ``name`` for images of ``input_shape``; ResNets ignore ``feature_dim`` (D = 64)."""
    if name not in BACKBONES:
        raise ConfigError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
    return BACKBONES[name](input_shape, feature_dim)
