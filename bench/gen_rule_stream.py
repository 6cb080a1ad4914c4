#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Deterministic generator of realistic mixed ECS streams for rule-set benchmarks.

    bench/gen_rule_stream.py [--events N] [--hosts H] [--hit-rate R]
                             [--seed S] [--rules FILE]... > stream.jsonl

N events of about 1 KB from H hosts (Windows 60 %, Linux 30 %, macOS 10 %),
in time order, 1 ms apart on average. Each host runs a process tree
(entity ids, parents, command lines, hashes, code signatures) and emits
process starts and ends, file creations, modifications and deletions,
network connections, DNS lookups, registry changes and library loads.

A fraction R of the events (default 0.02) resemble what the rules look for:
the generator reads the rules' queries (--rules, default every EQL rule of
../shared/corpus), picks a rule and one of its stages, and gives an event of
that stage's category the values of some of the stage's string conditions
(`field : "pattern"`, `field in (...)`, `field == "..."`, `like`): a
pattern's `*` becomes a few random characters and `?` one. Half of those
events are near-misses: one character of each planted value is changed.
So a prefilter is measured against events that really reach it.

Same arguments and the same rule files, same bytes. A summary (events,
planted hits, near-misses, bytes per event) goes to stderr.
"""
import argparse
import json
import os
import random
import re
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "shared", "corpus")
DEFAULT_RULES = ["detection-rules-eql.jsonl", "protections-artifacts-eql.jsonl"]

STR = r'"""(?:.|\n)*?"""|"(?:[^"\\]|\\.)*"'
COND = re.compile(r'([A-Za-z_@][\w.@-]*)\s*(:|==|like~?|in~?)\s*(\((?:[^()"]|' + STR + r')*\)|' + STR + r')')
STAGE = re.compile(r'\b([a-z_]+)\s+where\b')
STRING = re.compile(STR)


def eql_string(tok):
    if tok.startswith('"""'):
        return tok[3:-3]
    body, out, i = tok[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_stages(files):
    """[(category, [(field, op, [values])])] for every stage with string conditions."""
    stages = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                q = json.loads(line).get("query") or ""
                marks = [(m.start(), m.group(1)) for m in STAGE.finditer(q)]
                for k, (pos, cat) in enumerate(marks):
                    end = marks[k + 1][0] if k + 1 < len(marks) else len(q)
                    conds = []
                    for m in COND.finditer(q, pos, end):
                        field, op, rhs = m.group(1), m.group(2), m.group(3)
                        if field in ("where", "by", "and", "or", "not") or field.startswith("_"):
                            continue
                        vals = [eql_string(s) for s in STRING.findall(rhs)]
                        if vals:
                            conds.append((field, op, vals))
                    if conds:
                        stages.append((cat, conds))
    return stages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--hosts", type=int, default=500)
    ap.add_argument("--hit-rate", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--rules", action="append")
    a = ap.parse_args()
    files = a.rules or [os.path.join(CORPUS, f) for f in DEFAULT_RULES]
    stages = load_stages(files)
    rng = random.Random(a.seed)
    t0 = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)

    def hexs(n):
        return "%0*x" % (n, rng.getrandbits(4 * n))

    hosts = []
    for i in range(a.hosts):
        r = i % 10
        os_type = "windows" if r < 6 else ("linux" if r < 9 else "macos")
        hosts.append({"id": "%s-%s-4%s-8%s-%s" % (hexs(8), hexs(4), hexs(3), hexs(3), hexs(12)),
                      "name": ("WKS-%04d" if os_type == "windows" else "srv-%04d") % i,
                      "os": os_type, "tree": [], "ip": "10.%d.%d.%d" % (i // 250, i % 250, rng.randint(2, 250))})
    win_exes = ["C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\explorer.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
                "C:\\Windows\\System32\\conhost.exe", "C:\\Windows\\System32\\RuntimeBroker.exe",
                "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
                "C:\\Windows\\System32\\taskhostw.exe", "C:\\Windows\\System32\\lsass.exe"]
    lin_exes = ["/usr/bin/bash", "/usr/sbin/sshd", "/usr/bin/python3.11", "/usr/lib/systemd/systemd",
                "/usr/bin/curl", "/usr/bin/dockerd", "/usr/sbin/cron", "/usr/bin/git", "/usr/bin/sudo"]
    mac_exes = ["/bin/zsh", "/usr/sbin/cfprefsd", "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder",
                "/usr/bin/osascript", "/Applications/Safari.app/Contents/MacOS/Safari", "/usr/bin/curl"]
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "svc_backup", "root", "SYSTEM"]
    dlls = ["kernel32.dll", "ntdll.dll", "user32.dll", "advapi32.dll", "ws2_32.dll", "crypt32.dll", "wininet.dll"]
    domains = ["www.example.com", "update.microsoft.com", "api.github.com", "cdn.jsdelivr.net",
               "login.microsoftonline.com", "time.apple.com", "pypi.org"]
    reg_keys = ["HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
                "HKCU\\Software\\Microsoft\\Office\\16.0\\Word\\Options\\Recent",
                "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Domain",
                "HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command\\Default"]

    def exes(h):
        return win_exes if h["os"] == "windows" else (lin_exes if h["os"] == "linux" else mac_exes)

    def name_of(exe):
        return re.split(r"[\\/]", exe)[-1]

    def new_proc(h, parent):
        exe = rng.choice(exes(h))
        nm = name_of(exe)
        args = [exe] + rng.sample(["-c", "/q", "--verbose", "-NoProfile", "update", "run", "--config",
                                   "status", "/s", "-x"], rng.randint(0, 3))
        p = {"pid": rng.randint(100, 65000), "entity_id": hexs(24), "executable": exe, "name": nm,
             "args": args, "args_count": len(args), "command_line": " ".join(args),
             "working_directory": "C:\\Users\\%s" % rng.choice(users) if h["os"] == "windows" else "/home/u",
             "hash": {"sha256": hexs(64), "md5": hexs(32)},
             "code_signature": {"exists": True, "trusted": True, "status": "trusted",
                                "subject_name": "Microsoft Windows" if h["os"] == "windows" else "Apple Inc."}}
        if parent is not None:
            p["parent"] = {k: parent[k] for k in ("pid", "entity_id", "executable", "name", "args",
                                                  "command_line")}
        return p

    def ts(ms):
        return (t0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    seq = 0

    def base(ms, h, cat, typ, action):
        nonlocal seq
        seq += 1
        return {"@timestamp": ts(ms),
                "event": {"category": [cat], "type": [typ], "action": action, "kind": "event",
                          "dataset": "endpoint.events." + cat, "module": "endpoint", "id": "e%010d" % seq,
                          "outcome": "success"},
                "host": {"id": h["id"], "name": h["name"], "hostname": h["name"].lower(),
                         "os": {"type": h["os"], "family": h["os"], "name": h["os"].capitalize(),
                                "version": "10.0" if h["os"] == "windows" else "6.1"},
                         "ip": [h["ip"]], "architecture": "x86_64"},
                "agent": {"type": "endpoint", "version": "8.15.0", "id": h["id"][::-1]},
                "ecs": {"version": "8.11.0"}, "data_stream": {"dataset": "endpoint.events." + cat,
                                                              "namespace": "default", "type": "logs"},
                "user": {"name": rng.choice(users), "domain": "CORP", "id": "S-1-5-21-%d" % rng.randint(1000, 9999)}}

    def background(ms, h):
        tree = h["tree"]
        if len(tree) < 3 or rng.random() < 0.15:
            p = new_proc(h, rng.choice(tree) if tree else None)
            tree.append(p)
            if len(tree) > 12:
                tree.pop(0)
            e = base(ms, h, "process", "start", "exec" if h["os"] != "windows" else "start")
            e["process"] = p
            return e
        p = rng.choice(tree)
        kind = rng.random()
        if kind < 0.08:
            tree.remove(p)
            e = base(ms, h, "process", "end", "end")
            e["process"] = p
            return e
        if kind < 0.45:
            typ = rng.choice(["creation", "change", "deletion"])
            e = base(ms, h, "file", typ, typ)
            d = ("C:\\Users\\%s\\AppData\\Local\\Temp" % rng.choice(users) if h["os"] == "windows"
                 else "/tmp/work")
            nm = "%s.%s" % (hexs(8), rng.choice(["tmp", "log", "dat", "txt", "json"]))
            path = d + ("\\" if h["os"] == "windows" else "/") + nm
            e["file"] = {"path": path, "name": nm, "extension": nm.rsplit(".", 1)[1], "size": rng.randint(0, 10 ** 6)}
        elif kind < 0.65:
            e = base(ms, h, "network", "start", "connection_attempted")
            e["destination"] = {"ip": "93.184.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254)),
                                "port": rng.choice([443, 80, 53, 8443])}
            e["source"] = {"ip": h["ip"], "port": rng.randint(49152, 65535)}
            e["network"] = {"direction": "egress", "transport": "tcp"}
        elif kind < 0.75:
            e = base(ms, h, "network", "protocol", "lookup_requested")
            e["dns"] = {"question": {"name": rng.choice(domains), "type": "A"}}
            e["network"] = {"protocol": "dns"}
        elif kind < 0.88 and h["os"] == "windows":
            e = base(ms, h, "registry", "change", "modification")
            k = rng.choice(reg_keys)
            e["registry"] = {"path": k, "key": k.rsplit("\\", 1)[0], "value": k.rsplit("\\", 1)[1],
                             "data": {"strings": ["C:\\Program Files\\App\\app.exe"]}}
        else:
            e = base(ms, h, "library", "start", "load")
            nm = rng.choice(dlls) if h["os"] == "windows" else "libc.so.6"
            e["dll"] = {"name": nm, "path": "C:\\Windows\\System32\\" + nm, "code_signature": {"trusted": True}}
        e["process"] = {k: p[k] for k in ("pid", "entity_id", "executable", "name", "command_line")}
        return e

    def instance(pattern, op):
        if op in (":", "like", "like~"):
            out = []
            for c in pattern:
                if c == "*":
                    out.append("".join(rng.choice("abcxyz0189_-") for _ in range(rng.randint(0, 6))))
                elif c == "?":
                    out.append(rng.choice("CDEabc"))
                else:
                    out.append(c)
            v = "".join(out)
        else:
            v = pattern
        if op in (":", "like~", "in~") and rng.random() < 0.3:
            v = v.upper() if rng.random() < 0.5 else v.lower()
        return v

    def near_miss(v):
        if not v:
            return "x"
        i = rng.randrange(len(v))
        c = v[i]
        return v[:i] + ("q" if c != "q" else "z") + v[i + 1:]

    def put(obj, path, value):
        parts = path.split(".")
        for p in parts[:-1]:
            nxt = obj.get(p)
            if nxt is None:
                nxt = obj[p] = {}
            elif not isinstance(nxt, dict):
                return
            obj = nxt
        if isinstance(obj.get(parts[-1]), dict):
            return
        obj[parts[-1]] = value

    array_fields = {"process.args", "event.type", "event.category", "process.parent.args",
                    "registry.data.strings", "dll.Ext.relative_file_name_modify_time"}
    planted = misses = total_bytes = 0
    out = sys.stdout
    ms = 0
    for _ in range(a.events):
        ms += rng.randint(0, 2)
        h = hosts[rng.randrange(len(hosts))]
        e = background(ms, h)
        if stages and rng.random() < a.hit_rate:
            cat, conds = stages[rng.randrange(len(stages))]
            miss = rng.random() < 0.5
            if cat not in ("any", "sequence", "sample"):
                e["event"]["category"] = [cat]
            for field, op, vals in conds:
                if rng.random() < 0.25:
                    continue
                v = instance(rng.choice(vals), op)
                if miss:
                    v = near_miss(v)
                put(e, field, [v] if field in array_fields else v)
            if miss:
                misses += 1
            else:
                planted += 1
        line = json.dumps(e, separators=(",", ":")) + "\n"
        total_bytes += len(line)
        out.write(line)
    n = max(a.events, 1)
    print("events %d, rule-shaped %d (%.2f%%), near-misses %d (%.2f%%), %d stages read, %.0f bytes/event"
          % (a.events, planted, 100.0 * planted / n, misses, 100.0 * misses / n, len(stages), total_bytes / n),
          file=sys.stderr)


if __name__ == "__main__":
    main()
