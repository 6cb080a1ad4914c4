#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes examples/events.jsonl: a deterministic, realistic ECS event log from
six Windows endpoints (Elastic Endpoint shapes, event.category and event.type
as arrays) with planted "process termination followed by deletion" incidents
and near-misses that must not alert under the rule's version 109. examples/expected_alerts.jsonl lists the
planted incidents as [host.id, executable path] join keys.

    python3 scripts/gen_sample_events.py [OUT_DIR]
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "examples")
rng = random.Random(20261129)
T0 = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)

HOSTS = [
    ("WKS-FIN-01", "alice"), ("WKS-FIN-02", "bob"), ("WKS-ENG-07", "carol"),
    ("SRV-FILE-01", "svc_backup"), ("WKS-HR-03", "dave"), ("LNX-BUILD-02", "erin"),
]
HOST_IDS = {name: "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                                   rng.getrandbits(12), rng.getrandbits(48)) for name, _ in HOSTS}
SIGNED = {"exists": True, "trusted": True, "status": "trusted", "subject_name": "Microsoft Windows"}
BENIGN_PROCS = [
    ("C:\\Windows\\System32\\svchost.exe", SIGNED),
    ("C:\\Windows\\System32\\cmd.exe", SIGNED),
    ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", SIGNED),
    ("C:\\Windows\\explorer.exe", SIGNED),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
     {"exists": True, "trusted": True, "status": "trusted", "subject_name": "Google LLC"}),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
     {"exists": True, "trusted": True, "status": "trusted", "subject_name": "Microsoft Corporation"}),
    ("C:\\Windows\\System32\\conhost.exe", SIGNED),
]
events = []
seq = 0


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def base(t, host, category, etype, action, dataset):
    global seq
    seq += 1
    name, user = host
    linux = name.startswith("LNX")
    return {
        "@timestamp": ts(t),
        "event": {"category": [category], "type": [etype], "action": action, "kind": "event",
                  "dataset": dataset, "id": "evt-%06d" % seq, "ingested": ts(t + timedelta(seconds=2))},
        "host": {"id": HOST_IDS[name], "name": name,
                 "os": {"type": "linux" if linux else "windows", "family": "debian" if linux else "windows",
                        "name": "Debian GNU/Linux" if linux else "Windows 10 Pro"}},
        "user": {"name": user, "domain": "CORP"},
        "agent": {"type": "endpoint", "version": "8.15.0"},
        "ecs": {"version": "8.11.0"},
    }


def proc(path, sig, pid, parent="C:\\Windows\\explorer.exe"):
    p = {"pid": pid, "entity_id": "ent-%d-%d" % (pid, rng.getrandbits(20)), "executable": path,
         "name": path.split("\\")[-1], "parent": {"executable": parent, "name": parent.split("\\")[-1],
                                                  "pid": 4000 + pid % 97}}
    if sig is not None:
        p["code_signature"] = dict(sig)
    return p


def process_event(t, host, etype, path, sig, pid, **extra):
    e = base(t, host, "process", etype, "start" if etype == "start" else "end", "endpoint.events.process")
    e["process"] = proc(path, sig, pid)
    if etype == "end":
        e["process"]["exit_code"] = 0
    e.update(extra)
    return e


def file_event(t, host, etype, path, by_path, by_sig, pid):
    action = {"deletion": "deletion", "creation": "creation", "change": "overwrite"}[etype]
    e = base(t, host, "file", etype, action, "endpoint.events.file")
    name = path.split("\\")[-1]
    e["file"] = {"path": path, "name": name, "extension": name.rsplit(".", 1)[-1] if "." in name else ""}
    e["process"] = proc(by_path, by_sig, pid)
    return e


def network_event(t, host, pid):
    e = base(t, host, "network", "connection", "connection_attempted", "endpoint.events.network")
    e["process"] = proc("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", None, pid)
    e["destination"] = {"ip": "93.184.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254)), "port": 443}
    e["source"] = {"ip": "10.1.%d.%d" % (rng.randint(0, 20), rng.randint(1, 254)), "port": rng.randint(49152, 65535)}
    return e


# Benign background: about 3,000 events over an hour.
for i in range(3000):
    t = T0 + timedelta(milliseconds=rng.randint(0, 3_600_000))
    host = rng.choice(HOSTS)
    pid = rng.randint(1000, 30000)
    r = rng.random()
    path, sig = rng.choice(BENIGN_PROCS)
    if host[0].startswith("LNX"):
        path, sig = "/usr/bin/bash", None
    if r < 0.35:
        events.append(process_event(t, host, rng.choice(["start", "end"]), path, sig, pid))
    elif r < 0.55:
        tmp = "C:\\Users\\%s\\AppData\\Local\\Temp\\%08x.tmp" % (host[1], rng.getrandbits(32))
        events.append(file_event(t, host, rng.choice(["creation", "change", "deletion"]), tmp, path, sig, pid))
    elif r < 0.62:
        # Signed installers replacing their own binaries: signed, so no alert.
        exe = "C:\\Program Files\\Vendor%d\\update.exe" % rng.randint(1, 9)
        events.append(file_event(t, host, "deletion", exe, exe, SIGNED, pid))
    else:
        events.append(network_event(t, host, pid))

expected = []


def incident(t, host, exe, sig, delay_ms, deleter, deleter_sig=SIGNED, file_path=None, alert=True, del_host=None):
    pid = rng.randint(1000, 30000)
    events.append(process_event(t, host, "end", exe, sig, pid))
    fp = file_path or exe
    events.append(file_event(t + timedelta(milliseconds=delay_ms), del_host or host, "deletion", fp, deleter,
                             deleter_sig, rng.randint(1000, 30000)))
    if alert:
        expected.append([HOST_IDS[host[0]], exe])


A, B, C, D, E, L = HOSTS
M = lambda minutes: T0 + timedelta(minutes=minutes, milliseconds=rng.randint(0, 59_000))
# Planted incidents: each must alert.
incident(M(3), A, "C:\\Users\\alice\\AppData\\Local\\Temp\\svch0st.exe",
         {"exists": False, "trusted": False}, 1200, "C:\\Windows\\System32\\cmd.exe")
incident(M(11), B, "C:\\ProgramData\\upd\\updater.exe",
         {"exists": True, "trusted": False, "status": "errorExpired", "subject_name": "Updater Ltd"}, 300,
         "C:\\ProgramData\\upd\\updater.exe", {"exists": True, "trusted": False, "status": "errorExpired"})
incident(M(19), C, "C:\\Users\\carol\\Downloads\\invoice_viewer.exe", None, 4900,
         "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
incident(M(27), D, "C:\\Users\\Public\\screensaver.scr", {"exists": False, "trusted": False}, 2500,
         "C:\\Windows\\System32\\cmd.exe")
incident(M(35), A, "C:\\Users\\alice\\AppData\\Roaming\\tool.com", {"exists": False, "trusted": False}, 5000,
         "C:\\Windows\\System32\\cmd.exe")  # exactly maxspan: inclusive
incident(M(43), E, "C:\\Users\\dave\\AppData\\Local\\Temp\\RUN.EXE", {"exists": False, "trusted": False}, 800,
         "C:\\Windows\\System32\\cmd.exe")  # extension "EXE": in~ folds case

# Near-misses: none may alert.
incident(M(5), B, "C:\\Users\\bob\\AppData\\Local\\Temp\\signed.exe", SIGNED, 900,
         "C:\\Windows\\System32\\cmd.exe", alert=False)  # trusted signature
incident(M(8), C, "C:\\Windows\\SoftwareDistribution\\Download\\patch.exe", {"exists": False, "trusted": False},
         700, "C:\\Windows\\System32\\cmd.exe", alert=False)  # excluded path
incident(M(14), D, "C:\\Users\\Public\\late.exe", {"exists": False, "trusted": False}, 5001,
         "C:\\Windows\\System32\\cmd.exe", alert=False)  # 1 ms past maxspan
incident(M(17), E, "C:\\Users\\dave\\x.exe", {"exists": False, "trusted": False}, 1000,
         "C:\\Windows\\System32\\cmd.exe", alert=False, del_host=A)  # deleted on another host
incident(M(22), A, "C:\\Users\\alice\\y.exe", {"exists": False, "trusted": False}, 1000,
         "C:\\Program Files\\Vendor\\uninstall.exe", alert=False)  # excluded deleting process
incident(M(25), B, "C:\\Windows\\Temp\\5F2A1C07\\DismHost.exe", {"exists": False, "trusted": False}, 600,
         "C:\\Windows\\System32\\cmd.exe", alert=False)  # excluded file path
incident(M(31), C, "C:\\Users\\carol\\lib.dll", {"exists": False, "trusted": False}, 600,
         "C:\\Windows\\System32\\cmd.exe", alert=False)  # not an executable extension
incident(M(38), D, "C:\\Users\\Public\\Case.exe", {"exists": False, "trusted": False}, 600,
         "C:\\Windows\\System32\\cmd.exe", file_path="c:\\users\\public\\case.exe", alert=False)  # keys are exact
incident(M(46), L, "C:\\Users\\erin\\wine.exe", {"exists": False, "trusted": False}, 600,
         "C:\\Windows\\System32\\cmd.exe", alert=False)  # host.os.type linux
# Reversed order: deleted first, process ends after.
t = M(50)
events.append(file_event(t, A, "deletion", "C:\\Users\\alice\\rev.exe", "C:\\Windows\\System32\\cmd.exe", SIGNED, 77))
events.append(process_event(t + timedelta(seconds=1), A, "end", "C:\\Users\\alice\\rev.exe",
                            {"exists": False, "trusted": False}, 78))
# Version 109 writes `:` (case-insensitive): a lower-case WinSxS path is excluded too.
incident(M(53), B, "c:\\windows\\winsxs\\amd64_x\\tiworker.exe", {"exists": False, "trusted": False}, 1000,
         "C:\\Windows\\System32\\cmd.exe", alert=False)

events.sort(key=lambda e: e["@timestamp"])
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "events.jsonl"), "w") as f:
    for e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
with open(os.path.join(OUT, "expected_alerts.jsonl"), "w") as f:
    for x in sorted(expected):
        f.write(json.dumps(x) + "\n")
print("%d events, %d planted incidents" % (len(events), len(expected)), file=sys.stderr)
