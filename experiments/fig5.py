#!/usr/bin/env python
"""Fig. 5: per-epoch test G-mean and class-wise accuracy of ARConvL, LA and CB Focal on CelebA
and iNaturalist 2018, from the run directories of ``sweep configs/fig5.toml`` (finished runs and
runs still training alike):

    python -m arconvl sweep configs/fig5.toml --data-dir DIR [--profile paper|smoke]
    python experiments/fig5.py [--profile paper|smoke] [--results-dir DIR]

Reads RESULTS_DIR/PROFILE/runs/fig5/*/history.csv; writes RESULTS_DIR/PROFILE/fig5_training_curves.{png,pdf}.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--results-dir", type=Path, default=Path("results"))
    args = parser.parse_args(argv)

    from arconvl.reports.writers import write_training_curves

    runs_dir = args.results_dir / args.profile / "runs" / "fig5"
    paths = write_training_curves(runs_dir, args.results_dir / args.profile)
    if not paths:
        print(f"fig5.py: error: no run under {runs_dir} has a history.csv yet; run "
              f"`python -m arconvl sweep configs/fig5.toml --profile {args.profile} --data-dir DIR` first",
              file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
