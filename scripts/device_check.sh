#!/usr/bin/env bash
# The GPU check of issue 15 (docs/gpu.md): at most 8 minutes on the GPU, writing
# DIR/device_check.json, DIR/device_check.md and DIR/device_check.log.
#
#   scripts/device_check.sh [--out DIR] [--quick] [--bundle DIR] [--data-dir DIR]
#
# The wheels of the bundle folder (.device-bundle/, from `make device-bundle`) are installed into a
# temporary folder first, with no network; the backend is KERAS_BACKEND's (jax on the GPU machine).
# Python: $PYTHON, else the project's .venv, else python3. Everything else: scripts/device_check.py.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-}
if [ -z "$python" ]; then
  if [ -x "$repo/.venv/bin/python" ]; then python=$repo/.venv/bin/python; else python=python3; fi
fi
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2} PYTHONUNBUFFERED=1
exec "$python" "$repo/scripts/device_check.py" "$@"
