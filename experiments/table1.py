#!/usr/bin/env python
"""Table 1: G-mean (%) of the eight methods, with avg ranks and Holm tests against ARConvL.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/table1.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("table1")
