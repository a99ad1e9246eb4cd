#!/usr/bin/env python3
"""Before/after of the entry lock (erase_candidate() and the entries of the same
candidate, src/pg/erasure.c): entries with two builds of workflow_ext.so swapped
in between runs, as bench_app (the README's grant set, row-level security applies).

    python3 bench/entry_lock_ab.py --before BEFORE.so --after AFTER.so [--rows N] [--singles M] [--rounds R]

Run under a throwaway cluster with the extension installed (the SQL of both builds
must be the same).  The move scenario's data (bench/sql/move_data.sql: profiles of
every candidate, a 10-stage workflow with rules and alerts); each run enters
candidates into a job of its own on that workflow, in a new session:
  - setwise: one INSERT INTO candidate_stage (job_id, candidate_id) SELECT of N
    candidates, committed;
  - single:  M add_candidate() calls, each its own transaction (autocommit).
Backend CPU time (utime + stime of /proc/self/stat read by the backend before and
after: what another process's load does not add) through the commit; variants
alternate in each round (forward, then backward); medians of the rounds.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.argv_saved = sys.argv
sys.argv = [sys.argv[0], "--smoke"]          # (run.py reads its sizes at import)
sys.path.insert(0, HERE)
import run  # noqa: E402
from swap_builds import CPU, cpu_ms, swap_in as use  # noqa: E402
sys.argv = sys.argv_saved

ap = argparse.ArgumentParser()
ap.add_argument("--before", required=True)
ap.add_argument("--after", required=True)
ap.add_argument("--rows", type=int, default=10_000)
ap.add_argument("--singles", type=int, default=2_000)
ap.add_argument("--rounds", type=int, default=6)
args = ap.parse_args()


def session(lines):
    out = subprocess.run(["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True, env=run.app_env())
    return cpu_ms(out.stdout)


def setwise(job):
    # (one entry first, into another job: the session's plans are made outside the measured statement)
    return session(["SET workflow_ext.actor = 'bench';",
                    f"SELECT 1 FROM add_candidate({args.rows + 1}, {job + 1});",
                    CPU % run.APP_ROLE,
                    f"INSERT INTO candidate_stage (job_id, candidate_id) SELECT {job}, c FROM generate_series(1, {args.rows}) c;",
                    CPU % run.APP_ROLE]) * 1000.0 / args.rows


def single(job):
    calls = [f"SELECT 1 FROM add_candidate({c}, {job});" for c in range(1, args.singles + 1)]
    return session(["SET workflow_ext.actor = 'bench';",
                    f"SELECT 1 FROM add_candidate({args.singles + 1}, {job + 1});",
                    CPU % run.APP_ROLE] + calls + [CPU % run.APP_ROLE]) * 1000.0 / args.singles


use(args.after)
run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
run.setup_app_role()
run.psql(file=os.path.join(HERE, "sql", "plpgsql_peer.sql"))
run.psql(file=os.path.join(HERE, "sql", "move_data.sql"),
         variables={"candidates": max(args.rows, args.singles) + 1, "jobs": 20})
run.psql(file=os.path.join(HERE, "sql", "writes_fixture.sql"))
runs = 2 * 2 * (args.rounds + 1)
run.psql("SET workflow_ext.actor = 'bench'; "
         f"INSERT INTO job_workflow (job_id, workflow_id) SELECT j, 1 FROM generate_series(1001, {1000 + 2 * runs}) j")
run.psql("VACUUM ANALYZE")
variants = ["before", "after"]
res = {(k, v): [] for k in ("setwise", "single") for v in variants}
job = 1001
for r in range(args.rounds + 1):             # round 0: cold, not counted
    for v in (variants if r % 2 == 0 else list(reversed(variants))):
        use(args.before if v == "before" else args.after)
        for kind, fn in (("setwise", setwise), ("single", single)):
            us = fn(job)
            job += 2
            if r > 0:
                res[(kind, v)].append(us)
            print(f"round {r} {v} {kind}: backend CPU {us:.1f} us per entry", file=sys.stderr, flush=True)
use(args.after)
print(f"setwise: one INSERT of {args.rows:,} candidates; single: {args.singles:,} add_candidate() calls, "
      f"each its own transaction; backend CPU per entry (us)\n")
print("| round | setwise before | setwise after | after/before | single before | single after | after/before |")
print("|---|---|---|---|---|---|---|")
for r in range(args.rounds):
    row = [f"{r + 1}"]
    for kind in ("setwise", "single"):
        b, a = res[(kind, "before")][r], res[(kind, "after")][r]
        row += [f"{b:,.1f}", f"{a:,.1f}", f"{a / b:.3f}"]
    print("| " + " | ".join(row) + " |")
row = ["**median**"]
for kind in ("setwise", "single"):
    b, a = res[(kind, "before")], res[(kind, "after")]
    row += [f"**{statistics.median(b):,.1f}**", f"**{statistics.median(a):,.1f}**",
            f"**{statistics.median([x / y for x, y in zip(a, b)]):.3f}**"]
print("| " + " | ".join(row) + " |")
