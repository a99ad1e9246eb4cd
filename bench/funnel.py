#!/usr/bin/python3
"""pipeline_funnel() on a large job, as a non-superuser application role.

Run under a throwaway cluster with the extension installed (make bench-funnel,
or /work/tools/pgsandbox NAME python3 bench/funnel.py).  Fixture: org:acme's
workflow of 8 stages (the last 'hired'), job 1 with CANDIDATES candidates and
10 history rows each (1,000,000 rows at the default 100,000), job 2 with a
fifth of that (history the funnel of job 1 must not read).

The history is loaded as a restore: a superuser's COPY with row_security off
(what pg_dump's output does) is the one path history_write_guard lets rows in
with the times given, set-based and fast (COPY ... TO a server file, then
COPY ... FROM it); the pipeline rows follow the same way (their restore guard
checks each against its history).  Every candidate: enters s1, s2, s3, s4,
back to s3, s4, s5, s6, s7, then rejected (c % 4 = 0: withdrawn; c % 4 = 1:
hired into s8; c % 10 = 3: moved back to s6, still active).

Measured as the role wfapp (LOGIN, no SUPERUSER, no BYPASSRLS: row-level
security applies) with the README's grants, tenant and actor set:
pipeline_funnel(1) RUNS times after one warm-up (client-side wall time,
\\timing) with nothing folded, then again after compact_stage_visits() (the
owner's maintenance: the summary is what is measured; both results must be
identical), then once under auto_explain (ANALYZE, BUFFERS, nested
statements) for the plan of the statement it runs.  Writes
bench/results/pipeline_funnel.md.  Options: --candidates N, --runs N.
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CANDIDATES = int(sys.argv[sys.argv.index("--candidates") + 1]) if "--candidates" in sys.argv else 100000
RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 7
DB = "wf_funnel_bench"
OUT = os.path.join(HERE, "results", "pipeline_funnel.md")


def psql(sql, db=DB):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db],
                       input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"psql failed:\n{sql[:2000]}\n{r.stderr}")
    return r.stdout, r.stderr


def readme_grants():
    """The README's application grant set, verbatim, given to wfapp."""
    text = open(os.path.join(HERE, "..", "README.md")).read()
    block = text.split("-- BEGIN application grant set", 1)[1].split("-- END application grant set", 1)[0]
    return block.replace("workflow_app", "wfapp")


APP = """
SET ROLE wfapp;
SET workflow_ext.tenant = 'org:acme';
SET workflow_ext.actor = 'user:ann';
"""


def main():
    import time
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    psql("""
CREATE EXTENSION workflow_ext;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wfapp') THEN
    CREATE ROLE wfapp LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
-- the README's grant set (Privileges), read from README.md
""" + readme_grants())
    psql(APP + """
INSERT INTO workflow (name) VALUES ('Bench funnel');
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT (SELECT max(id) FROM workflow), 's' || i, i, CASE WHEN i = 8 THEN 'hired' ELSE 'normal' END
  FROM generate_series(1, 8) i;
SELECT assign_workflow(1, (SELECT max(id) FROM workflow));
SELECT assign_workflow(2, (SELECT max(id) FROM workflow));
""")
    f = f"/tmp/wf_funnel_bench_{os.getpid()}.csv"
    gen = f"""
COPY (
  WITH st AS (SELECT position, id FROM workflow_stage),
       steps(k, fpos, tpos) AS (VALUES (0, NULL, 1), (1, 1, 2), (2, 2, 3), (3, 3, 4), (4, 4, 3),
                                       (5, 3, 4), (6, 4, 5), (7, 5, 6), (8, 6, 7), (9, 7, 7))
  SELECT nextval('stage_transition_id_seq'), 'org:acme', j.job, c, (SELECT max(id) FROM workflow),
         (SELECT id FROM st WHERE position = CASE WHEN s.k = 9 AND c % 10 = 3 THEN 7
                                              WHEN s.k = 9 AND c % 4 = 1 THEN 7 ELSE s.fpos END),
         (SELECT id FROM st WHERE position = CASE WHEN s.k = 9 AND c % 10 = 3 THEN 6
                                              WHEN s.k = 9 AND c % 4 = 1 THEN 8 ELSE s.tpos END),
         CASE WHEN s.k = 0 THEN NULL ELSE 'active' END,
         CASE WHEN s.k < 9 OR c % 10 = 3 THEN 'active' WHEN c % 4 = 1 THEN 'hired'
              WHEN c % 4 = 0 THEN 'withdrawn' ELSE 'rejected' END,
         'user:ann',
         timestamptz '2029-01-01 00:00+00' + c * interval '1 minute'
           + s.k * ((c % 97) + 1) * interval '1 hour'
    FROM (VALUES (1, {CANDIDATES}), (2, {max(1, CANDIDATES // 5)})) j(job, n),
         generate_series(1, j.n) c, steps s
   ORDER BY j.job, c, s.k) TO '{f}' WITH (FORMAT csv);
SET row_security = off;
COPY stage_transition (id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                       from_status, to_status, actor, moved_at) FROM '{f}' WITH (FORMAT csv);
COPY (SELECT nextval('candidate_stage_id_seq'), * FROM (SELECT DISTINCT ON (t.job_id, t.candidate_id) t.tenant, t.job_id, t.candidate_id, t.workflow_id,
             t.to_stage_id, t.to_status, t.moved_at, t.id,
             CASE WHEN t.from_stage_id = t.to_stage_id THEN t.id - 1 ELSE t.id END, t.actor
        FROM stage_transition t ORDER BY t.job_id, t.candidate_id, t.id DESC) x) TO '{f}' WITH (FORMAT csv);
COPY candidate_stage (id, tenant, job_id, candidate_id, workflow_id, stage_id, status, entered_at,
                      transition_id, visit_transition_id, added_by) FROM '{f}' WITH (FORMAT csv);
RESET row_security;
VACUUM ANALYZE stage_transition;
VACUUM ANALYZE candidate_stage;
VACUUM ANALYZE stage_visit_row;
SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size('stage_transition'));
"""
    t0 = time.time()
    out, _ = psql(gen)
    load_s = time.time() - t0
    os.unlink(f) if os.path.exists(f) else None
    counts, _ = psql("SELECT job_id, count(*) FROM stage_transition GROUP BY 1 ORDER BY 1;")

    runs = APP + "\\timing on\nSELECT count(*) FROM pipeline_funnel(1);\n" + \
        "".join("SELECT count(*) FROM pipeline_funnel(1);\n" for _ in range(RUNS))
    # first with nothing folded (every visit read from the index), then
    # after compact_stage_visits() (the summary plus the visits not folded)
    out, _ = psql(runs)
    raw_times = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", out)][1:]
    raw_result, _ = psql(APP + "SELECT * FROM pipeline_funnel(1);")
    t0 = time.time()
    folded, _ = psql("SELECT compact_stage_visits() AS folded;")
    compact_s = time.time() - t0
    psql("VACUUM ANALYZE stage_visit_row; VACUUM ANALYZE stage_visit_summary;")
    out, _ = psql(runs)
    times = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", out)][1:]
    wf_out, _ = psql(APP + "\\timing on\nSELECT count(*) FROM pipeline_funnel(NULL, 1);\n"
                     "SELECT count(*) FROM pipeline_funnel(NULL, 1);\n")
    wf_times = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", wf_out)][1:]
    # a window: the visits that began in the middle third of the history
    window = "SELECT count(*) FROM pipeline_funnel(1, NULL, '2029-01-01 00:00+00'::timestamptz + interval '%d minutes', " \
             "'2029-01-01 00:00+00'::timestamptz + interval '%d minutes');\n" % (CANDIDATES // 3, 2 * CANDIDATES // 3)
    win_out, _ = psql(APP + "\\timing on\n" + window * (RUNS + 1))
    win_times = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", win_out)][1:]
    result, _ = psql(APP + "SELECT * FROM pipeline_funnel(1);")
    same = "identical" if result == raw_result else "DIFFERENT"
    _, plan = psql("""
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
""" + APP + "SELECT count(*) FROM pipeline_funnel(1);\n")
    nested = [p for p in plan.split("NOTICE:  ") if "stage_visit_row" in p or "stage_visit_counts" in p
              or "stage_visit_summary" in p or "WITH visits" in p]
    # stage_visit_counts() opens the index itself: what one call read, from
    # the index's statistics, and the plan of the same scan in SQL.
    idx, _ = psql("""
SELECT pg_catalog.pg_stat_reset_single_table_counters('stage_visit_row_funnel_idx'::regclass);
SELECT pg_catalog.pg_stat_reset_single_table_counters('stage_visit_row'::regclass);
""" + APP + """SELECT count(*) FROM pipeline_funnel(1);
RESET ROLE;
SELECT pg_catalog.pg_stat_force_next_flush();
SELECT pg_catalog.pg_sleep(0.2);
\\x on
SELECT i.indexrelname, i.idx_scan, i.idx_tup_read, t.seq_scan, t.seq_tup_read, t.idx_scan AS table_idx_scan
  FROM pg_catalog.pg_stat_user_indexes i JOIN pg_catalog.pg_stat_user_tables t ON t.relid = i.relid
 WHERE i.indexrelname = 'stage_visit_row_funnel_idx';
\\x off
""" + APP + """SET enable_seqscan = off;
EXPLAIN (ANALYZE, BUFFERS)
SELECT v.stage_id, v.next_stage_id, v.next_status, count(*), count(v.time_in_stage)
  FROM stage_visit_row v WHERE v.tenant = 'org:acme' AND v.job_id = 1 AND v.workflow_id = 1 AND NOT v.folded
 GROUP BY 1, 2, 3;
EXPLAIN (ANALYZE, BUFFERS)
SELECT s.stage_id, s.next_stage_ids, s.next_statuses, s.visits, s.time_in_stage
  FROM stage_visit_summary s WHERE s.tenant = 'org:acme' AND s.job_id = 1 AND s.workflow_id = 1;
SELECT pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size('stage_visit_summary')) AS summary_size;
""")
    with open(OUT, "w") as o:
        o.write("# pipeline_funnel() on a large job (bench/funnel.py)\n\n")
        o.write(f"Fixture: job 1 with {CANDIDATES} candidates, job 2 with {max(1, CANDIDATES // 5)}; "
                f"10 history rows each (restore by COPY: {load_s:.1f} s for load, pipeline rows and "
                f"VACUUM ANALYZE).\n\n")
        o.write("History rows per job:\n\n```\n" + counts + "```\n\n")
        o.write(f"As role wfapp (no superuser, no BYPASSRLS; the README's grants), tenant org:acme, "
                f"actor user:ann (the owner):\n\n")
        o.write(f"- `pipeline_funnel(1)` after `compact_stage_visits()` ({compact_s:.1f} s, "
                f"{folded.split()[2]} visits folded; then VACUUM ANALYZE): {len(times)} runs after a warm-up, median "
                f"{statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms "
                f"(target: 100 ms)\n")
        o.write(f"- `pipeline_funnel(1)` before it (nothing folded: every visit read from the index): "
                f"{len(raw_times)} runs, median {statistics.median(raw_times):.1f} ms, "
                f"min {min(raw_times):.1f} ms, max {max(raw_times):.1f} ms; result {same} to the compacted one\n")
        o.write(f"- `pipeline_funnel(1, NULL, since, until)` (the visits that began in the middle third): "
                f"{len(win_times)} runs, median {statistics.median(win_times):.1f} ms\n")
        o.write(f"- `pipeline_funnel(NULL, workflow)` (both jobs; derived from history, not the visit rows): "
                f"median {statistics.median(wf_times):.1f} ms\n\n")
        o.write("Result:\n\n```\n" + result + "```\n\n")
        o.write("Plans of the statements pipeline_funnel(1) runs (auto_explain, ANALYZE, BUFFERS; "
                "the counts, then per stage the k-th rows of the median and the p90):\n\n```\n"
                + ("\n".join(nested) if nested else plan) + "\n```\n")
        o.write("\nWhat one call read of the visit rows after compaction (pg_stat_user_indexes after one pipeline_funnel(1)), "
                "the same index-only scan of the visits not folded as SQL, and the read of the summary (EXPLAIN ANALYZE, as wfapp, row-level security applying):\n\n```\n"
                + idx + "```\n")
    print(open(OUT).read())


main()
