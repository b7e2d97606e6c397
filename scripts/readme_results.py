#!/usr/bin/env python
"""The README's "Reproduced results" section, rebuilt from one profile's results rows.

Every table and every number of the section comes from ``results/PROFILE/table1.csv`` through the
functions behind ``python -m arconvl report comparison`` (``compare_with_paper``,
``average_ranks_beside_paper``) and the profile's grid in ``configs/table1.toml``; only the words
around them are written here. So the section says what the rows say, and ``--check`` (run by the
test suite) fails when the committed rows and the README part ways.

    python scripts/readme_results.py                 # rewrite README.md's section
    python scripts/readme_results.py --check         # exit 1, printing a diff, if it is stale
    python scripts/readme_results.py --profile fashion --results-dir results --readme README.md
"""

import argparse
import difflib
import os
import sys
import textwrap
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as python -m arconvl: no TensorFlow start-up lines

from arconvl.data.imbalance import validation_count  # noqa: E402 - after the path insert above
from arconvl.errors import ArconvlError, ConfigError  # noqa: E402
from arconvl.paper import paper_class_counts  # noqa: E402
from arconvl.reports import (  # noqa: E402
    average_ranks_beside_paper,
    compare_with_paper,
    finished_runs,
    format_mean_std,
    read_results,
)
from arconvl.reports.comparison import format_signed, ranks_markdown  # noqa: E402
from arconvl.reports.names import display_name  # noqa: E402

HEADING = "## Reproduced results"
EXPERIMENT = REPO / "configs" / "table1.toml"
WIDTH = 100  # the README's line width
BEYOND = 2  # a cell further than this many paper stds from the paper's mean is named in the prose
GMEAN = "test_gmean"


def joined(names):
    """``A``, ``A and B``, ``A, B and C``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def seed_range(seeds):
    seeds = sorted(seeds)
    contiguous = seeds == list(range(seeds[0], seeds[-1] + 1))
    return f"{seeds[0]}–{seeds[-1]}" if contiguous and len(seeds) > 2 else ", ".join(map(str, seeds))


def finished_by_row(runs, methods):
    """``q = 100: CPL, GCPL at seeds 0, 1; Focal at seed 0 — q = 10: …``: which runs are in, per q
    (the profile's order), methods grouped by the seeds they have (the grid's method order)."""
    parts = []
    for q, group in runs.groupby("q", sort=False):
        seeds = group.groupby("method")["seed"].apply(lambda s: tuple(sorted(int(v) for v in s)))
        by_seeds = {}
        for method in methods:
            if method in seeds:
                by_seeds.setdefault(seeds[method], []).append(display_name(method))
        parts.append(f"q = {q}: " + "; ".join(
            f"{', '.join(names)} at seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))}"
            for s, names in by_seeds.items()))
    return " — ".join(parts)


def run_minutes(runs):
    """`` of N minutes each (median; A–B) on a 2-core CPU, …`` from the rows' training
    seconds ("" without them): what a run costs on the machine the evidence was made on."""
    minutes = runs["seconds"].dropna() / 60 if "seconds" in runs.columns else pd.Series(dtype=float)
    if minutes.empty:
        return ""
    return (f" of {minutes.median():.0f} minutes each (median; {minutes.min():.0f}–{minutes.max():.0f}) "
            "on a 2-core CPU, two runs at a time and other work beside them")


def introduction(experiment, runs):
    planned = len(experiment.runs())
    epochs = joined(str(e) for e in sorted(runs["epochs"].unique())) if len(runs) else "the paper's"
    progress = (f"All {planned} runs are finished" if len(runs) == planned
                else f"**In progress: {len(runs)} of the {planned} runs are finished** "
                f"({finished_by_row(runs, experiment.methods)})")
    return (
        "Fashion-MNIST is the one dataset of the paper that can be had offline, so it carries this "
        f"reproduction's evidence: `configs/table1.toml --profile {experiment.profile}` is the paper's "
        f"protocol ({epochs} epochs, variant `{experiment.variant}`, {experiment.precision}, "
        f"best-validation-G-mean selection) at q = {joined(map(str, experiment.qs))}, all "
        f"{len(experiment.methods)} methods of Table 1, seeds {seed_range(experiment.seeds)}: {planned} runs"
        f"{run_minutes(runs)}. "
        f"{progress}; their rows and each run's `run.csv`, `history.csv` and `config.json` are in "
        f"`results/{experiment.profile}/`, and the tables below are the project's own reports on them "
        f"(`python -m arconvl report table1 table3 fig4 comparison --profile {experiment.profile}`; "
        f"`results/{experiment.profile}/comparison_with_paper.md` has class-wise accuracy too; "
        "`python scripts/readme_results.py` writes this section from the same rows)."
    )


TABLE_INTRODUCTION = (
    "Test G-mean (%), ours at the epoch of best validation G-mean (the paper's selection) and at the "
    "last epoch, beside the paper's Table 1 (mean ± std over its 10 seeds); \"in paper stds\" = "
    "(ours − paper) / paper's std:"
)


def gmean_table(cells):
    lines = ["| Data | Method | Paper | Ours, selected epoch | in paper stds | Ours, last epoch | "
             "in paper stds | n |", "|:---|:---|---:|---:|---:|---:|---:|---:|"]
    for c in cells.itertuples():
        lines.append(
            f"| {c.data} | {c.display_name} | {c.paper_mean_pct:.1f}±{c.paper_std_pct:.1f} | "
            f"{format_mean_std(c.ours_mean_pct, c.ours_std_pct, c.n, full_n=0)} | "
            f"{format_signed(c.diff_paper_stds, 1)} | "
            f"{format_mean_std(c.ours_last_mean_pct, c.ours_last_std_pct, c.n, full_n=0)} | "
            f"{format_signed(c.diff_last_paper_stds, 1)} | {c.n} |")
    return "\n".join(lines)


def ranks_introduction(rank_rows):
    return (f"Average ranks of the eight methods on the rows where every method has a finished run "
            f"({', '.join(rank_rows)}), beside the paper's ranks on the same rows (rank 1 = best):")


def extreme(ranks, column, best):
    """(the methods holding the best or worst average rank of ``column``, that rank)."""
    value = ranks[column].min() if best else ranks[column].max()
    return joined(ranks.index[ranks[column] == value]), value


def rank_sentence(ranks, rank_rows):
    """Who holds the best and the worst average rank: ours at the selected and at the last epoch, and
    the paper's on the same rows."""
    columns = [c for c in ("ours", "ours_last", "paper") if c in ranks.columns]
    where = {"ours": "at our selected epoch", "ours_last": "at our last epoch", "paper": "in the paper"}
    best = joined(f"by {names} {where[c]} ({value:.2f})" for c in columns
                  for names, value in [extreme(ranks, c, best=True)])
    worst = joined(f"by {names} ({value:.2f})" for c in columns for names, value in [extreme(ranks, c, best=False)])
    return (f"On the {len(rank_rows)} rows that every method has ({', '.join(rank_rows)}), the best "
            f"average rank is held {best}; the worst {worst}, in the same order")


def review_path(profile):
    """``docs/PROFILE_review.md``: what was checked for each cell of the profile beyond ``BEYOND``."""
    return Path("docs") / f"{profile}_review.md"


def beyond_list(cells, profile):
    """The cells more than ``BEYOND`` paper stds off, at the selected and at the last epoch, and the
    review of them where the profile has one."""
    items = []
    for c in cells.itertuples():
        for where, value in (("selected", c.diff_paper_stds), ("last", c.diff_last_paper_stds)):
            if abs(value) > BEYOND:
                items.append(f"{c.display_name} at {c.data}, {where} epoch: {format_signed(value, 1)} stds, n = {c.n}")
    if not items:
        return f"none beyond {BEYOND}"
    review = review_path(profile).as_posix()
    checked = f"; what was checked for each: [{review}]({review})" if (REPO / review).exists() else ""
    return "beyond: " + "; ".join(items) + checked


def early_selections(runs):
    """The runs whose selected epoch lies before the first learning-rate decay, in words."""
    first_decay = int(str(runs["lr_decay_epochs"].iloc[0]).split(";")[0])
    early = runs[runs["best_epoch"] < first_decay]
    text = (f"in {len(early)} of {len(runs)} runs validation selected an epoch before the first "
            f"learning-rate decay, at epoch {first_decay}")
    if len(early):
        gap = (100 * (early["test_gmean_last"] - early[GMEAN])).mean()
        text += f", and those runs' selected epochs read {gap:.1f} points below their last on average"
    return text


def blind_selections(runs):
    """The runs whose best validation G-mean is 0, in words ("" when none): some class was never
    recalled on its validation images at any epoch, and the tie rule kept the last epoch."""
    blind = runs[runs["val_gmean"] == 0]
    if blind.empty:
        return ""
    names = joined(f"{display_name(r.method)} at q = {r.q}, seed {r.seed}" for r in blind.itertuples())
    return (f"; in {len(blind)} run{'s' if len(blind) > 1 else ''} ({names}) validation G-mean was 0 at "
            "every epoch, a class never recalled on its validation images, so selection kept the last "
            "epoch (ties go to the later epoch, as in the authors' code)")


def smallest_validation_class(experiment, runs):
    """(q, images) of the smallest class of the validation split at the profile's largest q."""
    q = max(experiment.qs)
    smallest = min(min(paper_class_counts(d, q)[0]) for d in experiment.datasets)
    return q, validation_count(smallest, float(runs["val_fraction"].iloc[0]))


def what_it_shows(experiment, cells, ranks, rank_rows, runs):
    within = {column: int((cells[column].abs() <= BEYOND).sum())
              for column in ("diff_paper_stds", "diff_last_paper_stds")}
    largest_gap = (100 * (runs[GMEAN] - runs["test_gmean_last"]).abs()).max()
    q, images = smallest_validation_class(experiment, runs)
    most_seeds = int(cells["n"].max())
    datasets = "one dataset" if runs["dataset"].nunique() == 1 else f"{runs['dataset'].nunique()} datasets"
    text = (
        f"What this shows: {within['diff_paper_stds']} of {len(cells)} selected-epoch means and "
        f"{within['diff_last_paper_stds']} of {len(cells)} last-epoch means lie within {BEYOND} paper "
        f"stds of the paper's mean ({beyond_list(cells, experiment.profile)})."
    )
    if ranks is not None:
        text += f" {rank_sentence(ranks, rank_rows)}."
    return text + (
        f" What it does not show: with n ≤ {most_seeds} seeds on {datasets}"
        " a mean is uncertain by about the paper's std, and the selected epoch is chosen on a "
        f"validation split that holds {images} images of each minority class at q = {q}, so one "
        "image can move the selection (the selected and last epochs of one run differ by up to "
        f"{largest_gap:.1f} points here; {early_selections(runs)}{blind_selections(runs)}; "
        f"`comparison_with_paper.md` lists each seed's selected epoch); no rank difference is tested. "
        "The other three datasets of Table 1 download on a user's machine (`--profile paper`)."
    )


def wrapped(paragraph):
    """Prose filled to ``WIDTH``; tables and headings as they are."""
    if paragraph.startswith(("|", "#")):
        return paragraph
    return textwrap.fill(paragraph, width=WIDTH, break_on_hyphens=False, break_long_words=False)


def section(experiment, results):
    """The whole section, from its heading to the blank line before the README's next heading."""
    comparison = compare_with_paper(results)
    cells = comparison[comparison["metric"] == GMEAN]
    ranks, rank_rows = average_ranks_beside_paper(results)
    runs = finished_runs(results, GMEAN)
    paragraphs = [HEADING, introduction(experiment, runs), TABLE_INTRODUCTION, gmean_table(cells)]
    if ranks is not None:
        paragraphs += [ranks_introduction(rank_rows), ranks_markdown(ranks)]
    paragraphs.append(what_it_shows(experiment, cells, ranks, rank_rows, runs))
    return "\n\n".join(wrapped(p) for p in paragraphs) + "\n\n"


def replace_section(readme, text):
    """``readme`` with its "Reproduced results" section (up to the next ``## `` heading) replaced."""
    start = readme.find(HEADING + "\n")
    if start < 0:
        raise ConfigError(f"the README has no line {HEADING!r}")
    end = readme.find("\n## ", start + len(HEADING))
    return readme[:start] + text + (readme[end + 1:] if end >= 0 else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="fashion", help="the profile of configs/table1.toml (default: fashion)")
    parser.add_argument("--results-dir", type=Path, default=REPO / "results",
                        help="the folder holding PROFILE/table1.csv (default: results)")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md", help="default: README.md")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 with a diff when the README's section is stale")
    args = parser.parse_args(argv)
    from arconvl.sweep.experiment import load_experiment  # noqa: PLC0415 - imports Keras; --help does not

    try:
        experiment = load_experiment(EXPERIMENT, args.profile)
        results = read_results(args.results_dir / args.profile / "table1.csv")
        readme = args.readme.read_text(encoding="utf-8")
        updated = replace_section(readme, section(experiment, results))
    except (ArconvlError, OSError) as error:
        print(f"readme_results.py: error: {error}", file=sys.stderr)
        return 2
    if args.check:
        if updated == readme:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            readme.splitlines(keepends=True), updated.splitlines(keepends=True),
            str(args.readme), f"{args.readme} rebuilt from {args.results_dir / args.profile}"))
        print(f"\n{args.readme}'s {HEADING!r} is stale: run python scripts/readme_results.py", file=sys.stderr)
        return 1
    args.readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
