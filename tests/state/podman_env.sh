#!/usr/bin/env bash
# Prepares podman for offline tests on this kind of machine (see
# docs/environment.md): writes /tmp/vigil-podman/containers.conf (runc,
# cgroupfs, file events logger, ulimits under the hard limit) and imports a
# busybox rootfs as the image localhost/bb:1 if it is not present yet.
#
# Contract:
#   * Idempotent and safe to run concurrently (serialised with flock).
#   * Prints nothing and exits 0 on success; on failure prints the reason on
#     stderr and exits non-zero.
#   * Exports nothing: callers set CONTAINERS_CONF=/tmp/vigil-podman/containers.conf
#     themselves for their podman commands.
#   * Needs root, podman and runc. Uses the installed busybox-static
#     (/bin/busybox, from scripts/install-deps.sh); falls back to
#     `apt-get download busybox-static` when it is absent.
set -euo pipefail

DIR=/tmp/vigil-podman
CONF=$DIR/containers.conf
IMAGE=localhost/bb:1

fail() { echo "podman_env.sh: $*" >&2; exit 1; }

command -v podman >/dev/null 2>&1 || fail "podman not installed"
command -v runc >/dev/null 2>&1 || fail "runc not installed"
mkdir -p "$DIR"

exec 9>"$DIR/lock"
flock 9

want_conf='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [[ ! -f $CONF || "$(cat "$CONF")" != "$want_conf" ]]; then
  printf '%s\n' "$want_conf" >"$CONF.tmp"
  mv -f "$CONF.tmp" "$CONF"
fi
export CONTAINERS_CONF=$CONF  # for this script's own podman calls only

if podman image exists "$IMAGE" 2>/dev/null; then
  exit 0
fi

work=$(mktemp -d "$DIR/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
busybox=/bin/busybox
if [[ ! -x $busybox ]] || ! "$busybox" --list >/dev/null 2>&1; then
  (cd "$work" && apt-get download busybox-static >/dev/null 2>&1) ||
    fail "busybox-static is not installed and apt-get download failed"
  dpkg -x "$work"/busybox-static_*.deb "$work/x" || fail "cannot unpack busybox-static"
  busybox=$work/x/bin/busybox
fi

root=$work/rootfs
mkdir -p "$root"/{bin,tmp,etc,proc,sys,dev,root}
cp "$busybox" "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
  [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
out=$(tar -C "$root" -c . | podman import - "$IMAGE" 2>&1) ||
  fail "podman import failed: $out"
