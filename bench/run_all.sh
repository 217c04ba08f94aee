#!/usr/bin/env bash
# Runs every vigil benchmark in sequence and prints their summaries.
# docs/performance.md explains the method and records the figures.
#
# Usage (root): bench/run_all.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR  a Release build with VIGIL_BUILD_BENCH=ON (default: build-bench):
#     cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
#           -DVIGIL_BUILD_TESTS=OFF -DVIGIL_BUILD_PYTHON=OFF && ninja -C build-bench
#   OUT_DIR    where the full outputs go (default: a new /var/tmp/vigil-bench-results.*)
# Environment: QUICK=1 for a short smoke run (fewer repetitions and rounds);
#              MAX_LOAD=1.0: before each benchmark, waits (up to WAIT_S=600 s) for
#              the 1-minute load average to fall below it, then runs anyway; the
#              load at the start of each benchmark is printed with its results.
# The 10 000-process test runs last: killing 10 000 processes at once sends the
# load average into the hundreds for minutes (they are all runnable while they exit).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$(cd "${1:-$HERE/../build-bench}" && pwd)"
OUT="${2:-$(mktemp -d /var/tmp/vigil-bench-results.XXXXXX)}"
mkdir -p "$OUT"
B="$BUILD/bench"
MAX_LOAD="${MAX_LOAD:-1.0}"
WAIT_S="${WAIT_S:-600}"

if [ "$(id -u)" != 0 ]; then echo "run_all.sh: needs root (live eBPF capture)" >&2; exit 2; fi
for b in syscall_overhead_benchmark capture_throughput rss_10k_processes capture_sink detect_benchmark; do
  [ -x "$B/$b" ] || { echo "run_all.sh: $B/$b not built" >&2; exit 2; }
done

load1() { cut -d' ' -f1 /proc/loadavg; }
# Tracing BPF programs loaded by anyone (another capture distorts every figure).
tracing_progs() { bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracepoint|raw_tracepoint|tracing) ' || true; }
busy() { awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN{exit !(l >= m)}' || [ "$(tracing_progs)" != 0 ]; }
wait_quiet() {
  local waited=0
  while busy && [ "$waited" -lt "$WAIT_S" ]; do
    [ "$waited" = 0 ] && echo "run_all.sh: load average $(load1) (>= $MAX_LOAD?), tracing programs of others: $(tracing_progs); waiting up to $WAIT_S s..."
    sleep 5; waited=$((waited + 5))
  done
  busy && echo "run_all.sh: still busy after $WAIT_S s (load $(load1), tracing programs $(tracing_progs)): running anyway"
  return 0
}
wait_quiet

if [ "${QUICK:-0}" = 1 ]; then
  GB_ARGS=(--passes=2 --benchmark_min_time=0.1)
  TP_ARGS=(--step-seconds 1)
  REDIS_ENV=(ROUNDS=2 REQUESTS=50000)
  DT_ARGS=(--seconds 1 --rounds 2)
else
  GB_ARGS=(--passes=8 --benchmark_min_time=0.3)
  TP_ARGS=(--step-seconds 3)
  REDIS_ENV=(ROUNDS=6)
  DT_ARGS=(--seconds 3 --rounds 5)
fi

{
  echo "date:    $(date -u +%FT%TZ)"
  echo "kernel:  $(uname -r)"
  echo "cpus:    $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
  echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
  echo "commit:  $(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo unknown) $(git -C "$HERE/.." status --porcelain 2>/dev/null | grep -q . && echo '(dirty tree)')"
  echo "tracing BPF programs already loaded by others: $(tracing_progs)"
} | tee "$OUT/machine.txt"

run() {  # run NAME COMMAND...: full output to OUT/NAME.txt
  local name=$1; shift
  wait_quiet
  echo; echo "=== $name: $* (load $(cut -d' ' -f1-3 /proc/loadavg), tracing programs of others: $(tracing_progs))"
  "$@" > "$OUT/$name.txt" 2>&1 || echo "run_all.sh: $name exited with status $?"
}

run syscall_overhead "$B/syscall_overhead_benchmark" "${GB_ARGS[@]}"
sed -n '/^SUMMARY/,$p' "$OUT/syscall_overhead.txt"
grep -h 'syscall_overhead_benchmark (start)' "$OUT/syscall_overhead.txt" || true

run capture_throughput "$B/capture_throughput" "${TP_ARGS[@]}"
cat "$OUT/capture_throughput.txt"

# The reference agent (`vigil capture`, JSON to /dev/null) when built, and the
# minimal capture_sink: the difference is the cost of formatting events.
run redis_overhead env "${REDIS_ENV[@]}" AGENT="${AGENT:-auto}" "$HERE/redis_overhead.sh" "$BUILD"
{ grep '^#' "$OUT/redis_overhead.txt"; sed -n '/^SUMMARY/,$p' "$OUT/redis_overhead.txt"; } || true
if [ -z "${AGENT:-}" ] && [ -x "$BUILD/samples/agent/vigil" ]; then
  run redis_overhead_sink env "${REDIS_ENV[@]}" AGENT=sink "$HERE/redis_overhead.sh" "$BUILD"
  { grep '^#' "$OUT/redis_overhead_sink.txt"; sed -n '/^SUMMARY/,$p' "$OUT/redis_overhead_sink.txt"; } || true
fi

run detect_benchmark "$B/detect_benchmark" "${DT_ARGS[@]}"
cat "$OUT/detect_benchmark.txt"

run assets_inventory "$B/assets_inventory" --rounds 10
grep -E "^RESULT|^vigil tables" "$OUT/assets_inventory.txt" || true

run rss_10k_processes "$B/rss_10k_processes"
cat "$OUT/rss_10k_processes.txt"

echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "full outputs: $OUT"
