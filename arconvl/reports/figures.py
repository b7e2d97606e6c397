"""Fig. 4 (G-mean) and supplementary Fig. 1 (class-wise accuracy): the metric against q.

One panel per dataset family with results, x = the imbalance level q on a categorical axis
(1, 10, 20, 50, 100), one line per method (mean over the finished seeds), ARConvL drawn thicker
and on top. Figures are built on matplotlib's Agg canvas, without pyplot, so nothing needs a display.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from arconvl.reports.names import CONTROL_METHOD, Q_VALUES, TABLE1_METHODS, display_name, family_name, metric_label
from arconvl.reports.provenance import smoke_title
from arconvl.reports.summary import summarise

CAPTIONS = {
    "test_gmean": "Performance deterioration in terms of G-mean (%) with the increase of class imbalance levels",
    "test_classwise_acc": "Performance deterioration in terms of class-wise accuracy (%) with the increase of "
    "class imbalance levels",
}


def metric_vs_q_figure(results, metric="test_gmean", methods=TABLE1_METHODS, control=CONTROL_METHOD,
                       show_std=False, ylim=None, title=None):
    """A matplotlib Figure of ``metric`` (in %) against q; raises ValueError when there is nothing to plot."""
    methods = list(methods)
    summary = summarise(results, metric, methods)
    if summary.empty:
        raise ValueError(f"no finished run of {', '.join(methods)} has a value of {metric}")
    families = list(dict.fromkeys(summary.index.get_level_values("dataset")))
    qs = sorted(set(Q_VALUES) | set(int(q) for q in summary.index.get_level_values("q")))
    x_of = {q: i for i, q in enumerate(qs)}

    # At least 9 inches wide, so one panel still has room for the title and a legend in one row.
    figure = Figure(figsize=(max(3.6 * len(families) + 0.4, 9.0), 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(families), squeeze=False)[0]
    colors = {m: f"C{i}" for i, m in enumerate(m for m in methods if m != control)}
    handles = {}
    for ax, family in zip(axes, families):
        part = summary.xs(family, level="dataset")
        for method in methods:
            present = part[("n", method)] > 0
            if not present.any():
                continue
            q_values = part.index[present]
            x = np.array([x_of[int(q)] for q in q_values])
            mean = 100 * part.loc[present, ("mean", method)].to_numpy(dtype=float)
            std = 100 * part.loc[present, ("std", method)].to_numpy(dtype=float)
            highlight = method == control
            style = dict(color="black" if highlight else colors[method], linewidth=2.6 if highlight else 1.2,
                         marker="*" if highlight else "o", markersize=9 if highlight else 4,
                         zorder=10 if highlight else 2, label=display_name(method))
            (line,) = ax.plot(x, mean, **style)
            if show_std:
                ax.fill_between(x, mean - np.nan_to_num(std), mean + np.nan_to_num(std),
                                color=style["color"], alpha=0.12, linewidth=0, zorder=style["zorder"] - 1)
            handles.setdefault(method, line)
        ax.set_title(family_name(family))
        ax.set_xticks(range(len(qs)), [str(q) for q in qs])
        ax.set_xlabel("Class imbalance level q")
        ax.set_ylabel(metric_label(metric))
        ax.grid(True, alpha=0.3)
        if ylim is not None:
            ax.set_ylim(*ylim)
    ordered = [handles[m] for m in methods if m in handles]
    figure.legend(ordered, [h.get_label() for h in ordered], loc="outside lower center",
                  ncol=min(len(ordered), 8), frameon=False)
    title = title or CAPTIONS.get(metric, f"{metric_label(metric)} against the imbalance level q")
    banner = smoke_title(results[results["method"].isin(methods)])
    figure.suptitle(f"{banner}\n{title}" if banner else title, fontsize="medium")
    return figure
