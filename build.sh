#!/usr/bin/env bash
# Builds the `atoll` binary into build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")"
export CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja >/dev/null
ninja -C build atoll
