"""Fig. 5: per-epoch test G-mean and class-wise accuracy of several methods, one column per
dataset, read from the ``history.csv`` of each run directory (finished or still training).
"""

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from arconvl.reports.names import CONTROL_METHOD, display_name, metric_label
from arconvl.run.files import CONFIG_FILE, HISTORY_FILE, read_config

CURVE_METRICS = ("test_gmean", "test_classwise_acc")
LARGE_SCALE_TITLES = {"celeba": "CelebA (hair, 5 classes)", "inaturalist2018": "iNaturalist 2018 (14 super-categories)"}


def read_histories(runs_dir):
    """One DataFrame of every run directory under ``runs_dir`` holding a ``history.csv`` and a
    ``config.json``: the history rows with ``dataset``, ``method`` and ``seed`` added."""
    frames = []
    for history_path in sorted(Path(runs_dir).glob(f"*/{HISTORY_FILE}")):
        run_dir = history_path.parent
        if not (run_dir / CONFIG_FILE).is_file():
            continue
        config = read_config(run_dir)
        history = pd.read_csv(history_path)
        if history.empty:
            continue
        frames.append(history.assign(dataset=config["dataset"], method=config["method"], seed=config["seed"]))
    if not frames:
        return pd.DataFrame(columns=["dataset", "method", "seed", "epoch", *CURVE_METRICS])
    return pd.concat(frames, ignore_index=True)


def training_curves_figure(histories, metrics=CURVE_METRICS, methods=None, control=CONTROL_METHOD):
    """A Figure with one row per metric and one column per dataset: the metric (in %) against the
    epoch, one line per method (the mean over its seeds). ValueError when there is nothing to plot."""
    if histories.empty:
        raise ValueError("no run has a history to plot")
    datasets = list(dict.fromkeys(histories["dataset"]))
    methods = list(methods or dict.fromkeys(histories["method"]))
    figure = Figure(figsize=(4.6 * len(datasets) + 0.4, 3.4 * len(metrics) + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(metrics), len(datasets), squeeze=False)
    colors = {m: f"C{i}" for i, m in enumerate(m for m in methods if m != control)}
    handles = {}
    for column, dataset in enumerate(datasets):
        part = histories[histories["dataset"] == dataset]
        for row, metric in enumerate(metrics):
            ax = axes[row, column]
            for method in methods:
                runs = part[part["method"] == method]
                if runs.empty:
                    continue
                mean = runs.groupby("epoch")[metric].mean()
                highlight = method == control
                (line,) = ax.plot(mean.index.to_numpy(), 100 * mean.to_numpy(dtype=float),
                                  color="black" if highlight else colors[method],
                                  linewidth=2.2 if highlight else 1.2, zorder=10 if highlight else 2,
                                  label=display_name(method))
                handles.setdefault(method, line)
            ax.set_title(LARGE_SCALE_TITLES.get(dataset, dataset), fontsize="medium")
            ax.set_xlabel("Epoch")
            ax.set_ylabel(metric_label(metric))
            ax.grid(True, alpha=0.3)
    ordered = [handles[m] for m in methods if m in handles]
    figure.legend(ordered, [h.get_label() for h in ordered], loc="outside lower center", ncol=len(ordered),
                  frameon=False)
    return figure
