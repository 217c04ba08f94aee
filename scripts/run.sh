#!/usr/bin/env bash
# README command 1: install what is missing, build, and run vigil's main job
# with its embedded defaults: today, live capture of every event type,
# printed as JSON lines, until Ctrl-C (or for --duration S).
#   scripts/run.sh [vigil capture options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build-only
scripts/build.sh default
exec build/default/samples/agent/vigil capture "$@"
