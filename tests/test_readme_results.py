"""scripts/readme_results.py: the README's "Reproduced results" section is what the committed rows
give, and the words it builds around them follow the numbers (leaders, cells beyond two paper stds,
early selections, progress)."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from repo_scripts import load_script

from arconvl.paper import paper_class_counts
from arconvl.reports import read_results, write_reports
from arconvl.sweep.experiment import load_experiment

REPO = Path(__file__).resolve().parents[1]
FASHION_ROWS = REPO / "results" / "fashion" / "table1.csv"
REVIEW = REPO / "docs" / "fashion_review.md"
REPORTS = [f"{stem}.{ext}" for stem in ("table1_gmean", "table3_classwise_accuracy") for ext in ("md", "tex", "csv")]
REPORTS += ["table1_gmean_stats.csv", "table3_classwise_accuracy_stats.csv", "comparison_with_paper.md",
            "comparison_with_paper.csv"]


@pytest.fixture(scope="module")
def script():
    return load_script("scripts/readme_results.py")


@pytest.fixture(scope="module")
def experiment():
    return load_experiment(REPO / "configs" / "table1.toml", "fashion")


@pytest.fixture(scope="module")
def seed0_q10():
    """The eight committed seed-0 runs at q = 10: real rows, one configuration per cell."""
    rows = read_results(FASHION_ROWS)
    rows = rows[(rows["q"] == 10) & (rows["seed"] == 0)].reset_index(drop=True)
    assert len(rows) == 8
    return rows


def prose(text):
    return " ".join(text.split())


def test_the_committed_readme_section_is_the_one_the_committed_rows_give():
    """As a user runs it: exit 0, and nothing on stderr (no TensorFlow start-up lines either)."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "scripts/readme_results.py", "--check"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stderr) == (0, ""), done.stdout[-3000:] + done.stderr[-3000:]


def test_check_fails_with_a_diff_when_a_number_of_the_section_is_edited(script, tmp_path, capsys):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(script.HEADING):]
    row = next(line for line in section.splitlines() if line.startswith("| Fashion"))
    edited = readme.replace(row, row.rsplit("|", 2)[0] + "| 99 |", 1)  # its n, whatever the rows hold
    assert edited != readme
    (tmp_path / "README.md").write_text(edited, encoding="utf-8")
    assert script.main(["--check", "--readme", str(tmp_path / "README.md")]) == 1
    out = capsys.readouterr().out
    assert "-| " in out and "+| " in out
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == edited  # --check writes nothing

    assert script.main(["--readme", str(tmp_path / "README.md")]) == 0
    assert script.main(["--check", "--readme", str(tmp_path / "README.md")]) == 0


def test_bad_input_is_one_error_line_not_a_traceback(script, tmp_path, capsys):
    assert script.main(["--results-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"readme_results.py: error: results file {tmp_path}")
    (tmp_path / "README.md").write_text("# A README without the section\n", encoding="utf-8")
    assert script.main(["--readme", str(tmp_path / "README.md")]) == 2
    assert "has no line '## Reproduced results'" in capsys.readouterr().err


def test_the_section_replaces_only_its_own_part_of_the_readme(script):
    readme = "# T\n\nintro\n\n## Reproduced results\n\nold\n\n| a |\n\n## Statistics\n\nkept\n"
    assert script.replace_section(readme, "## Reproduced results\n\nnew\n\n") == (
        "# T\n\nintro\n\n## Reproduced results\n\nnew\n\n## Statistics\n\nkept\n")


def test_the_prose_names_the_leader_the_last_and_the_cells_beyond_two_paper_stds(script, experiment, seed0_q10):
    # Fashion-10 in the paper: CPL 86.6±0.6, Affinity 86.2±0.3, ARConvL 88.5±0.5 (Table 1).
    rows = seed0_q10.copy()
    gmean = {"cpl": 0.900, "gcpl": 0.860, "focal": 0.861, "cb": 0.862, "cb_focal": 0.863, "affinity": 0.800,
             "la": 0.864, "arconvl": 0.885}
    rows["test_gmean"] = rows["method"].map(gmean)
    rows["test_gmean_last"] = rows["test_gmean"]
    text = prose(script.section(experiment, rows))

    # CPL: (90.0 − 86.6) / 0.6 = +5.7 stds; Affinity: (80.0 − 86.2) / 0.3 = −20.7; ARConvL 88.5: ±0.0.
    assert ("beyond: CPL at Fashion-10, selected epoch: +5.7 stds, n = 1; CPL at Fashion-10, last epoch: "
            "+5.7 stds, n = 1;") in text
    assert "Affinity at Fashion-10, selected epoch: −20.7 stds, n = 1" in text
    assert "| Fashion-10 | ARConvL | 88.5±0.5 | 88.5 | +0.0 | 88.5 | +0.0 | 1 |" in text
    assert "lie within 2 paper stds" in text
    assert "the best average rank is held by CPL at our selected epoch (1.00), by CPL at our last epoch" in text
    assert "by ARConvL in the paper (1.00)" in text
    assert "the worst by Affinity (8.00), by Affinity (8.00) and by Affinity (8.00)" in text
    # The fashion profile has its review of such cells; a profile without one names none.
    assert "stds, n = 1; what was checked for each: [docs/fashion_review.md](docs/fashion_review.md))." in text
    other = dataclasses.replace(experiment, profile="elsewhere")
    assert "what was checked" not in prose(script.section(other, rows))


def review_table():
    """The cells of each row of the first table of docs/fashion_review.md."""
    rows, body = [], False
    for line in REVIEW.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            if body:
                rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
            body = body or set(line) <= set("|:- ")  # the line under the header
        elif body:
            break
    return rows


def test_the_review_lists_every_committed_number_beyond_two_paper_stds_and_no_other(script):
    """docs/fashion_review.md says what was checked for each number of the committed comparison (Table 1
    and supplementary Table 3, selected and last epoch) more than two paper stds off: its table is
    that list, in the comparison's order, with the comparison's numbers."""
    comparison = pd.read_csv(REPO / "results" / "fashion" / "comparison_with_paper.csv")
    beyond = []
    for c in comparison.itertuples():
        for epoch, mean, std, stds in (("selected", c.ours_mean_pct, c.ours_std_pct, c.diff_paper_stds),
                                       ("last", c.ours_last_mean_pct, c.ours_last_std_pct, c.diff_last_paper_stds)):
            if abs(stds) > script.BEYOND:
                beyond.append([c.table, c.data, c.display_name, epoch, f"{c.paper_mean_pct:.1f}±{c.paper_std_pct:.1f}",
                               f"{mean:.1f}±{std:.1f}", f"{stds:+.2f}".replace("-", "\N{MINUS SIGN}")])
    assert len(beyond) == 5  # the committed 48 runs: 3 numbers of Focal and GCPL at q = 100, 2 of CB Focal at q = 10
    assert review_table() == beyond


def test_the_prose_counts_early_selections_and_their_gap_by_hand(script, experiment, seed0_q10):
    rows = seed0_q10.copy()
    rows["best_epoch"] = 40
    rows.loc[[0, 1], "best_epoch"] = [5, 26]  # before the first decay (epoch 27); 27 itself is not
    rows.loc[2, "best_epoch"] = 27
    rows["test_gmean_last"] = rows["test_gmean"]
    rows.loc[[0, 1], "test_gmean_last"] = rows.loc[[0, 1], "test_gmean"] + [0.02, 0.05]  # 2 and 5 points
    text = prose(script.section(experiment, rows))
    assert ("in 2 of 8 runs validation selected an epoch before the first learning-rate decay, at epoch 27, "
            "and those runs' selected epochs read 3.5 points below their last on average") in text
    assert "differ by up to 5.0 points here" in text


def test_the_prose_names_the_runs_whose_validation_g_mean_never_left_zero(script, experiment, seed0_q10):
    assert "validation G-mean was 0" not in prose(script.section(experiment, seed0_q10))
    rows = seed0_q10.copy()
    rows.loc[rows["method"] == "affinity", "val_gmean"] = 0.0
    assert ("in 1 run (Affinity at q = 10, seed 0) validation G-mean was 0 at every epoch"
            in prose(script.section(experiment, rows)))
    rows.loc[rows["method"] == "cb", "val_gmean"] = 0.0
    assert "in 2 runs (CB at q = 10, seed 0 and Affinity at q = 10, seed 0)" in prose(script.section(experiment, rows))


def test_the_validation_count_of_the_smallest_class_is_the_papers_count_split_90_10(script, experiment, seed0_q10):
    # Supplementary Table 1: Fashion-100 keeps 60 training images of each even class; 10% of 60 is 6.
    assert min(paper_class_counts("fashion_mnist", 100)[0]) == 60
    assert script.smallest_validation_class(experiment, seed0_q10) == (100, 6)


def test_progress_reads_in_progress_until_every_run_of_the_grid_is_in(script, experiment, seed0_q10):
    partial = prose(script.introduction(experiment, seed0_q10))
    # Their seconds: 1225.6 … 2759.2 (20.4 and 46.0 minutes), median (2368.7 + 2378.1) / 2 = 2373.4 s.
    assert "48 runs of 40 minutes each (median; 20–46) on a 2-core CPU" in partial
    assert "**In progress: 8 of the 48 runs are finished** (q = 10: CPL, GCPL, Focal, CB, CB Focal, " \
           "Affinity, LA, ARConvL at seed 0)" in partial

    q100 = seed0_q10.assign(q=100)
    grid = pd.concat([rows.assign(seed=seed) for rows in (q100, seed0_q10) for seed in (0, 1, 2)],
                     ignore_index=True)
    assert len(grid) == len(experiment.runs()) == 48
    complete = prose(script.introduction(experiment, grid))
    assert "All 48 runs are finished;" in complete and "In progress" not in complete
    assert "seeds 0–2: 48 runs" in complete and "at q = 100 and 10, all 8 methods of Table 1" in complete


def test_the_committed_fashion_reports_are_the_ones_its_rows_give(tmp_path):
    """The committed tables and comparison are rebuilt byte for byte from the committed rows (the
    figures are left out: a PNG's bytes depend on the Matplotlib that drew it)."""
    written = write_reports({"table1": read_results(FASHION_ROWS)}, tmp_path,
                            reports=("table1", "table3", "comparison"))
    assert sorted(p.name for p in written) == sorted(REPORTS)
    for path in written:
        committed = REPO / "results" / "fashion" / path.name
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), path.name
