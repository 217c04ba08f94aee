#!/bin/sh
# Tests the `vigil` command line against the live kernel (needs root):
#  1. `vigil capture --duration 3 --events exec --write rec.vgl` sees the
#     exec of a /bin/true run meanwhile, as one JSON line;
#  2. `vigil capture --read rec.vgl` prints exactly the live output;
#  3. a truncated copy of the recording prints the events before the damage,
#     then fails (exit 1) with an error naming the offset;
#  4. SIGINT ends a capture cleanly (exit 0);
#  5. usage errors exit 1 with a message on stderr.
# Usage: cli_test.sh <vigil executable> <work dir>
set -u
vigil=$1
work=$2
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }

if [ "$(id -u)" != 0 ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: needs root (CI=true)" >&2; exit 1; fi
  echo "needs root: skipped"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

# ---- 1. live capture with a recording
"$vigil" capture --duration 3 --events exec --write rec.vgl --stats > live.out 2> live.err &
vpid=$!
sleep 1.2
tpids=""
for i in 1 2 3; do
  /bin/true &
  tpids="$tpids $!"
  wait $!
done
wait $vpid
rc=$?
[ $rc -eq 0 ] || err "live capture exited $rc: $(cat live.err)"
[ -s rec.vgl ] || err "no recording written"
true_path=$(readlink -f /bin/true)
for p in $tpids; do
  grep -q "\"type\":\"exec\".*\"pid\":$p,.*\"exe_path\":\"$true_path\"" live.out ||
    err "no exec event of /bin/true (pid $p) in the live output"
done
grep -q '"events_delivered":' live.err || err "--stats printed no stats on stderr: $(cat live.err)"
# Every line is a JSON object (checked with python when available).
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    obj = json.loads(line)
    assert isinstance(obj, dict) and obj["type"] == "exec", (n, line)
' live.out || err "live output is not one JSON exec object per line"
fi
lines=$(wc -l < live.out)
echo "live: $lines events, recording $(wc -c < rec.vgl) bytes"

# ---- 2. replay == live
"$vigil" capture --read rec.vgl > replay.out 2> replay.err
rc=$?
[ $rc -eq 0 ] || err "replay exited $rc: $(cat replay.err)"
cmp -s live.out replay.out || {
  err "replay output differs from the live output"
  diff live.out replay.out | head -5 >&2
}

# ---- 3. truncated recording
size=$(wc -c < rec.vgl)
head -c $((size - 7)) rec.vgl > trunc.vgl
"$vigil" capture --read trunc.vgl > trunc.out 2> trunc.err
rc=$?
[ $rc -eq 1 ] || err "truncated replay exited $rc, expected 1"
grep -q "offset [0-9]" trunc.err || err "truncated replay error names no offset: $(cat trunc.err)"
grep -q "trunc.vgl" trunc.err || err "truncated replay error names no file: $(cat trunc.err)"
tlines=$(wc -l < trunc.out)
if [ "$lines" -ge 2 ]; then
  [ "$tlines" -ge 1 ] || err "truncated replay printed no event before the error"
fi
[ "$tlines" -lt "$lines" ] || err "truncated replay printed every event ($tlines)"
head -n "$tlines" live.out | cmp -s - trunc.out || err "truncated replay output is not a prefix of the live output"
echo "truncated: $tlines events, then: $(cat trunc.err)"

# ---- 4. SIGINT stops a capture without --duration
"$vigil" capture --events exec > sigint.out 2> sigint.err &
vpid=$!
sleep 1.5
/bin/true
sleep 0.3
kill -INT $vpid
start=$(date +%s)
wait $vpid
rc=$?
[ $rc -eq 0 ] || err "SIGINT: exit status $rc: $(cat sigint.err)"
[ $(( $(date +%s) - start )) -le 2 ] || err "SIGINT: took too long to stop"
grep -q '"comm":"true"' sigint.out || err "SIGINT: events before the signal were lost"

# ---- 5. usage and errors
"$vigil" capture --bogus > /dev/null 2> usage.err && err "unknown option accepted"
grep -q "unknown option" usage.err || err "no message for an unknown option"
"$vigil" capture --events exec,nope > /dev/null 2> usage.err && err "unknown event type accepted"
grep -q "nope" usage.err || err "unknown event type not named"
"$vigil" capture --read "$work/missing.vgl" > /dev/null 2> usage.err && err "missing recording accepted"
grep -q "missing.vgl" usage.err || err "missing recording not named"
"$vigil" version | grep -q "^vigil [0-9]" || err "vigil version"
"$vigil" fields | grep -q "^proc.name " || err "vigil fields has no proc.name"
"$vigil" help | grep -q "usage: vigil" || err "vigil help"

[ $fail -eq 0 ] && echo OK
exit $fail
