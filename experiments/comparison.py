#!/usr/bin/env python
"""Every reproduced cell beside the paper's value, with the difference in units of the paper's std.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/comparison.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("comparison")
