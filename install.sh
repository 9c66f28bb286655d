#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running Atoll needs.
# Idempotent; run as root (or with sudo available). Safe to run again.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang llvm libclang-rt-14-dev
  # libraries (see DESIGN.md §7)
  libboost-dev libboost-system-dev rapidjson-dev libyaml-cpp-dev libsqlite3-dev
  libzookeeper-mt-dev libabsl-dev libre2-dev libcli11-dev libspdlog-dev libfmt-dev libssl-dev
  # runtime: `atoll fetch` extracts archives with tar (gzip, bzip2, xz) and unzip, and checks
  # https servers against the system's CAs
  tar gzip bzip2 xz-utils unzip ca-certificates
  # tests and benchmarks
  libgtest-dev libgmock-dev googletest libbenchmark-dev zookeeper python3 curl
  # benchmarks: wrk drives /v2 load, nginx serves the same bytes as the ceiling
  wrk nginx-light
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install.sh: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
