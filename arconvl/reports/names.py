"""Names shared by every report: datasets and their order, q levels, methods and their display names.

The method tuples come from ``arconvl.paper.methods``, which imports no TensorFlow.
"""

from arconvl.paper import PAPER_DATASET_NAMES
from arconvl.paper.methods import ABLATION_METHODS, TABLE1_METHODS  # noqa: F401 - re-exported

# Dataset families in the paper's row order; any other dataset sorts after them, by name.
DATASET_ORDER = ("mnist", "fashion_mnist", "svhn", "cifar10")
Q_VALUES = (1, 10, 20, 50, 100)

CONTROL_METHOD = "arconvl"

# Column headers of the paper's tables (and of its TSV transcriptions).
METHOD_DISPLAY_NAMES = {
    "cpl": "CPL",
    "gcpl": "GCPL",
    "focal": "Focal",
    "cb": "CB",
    "cb_focal": "CB Focal",
    "affinity": "Affinity",
    "la": "LA",
    "arconvl": "ARConvL",
    "arconvl_beta0": "beta=0",
    "arconvl_beta0.5": "beta=0.5",
    "arconvl_beta1": "beta=1",
    "arconvl_sigma0": "sigma2=0",
    "arconvl_sigma0.5": "sigma2=0.5",
    "arconvl_sigma1": "sigma2=1",
    "arc_c": "ARC-C",
}

# The same headers typeset for LaTeX (plain names need no entry).
METHOD_LATEX_NAMES = {
    "arconvl_beta0": r"$\beta=0$",
    "arconvl_beta0.5": r"$\beta=0.5$",
    "arconvl_beta1": r"$\beta=1$",
    "arconvl_sigma0": r"$\sigma^2=0$",
    "arconvl_sigma0.5": r"$\sigma^2=0.5$",
    "arconvl_sigma1": r"$\sigma^2=1$",
}

# Metric column of the results → axis label / file-name part / words for captions.
METRIC_LABELS = {
    "test_gmean": "G-mean (%)",
    "test_classwise_acc": "Class-wise accuracy (%)",
    "test_gmean_last": "G-mean at the last epoch (%)",
    "test_classwise_acc_last": "Class-wise accuracy at the last epoch (%)",
    "val_gmean": "Validation G-mean (%)",
}
METRIC_SLUGS = {
    "test_gmean": "gmean",
    "test_classwise_acc": "classwise_accuracy",
}


def display_name(method):
    return METHOD_DISPLAY_NAMES.get(method, method)


def metric_label(metric):
    return METRIC_LABELS.get(metric, f"{metric} (%)")


def metric_slug(metric):
    return METRIC_SLUGS.get(metric, metric)


def family_name(dataset):
    """The paper's name of a dataset family ("Fashion"), or the dataset's own name."""
    return PAPER_DATASET_NAMES.get(dataset, dataset)


def row_label(dataset, q):
    """The paper's row name, e.g. ``row_label("fashion_mnist", 100) == "Fashion-100"``."""
    return f"{family_name(dataset)}-{int(q)}"


def dataset_sort_key(dataset):
    if dataset in DATASET_ORDER:
        return (DATASET_ORDER.index(dataset), "")
    return (len(DATASET_ORDER), str(dataset))
