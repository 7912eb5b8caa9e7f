# pytest set-up for the almkit Python tests (docs/python.md "Tests"): the
# package is imported from PYTHONPATH (<build>/python, as run.sh sets it).
import os
import sys

import pytest

try:
    import almkit  # noqa: F401
except ImportError as e:  # a clear message instead of a collection error per file
    raise pytest.UsageError(
        f"cannot import almkit ({e}); set PYTHONPATH=<build>/python after building with pybind11 "
        f"(docs/python.md); interpreter {sys.executable}, PYTHONPATH={os.environ.get('PYTHONPATH')}")
