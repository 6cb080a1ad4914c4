#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of the eqlpp command line against docs/CLI.md's contract.

    cli_test.py EQLPP SOURCE_DIR SHARED_DIR
Prints 'N passed, N failed' and exits 1 on failure."""
import json
import os
import subprocess
import sys
import tempfile

EQLPP, SRC, SHARED = sys.argv[1], sys.argv[2], sys.argv[3]
EVENTS = os.path.join(SRC, "examples", "events.jsonl")
passed = failed = 0


def run(args, stdin=None):
    p = subprocess.run([EQLPP] + args, input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s\n%s" % (name, detail))


tmp = tempfile.mkdtemp()

# --version, --help, bad usage
rc, out, err = run(["--version"])
check("version", rc == 0 and out.startswith("eqlpp 0."), out + err)
for cmd in ["check", "query", "run", "explain", "test"]:
    rc, out, err = run([cmd, "--help"])
    check("help " + cmd, rc == 0 and "Usage: eqlpp " + cmd in out, out + err)
rc, out, err = run(["frobnicate"])
check("unknown command exits 2", rc == 2 and "unknown command" in err, err)
rc, out, err = run(["query", "--no-such-option", "x"])
check("unknown option exits 2", rc == 2, err)
rc, out, err = run(["run", "--reorder-window", "5 parsecs"])
check("bad duration exits 2", rc == 2 and "duration" in err, err)

# run: the bundled rule over the sample data prints exactly the planted incidents.
rc, out, err = run(["run", EVENTS])
alerts = [json.loads(l) for l in out.splitlines()]
got = sorted(a["eql"]["join_keys"] for a in alerts)
with open(os.path.join(SRC, "examples", "expected_alerts.jsonl")) as f:
    expected = sorted(json.loads(l) for l in f)
check("run prints the planted incidents", rc == 0 and got == expected, "%s\n%s\n%s" % (got, expected, err))
a = alerts[0] if alerts else {}
check("alert shape", a.get("rule", {}).get("id") == "09443c92-46b3-45a4-8f25-383b028b258d"
      and a.get("event", {}).get("kind") == "alert" and a.get("threat", [{}])[0].get("tactic", {}).get("id") == "TA0005"
      and a.get("host", {}).get("id") == a.get("eql", {}).get("join_keys", [None])[0]
      and len(a.get("eql", {}).get("events", [])) == 2, json.dumps(a)[:500])
check("run statistics on stderr", "events read: 3034" in err and "alerts: 6" in err, err)

# run from stdin, with --sort and with a reorder window: same alerts.
with open(EVENTS) as f:
    data = f.read()
for extra in [["--sort"], ["--reorder-window", "2s"], ["-"]]:
    rc, out, err = run(["run"] + [x for x in extra if x != "-"] + (["-"] if "-" in extra else []), stdin=data)
    got2 = sorted(json.loads(l)["eql"]["join_keys"] for l in out.splitlines())
    check("run %s" % extra, rc == 0 and got2 == expected, err)

# Malformed lines are reported with their line number and skipped.
bad = os.path.join(tmp, "bad.jsonl")
with open(bad, "w") as f:
    f.write('{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"x":1}\n')
    f.write("{oops\n")
    f.write('{"event":{"category":"process"}}\n')
    f.write('{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"process"},"x":2}\n')
rc, out, err = run(["query", "process where true", bad])
check("malformed lines reported", rc == 0 and len(out.splitlines()) == 2 and bad + ":2: error:" in err
      and bad + ":3: error: missing or invalid timestamp" in err, out + err)

# query: event queries print the original line; --sort orders like Elasticsearch.
conv = os.path.join(tmp, "pyeql.jsonl")
with open(os.path.join(SHARED, "conformance", "python-eql", "test_data.json")) as f:
    evs = json.load(f)
with open(conv, "w") as f:
    for e in evs:
        e["@timestamp"] = e["timestamp"] // 10000 - 11644473600000
        f.write(json.dumps(e) + "\n")
opts = ["--sort", "--event-category-field", "event_type", "--tiebreaker-field", "serial_event_id"]
rc, out, err = run(["query"] + opts + ["process where serial_event_id < 4", conv])
ids = [json.loads(l)["serial_event_id"] for l in out.splitlines()]
check("query --sort events 1,2,3", rc == 0 and ids == [1, 2, 3], out + err)
rc, out, err = run(["query"] + opts + ["sequence [process where serial_event_id <= 3] [process where true] | tail 2", conv])
seqs = [[e["serial_event_id"] for e in json.loads(l)["events"]] for l in out.splitlines()]
check("query sequence | tail", rc == 0 and seqs == [[2, 3], [3, 4]], out + err)
rc, out, err = run(["query"] + opts + ["process where true | head 2", conv])
check("query | head", rc == 0 and len(out.splitlines()) == 2, out + err)
rc, out, err = run(["query", "process where a = 1", conv])
check("query error exits 1 with a caret", rc == 1 and "<query>:1:17: error:" in err and "^" in err, err)

# check: per-file results and the summary line.
rc, out, err = run(["check", os.path.join(SHARED, "corpus", "seed-rule")])
# The Endpoint example compiles in the Endpoint dialect, which its layout selects.
check("check seed-rule folder", rc == 0 and "8 rules: 8 ok, 0 failed" in err, err)
rc, out, err = run(["check", "--dialect", "elasticsearch", os.path.join(SHARED, "corpus", "seed-rule")])
check("check --dialect elasticsearch rejects the Endpoint example", rc == 1 and "8 rules: 7 ok, 1 failed" in err and "--dialect endpoint" in err, err)
rc, out, err = run(["check", os.path.join(SHARED, "corpus", "detection-rules-eql.jsonl")])
check("check detection rules", rc == 0 and "1081 rules: 1081 ok, 0 failed" in err, err[-500:])
rc, out, err = run(["check", "--json", "-e", "process where a <"])
d = json.loads(out.splitlines()[0]) if out else {}
check("check --json", rc == 1 and d.get("code") == "E1006" and d.get("line") == 1, out + err)

# A broken copy of the seed TOML: the error points at the right line and column of the file.
with open(os.path.join(SRC, "rules", "defense_evasion_process_termination_followed_by_deletion.toml")) as f:
    toml = f.read()
broken = toml.replace('process.code_signature.trusted != true and', 'process.code_signature.trusted != true an', 1)
bt = os.path.join(tmp, "broken.toml")
with open(bt, "w") as f:
    f.write(broken)
at = broken.index("trusted != true an")
line_no = broken[:at].count("\n") + 1
rc, out, err = run(["check", bt])
col = at - (broken.rindex("\n", 0, at) + 1) + len("trusted != true ") + 1
check("broken TOML location", rc == 1 and ("%s:%d:%d: error:" % (bt, line_no, col)) in err
      and ("\n %d | " % line_no) in err and "process.code_signature.trusted != true an" in err, err)

# explain
rc, out, err = run(["explain", "process where process.name : (\"a*\", \"b\")"])
check("explain", rc == 0 and "wildcard-set~(2 patterns: 1 exact, 1 prefix" in out, out + err)

# test: the bundled seed rule's cases pass; a wrong expectation fails and
# names the stage and the condition that rejected the event.
rc, out, err = run(["test"])
last = out.splitlines()[-1] if out else ""
check("test bundled rules", rc == 0 and last.endswith(" passed, 0 failed") and int(last.split()[0]) >= 30
      and out.count("PASS ") == int(last.split()[0]), out[-800:] + err)
seed_toml = os.path.join(SRC, "rules", "defense_evasion_process_termination_followed_by_deletion.toml")
rt = os.path.join(tmp, "rt")
os.makedirs(os.path.join(rt, "tests"))
with open(seed_toml) as f, open(os.path.join(rt, "seed.toml"), "w") as g:
    g.write(f.read())
host = {"id": "h1", "os": {"type": "windows"}}
case_events = "\n".join(json.dumps(e) for e in [
    {"@timestamp": "2026-01-01T00:00:00Z", "event": {"id": "p1", "category": "process", "type": "end"},
     "host": host, "process": {"executable": "C:\\t\\x.exe", "name": "x.exe"}},
    {"@timestamp": "2026-01-01T00:00:01Z", "event": {"id": "f1", "category": "file", "type": "creation"},
     "host": host, "file": {"path": "C:\\t\\x.exe", "extension": "exe"},
     "process": {"executable": "C:\\t\\y.exe"}}])
with open(os.path.join(rt, "tests", "seed.toml"), "w") as f:
    for name, alerts in [("creation is not deletion", "[]"), ("wrong expectation", '[["p1", "f1"]]')]:
        f.write("[[case]]\nname = \"%s\"\nevents = '''\n%s\n'''\nalerts = %s\n\n" % (name, case_events, alerts))
rc, out, err = run(["test", os.path.join(rt, "seed.toml")])
check("test: a wrong expectation fails naming stage and condition", rc == 1
      and "PASS seed.toml: creation is not deletion" in out and "FAIL seed.toml: wrong expectation" in out
      and 'stage 1 (file): rejected: `event.type == "deletion"` (query 1:315) is false; event.type is "creation"' in out
      and out.splitlines()[-1] == "1 passed, 1 failed", out + err)
rc, out, err = run(["test", os.path.join(tmp, "nothing-here")])
check("test: a missing path exits 1", rc == 1 and "no such file" in err, out + err)

# query --trace / run --trace explain on stderr and leave stdout alone.
tq = os.path.join(tmp, "trace.jsonl")
with open(tq, "w") as f:
    f.write('{"@timestamp":0,"event":{"category":"process","type":"start"},"process":{"name":"a.exe"}}\n')
    f.write('{"@timestamp":1,"event":{"category":"process","type":"end"},"process":{"name":"a.exe"}}\n')
rc, out, err = run(["query", "--trace", 'process where event.type == "end"', tq])
check("query --trace", rc == 0 and len(out.splitlines()) == 1
      and 'stage 0 (process): rejected: `event.type == "end"` (query 1:15) is false; event.type is "start"' in err
      and "stage 0 (process): matched\n    -> alert" in err, out + err)
rc, out, err = run(["run", "--trace", "09443c92-46b3-45a4-8f25-383b028b258d", EVENTS])
check("run --trace RULE_ID", rc == 0 and len(out.splitlines()) == 6 and "completed the sequence for key" in err
      and "stage 0 (process): rejected: `process where` (query 1:38) is false; event.category is" in err, err[-500:])
rc, out, err = run(["run", "--trace", "no-such-rule", EVENTS])
check("run --trace unknown rule exits 1", rc == 1 and "no-such-rule" in err, err[-500:])

# The benchmark stream generator plants incidents that `eqlpp run` finds exactly.
gen = os.path.join(SRC, "bench", "gen_ecs_stream.py")
stream, exp = os.path.join(tmp, "ecs.jsonl"), os.path.join(tmp, "ecs_expected.jsonl")
with open(stream, "w") as f:
    subprocess.run([sys.executable, gen, "--events", "20000", "--incident-every", "500", "--expected", exp],
                   stdout=f, check=True)
rc, out, err = run(["run", stream])
got = sorted(json.loads(l)["eql"]["join_keys"] for l in out.splitlines())
with open(exp) as f:
    want = sorted(json.loads(l) for l in f)
check("generated ECS stream: planted incidents found exactly", rc == 0 and len(want) >= 20 and got == want,
      "%d alerts, %d planted\n%s" % (len(got), len(want), err[-300:]))

# A closed pipe ends the program quietly.
big = os.path.join(tmp, "big.jsonl")
with open(big, "w") as f:
    for i in range(20000):
        f.write('{"@timestamp":%d,"event":{"category":"process"},"i":%d}\n' % (i, i))
p = subprocess.run("'%s' query 'process where true' '%s' | head -1" % (EQLPP, big), shell=True,
                   capture_output=True, text=True)
check("closed pipe", p.returncode == 0 and p.stdout.count("\n") == 1 and p.stderr == "", p.stderr)


# ---- nothing lost, nothing stalls (README "Limits and guarantees") ----
import select
import signal
import time


def ev(ms, cat, **fields):
    d = {"@timestamp": ms, "event": {"category": cat}}
    d.update(fields)
    return json.dumps(d)


def read_line(p, timeout=10.0):
    """One line of p.stdout within `timeout` seconds, or None."""
    r, _, _ = select.select([p.stdout], [], [], timeout)
    return p.stdout.readline() if r else None


# A live stream (a pipe that stays open): each alert is written before eqlpp waits for input.
p = subprocess.Popen([EQLPP, "query", "process where a == 1"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
p.stdin.write(ev(1, "process", a=1) + "\n")
p.stdin.flush()
first = read_line(p)
p.stdin.write(ev(2, "process", a=1) + "\n")
p.stdin.flush()
second = read_line(p)
p.stdin.close()
p.wait(timeout=30)
check("live stream: alerts flushed while the input stays open",
      first is not None and '"@timestamp": 1' in first and second is not None, "%r %r" % (first, second))

# SIGTERM / SIGINT: stop reading, drain (a trailing missing-event window completes),
# flush, print statistics, exit 128+signal.
rules_dir = os.path.join(tmp, "sigrules")
os.makedirs(rules_dir, exist_ok=True)
with open(os.path.join(rules_dir, "probe.eql"), "w") as f:
    f.write("process where a == 2")
with open(os.path.join(rules_dir, "trailing.eql"), "w") as f:
    f.write("sequence by h with maxspan=1h [process where a == 1] ![file where true]")
for sig, code, name in [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]:
    p = subprocess.Popen([EQLPP, "run", "--rules", rules_dir], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write(ev(1000, "process", a=1, h="x") + "\n" + ev(2000, "process", a=2) + "\n")
    p.stdin.flush()
    probe = read_line(p)  # both events were read
    p.send_signal(sig)
    rest, err = p.communicate(timeout=30)
    lines = ([probe] if probe else []) + rest.splitlines()
    check("%s drains, flushes, reports and exits %d" % (name, code),
          p.returncode == code and len(lines) == 2 and "\"name\":\"trailing\"" in rest
          and "interrupted by " + name in err and "events read: 2," in err,
          "rc %s\n%s\n%s" % (p.returncode, lines, err))

# Write errors other than a closed pipe are reported and fail the command.
with open(os.path.join(tmp, "bad.eql"), "w") as f:
    f.write("process where (")
for args in (["run", EVENTS], ["query", "process where true", EVENTS], ["explain", "process where true"],
             ["test"], ["check", "--json", os.path.join(tmp, "bad.eql")]):
    with open("/dev/full", "w") as full:
        p = subprocess.run([EQLPP] + args, stdout=full, stderr=subprocess.PIPE, text=True)
    check("write error exits non-zero: %s" % args[0],
          p.returncode == 1 and "No space left on device" in p.stderr, "rc %d %s" % (p.returncode, p.stderr[-300:]))

# Unreadable input is an error with the path, not an empty stream.
rc, out, err = run(["query", "process where true", tmp])
check("a directory as EVENTS exits 1", rc == 1 and (tmp + ": error: cannot read: Is a directory") in err, err)

# A UTF-8 byte order mark at the start of the input is accepted.
bom = os.path.join(tmp, "bom.jsonl")
with open(bom, "wb") as f:
    f.write(b"\xef\xbb\xbf" + ev(1, "process", a=1).encode() + b"\n")
rc, out, err = run(["query", "process where a == 1", bom])
check("byte order mark", rc == 0 and len(out.splitlines()) == 1 and "error" not in err, out + err)

# An over-long line is skipped in bounded memory; the next line is processed.
meter = ("import resource, subprocess, sys\n"
         "p = subprocess.run(sys.argv[1], shell=True, capture_output=True, text=True)\n"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
         "sys.stdout.write(p.stdout)\n"
         "sys.stderr.write(p.stderr)\n")
cmd = ("(head -c 150000000 /dev/zero | tr '\\0' x; echo; echo '%s') | '%s' query --max-line-bytes 1000000 "
       "'process where a == 1'" % (ev(5, "process", a=1), EQLPP))
p = subprocess.run([sys.executable, "-c", meter, cmd], capture_output=True, text=True)
out_lines = p.stdout.splitlines()
peak_kb = int(out_lines[0]) if out_lines else 1 << 30
check("a 150 MB line is skipped in bounded memory", peak_kb < 100_000 and len(out_lines) == 2
      and "<stdin>:1: error: the line is 150000000 bytes, over the limit of 1000000" in p.stderr,
      "peak %d KiB\n%s" % (peak_kb, p.stderr[-500:]))

# Late events are reported with their position; one forged timestamp does not blind the rules.
late = os.path.join(tmp, "late.jsonl")
with open(late, "w") as f:
    f.write("\n".join([ev(5000, "process", i=1), ev(6000, "process", i=2), ev(1000, "process", i=3),
                       ev(7000, "process", i=4)]) + "\n")
rc, out, err = run(["query", "process where true", late])
check("late events: a count per input with the first line",
      rc == 0 and (late + ": 1 late events, the first at line 3") in err, err)
rc, out, err = run(["query", "--verbose", "process where true", late])
check("late events: each with its line under --verbose",
      rc == 0 and (late + ":3: warning: late event at 1970-01-01T00:00:01.000Z") in err, err)
forged = os.path.join(tmp, "forged.jsonl")
ten_years = 10 * 365 * 86400000
with open(forged, "w") as f:
    f.write("\n".join([ev(1000, "process", a=1, h=1), ev(1000 + ten_years, "process", h=9),
                       ev(2000, "file", b=1, h=1)]) + "\n")
seq = "sequence by h with maxspan=1m [process where a == 1] [file where b == 1]"
rc, out, err = run(["query", seq, forged])
check("a forged timestamp is set aside and reported", rc == 0 and len(out.splitlines()) == 1
      and (forged + ": 1 events set aside as too far ahead of event time, the first at line 2") in err, out + err)
rc, out, err = run(["query", "--max-time-ahead", "0", seq, forged])
check("--max-time-ahead 0 turns the guard off", rc == 0 and out == "" and "1 late events" in err, out + err)
rc, out, err = run(["run", "--rules", os.path.join(rules_dir, "probe.eql"), forged])
check("run statistics name evictions, early releases and set-aside events",
      "keys evicted: 0, released early: 0, set aside (ahead): 1," in err, err)

# --sort: sequences come in the order they complete (their last event), as Elasticsearch returns them.
order = os.path.join(tmp, "order.jsonl")
with open(order, "w") as f:
    f.write("\n".join([ev(1, "process", h="x", a=1), ev(2, "process", h="y", a=1),
                       ev(3, "file", h="y", b=1), ev(4, "file", h="x", b=1)]) + "\n")
seq_q = "sequence by h [process where a == 1] [file where b == 1]"
rc, out, err = run(["query", "--sort", seq_q, order])
keys = [json.loads(l)["join_keys"] for l in out.splitlines()]
check("--sort orders sequences by completion", rc == 0 and keys == [["y"], ["x"]], out + err)
rc, out, err = run(["query", "--sort", seq_q + " | head 1", order])
check("--sort | head 1 takes the first to complete", rc == 0 and [json.loads(l)["join_keys"] for l in out.splitlines()] == [["y"]], out + err)
rc, out, err = run(["query", "--sort", seq_q + " | tail 1", order])
check("--sort | tail 1 takes the last to complete", rc == 0 and [json.loads(l)["join_keys"] for l in out.splitlines()] == [["x"]], out + err)

# Samples: --max-samples-per-key (Elasticsearch's max_samples_per_key), and
# in --sort mode results in join key order.
samples = os.path.join(tmp, "samples.jsonl")
with open(samples, "w") as f:
    for i, h in enumerate(["b", "b", "a", "a", "b", "b"]):
        f.write(ev(i + 1, "process", h=h, a=1 if i % 2 == 0 else 0, b=1 if i % 2 else 0, n=i + 1) + "\n")
sq = "sample by h [process where a == 1] [process where b == 1]"
rc, out, err = run(["query", "--sort", sq, samples])
check("samples in key order, one per key", rc == 0 and [json.loads(l)["join_keys"] for l in out.splitlines()] == [["a"], ["b"]], out + err)
rc, out, err = run(["query", "--sort", "--max-samples-per-key", "2", sq, samples])
got = [[e["n"] for e in json.loads(l)["events"]] for l in out.splitlines()]
check("--max-samples-per-key 2", rc == 0 and got == [[3, 4], [1, 2], [5, 6]], out + err)
rc, out, err = run(["query", "--max-samples-per-key", "0", sq, samples])
check("--max-samples-per-key 0 is bad usage", rc == 2 and "at least 1" in err, err)

# Dates: @timestamp compares as a date (rounded at the literal's precision);
# --mapping says which fields are dates.
dates = os.path.join(tmp, "dates.jsonl")
with open(dates, "w") as f:
    f.write(json.dumps({"@timestamp": "2017-08-30T20:47:33.456Z", "event": {"category": "process"}, "n": 1}) + "\n")
    f.write(json.dumps({"@timestamp": "2017-08-30T20:47:35Z", "event": {"category": "process"}, "n": 2}) + "\n")
dq = 'process where @timestamp == "2017-08-30T20:47:33Z"'
rc, out, err = run(["query", dq, dates])
check("a date literal matches its whole second", rc == 0 and [json.loads(l)["n"] for l in out.splitlines()] == [1], out + err)
mapping = os.path.join(tmp, "mapping.json")
with open(mapping, "w") as f:
    f.write(json.dumps({"mappings": {"properties": {"@timestamp": {"type": "keyword"}}}}))
rc, out, err = run(["query", "--mapping", mapping, dq, dates])
check("--mapping: a keyword @timestamp compares text", rc == 0 and out == "", out + err)
mapping2 = os.path.join(tmp, "mapping2.json")
with open(mapping2, "w") as f:
    f.write(json.dumps({"properties": {"@timestamp": {"type": "date"}}}))
rc, out, err = run(["query", "--mapping", mapping, "--mapping", mapping2, dq, dates])
check("--mapping is repeatable, the later one wins", rc == 0 and [json.loads(l)["n"] for l in out.splitlines()] == [1], out + err)
rc, out, err = run(["query", "--mapping", os.path.join(tmp, "none.json"), dq, dates])
check("--mapping of a missing file is bad usage", rc == 2 and "cannot read" in err, err)
rc, out, err = run(["query", 'process where @timestamp < "soon"', dates])
check("an invalid date literal is a compile error", rc == 1 and "not a date" in err, err)

# --mapping types: numbers coerced, ip compared as addresses, the timestamp in
# its format; a value the type cannot read is a malformed event, skipped.
typed = os.path.join(tmp, "typed.jsonl")
with open(typed, "w") as f:
    f.write(json.dumps({"@timestamp": 1504126053, "event": {"category": "network"}, "pid": "42", "source": {"ip": "10.1.2.3"}, "n": 1}) + "\n")
    f.write(json.dumps({"@timestamp": 1504126054, "event": {"category": "network"}, "pid": "x", "source": {"ip": "10.1.2.4"}, "n": 2}) + "\n")
    f.write(json.dumps({"@timestamp": 1504126055, "event": {"category": "network"}, "pid": 42.9, "source": {"ip": "192.168.1.1"}, "n": 3}) + "\n")
tmap = os.path.join(tmp, "typed-mapping.json")
with open(tmap, "w") as f:
    f.write(json.dumps({"properties": {"@timestamp": {"type": "date", "format": "epoch_second"},
                                       "pid": {"type": "long"}, "source": {"properties": {"ip": {"type": "ip"}}}}}))
tq = 'network where pid == 42 and source.ip == "10.0.0.0/8"'
rc, out, err = run(["query", "--mapping", tmap, tq, typed])
got = [json.loads(l) for l in out.splitlines()]
check("--mapping: long and ip fields, epoch_second timestamps",
      rc == 0 and [g["n"] for g in got] == [1] and "typed.jsonl:2: error:" in err and "as the mapping types it (integer)" in err, out + err)
rc, out, err = run(["query", "--mapping", tmap, 'network where pid == "abc"', typed])
check("--mapping: a literal the type cannot read is a compile error", rc == 1 and "mapped as integer" in err, out + err)

# --dialect: the Endpoint dialect's constructs compile only in it.
eq = 'process where _arraysearch(process.thread.Ext.call_stack, $e, $e.symbol_info : "Unbacked*") and process.name == process.parent.name'
rc, out, err = run(["check", "-e", eq])
check("check: Endpoint constructs are rejected in the Elasticsearch dialect, with the fix",
      rc == 1 and "--dialect endpoint" in err, err)
rc, out, err = run(["check", "--dialect", "endpoint", "-e", eq])
check("check --dialect endpoint compiles them", rc == 0 and "1 rules: 1 ok, 0 failed" in err, err)
rc, out, err = run(["check", "--dialect", "sigma", "-e", eq])
check("--dialect with an unknown name is bad usage", rc == 2 and "elasticsearch or endpoint" in err, err)
stack = os.path.join(tmp, "stack.jsonl")
with open(stack, "w") as f:
    f.write(json.dumps({"@timestamp": 1, "event": {"category": "process"}, "n": 1, "process": {"name": "a", "parent": {"name": "a"},
            "thread": {"Ext": {"call_stack": [{"symbol_info": "ntdll.dll"}, {"symbol_info": "Unbacked"}]}}}}) + "\n")
    f.write(json.dumps({"@timestamp": 2, "event": {"category": "process"}, "n": 2, "process": {"name": "a", "parent": {"name": "b"},
            "thread": {"Ext": {"call_stack": [{"symbol_info": "Unbacked"}]}}}}) + "\n")
rc, out, err = run(["query", "--dialect", "endpoint", eq, stack])
check("query --dialect endpoint runs _arraysearch and field comparisons",
      rc == 0 and [json.loads(l)["n"] for l in out.splitlines()] == [1], out + err)

# The Endpoint-dialect example rules (our own, in the Endpoint layout) pass their rule tests.
rc, out, err = run(["test", os.path.join(SRC, "examples", "endpoint")])
check("test examples/endpoint: lineage, _arraysearch, stage alias, field comparison",
      rc == 0 and "12 passed, 0 failed" in out + err, out + err)

# check --partition-by: the plan on stdout, one line per rule, and a summary.
rc, out, err = run(["check", "--partition-by", "host.id", "-e", "sequence by host.id [process where true] [file where true]",
                    "-e", "sequence by user.name [process where true] [file where true]"])
lines = out.splitlines()
check("check --partition-by prints SAFE / UNSAFE with the reason",
      rc == 0 and len(lines) == 2 and lines[0].startswith("SAFE") and lines[1].startswith("UNSAFE")
      and "join keys do not include host.id" in lines[1] and "1 of 2 rules are partition-safe" in err, out + err)

# run --threads N: the same alerts as one engine; with --sort in the same order.
CORPUS = os.path.join(SHARED, "corpus", "detection-rules-eql.jsonl")
rc1, one, err1 = run(["run", "--rules", CORPUS, "--sort", EVENTS])
for n in ["1", "2", "4"]:
    rc, out, err = run(["run", "--rules", CORPUS, "--sort", "--threads", n, EVENTS])
    check("run --threads %s --sort: the same alerts in the same order" % n,
          rc == 0 and rc1 == 0 and out == one and len(one.splitlines()) > 50
          and "partition shards by host.id" in err, err[-300:])
rc1, one, err1 = run(["run", "--rules", CORPUS, "--reorder-window", "5s", EVENTS])
rc, out, err = run(["run", "--rules", CORPUS, "--reorder-window", "5s", "--threads", "2", EVENTS])
check("run --threads 2 streaming: the same alerts",
      rc == 0 and sorted(out.splitlines()) == sorted(one.splitlines()) and out, err[-300:])
rc, out, err = run(["run", "--threads", "2", "--state-dir", os.path.join(tmp, "sd"), EVENTS])
check("run --threads with --state-dir is bad usage", rc == 2 and "--state-dir" in err, err)

# run --threads on a live stream: alerts come out while the input is still open.
import select
p = subprocess.Popen([EQLPP, "run", "--threads", "2", "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
with open(EVENTS) as f:
    p.stdin.write(f.read())
p.stdin.flush()
ready, _, _ = select.select([p.stdout], [], [], 10)
p.stdin.close()
rest_out = p.stdout.read()
p.wait()
check("run --threads 2: a live stream's alerts come before its end", bool(ready)
      and len(rest_out.splitlines()) == 6, rest_out[-300:])

# consume (the Kafka component): help, bad usage, and unsafe rules refused before connecting.
rc, out, err = run(["consume", "--help"])
if "without the Kafka component" not in err:
    check("consume --help", rc == 0 and "Usage: eqlpp consume" in out, out + err)
    rc, out, err = run(["consume", "--topic", "t"])
    check("consume without --brokers is bad usage", rc == 2 and "--brokers" in err, err)
    unsafe = os.path.join(tmp, "unsafe.eql")
    with open(unsafe, "w") as f:
        f.write("sequence by user.name [process where true] [file where true]\n")
    rc, out, err = run(["consume", "--brokers", "localhost:1", "--group", "g", "--topic", "t",
                        "--rules", unsafe])
    check("consume refuses rules that are not partition-safe", rc == 1 and "partition-safe" in err
          and "fix:" in err, err)

print("cli: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
