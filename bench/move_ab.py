#!/usr/bin/env python3
"""Before/after of one change in the same run: single moves (move_to_next_stage,
the move row's writes-floor fixture: 1 pipeline update, 1 history row, 3
alert events per move) with two builds of workflow_ext.so swapped in between
runs, as bench_app (the README's grant set, row-level security applies).

    python3 bench/move_ab.py --before BEFORE.so --after AFTER.so [--candidates N] [--per-run M] [--rounds R]

Run under a throwaway cluster with the extension installed (the SQL of both
builds must be the same); PG_CONFIG names the installation whose pkglibdir
gets the library.  Each run is a new session (it loads the library then)
moving the next M candidates once, in one statement; variants alternate in
each round (forward, then backward).  Prints a Markdown table of the
backend's CPU time per move (utime + stime of /proc/self/stat read by the
backend itself before and after: what another process's load on the
machine does not add) and of wall time per move; medians of the rounds.
"""
import argparse
import os
import re
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
ap.add_argument("--candidates", type=int, default=40_000)
ap.add_argument("--jobs", type=int, default=20)
ap.add_argument("--per-run", type=int, default=2_000)
ap.add_argument("--rounds", type=int, default=8)
args = ap.parse_args()
if 2 * args.rounds * (args.per_run + 1) > args.candidates:
    sys.exit("--candidates must be at least 2 * rounds * (per-run + 1): each candidate moves once")

def timed(first):
    last = first + args.per_run - 1
    moves = (f"SELECT count(move_to_next_stage(c, 1 + c % {args.jobs})) "
             f"FROM generate_series({first}, {last}) c;")
    # (one move first: the session's plans are made outside the measured statement)
    script = ["SET workflow_ext.actor = 'bench';", f"SELECT move_to_next_stage({last + 1}, 1 + {last + 1} % {args.jobs});",
              CPU % run.APP_ROLE, "\\timing on", moves, "\\timing off", CPU % run.APP_ROLE]
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1"], input="\n".join(script) + "\n",
                         capture_output=True, text=True, check=True, env=run.app_env())
    wall = float(re.search(r"^Time: ([0-9.]+) ms", out.stdout, re.M).group(1))
    return wall * 1000.0 / args.per_run, cpu_ms(out.stdout) * 1000.0 / args.per_run


use(args.after)
run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
run.setup_app_role()
run.psql(file=os.path.join(HERE, "sql", "plpgsql_peer.sql"))
run.psql(file=os.path.join(HERE, "sql", "move_data.sql"),
         variables={"candidates": args.candidates, "jobs": args.jobs})
run.psql(file=os.path.join(HERE, "sql", "writes_fixture.sql"))
run.psql("VACUUM ANALYZE")
variants = ["before", "after"]
walls = {v: [] for v in variants}
cpus = {v: [] for v in variants}
first = 1
for r in range(args.rounds):
    for v in (variants if r % 2 == 0 else list(reversed(variants))):
        use(args.before if v == "before" else args.after)
        wall, cpu = timed(first)
        first += args.per_run + 1
        walls[v].append(wall)
        cpus[v].append(cpu)
        print(f"round {r + 1} {v}: {wall:.0f} us per move, backend CPU {cpu:.0f} us", file=sys.stderr, flush=True)
use(args.after)
events = run.psql("SELECT count(*) FROM alert_event")
print(f"{args.candidates:,} candidates, {args.jobs} jobs; {args.per_run:,} moves per run; {events} alert events written\n")
for title, data in (("Backend CPU per move (us)", cpus), ("Wall time per move (us)", walls)):
    print(f"{title}:\n")
    print("| round | before | after | after/before |")
    print("|---|---|---|---|")
    for r in range(args.rounds):
        b, a = data["before"][r], data["after"][r]
        print(f"| {r + 1} | {b:,.1f} | {a:,.1f} | {a / b:.3f} |")
    print(f"| **median** | **{statistics.median(data['before']):,.1f}** | **{statistics.median(data['after']):,.1f}** | "
          f"**{statistics.median([a / b for a, b in zip(data['after'], data['before'])]):.3f}** |\n")
