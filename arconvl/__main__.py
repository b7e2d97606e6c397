"""``python -m arconvl``: see ``arconvl.cli``."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off stderr

from arconvl.cli import main  # noqa: E402

sys.exit(main())
