#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Convert ../shared/conformance/python-eql/test_data.json (a JSON array of
Endgame events) to JSON lines the way Elasticsearch's EQL test harness loads it:
@timestamp = timestamp / 10000 - 11644473600000 (epoch milliseconds)."""
import json
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/conformance/python-eql/test_data.json"
with open(src) as f:
    events = json.load(f)
for e in events:
    e = dict(e)
    e["@timestamp"] = e["timestamp"] // 10000 - 11644473600000
    sys.stdout.write(json.dumps(e, separators=(",", ":")) + "\n")
