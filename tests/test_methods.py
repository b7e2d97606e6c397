"""The method registry (SPEC §2, §3): names, variants, ablations, override coercion and errors."""

import inspect

import numpy as np
import pytest
import tensorflow as tf

from arconvl.errors import ConfigError
from arconvl.losses import arconvl_loss, cpl_loss
from arconvl.losses.registry import METHODS, VARIANTS, ResolvedMethod, resolve_method
from arconvl.model.geometry import squared_distances

DATASETS = ("mnist", "fashion_mnist", "svhn", "cifar10")
ARCONVL_FAMILY = [name for name in METHODS if METHODS[name].loss is arconvl_loss]


def test_variants_are_code_and_paper():
    assert tuple(VARIANTS) == ("code", "paper")


def test_expected_names_are_registered():
    expected = {
        "arconvl", "cpl", "arc_c",
        "arconvl_beta0", "arconvl_beta0.5", "arconvl_beta1",
        "arconvl_sigma0", "arconvl_sigma0.5", "arconvl_sigma1",
    }
    assert expected <= set(METHODS)


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("variant", ["code", "paper"])
def test_every_method_resolves(name, dataset, variant):
    resolved = resolve_method(name, dataset=dataset, variant=variant)
    assert isinstance(resolved, ResolvedMethod)
    assert resolved.name == name
    assert resolved.loss is METHODS[name].loss
    assert tuple(resolved.parts) == tuple(METHODS[name].parts)
    assert resolved.uses_radii == (METHODS[name].loss is arconvl_loss)


def test_default_variant_is_code():
    assert resolve_method("arconvl", dataset="mnist").params["normalize_distribution_alpha"] is True


@pytest.mark.parametrize("name", ARCONVL_FAMILY)
@pytest.mark.parametrize("dataset", DATASETS)
def test_arconvl_variant_switches_alpha_normalisation(name, dataset):
    code = resolve_method(name, dataset=dataset, variant="code").params
    paper = resolve_method(name, dataset=dataset, variant="paper").params
    assert code["normalize_distribution_alpha"] is True
    assert paper["normalize_distribution_alpha"] is False
    assert code["gamma"] == 0.05 and paper["gamma"] == 0.05


@pytest.mark.parametrize("name", ARCONVL_FAMILY)
def test_clamp_underflow_follows_the_variant_and_can_be_overridden(name):
    assert resolve_method(name, dataset="mnist", variant="code").params["clamp_underflow"] is True
    assert resolve_method(name, dataset="mnist", variant="paper").params["clamp_underflow"] is False
    off = resolve_method(name, dataset="mnist", variant="code", overrides={"clamp_underflow": "false"}).params
    on = resolve_method(name, dataset="mnist", variant="paper", overrides={"clamp_underflow": "true"}).params
    assert off["clamp_underflow"] is False and on["clamp_underflow"] is True


def test_arconvl_family_contains_all_ablations():
    assert set(ARCONVL_FAMILY) >= {
        "arconvl", "arc_c", "arconvl_beta0", "arconvl_beta0.5", "arconvl_beta1",
        "arconvl_sigma0", "arconvl_sigma0.5", "arconvl_sigma1",
    }


@pytest.mark.parametrize("name, key, value", [
    ("arconvl", None, None),
    ("arconvl_beta0", "fixed_beta", 0.0),
    ("arconvl_beta0.5", "fixed_beta", 0.5),
    ("arconvl_beta1", "fixed_beta", 1.0),
    ("arconvl_sigma0", "fixed_sigma2", 0.0),
    ("arconvl_sigma0.5", "fixed_sigma2", 0.5),
    ("arconvl_sigma1", "fixed_sigma2", 1.0),
    ("arc_c", "center_term", False),
])
def test_ablation_parameters(name, key, value):
    params = resolve_method(name, dataset="cifar10").params
    defaults = {"fixed_beta": None, "fixed_sigma2": None, "center_term": True}
    if key is not None:
        defaults[key] = value
    for param, expected in defaults.items():
        if expected is None or isinstance(expected, bool):
            assert params[param] is expected, param
        else:
            assert params[param] == expected and type(params[param]) is float, param


def test_cpl_defaults():
    params = resolve_method("cpl", dataset="svhn").params
    assert params == {"temperature": 1.0}


def test_overrides_are_coerced():
    params = resolve_method(
        "arconvl", dataset="mnist", variant="paper",
        overrides={"gamma": "0.1", "center_term": "false", "fixed_beta": "0.3"},
    ).params
    assert params["gamma"] == 0.1 and type(params["gamma"]) is float
    assert params["center_term"] is False
    assert params["fixed_beta"] == 0.3 and type(params["fixed_beta"]) is float
    assert params["normalize_distribution_alpha"] is False  # overrides leave the variant alone


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("True", True), ("1", True), ("yes", True),
    ("false", False), ("FALSE", False), ("0", False), ("no", False),
    (True, True), (False, False),
])
def test_bool_coercion(text, expected):
    params = resolve_method("arconvl", dataset="mnist", overrides={"center_term": text}).params
    assert params["center_term"] is expected


def test_numeric_overrides_keep_float_type():
    params = resolve_method(
        "arconvl", dataset="mnist", overrides={"gamma": 1, "fixed_sigma2": "0.5"},
    ).params
    assert params["gamma"] == 1.0 and type(params["gamma"]) is float
    assert params["fixed_sigma2"] == 0.5 and type(params["fixed_sigma2"]) is float
    cpl = resolve_method("cpl", dataset="mnist", overrides={"temperature": "0.5"}).params
    assert cpl["temperature"] == 0.5 and type(cpl["temperature"]) is float


def test_overrides_do_not_leak_into_registry():
    resolve_method("arconvl", dataset="mnist", overrides={"gamma": "0.3"})
    assert resolve_method("arconvl", dataset="mnist").params["gamma"] == 0.05
    assert METHODS["arconvl"].params["gamma"] == 0.05


@pytest.mark.parametrize("kwargs", [
    dict(name="no_such_method", dataset="mnist"),
    dict(name="arconvl", dataset="mnist", variant="authors"),
    dict(name="arconvl", dataset="mnist", overrides={"temperature": "1.0"}),
    dict(name="cpl", dataset="mnist", overrides={"gamma": "0.1"}),
    dict(name="arconvl", dataset="mnist", overrides={"gamma": "abc"}),
    dict(name="arconvl", dataset="mnist", overrides={"fixed_beta": "abc"}),
    dict(name="cpl", dataset="mnist", overrides={"temperature": "abc"}),
    dict(name="arconvl", dataset="mnist", overrides={"center_term": "maybe"}),
])
def test_bad_requests_raise_config_error(kwargs):
    name = kwargs.pop("name")
    with pytest.raises(ConfigError):
        resolve_method(name, **kwargs)


def _batch(seed=0, k=10, dim=8, n=32):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim)) * 1.5
    labels = rng.integers(0, k, size=n)
    features = centers[labels] + rng.normal(size=(n, dim)) * 0.7
    return (
        tf.constant(features, tf.float32), tf.constant(centers, tf.float32),
        tf.constant(rng.uniform(0.2, 4.0, size=k), tf.float32), tf.constant(labels, tf.int32),
        tf.constant(rng.integers(10, 5000, size=k)),
    )


@pytest.mark.parametrize("name", ARCONVL_FAMILY)
@pytest.mark.parametrize("variant", ["code", "paper"])
def test_resolved_arconvl_matches_direct_call(name, variant):
    features, centers, radius_sq, labels, counts = _batch()
    overrides = {"gamma": "0.1"}
    resolved = resolve_method(name, dataset="fashion_mnist", variant=variant, overrides=overrides)
    loss, parts = resolved(features, centers, labels, counts, radius_sq=radius_sq)
    direct_kwargs = {
        "gamma": 0.1,
        "fixed_beta": {"arconvl_beta0": 0.0, "arconvl_beta0.5": 0.5, "arconvl_beta1": 1.0}.get(name),
        "fixed_sigma2": {"arconvl_sigma0": 0.0, "arconvl_sigma0.5": 0.5, "arconvl_sigma1": 1.0}.get(name),
        "center_term": name != "arc_c",
        "normalize_distribution_alpha": variant == "code",
        "clamp_underflow": variant == "code",
    }
    direct_loss, direct_parts = arconvl_loss(
        squared_distances(features, centers), labels, counts, centers=centers, radius_sq=radius_sq, **direct_kwargs
    )
    assert float(loss) == pytest.approx(float(direct_loss), rel=1e-7)
    assert set(parts) == set(resolved.parts)
    for key in parts:
        assert float(parts[key]) == pytest.approx(float(direct_parts[key]), rel=1e-7), key


def test_resolved_variants_give_different_numbers():
    features, centers, radius_sq, labels, counts = _batch(1)
    code = resolve_method("arconvl", dataset="mnist", variant="code")
    paper = resolve_method("arconvl", dataset="mnist", variant="paper")
    _, p_code = code(features, centers, labels, counts, radius_sq=radius_sq)
    _, p_paper = paper(features, centers, labels, counts, radius_sq=radius_sq)
    assert float(p_code["distribution"]) < float(p_paper["distribution"])


def test_resolved_cpl_matches_direct_call():
    features, centers, _, labels, counts = _batch(2)
    resolved = resolve_method("cpl", dataset="cifar10", overrides={"temperature": "0.5"})
    loss, parts = resolved(features, centers, labels, counts)
    direct_loss, _ = cpl_loss(squared_distances(features, centers), labels, counts, temperature=0.5)
    assert float(loss) == pytest.approx(float(direct_loss), rel=1e-7)
    assert set(parts) == {"cross_entropy"}
    assert not resolved.uses_radii


# ---------------------------------------------------------------------------------------------
# The seven baselines of SPEC §3 in the registry (paper Table 1, supplementary Table 2).
# ---------------------------------------------------------------------------------------------


def test_table1_methods_are_the_papers_eight_in_order():
    from arconvl.losses.registry import TABLE1_METHODS

    assert tuple(TABLE1_METHODS) == ("cpl", "gcpl", "focal", "cb", "cb_focal", "affinity", "la", "arconvl")
    assert all(name in METHODS for name in TABLE1_METHODS)


def test_ablation_methods_are_registered_arconvl_variants():
    from arconvl.losses.registry import ABLATION_METHODS, TABLE1_METHODS

    assert set(ABLATION_METHODS) <= set(ARCONVL_FAMILY)
    assert not set(ABLATION_METHODS) & set(TABLE1_METHODS)


def _table2_defaults(name, dataset):
    """Supplementary Table 2 (and SPEC §3), written out independently of the registry."""
    inat = dataset == "inaturalist2018"
    return {
        "cpl": {"temperature": 1.0},
        "gcpl": {"weight": 0.1, "temperature": 1.0, "halve_prototype_loss": False},
        "focal": {"gamma": 2.0, "class_weight": "none"},
        "cb": {"beta": 0.9999},
        "cb_focal": {"beta": 0.999 if inat else 0.9999, "gamma": 0.5 if inat else 2.0, "form": "softmax"},
        "affinity": {
            "margin": 0.75 if dataset in ("mnist", "fashion_mnist") else 0.43, "sigma": 10.0, "diversity_weight": 1.0,
        },
        "la": {"tau": 1.0},
    }[name]


BASELINES = ("cpl", "gcpl", "focal", "cb", "cb_focal", "affinity", "la")


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("dataset", DATASETS + ("inaturalist2018",))
def test_baseline_defaults_match_supplementary_table2(name, dataset):
    resolved = resolve_method(name, dataset=dataset)
    assert dict(resolved.params) == _table2_defaults(name, dataset)
    assert not resolved.uses_radii
    # Variants only concern ARConvL.
    assert dict(resolve_method(name, dataset=dataset, variant="paper").params) == dict(resolved.params)


@pytest.mark.parametrize("dataset", DATASETS + ("inaturalist2018",))
def test_arconvl_gamma_default(dataset):
    assert resolve_method("arconvl", dataset=dataset).params["gamma"] == 0.05


@pytest.mark.parametrize("name, key, value", [
    ("cb_focal", "form", "x"),
    ("cb_focal", "form", "Softmax"),
    ("focal", "class_weight", "x"),
    ("focal", "class_weight", "balanced"),
])
def test_bad_string_choices_raise_at_resolve_time(name, key, value):
    with pytest.raises(ConfigError):
        resolve_method(name, dataset="cifar10", overrides={key: value})


@pytest.mark.parametrize("name, key, value", [
    ("cb_focal", "form", "sigmoid"),
    ("cb_focal", "form", "softmax"),
    ("focal", "class_weight", "inverse_frequency"),
    ("focal", "class_weight", "none"),
])
def test_good_string_choices_resolve(name, key, value):
    assert resolve_method(name, dataset="cifar10", overrides={key: value}).params[key] == value


@pytest.mark.parametrize("name, overrides", [
    ("cpl", {}),
    ("gcpl", {"halve_prototype_loss": "true"}),
    ("focal", {"class_weight": "inverse_frequency"}),
    ("cb", {}),
    ("cb_focal", {"form": "sigmoid"}),
    ("affinity", {}),
    ("la", {"tau": "0.5"}),
])
@pytest.mark.parametrize("dataset", ["mnist", "svhn", "inaturalist2018"])
def test_resolved_baseline_matches_direct_call(name, overrides, dataset):
    from arconvl import losses

    features, centers, _, labels, counts = _batch(3)
    resolved = resolve_method(name, dataset=dataset, overrides=overrides)
    loss, parts = resolved(features, centers, labels, counts)
    kwargs = _table2_defaults(name, dataset)
    kwargs.update({"halve_prototype_loss": True} if name == "gcpl" else {})
    kwargs.update({"tau": 0.5} if name == "la" else {})
    kwargs.update({k: v for k, v in overrides.items() if k in ("class_weight", "form")})
    geometry = {"centers": centers} if name == "affinity" else {}
    d2 = squared_distances(features, centers)
    direct_loss, direct_parts = getattr(losses, f"{name}_loss")(d2, labels, counts, **geometry, **kwargs)
    assert float(loss) == pytest.approx(float(direct_loss), rel=1e-7)
    assert set(parts) == set(resolved.parts) == set(direct_parts)
    for key in parts:
        assert float(parts[key]) == pytest.approx(float(direct_parts[key]), rel=1e-7), key


def test_dataset_specific_defaults_change_the_loss():
    features, centers, _, labels, counts = _batch(4)
    for name, a, b in (("affinity", "mnist", "cifar10"), ("cb_focal", "cifar10", "inaturalist2018")):
        loss_a, _ = resolve_method(name, dataset=a)(features, centers, labels, counts)
        loss_b, _ = resolve_method(name, dataset=b)(features, centers, labels, counts)
        assert float(loss_a) != pytest.approx(float(loss_b), rel=1e-3), name


@pytest.mark.parametrize("name", list(METHODS))
def test_prediction_is_the_nearest_center_for_every_method(name):
    """Every method predicts with the nearest center (for Affinity: the largest affinity; for LA: the
    unadjusted logits −d²), whatever its loss."""
    from arconvl.model.classifier import PrototypeClassifier

    from test_model import linear_backbone

    method = resolve_method(name, dataset="mnist")
    # Strongly imbalanced counts: an LA-style prior leaking into prediction would move rare-class samples.
    counts = np.array([2, 2000, 20, 200])
    model = PrototypeClassifier(linear_backbone(input_dim=6, feature_dim=4, seed=1), class_counts=counts, method=method)
    model.build((None, 6))
    rng = np.random.default_rng(0)
    images = tf.constant(rng.normal(size=(64, 6)), tf.float32)
    features = model.backbone(images).numpy().astype(np.float64)
    centers = model.prototypes.centers.numpy().astype(np.float64)
    d2 = np.array([[np.sum((f - c) ** 2) for c in centers] for f in features])
    nearest = np.argmin(d2, axis=1)
    assert len(set(nearest.tolist())) > 1
    np.testing.assert_array_equal(np.argmax(model.predict(images, verbose=0, batch_size=64), axis=1), nearest)


# ---------------------------------------------------------------------------------------------
# One place for every default (issue 11, item 6): the registry.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(METHODS))
def test_loss_signatures_hold_no_defaults(name):
    """Each loss is fn(d2, labels, class_counts, *, <geometry>, <params>): the parameters are keyword-only
    and none has a default, so no default can disagree with the registry's; and the keyword-only names are
    exactly the registry's parameters (under every variant and dataset) plus the geometry it passes."""
    method = METHODS[name]
    parameters = list(inspect.signature(method.loss).parameters.values())
    assert [p.name for p in parameters[:3]] == ["d2", "labels", "class_counts"]
    for parameter in parameters:
        assert parameter.default is inspect.Parameter.empty, parameter.name
    keyword_only = {p.name for p in parameters[3:]}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[3:])
    declared = set(method.params)
    for extra in (*method.variant_params.values(), *method.dataset_params.values()):
        declared |= set(extra)
    assert keyword_only == declared | set(method.geometry)
    for variant in VARIANTS:
        assert set(resolve_method(name, dataset="cifar10", variant=variant).params) == declared
