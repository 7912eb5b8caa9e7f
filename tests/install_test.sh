#!/usr/bin/env bash
# The installed package, used from outside the source and build trees (README
# "Install"): `cmake --install` of the command line and the Python package
# (components cli and python) into PREFIX, then, from a fresh empty folder,
# PREFIX/bin/almkit --version and a solve, and PYTHON importing almkit from
# PREFIX/PYDIR only: the package and its compiled _core lie in PREFIX, the
# version is the project's, _build_info names the installed command line, and
# a small problem from numpy is solved. Usage:
#   install_test.sh CMAKE BUILD_DIR PREFIX VERSION [PYTHON PYDIR]
# PYDIR: ALMKIT_PYTHON_INSTALL_DIR as configured (relative to PREFIX); empty
# when the Python module is not built (then only the command line is tested).
set -euo pipefail
cmake="$1" build="$2" prefix="$3" version="$4" python="${5:-}" pydir="${6:-}"
fail() { echo "install_test: $*" >&2; exit 1; }
rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" --component cli >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work" "$prefix"' EXIT
cd "$work"
case "$(pwd -P)/" in
  "$(cd "$build" && pwd -P)/"*) fail "the working folder $work lies in the build tree" ;;
esac

got="$("$prefix/bin/almkit" --version)"
[ "$got" = "almkit $version" ] || fail "$prefix/bin/almkit --version printed '$got', expected 'almkit $version'"
"$prefix/bin/almkit" solve hs071 --quiet >/dev/null || fail "$prefix/bin/almkit solve hs071 failed"
echo "install_test: $prefix/bin/almkit --version: $got"

if [ -z "$pydir" ]; then
  echo "install_test: the Python module is not built: command line only"
  exit 0
fi
case "$pydir" in
  /*) echo "install_test: ALMKIT_PYTHON_INSTALL_DIR is absolute ($pydir): not installed into a test prefix; command line only"
      exit 0 ;;
esac
"$cmake" --install "$build" --prefix "$prefix" --component python >/dev/null
# Only the installed site folder on sys.path (a test prefix is not one of the
# interpreter's own); no user site, no bytecode written into the prefix.
env -u PYTHONHOME PYTHONPATH="$prefix/$pydir" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 \
  "$python" - "$prefix" "$version" <<'PY'
import os
import sys

prefix, version = os.path.realpath(sys.argv[1]), sys.argv[2]
import numpy as np

import almkit
from almkit import _build_info, _core


def check(ok, what):
    if not ok:
        sys.exit(f"install_test: {what}")


for name, path in (("almkit", almkit.__file__), ("almkit._core", _core.__file__)):
    check(os.path.realpath(path).startswith(prefix + os.sep), f"{name} imported from {path}, not from {prefix}")
check(almkit.__version__ == version, f"almkit.__version__ {almkit.__version__!r}, expected {version!r}")
check(os.path.realpath(_build_info.cli) == os.path.join(prefix, "bin", "almkit"),
      f"_build_info.cli is {_build_info.cli!r}, not the installed command line")
# min (x0-1)^2 + (x1-2)^2  s.t.  x0 + x1 = 1: x = (0, 1), f = 2.
p = almkit.Problem(lambda x: float((x[0] - 1) ** 2 + (x[1] - 2) ** 2),
                   lambda x: np.array([2 * (x[0] - 1), 2 * (x[1] - 2)]), np.zeros(2),
                   c=lambda x: np.array([x[0] + x[1] - 1]), jac_c=lambda x: np.array([[1.0, 1.0]]))
r = almkit.solve(p)
check(np.allclose(r.x, [0.0, 1.0], atol=1e-5) and abs(r.objective - 2.0) < 1e-5,
      f"solve: x = {r.x}, f = {r.objective}, status {r.status}; expected x = (0, 1), f = 2")
print(f"install_test: import almkit {almkit.__version__} from {almkit.__file__}: x = {r.x}, status {r.status}")
PY
