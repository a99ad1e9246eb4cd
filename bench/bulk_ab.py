"""The bulk row of bench/run.py (one UPDATE moving BENCH_BULK_CANDIDATES candidates as
bench_app) for two or more builds of workflow_ext.so swapped on disk in one cluster
(bench/swap_builds.py), alternating with the floor with foreign keys; backend CPU ms
through the commit.  Inside a sandbox with the extension installed:
  python3 bench/bulk_ab.py --rounds=4 base=/tmp/base.so new=/tmp/new.so
(--setup-only: the fixture only, ready for a move; bench/profile/bulk_callgrind.sh)
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402
import swap_builds  # noqa: E402

rounds = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--rounds=")), 3)
builds = dict(a.split("=", 1) for a in sys.argv[1:] if not a.startswith("--"))
run.psql("CREATE EXTENSION IF NOT EXISTS workflow_ext")
run.setup_app_role()
run.psql(file=os.path.join(run.HERE, "sql", "plpgsql_peer.sql"))
n = run.SIZES["bulk_candidates"]
run.psql(file=os.path.join(run.HERE, "sql", "move_data.sql"), variables={"candidates": n, "jobs": run.SIZES["jobs"]})
run.psql(file=os.path.join(run.HERE, "sql", "writes_fixture.sql"))
s1, s2 = run.psql("SELECT string_agg(id::text, ' ' ORDER BY position) FROM workflow_stage "
                  "WHERE workflow_id = 1 AND position <= 2").split()
ext = f"UPDATE candidate_stage SET stage_id = {s2} WHERE stage_id = {s1}"
floor = run.BULK_FLOOR.format(s1=s1, schema="wfloorfk")
if "--setup-only" in sys.argv:
    run.psql(file=os.path.join(run.HERE, "sql", "move_reset.sql"))
    print(f"s1={s1} s2={s2}")
    sys.exit(0)
names = list(builds) + ["floor_fk"]
res = {k: [] for k in names}


def one(name):
    run.psql(file=os.path.join(run.HERE, "sql", "move_reset.sql"))
    run.psql("CHECKPOINT")
    if name in builds:
        swap_builds.swap_in(builds[name])
        return run.bulk_statement(ext, n)
    return run.bulk_statement(floor, 3 * n)


for name in names:            # cold, not counted
    one(name)
for r in range(rounds):
    for name in (names if r % 2 == 0 else list(reversed(names))):
        ms, peak, ctx, cpu = one(name)
        res[name].append(cpu)
        print(f"round {r} {name}: cpu {cpu:.0f} ms, wall {ms:.0f} ms, peak +{peak} kB", flush=True)
for name in names:
    med = statistics.median(res[name])
    ratios = [a / b for a, b in zip(res[name], res["floor_fk"])]
    print(f"{name}: cpu {res[name]} median {med:.0f} ms; / floor_fk per round "
          f"{[round(x, 3) for x in ratios]} median {statistics.median(ratios):.3f}", flush=True)
