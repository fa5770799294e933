#!/usr/bin/env bash
# Installs what is missing, builds, and runs the default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scenario="${1:-scenarios/wan5-crash.json}"
echo "== epsim run $scenario"
build/epsim run "$scenario"
