#!/usr/bin/env bash
# Runs every libFuzzer target found in a fuzz build for N seconds each, with
# its seed corpus. A crash fails the run.
#   scripts/run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
build="$1"
secs="$2"
found=0
for f in "$build"/fuzz/*_fuzzer; do
  [[ -x "$f" ]] || continue
  found=1
  name=$(basename "$f" _fuzzer)
  corpus="fuzz/corpus/$name"
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
  echo "fuzz: $name for ${secs}s"
  # Leak checking stays with the ASan unit-test run: LeakSanitizer's
  # stop-the-world can spin forever on a fuzzer's large heap. A hard timeout
  # keeps a stuck target from hanging CI.
  ASAN_OPTIONS=detect_leaks=0 timeout -k 10 $((secs + 120)) \
    "$f" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 "$work" 2>&1 | tail -n 12
  rc=${PIPESTATUS[0]}
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $name failed (exit $rc)" >&2
    exit 1
  fi
  rm -rf "$work"
done
if [[ $found -eq 0 ]]; then
  echo "run-fuzzers: no fuzz targets in $build/fuzz" >&2
  exit 1
fi
echo "fuzz: all targets ran without a crash"
