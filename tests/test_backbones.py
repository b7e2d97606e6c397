"""Backbones at any input size (issue 13): the paper's small CNN and ResNet of any depth 6n + 2,
and the ``keras.applications`` backbones with weights none, a file, or ImageNet's (never
downloaded here: the offline case is simulated)."""

import keras
import numpy as np
import pytest

from arconvl.errors import ConfigError
from arconvl.model.backbones import build_backbone


def one_line_config_error(match, *args, **kwargs):
    with pytest.raises(ConfigError, match=match) as caught:
        build_backbone(*args, **kwargs)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("depth", [20, 32])
def test_paper_resnet_of_any_depth_6n_plus_2_at_any_size(depth):
    backbone = build_backbone(f"resnet{depth}", (13, 9, 3))
    assert backbone.output_shape == (None, 64)
    assert sum(isinstance(layer, keras.layers.Add) for layer in backbone.layers) == 3 * (depth - 2) // 6
    assert backbone(np.zeros((2, 13, 9, 3), "float32")).shape == (2, 64)


def test_small_cnn_at_any_size_of_four_pixels_or_more():
    assert build_backbone("small_cnn", (5, 7, 1), feature_dim=8).output_shape == (None, 8)
    one_line_config_error("small_cnn needs images of at least 4×4 pixels, got 3×9", "small_cnn", (3, 9, 1))


@pytest.mark.parametrize("name, message", [
    ("resnet45", "ResNet depth must be 6n \\+ 2"),
    ("resnet2", "ResNet depth must be 6n \\+ 2"),
    ("vgg16", "unknown backbone 'vgg16'; choose from small_cnn, resnetN"),
])
def test_unknown_backbones_and_depths_are_refused(name, message):
    one_line_config_error(message, name, (32, 32, 3))


def test_resnet50v2_maps_raw_pixels_to_its_input_range():
    pixel_scale = 1 / 255
    backbone = build_backbone("resnet50v2", (32, 32, 3), feature_dim=16, pixel_scale=pixel_scale)
    assert backbone.output_shape == (None, 16)
    rescale = backbone.layers[1]
    raw = np.array([[0.0, 127.5, 255.0]], "float32")
    np.testing.assert_allclose(rescale(raw * pixel_scale), [[-1.0, 0.0, 1.0]], atol=1e-6)


def test_efficientnetb0_with_weights_none_then_from_a_file(tmp_path):
    first = build_backbone("efficientnetb0", (32, 32, 1), feature_dim=8)
    assert first.output_shape == (None, 8)
    base = first.layers[2]
    path = tmp_path / "base.weights.h5"
    base.save_weights(path)
    second = build_backbone("efficientnetb0", (32, 32, 1), feature_dim=8, weights=str(path))
    for ours, theirs in zip(base.weights, second.layers[2].weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_imagenet_weights_offline_are_one_clear_line(monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None -- [Errno -3] "
                        "Temporary failure in name resolution")

    monkeypatch.setattr(file_utils, "get_file", offline)
    one_line_config_error("efficientnetb0: the ImageNet weights are not in the Keras cache .* could not be downloaded "
                          ".*URL fetch failure", "efficientnetb0", (32, 32, 3), weights="imagenet")


@pytest.mark.parametrize("name, shape, weights, message", [
    ("efficientnetb0", (16, 32, 3), None, "needs images of at least 32×32 pixels, got 16×32"),
    ("resnet50v2", (32, 32, 1), "imagenet", "ImageNet weights need 3-channel images"),
    ("resnet50v2", (32, 32, 3), "/no/such.weights.h5", "no/such.weights.h5 is no file"),
    ("small_cnn", (28, 28, 1), "imagenet", "small_cnn takes no pretrained weights"),
])
def test_bad_backbone_options_are_refused_before_building(name, shape, weights, message):
    one_line_config_error(message, name, shape, weights=weights)
