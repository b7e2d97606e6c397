"""The paper's published tables, transcribed as TSV files beside this module.

``supp-table1-datasets.tsv``: per-class counts of every dataset (supplementary Table 1);
``paper-table1-gmean.tsv`` / ``supp-table3-classwise-accuracy.tsv``: Table 1 and supplementary
Table 3; ``paper-table2-ablation-gmean.tsv`` / ``supp-table4-ablation-classwise-accuracy.tsv``:
the ablations; ``supp-parameters.tsv``: the baselines' parameters.
"""

import csv
from pathlib import Path

TABLE_DIR = Path(__file__).resolve().parent

# Dataset names of this project → row-name prefix in the paper's tables.
PAPER_DATASET_NAMES = {
    "mnist": "Mnist",
    "fashion_mnist": "Fashion",
    "svhn": "SVHN",
    "cifar10": "Cifar10",
}
# The two naturally imbalanced sets have one row each in supplementary Table 1, without a q.
PAPER_LARGE_SCALE_ROWS = {"celeba": "CelebA", "inaturalist2018": "iNaturalist2018"}


def read_table(filename):
    """Rows of one transcribed TSV table as a list of dicts (all values are strings)."""
    with open(TABLE_DIR / filename, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def paper_class_counts(dataset, q=1):
    """(train counts before the 90/10 split, test counts) per class, from supplementary Table 1
    (CelebA and iNaturalist 2018: their one row, q = 1)."""
    row_name = PAPER_LARGE_SCALE_ROWS.get(dataset) or f"{PAPER_DATASET_NAMES[dataset]}-{q}"
    for row in read_table("supp-table1-datasets.tsv"):
        if row["Data"] == row_name:
            train = [int(v) for v in row["Training set per class (before the 90/10 train/validation split)"].split(":")]
            test = [int(v) for v in row["Test set per class"].split(":")]
            return train, test
    raise KeyError(f"no row {row_name!r} in supplementary Table 1")
