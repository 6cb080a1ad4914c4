#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages eqlpp needs to build and test, only those
# missing. Idempotent. Needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(cmake ninja-build g++ pkg-config python3
          nlohmann-json3-dev libre2-dev libsimdjson-dev libtomlplusplus-dev
          libgtest-dev libgmock-dev libbenchmark-dev libxxhash-dev
          librdkafka-dev libvectorscan-dev)
if [[ "${EQLPP_WITH_CLANG:-0}" == 1 ]]; then
  PACKAGES+=(clang-14 clang-format-14 libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "eqlpp: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "eqlpp: these packages are missing and this is not root (and there is no sudo):" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "eqlpp: apt-get not found; install by hand: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
