#!/usr/bin/env python3
"""Before/after of one change in the same run: the facts update of `make bench`
(bench/run.py facts_update) with two builds of workflow_ext.so swapped in
between rounds, and with the extension's triggers disabled, as bench_app
(the README's grant set, row-level security applies).

    python3 bench/facts_ab.py --before BEFORE.so --after AFTER.so [--candidates N] [--rounds R]
        [--before-sql SQL] [--after-sql SQL]

Run under a throwaway cluster with the extension installed (the SQL of both
builds must be the same); PG_CONFIG names the installation whose pkglibdir
gets the library.  Each measurement is a new session (so it loads the library
in place then); variants alternate in each round (forward, then backward);
medians of the rounds; baselines: the facts trigger off, and every trigger
of the table off (DISABLE TRIGGER USER: the plain UPDATE).  Prints a
Markdown table of wall times, and one of
the backend's CPU time for the UPDATE (utime + stime of /proc/self/stat read
by the backend itself before and after it: what another helper's load on
the machine does not add).  --before-sql / --after-sql: run by the superuser
whenever that build is swapped in (a catalog difference of the two builds,
e.g. a function's SET clause).
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
from swap_builds import CPU, cpu_ms, swap_in  # noqa: E402
sys.argv = sys.argv_saved

ap = argparse.ArgumentParser()
ap.add_argument("--before", required=True)
ap.add_argument("--after", required=True)
ap.add_argument("--candidates", type=int, default=100_000)
ap.add_argument("--jobs", type=int, default=1000)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--before-sql", default=None)
ap.add_argument("--after-sql", default=None)
args = ap.parse_args()

def use(lib):
    swap_in(lib)
    sql = args.before_sql if lib == args.before else args.after_sql
    if sql and ready:
        run.psql(sql)


ready = False                                   # (the extension is created)


UPD = "UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('n', random());"
TRIGGER = "candidate_profile_facts_changed"


def timed(off):
    """off: None (every trigger on), TRIGGER (the facts trigger off) or 'USER' (every trigger off)."""
    script = []
    if off:
        script.append(f"SET ROLE NONE; ALTER TABLE candidate_profile DISABLE TRIGGER {off}; SET ROLE {run.APP_ROLE};")
    script += [CPU % run.APP_ROLE, "\\timing on", UPD, "\\timing off", CPU % run.APP_ROLE]
    if off:
        script.append(f"SET ROLE NONE; ALTER TABLE candidate_profile ENABLE TRIGGER {off}; SET ROLE {run.APP_ROLE};")
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1"], input="\n".join(script) + "\n",
                         capture_output=True, text=True, check=True, env=run.app_env())
    return float(re.search(r"^Time: ([0-9.]+) ms", out.stdout, re.M).group(1)), cpu_ms(out.stdout)


use(args.after)
run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
run.setup_app_role()
run.psql(file=os.path.join(HERE, "sql", "plpgsql_peer.sql"))
run.psql(file=os.path.join(HERE, "sql", "move_data.sql"),
         variables={"candidates": args.candidates, "jobs": args.jobs})
run.psql("SET workflow_ext.actor = 'bench'; "
         "UPDATE candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE position = 2)")
run.psql("VACUUM ANALYZE")
entry_events = run.psql("SELECT count(*) FROM alert_event")
ready = True
variants = ["before", "after", "off", "alloff"]
times = {v: [] for v in variants}
cpus = {v: [] for v in variants}
for r in range(args.rounds):
    for v in (variants if r % 2 == 0 else list(reversed(variants))):
        use(args.before if v == "before" else args.after)
        wall, cpu = timed({"off": TRIGGER, "alloff": "USER"}.get(v))
        times[v].append(wall)
        cpus[v].append(cpu)
        print(f"round {r + 1} {v}: {wall:.0f} ms, backend CPU {cpu:.0f} ms", file=sys.stderr, flush=True)
use(args.after)
facts_events = run.psql("SELECT count(*) FROM alert_event WHERE cause = 'facts'")
print(f"{args.candidates:,} profiles, {args.jobs:,} jobs; {entry_events} alert events at entry, "
      f"{facts_events} raised by the fact changes\n")
def table(data):
    print("| round | before | after | facts trigger off | every trigger off | before/facts off | after/facts off | before/all off | after/all off |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in range(args.rounds):
        b, a, o, z = (data[v][r] for v in variants)
        print(f"| {r + 1} | {b:,.0f} | {a:,.0f} | {o:,.0f} | {z:,.0f} | {b / o:.2f} | {a / o:.2f} | {b / z:.2f} | {a / z:.2f} |")
    med = {v: statistics.median(data[v]) for v in variants}
    ratio = lambda x, y: statistics.median([p / q for p, q in zip(data[x], data[y])])  # noqa: E731
    print(f"| **median** | **{med['before']:,.0f}** | **{med['after']:,.0f}** | **{med['off']:,.0f}** | **{med['alloff']:,.0f}** | "
          f"**{ratio('before', 'off'):.2f}** | **{ratio('after', 'off'):.2f}** | **{ratio('before', 'alloff'):.2f}** | "
          f"**{ratio('after', 'alloff'):.2f}** |")


print("Wall time of the UPDATE (ms):\n")
table(times)
print("\nBackend CPU of the UPDATE (ms):\n")
table(cpus)
