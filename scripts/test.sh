#!/usr/bin/env bash
# README command 2 (and what CI runs): install what is missing, build, and
# run every test:
#   1. the default build: unit, privileged (live eBPF, podman), C, Python,
#      install and symbol tests, through CTest;
#   2. the unit tests again under ASan+UBSan;
#   3. each libFuzzer target for a short time (VIGIL_FUZZ_SECONDS, default 30).
# Needs root for the privileged tests; under CI=true they fail, not skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"
scripts/install-deps.sh

echo "== default build and all tests"
scripts/build.sh default
ctest --test-dir build/default --output-on-failure --timeout 600 -j 1

echo "== unit tests under ASan+UBSan"
scripts/build.sh debug-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/debug-asan --output-on-failure -L unit --timeout 600 -j 2

echo "== fuzz targets"
scripts/build.sh fuzz
scripts/run-fuzzers.sh build/fuzz "${VIGIL_FUZZ_SECONDS:-30}"
