#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Times `eqlpp run` against a parse-only baseline on the same file and prints the ratio.

    scripts/throughput.py [--eqlpp BIN] [--baseline BIN] [--rules PATH] [--runs N] EVENTS.jsonl

The baseline (bench/parse_baseline.cpp) reads the same lines and extracts
the fields the rules read with simdjson On-Demand, and does nothing else.
Each program runs N times (default 5); the figure is the least CPU time
(user + system) of the runs, which is the most robust measure on a shared
machine. Build both first:
    cmake --preset release && cmake --build --preset release -j2 \\
        --target eqlpp_cli eqlpp_parse_baseline
"""
import argparse
import os
import resource
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_time(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (cmd[0], p.returncode, p.stderr[-2000:]))
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("events")
    ap.add_argument("--eqlpp", default=os.path.join(ROOT, "build/release/cli/eqlpp"))
    ap.add_argument("--baseline", default=os.path.join(ROOT, "build/release/bench/eqlpp_parse_baseline"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()

    # The fields the rules read, from `eqlpp explain` ("fields: a b c").
    out = subprocess.run([a.eqlpp, "explain", a.rules], capture_output=True, text=True).stdout
    fields = sorted({f for line in out.splitlines() if line.startswith("fields:")
                     for f in line.split()[1:]} | {"@timestamp", "event.category"})
    with open(a.events, "rb") as f:
        data = f.read()
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)

    run_t = min(cpu_time([a.eqlpp, "run", "--rules", a.rules, a.events])[0] for _ in range(a.runs))
    base_t = min(cpu_time([a.baseline, a.events] + fields)[0] for _ in range(a.runs))
    mb = len(data) / 1e6
    print("events: %d lines, %.1f MB, %d bytes/event; fields projected: %d"
          % (lines, mb, len(data) // max(lines, 1), len(fields)))
    print("parse-only baseline: %.3fs CPU, %.0f events/s, %.0f MB/s" % (base_t, lines / base_t, mb / base_t))
    print("eqlpp run:           %.3fs CPU, %.0f events/s, %.0f MB/s" % (run_t, lines / run_t, mb / run_t))
    print("ratio (eqlpp run / parse-only): %.2fx" % (run_t / base_t))


if __name__ == "__main__":
    main()
