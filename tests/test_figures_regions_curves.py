"""Fig. 3 (the 2-D region picture) and Fig. 5 (per-epoch curves): what the figures draw, the
Fig. 5 sweep config, and both scripts end to end."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Circle
from repo_scripts import load_script
from test_data_imbalance import FASHION_DIR

from arconvl.reports.curves import read_histories, training_curves_figure
from arconvl.reports.regions import region_figure, thin_per_class
from arconvl.sweep import load_experiment

REPO = Path(__file__).resolve().parents[1]


def load_experiment_script(name):
    return load_script(f"experiments/{name}.py")


def test_thin_per_class_keeps_minorities_whole():
    labels = np.array([0] * 50 + [1] * 3 + [2] * 20)
    kept = thin_per_class(labels, 10, np.random.default_rng(0))
    assert np.bincount(labels[kept]).tolist() == [10, 3, 10]
    assert np.all(np.diff(kept) > 0)


def test_region_figure_draws_points_centers_and_radius_circles():
    centers = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.0]])
    radii = np.array([0.5, 1.25, 2.0])
    labels = np.repeat([0, 1, 2], 4)
    features = centers[labels] + 0.1
    figure = region_figure(features, labels, centers, radii, class_names=["a", "b", "c"], class_counts=[4, 4, 4])
    (ax,) = figure.axes
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert [c.get_radius() for c in circles] == radii.tolist()
    assert [tuple(c.center) for c in circles] == [tuple(c) for c in centers]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a (N=4)", "b (N=4)", "c (N=4)"]
    with pytest.raises(ValueError, match="2-D"):
        region_figure(np.zeros((3, 3)), labels[:3], np.zeros((3, 3)), radii)


def write_run(folder, dataset, method, seed, gmeans):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"dataset": dataset, "method": method, "seed": seed}))
    pd.DataFrame({"epoch": range(1, len(gmeans) + 1), "loss": 1.0, "test_gmean": gmeans,
                  "test_classwise_acc": np.asarray(gmeans) + 0.1}).to_csv(folder / "history.csv", index=False)


def test_training_curves_average_seeds_per_method_and_dataset(tmp_path):
    write_run(tmp_path / "a", "celeba", "arconvl", 0, [0.2, 0.4, 0.6])
    write_run(tmp_path / "b", "celeba", "arconvl", 1, [0.4, 0.6, 0.8])
    write_run(tmp_path / "c", "celeba", "la", 0, [0.1, 0.2, 0.3])
    write_run(tmp_path / "d", "inaturalist2018", "la", 0, [0.5, 0.5])   # still training: 2 epochs so far
    (tmp_path / "e").mkdir()                                            # no history yet: skipped
    histories = read_histories(tmp_path)
    assert len(histories) == 11
    figure = training_curves_figure(histories, methods=["la", "arconvl"])
    axes = np.array(figure.axes[:4]).reshape(2, 2)   # rows: G-mean, class-wise accuracy; columns: datasets
    gmean_celeba = {line.get_label(): line.get_ydata().tolist() for line in axes[0, 0].get_lines()}
    assert gmean_celeba["ARConvL"] == pytest.approx([30, 50, 70])   # mean of the two seeds, in %
    assert gmean_celeba["LA"] == pytest.approx([10, 20, 30])
    assert axes[1, 1].get_lines()[0].get_ydata().tolist() == pytest.approx([60, 60])
    assert axes[0, 1].get_title().startswith("iNaturalist 2018")


def test_fig5_config_and_script(tmp_path, capsys):
    paper = load_experiment(REPO / "configs" / "fig5.toml")
    assert {(r.dataset, r.q, r.method) for r in paper.runs()} == {
        (d, 1, m) for d in ("celeba", "inaturalist2018") for m in ("arconvl", "la", "cb_focal")}
    smoke = load_experiment(REPO / "configs" / "fig5.toml", "smoke")
    assert {r.dataset for r in smoke.runs()} == {"celeba"} and all(r.epochs == 2 for r in smoke.runs())

    fig5 = load_experiment_script("fig5")
    assert fig5.main(["--results-dir", str(tmp_path)]) == 2
    assert "no run under" in capsys.readouterr().err
    write_run(tmp_path / "paper" / "runs" / "fig5" / "celeba-q1-arconvl-s0", "celeba", "arconvl", 0, [0.1, 0.3])
    assert fig5.main(["--results-dir", str(tmp_path)]) == 0
    for suffix in ("png", "pdf"):
        assert (tmp_path / "paper" / f"fig5_training_curves.{suffix}").stat().st_size > 1000


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="needs the dataset-fashion-mnist package")
def test_fig3_script_trains_a_2d_arconvl_and_draws_it(tmp_path, capsys):
    fig3 = load_experiment_script("fig3")
    arguments = ["--epochs", "1", "--subsample", "0.03", "--out-dir", str(tmp_path), "--offline", "--quiet"]
    assert fig3.main(arguments) == 0
    run_dir = tmp_path / "runs" / "fashion_mnist-q10-seed0"
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["feature_dim"], config["method"], config["q"]) == (2, "arconvl", 10)
    for suffix in ("png", "pdf"):
        assert (tmp_path / f"fig3_regions_fashion_mnist_q10.{suffix}").stat().st_size > 1000
    capsys.readouterr()
    assert fig3.main(arguments) == 0                                   # a finished run is reused
    assert "is finished; not retraining" in capsys.readouterr().out
