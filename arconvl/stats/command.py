"""``python -m arconvl stats``: average ranks, Friedman test and Holm post-hoc of a wide table.

Follows SPEC §6 and Demšar (2006): the Holm (1979) step-down comparisons against the control
are run only when the Friedman χ² test rejects at alpha.
"""

import argparse
from pathlib import Path

from arconvl.errors import ConfigError
from arconvl.stats.friedman import friedman_test
from arconvl.stats.holm import holm_posthoc, rank_difference_se
from arconvl.stats.ranks import average_ranks
from arconvl.stats.tables import read_wide_table


def _alpha(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def add_stats_parser(subparsers):
    """Add the ``stats`` subcommand to an argparse subparsers object; its handler is run_stats."""
    parser = subparsers.add_parser(
        "stats",
        help="average ranks, Friedman test and Holm post-hoc of a results table",
        description="Rank the methods of a table (rows = datasets, columns = methods, cells = numbers or "
        "mean±std; an avgRank row is ignored), run the Friedman test and, when it rejects, Holm's "
        "step-down post-hoc test against a control method (Demšar 2006).",
    )
    parser.add_argument("--table", type=Path, required=True, metavar="FILE", help="TSV or CSV table")
    parser.add_argument("--control", metavar="NAME", help="control method (default: the last column)")
    parser.add_argument("--alpha", type=_alpha, default=0.05, help="significance level (default: 0.05)")
    parser.add_argument("--lower-is-better", action="store_true",
                        help="rank the smallest value first (default: the largest, as for G-mean)")
    parser.set_defaults(handler=run_stats)
    return parser


def _control_index(methods, name):
    if name is None:
        return len(methods) - 1
    if name in methods:
        return methods.index(name)
    folded = [m for m in methods if m.casefold() == name.casefold()]
    if len(folded) == 1:
        return methods.index(folded[0])
    raise ConfigError(f"unknown --control {name!r}; the table's methods are: {', '.join(methods)}")


def _p(value):
    return f"{value:.3g}"


def run_stats(args):
    """Print the average ranks, the Friedman test and the Holm comparisons; return 0."""
    datasets, methods, means = read_wide_table(args.table)
    control = _control_index(methods, args.control)
    ranks = average_ranks(means, higher_is_better=not args.lower_is_better)
    friedman = friedman_test(means)
    rejected = friedman.rejects(args.alpha)
    width = max(map(len, methods))

    print(f"{args.table}: {len(datasets)} datasets, {len(methods)} methods, "
          f"{'lower' if args.lower_is_better else 'higher'} is better")
    for method, rank in zip(methods, ranks):
        print(f"{method:<{width}}  avg rank {rank:.3f}")
    print(f"Friedman: chi2 = {friedman.statistic:.2f} (df {friedman.df}), p = {_p(friedman.pvalue)}; "
          f"Iman-Davenport F = {friedman.iman_davenport_f:.2f} (df {friedman.df}, {friedman.df_denominator}), "
          f"p = {_p(friedman.iman_davenport_pvalue)}; "
          f"{'rejected' if rejected else 'not rejected'} at alpha = {args.alpha:g}")
    if not rejected:
        print(f"no post-hoc test: the Friedman test does not reject at alpha = {args.alpha:g}")
        return 0
    se = rank_difference_se(len(methods), len(datasets))
    print(f"Holm post-hoc against {methods[control]} (alpha = {args.alpha:g}, "
          f"z = (R_i - R_{methods[control]}) / {se:.4f}):")
    for row in holm_posthoc(ranks, control, len(datasets), args.alpha):
        print(f"{methods[row.index]:<{width}}  z = {row.z:.3f}, p = {_p(row.pvalue)}, "
              f"adjusted p = {_p(row.adjusted_pvalue)}, {'significant' if row.reject else 'not significant'}")
    return 0
