#!/usr/bin/env bash
# almkit set-up and run, idempotent, as root or with the packages already present.
#   ./run.sh          install what is missing, build (Release), install almkit, run the main job
#   ./run.sh test     the same, then the whole test suite and the installed-package example
# almkit is installed (README "Install") into ALMKIT_INSTALL_PREFIX (default
# /usr/local: /usr/local/bin/almkit, and the Python package in the site folder
# of /usr/bin/python3) when run as root or when that prefix is writable;
# otherwise run.sh says how. ALMKIT_INSTALL_PREFIX= (empty) skips the install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-main}"
build="${ALMKIT_BUILD_DIR:-$root/build}"
jobs="${ALMKIT_JOBS:-2}"

# python3-torch (~80 MB with its dependencies) only for the to_torch/from_torch tests (docs/python.md).
# libadolc-dev (optional): reverse-mode derivatives (docs/problem.md "Reverse mode"), tested when present.
# liblbfgsb-dev (optional): the bound-constrained inner solver 'lbfgsb', almkit's default when present
# (docs/inner_solvers.md); libnlopt-cxx-dev and coinor-libipopt-dev (optional): benchmark peers.
packages=(cmake g++ make libeigen3-dev libceres-dev libfmt-dev doctest-dev libcli11-dev nlohmann-json3-dev gnuplot-nox pkg-config libnlopt-cxx-dev coinor-libipopt-dev liblbfgsb-dev libadolc-dev
          pybind11-dev python3-dev python3-pybind11 python3-numpy python3-pytest python3-torch
          openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "almkit: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "almkit: error: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
    exit 2
  fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Python module is built for Debian's interpreter, which owns python3-numpy
# and python3-pytest (docs/python.md), when it exists.
pyargs=()
[ -x /usr/bin/python3 ] && pyargs=(-DPython_EXECUTABLE=/usr/bin/python3)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${pyargs[@]}" ${ALMKIT_CMAKE_ARGS:-}
cmake --build "$build" -j"$jobs"

# Install (README "Install"): the command line into <prefix>/bin and the Python
# package into the interpreter's site folder under <prefix>
# (ALMKIT_PYTHON_INSTALL_DIR, python/CMakeLists.txt); then both are used from
# an empty folder with no PYTHONPATH, as a newcomer would: `almkit --version`
# and `/usr/bin/python3 -c "import almkit"`. Into the default prefix,
# `./run.sh test` (CI) fails when either does not work; otherwise run.sh says
# what is missing (PATH, PYTHONPATH).
prefix="${ALMKIT_INSTALL_PREFIX-/usr/local}"
installed_check() {  # installed_check PREFIX PYTHON_SITE STRICT
  local prefix="$1" pysite="$2" strict="$3" problem="" found
  cd "$(mktemp -d)"
  unset PYTHONPATH
  found="$(command -v almkit || true)"
  if [ "$found" = "$prefix/bin/almkit" ]; then
    almkit --version
  else
    problem="'almkit' on PATH is '$found', not $prefix/bin/almkit: add $prefix/bin to PATH"
    "$prefix/bin/almkit" --version
  fi
  if [ -n "$pysite" ]; then
    if /usr/bin/python3 -c "import os, sys; sys.exit(0 if os.path.realpath(sys.argv[1]) in map(os.path.realpath, filter(None, sys.path)) else 1)" "$pysite"; then
      /usr/bin/python3 -c "import almkit; print('almkit: /usr/bin/python3 imports', almkit.__file__)"
    else
      problem="${problem:+$problem; }$pysite is not on the sys.path of /usr/bin/python3: import almkit with PYTHONPATH=$pysite"
    fi
  fi
  rm -rf "$(pwd)"
  [ -z "$problem" ] && return 0
  if [ "$strict" = 1 ]; then
    echo "almkit: error: the installed almkit: $problem" >&2
    return 1
  fi
  echo "almkit: $problem"
}
if [ -z "$prefix" ]; then
  echo "almkit: not installed (ALMKIT_INSTALL_PREFIX is empty); the command is $build/apps/almkit"
elif [ "$(id -u)" -eq 0 ] || { mkdir -p "$prefix" 2>/dev/null && [ -w "$prefix" ]; }; then
  cmake --install "$build" --prefix "$prefix" >/dev/null
  pysite=""
  [ -x /usr/bin/python3 ] && pysite="$(sed -n 's|/almkit/__init__\.py$||p' "$build/install_manifest.txt")"
  echo "almkit: installed $prefix/bin/almkit${pysite:+ and the Python package almkit into $pysite}"
  strict=0
  [ "$mode" = test ] && [ "$prefix" = /usr/local ] && strict=1
  (installed_check "$prefix" "$pysite" "$strict")
else
  echo "almkit: not installed ($prefix is not writable and not root); the command is $build/apps/almkit"
  echo "almkit: to install it: sudo cmake --install $build (/usr/local), or into a virtual environment or"
  echo "almkit: another prefix (README \"Install\"), e.g. ALMKIT_INSTALL_PREFIX=\$HOME/almkit ./run.sh"
fi

case "$mode" in
  main)
    "$build/apps/almkit" train --out "$root/out/train"
    ;;
  test)
    (cd "$build" && ctest --output-on-failure -j"$jobs")
    # The README example, built against the installed package (find_package(almkit)).
    rm -rf "$build/install" "$build/example"
    cmake --install "$build" --prefix "$build/install" >/dev/null
    cmake -S "$root/examples" -B "$build/example" -DCMAKE_PREFIX_PATH="$build/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build/example" -j"$jobs"
    "$build/example/define_your_problem"
    # The Python tests (docs/python.md), when the module was built.
    if [ -f "$build/python/almkit/__init__.py" ] && ls "$build"/python/almkit/_core*.so >/dev/null 2>&1; then
      PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$build/python${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/python3 -m pytest "$root/python/tests" -q -p no:cacheprovider
    else
      echo "almkit: Python module not built (pybind11 missing?): skipping the Python tests"
    fi
    ;;
  *)
    echo "usage: ./run.sh [main|test]" >&2
    exit 2
    ;;
esac
