#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The library never prints, aborts or exits (as simdjson checks): its object
# files must not reference stdio output, std::cout/cerr, abort or exit.
# Usage: library_symbols.sh OBJECT_FILES...
set -euo pipefail
bad='^(printf|fprintf|vfprintf|puts|fputs|putchar|fputc|perror|abort|exit|_exit|_Exit|quick_exit)$|std::cout|std::cerr|std::clog|_ZSt4cout|_ZSt4cerr|_ZSt4clog'
found=$(nm -u -C "$@" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | sort -u | grep -E "$bad" || true)
if [[ -n "$found" ]]; then
  echo "the library references forbidden symbols:" >&2
  echo "$found" >&2
  exit 1
fi
echo "library symbols: no printing, aborting or exiting ($# object files checked)"
