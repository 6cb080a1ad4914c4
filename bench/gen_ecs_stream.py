#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Deterministic generator of realistic ECS event streams for benchmarks.

    bench/gen_ecs_stream.py [--events N] [--hosts H] [--incident-every K]
                            [--seed S] [--expected FILE] > stream.jsonl

N events (plus the deletions that close the last incidents) of compact
Elastic Endpoint-shaped events (about 450 bytes) from H Windows and
Linux hosts, in time order, 1 ms apart on average: process starts and ends,
file creations, modifications and deletions, network connections, registry
changes, DNS lookups. Every K-th event starts a planted incident of the seed
rule (an unsigned executable ends, and the same path is deleted 1 to 4 s
later on that host); the background never completes one (its terminations
are signed, or its deletions are of other files or more than 5 s later).
--expected writes the planted incidents' join keys ([host.id, path]) as
JSON lines, for checking `eqlpp run` against. Same arguments, same bytes.
"""
import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--incident-every", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--expected")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)
    hosts = []
    for i in range(a.hosts):
        hid = "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                               rng.getrandbits(12), rng.getrandbits(48))
        hosts.append((hid, "WKS-%04d" % i, "linux" if i % 10 == 9 else "windows"))
    signed = {"exists": True, "trusted": True, "status": "trusted", "subject_name": "Microsoft Windows"}
    procs = ["C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\cmd.exe",
             "C:\\Windows\\explorer.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
             "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"]
    out = sys.stdout
    pending = []  # (time_ms, event) of planted incidents' deletions
    expected = []
    seq = 0

    def ts(ms):
        return (t0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def base(ms, cat, typ, host):
        nonlocal seq
        seq += 1
        return {"@timestamp": ts(ms), "event": {"category": [cat], "type": [typ], "id": "e%09d" % seq,
                                                 "kind": "event"},
                "host": {"id": host[0], "name": host[1], "os": {"type": host[2]}}}

    def proc(exe, pid, sig):
        return {"pid": pid, "name": exe.rsplit("\\", 1)[-1], "executable": exe, "code_signature": sig}

    ms = 0
    written = 0
    while written < a.events:
        ms += rng.randint(0, 2)
        while pending and pending[0][0] <= ms:
            out.write(json.dumps(pending.pop(0)[1], separators=(",", ":")) + "\n")
            written += 1
        if written >= a.events:
            break
        host = hosts[rng.randrange(len(hosts))]
        pid = rng.randint(1000, 60000)
        if written % a.incident_every == a.incident_every - 1 and host[2] == "windows":
            path = "C:\\Users\\u%d\\AppData\\Local\\Temp\\%08x.exe" % (rng.randrange(50), rng.getrandbits(32))
            e = base(ms, "process", "end", host)
            e["process"] = proc(path, pid, {"exists": False})
            when = ms + rng.randint(1000, 4000)
            d = base(when, "file", "deletion", host)
            d["file"] = {"path": path, "name": path.rsplit("\\", 1)[-1], "extension": "exe"}
            d["process"] = proc("C:\\Windows\\System32\\cmd.exe", pid + 1, signed)
            pending.append((when, d))
            pending.sort(key=lambda x: x[0])
            expected.append([host[0], path])
        else:
            r = rng.random()
            if r < 0.35:
                e = base(ms, "process", rng.choice(["start", "end"]), host)
                e["process"] = proc(rng.choice(procs), pid, signed)
                e["process"]["parent"] = {"name": "explorer.exe", "pid": rng.randint(500, 999)}
            elif r < 0.65:
                e = base(ms, "file", rng.choice(["creation", "change", "deletion"]), host)
                name = "%08x.%s" % (rng.getrandbits(32), rng.choice(["tmp", "log", "dat", "exe"]))
                e["file"] = {"path": "C:\\Users\\u%d\\AppData\\Local\\Temp\\%s" % (rng.randrange(50), name),
                             "name": name, "extension": name.rsplit(".", 1)[-1]}
                e["process"] = proc(rng.choice(procs), pid, signed)
            elif r < 0.85:
                e = base(ms, "network", "connection", host)
                e["process"] = proc(rng.choice(procs), pid, signed)
                e["destination"] = {"ip": "93.184.%d.%d" % (rng.randrange(256), rng.randrange(256)), "port": 443}
                e["source"] = {"ip": "10.1.%d.%d" % (rng.randrange(256), rng.randrange(256)),
                               "port": rng.randint(49152, 65535)}
            elif r < 0.95:
                e = base(ms, "registry", "change", host)
                e["registry"] = {"path": "HKLM\\SOFTWARE\\Vendor\\Key%d" % rng.randrange(100), "value": "v"}
                e["process"] = proc(rng.choice(procs), pid, signed)
            else:
                e = base(ms, "network", "protocol", host)
                e["dns"] = {"question": {"name": "host%d.example.com" % rng.randrange(1000)}}
                e["process"] = proc(rng.choice(procs), pid, signed)
        out.write(json.dumps(e, separators=(",", ":")) + "\n")
        written += 1
    for _, d in pending:  # the deletions of the last incidents close the stream
        out.write(json.dumps(d, separators=(",", ":")) + "\n")
    if a.expected:
        with open(a.expected, "w") as f:
            for k in expected:
                f.write(json.dumps(k) + "\n")


if __name__ == "__main__":
    main()
