#!/usr/bin/env bash
# Throughput a real workload (Redis 7 + redis-benchmark on 127.0.0.1) loses
# while vigil captures the default event set, and the CPU the capture process
# uses per second of workload.
#
# Rounds alternate WITHOUT and WITH a capture process (ABBA order: odd rounds
# off-then-on, even rounds on-then-off, so that a drift of the machine cancels
# out); each measurement is one redis-benchmark run per pipeline depth. The capture process is
# `<build>/samples/agent/vigil capture --stats > /dev/null` when it exists
# (AGENT=vigil: formats every event as JSON), else `<build>/bench/capture_sink`
# (AGENT=sink: reads each event's header only). It is started before and
# stopped after each WITH block (all pipeline depths); its CPU (utime+stime
# from /proc/<pid>/stat) is read just before and after each redis-benchmark
# run, so its own start-up (loading the eBPF programs, reading /proc) is not
# counted.
#
# Throughput on a 2-core machine is sensitive to anything else running, so the
# workload's CPU cost per request is reported too, which is not: redis-server's
# CPU time (all threads, ns from /proc/<pid>/task/*/schedstat) and
# redis-benchmark's (user+sys from /usr/bin/time), per request, WITH / WITHOUT.
#
# Usage (root): bench/redis_overhead.sh [BUILD_DIR]      (default: build-bench)
# Environment: ROUNDS=8 REQUESTS=200000 CLIENTS=50 PIPELINES="1 16" TESTS=set,get
#              AGENT=auto|sink|vigil PORT=<free port>
#              PIN=1: redis-server on CPU 0 and redis-benchmark on CPU 1 (taskset),
#              which removes the scheduler's placement from the noise; the
#              capture process is never pinned (it takes its CPU from them).
# A pipeline of P runs REQUESTS * max(1, P/2) requests, so that every run lasts
# seconds (the CPU accounting's resolution is 10 ms).
# Prints one line per run and a summary with the median of the per-round
# WITH/WITHOUT ratios.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${1:-$HERE/../build-bench}"
ROUNDS="${ROUNDS:-8}"
REQUESTS="${REQUESTS:-200000}"
CLIENTS="${CLIENTS:-50}"
PIPELINES="${PIPELINES:-1 16}"
TESTS="${TESTS:-set,get}"
AGENT="${AGENT:-auto}"
PIN="${PIN:-0}"
SERVER_PIN=() CLIENT_PIN=()
if [ "$PIN" = 1 ]; then SERVER_PIN=(taskset -c 0) CLIENT_PIN=(taskset -c 1); fi
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then echo "redis_overhead.sh: needs root (live eBPF capture)" >&2; exit 2; fi
for t in redis-server redis-benchmark redis-cli "$PY"; do
  command -v "$t" >/dev/null || { echo "redis_overhead.sh: $t not found (scripts/install-deps.sh)" >&2; exit 2; }
done

VIGIL_CLI="$BUILD/samples/agent/vigil"
SINK="$BUILD/bench/capture_sink"
if [ "$AGENT" = auto ]; then
  if [ -x "$VIGIL_CLI" ] && "$VIGIL_CLI" help 2>/dev/null | grep -q -- "--duration"; then AGENT=vigil; else AGENT=sink; fi
fi
case "$AGENT" in
  vigil) AGENT_CMD=("$VIGIL_CLI" capture --stats) ;;  # JSON lines to /dev/null, counters on stderr
  sink) AGENT_CMD=("$SINK") ;;
  *) echo "AGENT must be auto, sink or vigil" >&2; exit 2 ;;
esac
[ -x "${AGENT_CMD[0]}" ] || { echo "redis_overhead.sh: ${AGENT_CMD[0]} not built" >&2; exit 2; }

TMP="$(mktemp -d /tmp/vigil-redis-bench.XXXXXX)"
REDIS_PID=""
AGENT_PID=""
cleanup() {
  [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
  [ -n "$REDIS_PID" ] && kill -KILL "$REDIS_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="${PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
${SERVER_PIN[@]+"${SERVER_PIN[@]}"} redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --daemonize no \
  --logfile "$TMP/redis.log" &
REDIS_PID=$!
for _ in $(seq 100); do
  [ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start" >&2; cat "$TMP/redis.log" >&2; exit 1; }

tracing_progs() { bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: (tracepoint|raw_tracepoint|tracing) ' || true; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU time of every thread of a process, in ns (%.0f: mawk's %d stops at 2^31).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}'; }

# Starts the capture process and returns once its eBPF links stop growing.
start_agent() {
  if [ "$AGENT" = vigil ]; then
    "${AGENT_CMD[@]}" > /dev/null 2> "$TMP/agent.err" &
  else
    "${AGENT_CMD[@]}" > "$TMP/agent.err" 2>&1 &
  fi
  AGENT_PID=$!
  local prev=-1 n stable=0
  for _ in $(seq 300); do
    kill -0 "$AGENT_PID" 2>/dev/null || { echo "capture process died:" >&2; cat "$TMP/agent.err" >&2; exit 1; }
    n=$(ls -l "/proc/$AGENT_PID/fd" 2>/dev/null | grep -c 'bpf_link' || true)
    if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
    [ "$stable" -ge 5 ] && return 0
    prev=$n
    sleep 0.1
  done
  echo "capture process did not attach within 30 s" >&2; exit 1
}

stop_agent() {
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=""
}

# run_bench MODE PIPELINE ROUND: appends "mode P round test rps cpu_per_s
# server_ns_per_req client_ns_per_req" to results (CPU figures per run, both tests).
# With MODE=on the capture process must be running.
run_bench() {
  local mode=$1 p=$2 round=$3 c0=0 c1=0 t0 t1 out cpu="-" s0 s1
  local n=$((REQUESTS * (p > 2 ? p / 2 : 1)))
  local ntests; ntests=$(echo "$TESTS" | tr ',' '\n' | grep -c .)
  [ "$mode" = on ] && c0=$(cpu_ticks "$AGENT_PID")
  s0=$(cpu_ns "$REDIS_PID")
  t0=$(date +%s.%N)
  out=$(${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"} /usr/bin/time -o "$TMP/time.txt" -f '%U %S' \
        redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$n" -c "$CLIENTS" -P "$p" -t "$TESTS" --csv 2>/dev/null)
  t1=$(date +%s.%N)
  s1=$(cpu_ns "$REDIS_PID")
  if [ "$mode" = on ]; then
    c1=$(cpu_ticks "$AGENT_PID")
    cpu=$("$PY" -c "print(f'{($c1-$c0)/$(getconf CLK_TCK)/($t1-$t0):.4f}')")
  fi
  local server_ns client_ns
  server_ns=$("$PY" -c "print(f'{($s1-$s0)/($n*$ntests):.0f}')")
  client_ns=$(awk -v n="$n" -v k="$ntests" '{printf "%.0f", ($1 + $2) * 1e9 / (n * k)}' "$TMP/time.txt")
  echo "$out" | tr -d '"' | awk -F, -v m="$mode" -v p="$p" -v r="$round" -v c="$cpu" \
    -v sn="$server_ns" -v cn="$client_ns" \
    '$1 != "test" && NF > 1 {print m, p, r, $1, $2, c, sn, cn}' | tee -a "$TMP/results.txt"
}

# One block = every pipeline, with the capture process started once for the
# block (loading the eBPF programs takes seconds; it is not part of the timing).
run_block() {
  local mode=$1 round=$2 p
  if [ "$mode" = on ]; then start_agent; fi
  for p in $PIPELINES; do run_bench "$mode" "$p" "$round"; done
  if [ "$mode" = on ]; then
    stop_agent
    tail -1 "$TMP/agent.err" >> "$TMP/agent_stats.txt"
  fi
}

echo "# redis_overhead: $(date -u +%FT%TZ) kernel $(uname -r), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# capture process: ${AGENT_CMD[*]} (default event set); redis-benchmark -n $REQUESTS (x P/2 when pipelined) -c $CLIENTS -t $TESTS, pipelines: $PIPELINES, rounds: $ROUNDS, pinned: $PIN"
echo "# tracing BPF programs loaded before the run (should be 0): $(tracing_progs)"
# Warm-up (not counted).
redis-benchmark -h 127.0.0.1 -p "$PORT" -n 50000 -c "$CLIENTS" -t "$TESTS" -q >/dev/null 2>&1
# How many system calls redis-server makes per request (none of them is of a
# captured type: they pay only the slow-path cost of an uncaptured syscall).
if command -v perf >/dev/null; then
  for p in $PIPELINES; do
    n=$((REQUESTS * (p > 2 ? p / 2 : 1)))
    perf stat -x, -e raw_syscalls:sys_enter -p "$REDIS_PID" -o "$TMP/perfstat.txt" 2>/dev/null &
    PS=$!
    sleep 0.5
    redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$n" -c "$CLIENTS" -P "$p" -t "$TESTS" -q >/dev/null 2>&1
    kill -INT "$PS"; wait "$PS" 2>/dev/null || true
    ntests=$(echo "$TESTS" | tr ',' '\n' | grep -c .)
    awk -F, -v n="$n" -v k="$ntests" -v p="$p" '/raw_syscalls/ {printf "# redis-server system calls per request, pipeline %d: %.2f\n", p, $1 / (n * k)}' "$TMP/perfstat.txt"
  done
fi
echo "# mode pipeline round test rps capture_cpu_s_per_s server_cpu_ns_per_req client_cpu_ns_per_req"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for mode in $order; do run_block "$mode" "$round"; done
done
echo "# tracing BPF programs loaded after the run (should be 0): $(tracing_progs)"
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$TMP/agent_stats.txt" ] && { echo "# capture process statistics of the last run:"; tail -1 "$TMP/agent_stats.txt" | sed 's/^/# /'; }

"$PY" - "$TMP/results.txt" <<'EOF'
import statistics, sys
from collections import defaultdict
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
rps = defaultdict(dict)      # (p, test) -> {(mode, round): rps}
cpu = defaultdict(list)      # p -> capture cpu per second
work = defaultdict(dict)     # p -> {(mode, round): (server ns/req, client ns/req)}
for mode, p, rnd, test, r, c, sn, cn in rows:
    rps[(int(p), test)][(mode, int(rnd))] = float(r)
    work[int(p)][(mode, int(rnd))] = (float(sn), float(cn))
    if mode == "on" and c != "-":
        cpu[int(p)].append(float(c))
print("\nSUMMARY redis-benchmark throughput WITHOUT / WITH vigil capture (median over rounds)")
print(f"{'pipeline':>8} {'test':>5} {'off_rps':>11} {'on_rps':>11} {'on/off':>8} {'loss%':>7} {'ratios per round'}")
worst = 0.0
for (p, test), d in sorted(rps.items()):
    rounds = sorted({r for (_, r) in d})
    ratios = [d[("on", r)] / d[("off", r)] for r in rounds if ("on", r) in d and ("off", r) in d]
    med = statistics.median(ratios)
    off = statistics.median(v for (m, _), v in d.items() if m == "off")
    on = statistics.median(v for (m, _), v in d.items() if m == "on")
    worst = max(worst, (1 - med) * 100)
    print(f"{p:>8} {test:>5} {off:>11.0f} {on:>11.0f} {med:>8.3f} {100*(1-med):>7.2f} {' '.join(f'{x:.3f}' for x in ratios)}")
# Run-to-run noise of the machine: the same OFF measurement in consecutive
# rounds (an A/A comparison). A WITH/WITHOUT difference smaller than this is
# not resolved by this run.
print("\nnoise: |1 - OFF(round r+1)/OFF(round r)|, median over rounds (A/A)")
for (p, test), d in sorted(rps.items()):
    offs = [v for (m, r), v in sorted(d.items(), key=lambda kv: kv[0][1]) if m == "off"]
    aa = [abs(1 - b / a) for a, b in zip(offs, offs[1:])]
    if aa:
        print(f"{p:>8} {test:>5} {100 * statistics.median(aa):6.2f}%")
print("\nworkload CPU per request (set+get averaged; median over rounds; ratio = median of per-round WITH/WITHOUT)")
print(f"{'pipeline':>8} {'who':>7} {'off_ns':>9} {'on_ns':>9} {'on/off':>8}  ratios per round")
for p, d in sorted(work.items()):
    rounds = sorted({r for (_, r) in d})
    for i, who in ((0, "server"), (1, "client")):
        ratios = [d[("on", r)][i] / d[("off", r)][i] for r in rounds
                  if ("on", r) in d and ("off", r) in d and d[("off", r)][i] > 0 and d[("on", r)][i] > 0]
        if not ratios:
            print(f"{p:>8} {who:>7}  (no CPU figures)")
            continue
        off = statistics.median(v[i] for (m, _), v in d.items() if m == "off")
        on = statistics.median(v[i] for (m, _), v in d.items() if m == "on")
        print(f"{p:>8} {who:>7} {off:>9.0f} {on:>9.0f} {statistics.median(ratios):>8.3f}  "
              f"{' '.join(f'{x:.3f}' for x in ratios)}")
for p, v in sorted(cpu.items()):
    print(f"capture process CPU, pipeline {p}: median {statistics.median(v):.4f} s per second of workload "
          f"(={100*statistics.median(v):.2f}% of one core)")
print(f"RESULT worst median loss {worst:.2f}% (goal <= 3%): {'met' if worst <= 3 else 'NOT met'}")
EOF
