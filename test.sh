#!/usr/bin/env bash
# Builds everything with -Werror and runs every test; then builds the unit and simulation
# tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them again.
# Run ./install.sh first (the README's test command does both).
set -euo pipefail
cd "$(dirname "$0")"
export CCACHE_BASEDIR="$PWD"  # relative paths: a fresh clone reuses the cache
JOBS="${ATOLL_JOBS:-$(nproc)}"

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DATOLL_WERROR=ON >/dev/null
ninja -C build -j "$JOBS"

echo "== tests"
ctest --test-dir build --output-on-failure -j "$JOBS" --timeout 600

if [ "${ATOLL_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== unit and simulation tests under ASan+UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DATOLL_WERROR=ON \
    -DATOLL_SANITIZE=ON -DATOLL_TESTS_ONLY=ON >/dev/null
  ninja -C build-asan -j "$JOBS"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L 'unit|sim' --output-on-failure -j "$JOBS" --timeout 900
fi
