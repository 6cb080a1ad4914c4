#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`eqlpp run --state-dir` survives kill -9 (issue: durable state).

    crash_test.py EQLPP SOURCE_DIR [ROUNDS]
A stream (examples/events.jsonl repeated, shifted by a day each time, so that
partial sequences and the reorder buffer hold state at every checkpoint) is
run with --state-dir and killed with SIGKILL at random points, then
restarted, until one run reaches the end. The set of alert ids (event.id)
over every attempt's output must equal an uninterrupted run's: none lost;
duplicates are allowed (alerts after the last checkpoint are re-delivered).
Then SIGTERM: the run checkpoints and exits 143, and the restart completes.
Prints 'N passed, N failed' and exits 1 on failure."""
import datetime
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

EQLPP, SRC = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s\n%s" % (name, detail))


tmp = tempfile.mkdtemp()
events = os.path.join(tmp, "events.jsonl")
with open(os.path.join(SRC, "examples", "events.jsonl")) as f:
    lines = [json.loads(l) for l in f if l.strip()]
with open(events, "w") as out:
    for day in range(6):
        for ev in lines:
            t = datetime.datetime.fromisoformat(ev["@timestamp"].replace("Z", "+00:00"))
            ev = dict(ev)
            ev["@timestamp"] = (t + datetime.timedelta(days=day)).isoformat().replace("+00:00", "Z")
            out.write(json.dumps(ev) + "\n")

ARGS = ["run", "--rules", os.path.join(SRC, "rules"), "--reorder-window", "2s"]


def ids(text):
    return [json.loads(l)["event"]["id"] for l in text.splitlines() if l.strip()]


whole = subprocess.run([EQLPP] + ARGS + [events], capture_output=True, text=True)
check("uninterrupted run", whole.returncode == 0, whole.stderr)
expected = ids(whole.stdout)
check("the stream has alerts", len(expected) >= 30, str(len(expected)))
check("alert ids are unique", len(set(expected)) == len(expected))

rng = random.Random(20261201)
for rnd in range(ROUNDS):
    state = os.path.join(tmp, "state-%d" % rnd)
    seen, attempts, kills = [], 0, 0
    while attempts < 200:
        attempts += 1
        p = subprocess.Popen([EQLPP] + ARGS + ["--state-dir", state, "--checkpoint-interval", "100",
                                               events],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill after a random delay (or let it finish; later attempts wait longer).
        delay = rng.uniform(0.0, 0.05 + 0.02 * attempts)
        try:
            out, err = p.communicate(timeout=delay)
            seen += ids(out)
            check("round %d: a completed run exits 0" % rnd, p.returncode == 0, err)
            break
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            out, err = p.communicate()
            kills += 1
            seen += ids(out)  # what reached stdout before the kill
    print("round %d: %d kills, %d alerts delivered (%d expected)" % (rnd, kills, len(seen), len(expected)))
    check("round %d: the run completed after %d kills" % (rnd, kills), attempts < 200)
    check("round %d: killed at least once" % rnd, kills > 0, "the run finished before any kill")
    missing = set(expected) - set(seen)
    extra = set(seen) - set(expected)
    check("round %d: no alert lost over %d kills" % (rnd, kills), not missing,
          "missing %d of %d" % (len(missing), len(expected)))
    check("round %d: no alert that the uninterrupted run has not" % rnd, not extra,
          "extra %d" % len(extra))

# SIGTERM: checkpoint and exit 128+15 without draining; the restart finishes the job.
state = os.path.join(tmp, "state-term")
# Output to files, not pipes: a child blocked on a full stdout pipe while
# this process writes its stdin would deadlock both.
out_path, err_path = os.path.join(tmp, "term.out"), os.path.join(tmp, "term.err")
with open(out_path, "w") as out_f, open(err_path, "w") as err_f:
    slow = subprocess.Popen([EQLPP] + ARGS + ["--state-dir", state, "--checkpoint-interval", "1h",
                                              "-"],
                            stdin=subprocess.PIPE, stdout=out_f, stderr=err_f, text=True)
    with open(events) as f:
        all_lines = f.readlines()
    half = len(all_lines) // 2
    slow.stdin.write("".join(all_lines[:half]))
    slow.stdin.flush()
    time.sleep(0.5)
    slow.send_signal(signal.SIGTERM)
    slow.wait(timeout=60)
    slow.stdin.close()
with open(out_path) as f:
    out1 = f.read()
with open(err_path) as f:
    err1 = f.read()
check("SIGTERM exits 143 with a checkpoint", slow.returncode == 143 and "state checkpointed" in err1,
      "rc %d: %s" % (slow.returncode, err1))
# stdin resumes by skipping the lines already read: give it the whole stream again.
rest = subprocess.run([EQLPP] + ARGS + ["--state-dir", state, "-"], input="".join(all_lines),
                      capture_output=True, text=True)
check("restart after SIGTERM", rest.returncode == 0 and "restored" in rest.stderr, rest.stderr)
got = ids(out1) + ids(rest.stdout)
check("SIGTERM and restart: every alert exactly once", sorted(got) == sorted(expected),
      "got %d, expected %d" % (len(got), len(expected)))

# A corrupt checkpoint is an error that names the file and restores nothing.
ck = os.path.join(state, "checkpoint.eqlpp")
with open(ck, "r+b") as f:
    f.seek(30)
    b = f.read(1)
    f.seek(30)
    f.write(bytes([b[0] ^ 0xFF]))
bad = subprocess.run([EQLPP] + ARGS + ["--state-dir", state, events], capture_output=True,
                     text=True)
check("a corrupt checkpoint is an error", bad.returncode == 1 and "checkpoint.eqlpp" in bad.stderr
      and "checksum" in bad.stderr and bad.stdout == "", bad.stderr)
# Other input than the checkpoint's: refused.
other = subprocess.run([EQLPP] + ARGS + ["--state-dir", os.path.join(tmp, "state-0"),
                                         os.path.join(SRC, "examples", "events.jsonl")],
                       capture_output=True, text=True)
check("a checkpoint of other input is refused", other.returncode == 1 and "other input" in
      other.stderr, other.stderr)

shutil.rmtree(tmp)
print("crash: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
