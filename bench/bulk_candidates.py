#!/usr/bin/python3
"""move_candidates() against one bulk UPDATE, on the same fixture.

Run against a throwaway cluster where workflow_ext is installable (PGHOST,
PGPORT, PGUSER a superuser), e.g.
    /work/tools/pgsandbox NAME bash -c 'make -s install && python3 bench/bulk_candidates.py --size 100000'
Builds, as the non-superuser role wfbulk (row-level security applies), one
job of SIZE candidates in stage 1 of a 3-stage workflow whose stage 2 has a
blocking rule every candidate passes and one alert every candidate fires;
then, alternating for ROUNDS rounds, each inside a transaction rolled back:
  bulk    SELECT count(*) FROM move_candidates(job, ARRAY[1..SIZE], stage 2)
  update  UPDATE candidate_stage SET stage_id = stage 2 WHERE job_id = job
each after a VACUUM (untimed), so that each starts from the same fixture.
Both do SIZE full moves (history row, alert event, NOTIFY each).  Prints the
median milliseconds of each and the ratio, and a row for
bench/results/latest.md.  Nothing is asserted about timings.
Options: --size N (default 100000), --rounds N (default 3).
"""
import os
import statistics
import subprocess
import sys

SIZE = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 100000
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
DB = "bench_bulk"


def psql(sql, db=DB, role=None):
    env = dict(os.environ)
    if role:
        env["PGUSER"] = role
        env["PGPASSWORD"] = role      # (a cluster that asks for one over TCP: pg_virtualenv's)
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def timed(sql):
    """Milliseconds of sql inside a transaction rolled back (server-side clock)."""
    # VACUUM first (untimed): each statement starts from the same clean fixture, not from the
    # dead rows the run before it left (rolled back)
    script = ("VACUUM;\nSET workflow_ext.tenant = 'org:bench'; SET workflow_ext.actor = 'user:bench';\n"
              "BEGIN;\nSELECT clock_timestamp() AS t0 \\gset\n" + sql + ";\n"
              "SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1000) AS ms;\nROLLBACK;\n")
    env = dict(os.environ, PGUSER="wfbulk", PGPASSWORD="wfbulk")
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", DB],
                         input=script, env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql("DROP ROLE IF EXISTS wfbulk", db="postgres")
    psql("CREATE ROLE wfbulk LOGIN PASSWORD 'wfbulk'", db="postgres")
    psql(f"CREATE DATABASE {DB} OWNER wfbulk", db="postgres")
    psql("CREATE EXTENSION workflow_ext")
    # the README's application grant set (Privileges), verbatim, for wfbulk
    readme = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")).read()
    grants = readme[readme.index("-- BEGIN application grant set"):readme.index("-- END application grant set")]
    psql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') "
         "THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$", db="postgres")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB], input=grants + "\nGRANT workflow_app TO wfbulk;\n",
                   check=True, capture_output=True, text=True)
    setup = f"""
SET workflow_ext.tenant = 'org:bench'; SET workflow_ext.actor = 'user:bench';
INSERT INTO workflow (name) VALUES ('bench');
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT w.id, 's' || i, i FROM workflow w, generate_series(1, 3) i;
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'score', '{{"field": "score", "op": "gte", "value": 2}}' FROM workflow_stage WHERE name = 's2';
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT id, 'score', 'gte', '1', 'scored' FROM workflow_stage WHERE name = 's2';
SELECT assign_workflow(1, id) FROM workflow;
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', 5) FROM generate_series(1, {SIZE}) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 1, g FROM generate_series(1, {SIZE}) g;
VACUUM ANALYZE;
"""
    env = dict(os.environ, PGUSER="wfbulk", PGPASSWORD="wfbulk")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB], input=setup, env=env,
                   check=True, capture_output=True, text=True)
    s2 = psql("SELECT id FROM workflow_stage WHERE name = 's2'")
    bulk_sql = (f"SELECT count(*) FROM move_candidates(1, ARRAY(SELECT generate_series(1, {SIZE})::bigint), {s2})"
                " WHERE outcome = 'moved'")
    update_sql = f"UPDATE candidate_stage SET stage_id = {s2} WHERE job_id = 1"
    bulk, update = [], []
    timed(bulk_sql)  # warm-up
    for r in range(ROUNDS):
        order = [(bulk, bulk_sql), (update, update_sql)]
        if r % 2:
            order.reverse()
        for acc, sql in order:
            acc.append(timed(sql))
    b, u = statistics.median(bulk), statistics.median(update)
    ratios = [x / y for x, y in zip(bulk, update)]
    print(f"size {SIZE}, rounds {ROUNDS}: move_candidates {b:,.0f} ms, bulk UPDATE {u:,.0f} ms, "
          f"ratio {b / u:.2f}x (per round {', '.join(f'{x:.2f}' for x in ratios)})")
    print(f"| move_candidates | ms to move {SIZE:,} candidates, one call | {b:,.0f} | one bulk UPDATE {u:,.0f} "
          f"| {b / u:.2f}x | <= 1.2x | {'yes' if b / u <= 1.2 else 'no'} |")
    psql(f"DROP DATABASE {DB}", db="postgres")
    psql("DROP ROLE wfbulk", db="postgres")


main()
