"""Fig. 3: the learned class regions in a 2-D feature space (D = 2).

Training features f(x) as points coloured by class, each class center C_j as a star, and each
learned radius R_j = |a_j| as a circle around its center. Built on matplotlib's Agg canvas.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle


def thin_per_class(labels, max_per_class, rng):
    """Indices keeping at most ``max_per_class`` of each class (random, sorted), so a plot of
    an imbalanced set neither drowns the minority classes nor takes minutes to draw."""
    kept = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) > max_per_class:
            members = rng.choice(members, max_per_class, replace=False)
        kept.append(members)
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=int)


def region_figure(features, labels, centers, radii, class_names=None, class_counts=None, title=None):
    """A Figure of 2-D ``features`` (n, 2) coloured by ``labels``, the ``centers`` (k, 2) and a
    circle of radius ``radii[j]`` around each; ``class_counts`` (training N_j) go in the legend."""
    features, centers, radii = (np.asarray(a, dtype=float) for a in (features, centers, radii))
    labels = np.asarray(labels)
    if features.ndim != 2 or features.shape[1] != 2 or centers.shape[1:] != (2,):
        raise ValueError(f"the region picture needs 2-D features and centers, got {features.shape} and {centers.shape}")
    k = len(centers)
    names = class_names or [str(j) for j in range(k)]
    figure = Figure(figsize=(7.5, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    for j in range(k):
        color = f"C{j % 10}"
        points = features[labels == j]
        label = names[j] if class_counts is None else f"{names[j]} (N={int(class_counts[j])})"
        ax.scatter(points[:, 0], points[:, 1], s=3, color=color, alpha=0.35, linewidths=0, label=label,
                   rasterized=True)
        ax.add_patch(Circle(centers[j], radii[j], fill=False, color=color, linewidth=1.8, zorder=5))
        ax.scatter(*centers[j], marker="*", s=180, color=color, edgecolors="black", linewidths=0.8, zorder=6)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.grid(True, alpha=0.25)
    legend = ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, markerscale=4,
                       fontsize="small")
    for handle in legend.legend_handles:
        handle.set_alpha(1)
    ax.set_title(title or "Learned class regions: training features, centers (stars) and radii (circles)",
                 fontsize="medium")
    return figure
