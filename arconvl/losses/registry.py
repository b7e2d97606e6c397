"""The registry: the only place that knows which methods exist (SPEC §2, §3).

Every entry maps a method name to its loss function and its default parameters, including the
ones that depend on the dataset or on the ``code`` / ``paper`` variant. The training code asks the
registry for a ``ResolvedMethod`` and never branches on a method name.

It names each loss function rather than importing it: the function, and Keras with it, loads on first
use of ``.loss``, so that the command line's help, reports and statistics never import Keras.
"""

from dataclasses import dataclass, field
from typing import Mapping

import arconvl.losses
from arconvl.errors import ConfigError
from arconvl.losses.choices import CB_FOCAL_FORMS, FOCAL_CLASS_WEIGHTS
from arconvl.paper.methods import ABLATION_METHODS, TABLE1_METHODS  # noqa: F401 - re-exported

VARIANTS = ("code", "paper")


class _NamedLoss:
    """``loss`` and ``parts`` of a method that names them (``loss_name``, ``parts_name``) in
    ``arconvl.losses``, and whether it learns class radii."""

    @property
    def loss(self):
        """The loss function (importing its module, and Keras, on first use)."""
        return getattr(arconvl.losses, self.loss_name)

    @property
    def parts(self):
        """The names of the loss's parts, the keys of the dict it returns beside the loss."""
        return getattr(arconvl.losses, self.parts_name)

    @property
    def uses_radii(self):
        """Whether the model learns class radii for this method."""
        return "radius_sq" in self.geometry


@dataclass(frozen=True)
class Method(_NamedLoss):
    """A loss with its defaults, the only place that holds them.

    ``loss_name``, ``parts_name``: the loss function and its parts in ``arconvl.losses``;
    ``params``: defaults for every dataset and variant; ``variant_params[v]``: added under variant
    v; ``dataset_params[d]``: added on dataset d. ``geometry``: the tensors the loss takes as
    keyword arguments besides d² ("centers", "radius_sq"); a method that takes "radius_sq" learns
    class radii. ``choices[p]``: the values a string parameter p may take.
    """

    loss_name: str
    parts_name: str
    description: str
    params: Mapping = field(default_factory=dict)
    variant_params: Mapping = field(default_factory=dict)
    dataset_params: Mapping = field(default_factory=dict)
    geometry: tuple = ()
    choices: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedMethod(_NamedLoss):
    """A method with its parameters fixed for one run."""

    name: str
    loss_name: str
    parts_name: str
    params: Mapping
    geometry: tuple = ()

    def __call__(self, features, centers, labels, class_counts, radius_sq=None):
        """The loss and its parts for one batch."""
        from arconvl.model.geometry import squared_distances  # noqa: PLC0415 - Keras, at the first batch

        given = {"centers": centers, "radius_sq": radius_sq}
        geometry = {key: given[key] for key in self.geometry}
        return self.loss(squared_distances(features, centers), labels, class_counts, **geometry, **self.params)


_ARCONVL_VARIANTS = {
    "code": {"normalize_distribution_alpha": True, "clamp_underflow": True},
    "paper": {"normalize_distribution_alpha": False, "clamp_underflow": False},
}


def _arconvl(description, **params):
    return Method(
        loss_name="arconvl_loss",
        parts_name="ARCONVL_PARTS",
        description=description,
        params={"gamma": 0.05, "fixed_beta": None, "fixed_sigma2": None, "center_term": True, **params},
        variant_params=_ARCONVL_VARIANTS,
        geometry=("centers", "radius_sq"),
    )


METHODS = {
    # Table 1: the seven baselines (supplementary Table 2 for their parameters) and ARConvL.
    "cpl": Method("cpl_loss", "CPL_PARTS", "CPL: distance-based cross-entropy", {"temperature": 1.0}),
    "gcpl": Method(
        "gcpl_loss", "GCPL_PARTS", "GCPL: CPL + lambda x prototype loss",
        {"weight": 0.1, "temperature": 1.0, "halve_prototype_loss": False},
    ),
    "focal": Method(
        "focal_loss", "FOCAL_PARTS", "Focal loss, softmax form", {"gamma": 2.0, "class_weight": "none"},
        choices={"class_weight": FOCAL_CLASS_WEIGHTS},
    ),
    "cb": Method("cb_loss", "CB_PARTS", "Class-balanced softmax cross-entropy", {"beta": 0.9999}),
    "cb_focal": Method(
        "cb_focal_loss", "CB_FOCAL_PARTS", "Class-balanced focal loss",
        {"beta": 0.9999, "gamma": 2.0, "form": "softmax"},
        dataset_params={"inaturalist2018": {"beta": 0.999, "gamma": 0.5}},
        choices={"form": CB_FOCAL_FORMS},
    ),
    "affinity": Method(
        "affinity_loss", "AFFINITY_PARTS", "Max-margin Gaussian affinity + diversity regulariser",
        {"margin": 0.43, "sigma": 10.0, "diversity_weight": 1.0},
        dataset_params={"mnist": {"margin": 0.75}, "fashion_mnist": {"margin": 0.75}},
        geometry=("centers",),
    ),
    "la": Method("la_loss", "LA_PARTS", "Logit-adjusted cross-entropy", {"tau": 1.0}),
    "arconvl": _arconvl("ARConvL, Eq. 1-8"),
    # Table 2: the ARConvL ablations.
    "arconvl_beta0": _arconvl("ARConvL with beta fixed to 0 (no L_D)", fixed_beta=0.0),
    "arconvl_beta0.5": _arconvl("ARConvL with beta fixed to 0.5", fixed_beta=0.5),
    "arconvl_beta1": _arconvl("ARConvL with beta fixed to 1", fixed_beta=1.0),
    "arconvl_sigma0": _arconvl("ARConvL with sigma^2 fixed to 0 (no margin)", fixed_sigma2=0.0),
    "arconvl_sigma0.5": _arconvl("ARConvL with sigma^2 fixed to 0.5", fixed_sigma2=0.5),
    "arconvl_sigma1": _arconvl("ARConvL with sigma^2 fixed to 1", fixed_sigma2=1.0),
    "arc_c": _arconvl("ARC-C: ARConvL without the class-center term of L_M", center_term=False),
}

def _coerce(key, value, default):
    """``value`` (possibly a command-line string) converted to the type of ``default``."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = value.strip().lower() if isinstance(value, str) else None  # a TOML 1 is no boolean
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"parameter {key!r} must be true or false, got {value!r}")
    if isinstance(value, bool):  # a TOML true is no number (nor a string choice)
        raise ConfigError(f"parameter {key!r} must be of type {type(default or 0.0).__name__}, got {value!r}")
    if default is None:  # an optional number, such as fixed_beta: None or "none" keeps it off
        if value is None or str(value).strip().lower() == "none":
            return None
        default = 0.0
    if isinstance(value, type(default)):
        return value
    try:
        return type(default)(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"parameter {key!r} must be of type {type(default).__name__}, got {value!r}"
        ) from None


def resolve_method(name, *, dataset=None, variant="code", overrides=None):
    """The method ``name`` with defaults ← variant ← dataset ← ``overrides`` parameters; ``dataset``
    None (any dataset of one's own) takes no dataset-specific defaults."""
    if name not in METHODS:
        raise ConfigError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    if variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    method = METHODS[name]
    params = {
        **method.params,
        **method.variant_params.get(variant, {}),
        **method.dataset_params.get(dataset, {}),
    }
    for key, value in (overrides or {}).items():
        if key not in params:
            raise ConfigError(
                f"method {name!r} has no parameter {key!r}; it has {', '.join(sorted(params)) or 'none'}"
            )
        params[key] = _coerce(key, value, params[key])
        if key in method.choices and params[key] not in method.choices[key]:
            raise ConfigError(
                f"parameter {key!r} of {name!r} must be one of {', '.join(method.choices[key])}, got {value!r}"
            )
    return ResolvedMethod(name, method.loss_name, method.parts_name, params, method.geometry)
