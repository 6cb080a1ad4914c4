#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start, command 2: install what is missing, build everything with
# warnings as errors, and run the test suite (everything but label 'slow').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset dev -DEQLPP_WERROR=ON >/dev/null
cmake --build --preset dev -j2
ctest --preset dev
