#!/usr/bin/env bash
# Installs every Debian package vigil needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt runs only when
# something is missing. Safe to call from both README commands and CI.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git
  clang llvm libclang-rt-14-dev          # BPF compiler, libFuzzer, sanitizers
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libabsl-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libre2-dev libsqlite3-dev libarchive-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-pytest
)
TEST_PKGS=(
  podman runc busybox-static              # real containers in tests
  redis-server redis-tools                # workload benchmark
  netcat-openbsd iproute2 procps kmod     # syscall triggers and reference tools
  rpm db5.3-util                           # real rpm databases (sqlite, Berkeley DB) for rpm_packages tests
  containerd                              # a private containerd for the images table test (ctr imports offline)
  openssh-client                          # ssh-keygen in the default rules' false-positive test
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  want+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
