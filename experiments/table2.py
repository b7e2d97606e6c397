#!/usr/bin/env python
"""Table 2: G-mean (%) of the seven ARConvL ablations, with pairwise ranks and Wilcoxon p-values.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/table2.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("table2")
