#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start, command 1: install what is missing, build (Release), and run the
# bundled rules over the bundled sample events, printing the alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target eqlpp_cli
echo "== eqlpp run over examples/events.jsonl (alerts on stdout, statistics on stderr)" >&2
build/release/cli/eqlpp run examples/events.jsonl
