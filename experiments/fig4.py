#!/usr/bin/env python
"""Fig. 4: G-mean vs q, one panel per dataset family, one line per method.

Reads results/PROFILE/table1.csv (and table2.csv) written by `python -m arconvl sweep`; writes
into results/PROFILE/. Usage: python experiments/fig4.py [--profile paper|smoke] [--results-dir DIR]
"""

from _report import run

run("fig4")
