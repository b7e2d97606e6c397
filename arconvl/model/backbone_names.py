"""The backbone names ``build_backbone`` knows and their checks, without Keras, so that a
configuration is checked before Keras loads: ``small_cnn``, ``resnetN`` (N = 6n + 2: 20, 32, 44,
56, …), ``resnet50v2``, ``efficientnetb0``."""

import re
from pathlib import Path

from arconvl.errors import ConfigError

IMAGENET = "imagenet"
BACKBONE_NAMES_HELP = "small_cnn, resnetN (N = 6n + 2: 20, 32, 44, 56, ...), resnet50v2, efficientnetb0"

# keras.applications backbones: the constructor's name in keras.applications and the affine map from raw
# 0–255 pixels to the input range its ImageNet weights expect (ResNet50V2: [−1, 1]; EfficientNetB0
# rescales inside).
APPLICATIONS = {
    "resnet50v2": ("ResNet50V2", 1.0 / 127.5, -1.0),
    "efficientnetb0": ("EfficientNetB0", 1.0, 0.0),
}


def check_resnet_depth(depth):
    """``depth`` if it is 6n + 2 with n >= 1, else ``ConfigError``."""
    if depth < 8 or (depth - 2) % 6 != 0:
        raise ConfigError(f"ResNet depth must be 6n + 2 with n >= 1 (e.g. 20, 32, 44, 56), got {depth}")
    return depth


def check_weights(weights):
    """None (random initialisation), "imagenet" or an existing file; ``ConfigError`` otherwise.
    "none" (any case) is None."""
    if weights is None or str(weights).lower() == "none":
        return None
    if weights == IMAGENET:
        return IMAGENET
    if not Path(weights).is_file():
        raise ConfigError(f"backbone weights must be none, imagenet or an existing file; {weights} is no file")
    return str(weights)


def resnet_depth(name):
    """N of a backbone name ``resnetN`` (N = 6n + 2), None for any other name; ``ConfigError`` for
    a ResNet of another depth."""
    depth = re.fullmatch(r"resnet(\d+)", name) if name not in APPLICATIONS else None
    if depth is None:
        return None
    return check_resnet_depth(int(depth.group(1)))


def check_backbone_name(name):
    """``name`` if it names a backbone of ``build_backbone``, else ``ConfigError``."""
    if name != "small_cnn" and name not in APPLICATIONS and resnet_depth(name) is None:
        raise ConfigError(f"unknown backbone {name!r}; choose from {BACKBONE_NAMES_HELP}")
    return name


def takes_feature_dim(name):
    """Whether backbone ``name`` ends in a dense(D) layer (the paper's ResNets have D = 64)."""
    return name == "small_cnn" or name in APPLICATIONS
