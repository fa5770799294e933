#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every
# test: lints, C++ tests (CTest), Python tests of scripts/, then the C++
# tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== lint"
/usr/bin/python3 scripts/lint.py

echo "== build"
BUILD_DIR=build scripts/build.sh -DEPSIM_WERROR=ON

echo "== C++ tests"
# Tests whose name ends in _Slow are campaigns (minutes): run them with
# `ctest --test-dir build -R '_Slow$'`. (The pattern is anchored: a plain
# "Slow" also matched ordinary tests such as SlowPathAndVisibility.)
ctest --test-dir build --output-on-failure --parallel "$(nproc)" \
  --timeout 600 -E '_Slow$'

echo "== Python tests"
/usr/bin/python3 -m unittest discover -s scripts/tests -p '*_test.py'

echo "== sanitizers (address, undefined)"
BUILD_DIR=build-asan scripts/build.sh -DEPSIM_WERROR=ON -DEPSIM_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" \
  --timeout 900 -LE "slow|properties" -E '_Slow$'

echo "== all tests passed"
