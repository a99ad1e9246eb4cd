-- pipeline_funnel() and stage_visit (0.3.0): exact counts and times on a
-- hand-made history where every number is known.  The history is loaded as
-- a restore (a superuser's COPY with row_security off, the only way history
-- gets explicit times); everything else runs as wf_fun_app, an ordinary role.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_fun_app;
RESET client_min_messages;
CREATE ROLE wf_fun_app;
GRANT workflow_app TO wf_fun_app;   -- the README's grant set (test/sql/include/app_grants.psql)
SET ROLE wf_fun_app;

\echo '== 1. Fixture: a workflow s1..s4 (s4 hired), job 500 of org:fun; job 500 of org:other too'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Funnel', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3, test_stage(:wf, 4) AS s4 \gset
SELECT job_id FROM assign_workflow(500, :wf);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:other';
SET LOCAL workflow_ext.actor = 'user:oz';
SELECT test_workflow('Other', 2) AS other_wf \gset
SELECT job_id FROM assign_workflow(500, :other_wf);
SELECT candidate_id FROM add_candidate(1001, 500);
COMMIT;
RESET ROLE;

-- The history, day by day from 2030-01-01 (day, candidate, from/to position, from/to status):
--   c1: enters s1 d0, s2 d1, s3 d3, s4 (hired) d4
--   c2: enters s1 d0, s2 d2, rejected d5
--   c3: enters s1 d1, withdrawn d2
--   c4: enters s1 d10, s2 d14, back to s1 d15 (still there)
--   c5: enters s1 d10 (still there)
--   c6: enters s1 d0, skips to s3 d4, rejected d6, reopened d7, s4 (hired) d9
CREATE TEMP TABLE h (ord serial, cand int, day numeric, fpos int, tpos int, fst text, tst text);
INSERT INTO h (cand, day, fpos, tpos, fst, tst) VALUES
  (1, 0, NULL, 1, NULL, 'active'), (1, 1, 1, 2, 'active', 'active'), (1, 3, 2, 3, 'active', 'active'),
  (1, 4, 3, 4, 'active', 'hired'),
  (2, 0, NULL, 1, NULL, 'active'), (2, 2, 1, 2, 'active', 'active'), (2, 5, 2, 2, 'active', 'rejected'),
  (3, 1, NULL, 1, NULL, 'active'), (3, 2, 1, 1, 'active', 'withdrawn'),
  (4, 10, NULL, 1, NULL, 'active'), (4, 14, 1, 2, 'active', 'active'), (4, 15, 2, 1, 'active', 'active'),
  (5, 10, NULL, 1, NULL, 'active'),
  (6, 0, NULL, 1, NULL, 'active'), (6, 4, 1, 3, 'active', 'active'), (6, 6, 3, 3, 'active', 'rejected'),
  (6, 7, 3, 3, 'rejected', 'active'), (6, 9, 3, 4, 'active', 'hired');
SELECT '/tmp/wf_funnel_' || pg_backend_pid() AS file \gset
COPY (SELECT nextval('stage_transition_id_seq'), 'org:fun', 500, 1000 + cand, :wf, test_stage(:wf, fpos), test_stage(:wf, tpos), fst, tst,
             'user:ann', timestamptz '2030-01-01 00:00+00' + day * interval '1 day'
        FROM h ORDER BY ord) TO :'file' WITH (FORMAT csv);
SET row_security = off;
COPY stage_transition (id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                       from_status, to_status, actor, moved_at) FROM :'file' WITH (FORMAT csv);
-- the pipeline rows as the history leaves them (a restore too)
COPY (SELECT nextval('candidate_stage_id_seq'), * FROM (SELECT DISTINCT ON (t.candidate_id) t.tenant, t.job_id, t.candidate_id, t.workflow_id, t.to_stage_id,
             t.to_status, t.moved_at, t.id,
             (SELECT max(v.transition_id) FROM stage_visit v
               WHERE v.tenant = t.tenant AND v.job_id = t.job_id AND v.candidate_id = t.candidate_id),
             t.actor
        FROM stage_transition t WHERE t.tenant = 'org:fun' AND t.job_id = 500
       ORDER BY t.candidate_id, t.id DESC) x) TO :'file' WITH (FORMAT csv);
COPY candidate_stage (id, tenant, job_id, candidate_id, workflow_id, stage_id, status, entered_at,
                      transition_id, visit_transition_id, added_by) FROM :'file' WITH (FORMAT csv);
RESET row_security;
SET ROLE wf_fun_app;

\echo '== 2. The visits as stage_visit derives them'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT candidate_id - 1000 AS c, (SELECT position FROM workflow_stage s WHERE s.id = v.stage_id) AS pos,
       extract(day FROM entered_at - '2030-01-01 00:00+00') AS entered_day,
       extract(day FROM left_at - '2030-01-01 00:00+00') AS left_day, outcome, advanced, time_in_stage
  FROM stage_visit v WHERE job_id = 500 ORDER BY candidate_id, transition_id;

\echo '== 3. The whole history: every number known'
SELECT position, stage_name, entered, current, advanced, rejected, withdrawn, hired, conversion,
       median_time_in_stage, p90_time_in_stage
  FROM pipeline_funnel(500);
-- by workflow: the same, the job being its only one
SELECT count(*) AS same_by_workflow FROM (
  SELECT * FROM pipeline_funnel(500) EXCEPT SELECT * FROM pipeline_funnel(NULL, :wf)) x;

\echo '== 4. Windows: visits that began in [since, until)'
SELECT position, entered, current, advanced, rejected, withdrawn, hired, conversion, median_time_in_stage
  FROM pipeline_funnel(500, since => '2030-01-11 00:00+00');
SELECT position, entered, advanced, rejected, withdrawn, hired, conversion, p90_time_in_stage
  FROM pipeline_funnel(500, until => '2030-01-11 00:00+00');
SELECT position, entered, advanced FROM pipeline_funnel(500, NULL, '2030-01-02 00:00+00', '2030-01-05 00:00+00');
COMMIT;

\echo '== 5. Scope and errors'
SELECT test_error('SELECT * FROM pipeline_funnel()') AS no_scope;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT * FROM pipeline_funnel(501)') AS unknown_job;
SELECT test_error(format('SELECT * FROM pipeline_funnel(NULL, %s)', :other_wf)) AS other_tenants_workflow;
ROLLBACK;

\echo '== 6. Row-level security: another tenant, and an actor the workflow is not shared with'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:other';
SET LOCAL workflow_ext.actor = 'user:oz';
-- job 500 of org:other is its own: one candidate, nothing of org:fun's
SELECT position, entered, current FROM pipeline_funnel(500);
SELECT count(*) AS other_sees_visits FROM stage_visit WHERE candidate_id BETWEEN 1001 AND 1006 AND tenant = 'org:fun';
SELECT test_error(format('SELECT * FROM pipeline_funnel(NULL, %s)', :wf)) AS other_funnel_by_workflow;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT test_error('SELECT * FROM pipeline_funnel(500)') AS unshared_actor;
SELECT count(*) AS unshared_sees_visits FROM stage_visit;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT share_workflow(:wf, 'user:bea');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:bea';
SELECT sum(entered) AS shared_entered, sum(current) AS shared_current FROM pipeline_funnel(500);
ROLLBACK;


\echo '== 7. Randomized pipelines of two tenants through every write path, against a naive count'
-- org:fun and org:two each run job 600 (the same id) on a workflow of 5
-- stages (s2 auto_advance, s5 hired), and job 601; random steps, each its
-- own transaction: entries, moves forward, back and skipping (functions, a
-- plain UPDATE, move_candidates), reject / withdraw / reopen, transfers,
-- removals (function and plain DELETE), refusals rolled back.
CREATE FUNCTION pg_temp.fun_setup(t text, a text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    w bigint;
BEGIN
    PERFORM set_config('workflow_ext.tenant', t, true);
    PERFORM set_config('workflow_ext.actor', a, true);
    w := test_workflow('Random ' || t, 5);
    UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = w AND position = 2;
    -- (s3's rule always holds: s2 moves candidates on by itself)
    INSERT INTO stage_rule (stage_id, name, condition, on_fail)
    VALUES (test_stage(w, 3), 'Open', '{"field": "never_set", "op": "not_exists"}', 'block');
    PERFORM assign_workflow(600, w);
    PERFORM assign_workflow(601, w);
    RETURN w;
END $$;
CREATE FUNCTION pg_temp.fun_step(t text, a text, w bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c bigint := 2000 + floor(random() * 30)::int;
    r float8 := random();
    k integer := 1 + floor(random() * 5)::int;
    st text;
BEGIN
    PERFORM set_config('workflow_ext.tenant', t, true);
    PERFORM set_config('workflow_ext.actor', a, true);
    SELECT x.status INTO st FROM candidate_stage x WHERE x.tenant = t AND x.job_id = 600 AND x.candidate_id = c;
    BEGIN
        IF st IS NULL THEN
            PERFORM add_candidate(c, 600);
        ELSIF st IN ('rejected', 'withdrawn') THEN
            IF r < 0.7 THEN PERFORM reopen_candidate(c, 600); ELSE PERFORM remove_candidate(c, 600); END IF;
        ELSIF st <> 'active' THEN
            DELETE FROM candidate_stage x WHERE x.tenant = t AND x.job_id = 600 AND x.candidate_id = c;
        ELSIF r < 0.30 THEN PERFORM move_to_next_stage(c, 600);
        ELSIF r < 0.40 THEN PERFORM move_to_stage(c, 600, test_stage(w, k));
        ELSIF r < 0.50 THEN
            UPDATE candidate_stage x SET stage_id = test_stage(w, k)
             WHERE x.tenant = t AND x.job_id = 600 AND x.candidate_id = c;
        ELSIF r < 0.60 THEN PERFORM move_candidates(600, ARRAY[c, c + 1, c + 2, c + 3]);
        ELSIF r < 0.70 THEN PERFORM reject_candidate(c, 600);
        ELSIF r < 0.76 THEN PERFORM withdraw_candidate(c, 600);
        ELSIF r < 0.82 THEN PERFORM transfer_candidate(c, 600, 601);
        ELSIF r < 0.88 THEN PERFORM remove_candidate(c, 600);
        ELSIF r < 0.94 THEN
            DELETE FROM candidate_stage x WHERE x.tenant = t AND x.job_id = 600 AND x.candidate_id = c;
        ELSE
            -- a bulk UPDATE of several rows at once
            UPDATE candidate_stage x SET stage_id = test_stage(w, k)
             WHERE x.tenant = t AND x.job_id = 600 AND x.status = 'active' AND x.candidate_id % 7 = c % 7;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        NULL;   -- refused (last stage, not active, ...): rolled back, visits too
    END;
END $$;
-- The funnel counted naively from the history the caller sees: each visit
-- joined to the next history row of its candidate (no window function, no
-- visit rows), percentile_cont over the ended ones.
CREATE FUNCTION pg_temp.naive_funnel(t text, j bigint, w bigint, lo timestamptz DEFAULT NULL, hi timestamptz DEFAULT NULL)
RETURNS TABLE (stage_id bigint, stage_name text, "position" integer, entered bigint, "current" bigint,
               advanced bigint, rejected bigint, withdrawn bigint, hired bigint, conversion numeric,
               median_time_in_stage interval, p90_time_in_stage interval)
LANGUAGE sql STABLE AS $$
    WITH h AS (SELECT * FROM stage_transition x WHERE x.tenant = t AND x.job_id = j AND x.workflow_id = w),
    vis AS (SELECT h.to_stage_id AS sid, n.id AS nid, n.to_stage_id AS nsid, n.to_status AS nst,
                   n.moved_at - h.moved_at AS d
              FROM h LEFT JOIN LATERAL (SELECT * FROM h n WHERE n.candidate_id = h.candidate_id AND n.id > h.id
                                         ORDER BY n.id LIMIT 1) n ON true
             WHERE h.to_status IN ('active', 'hired')
               AND (h.from_stage_id IS DISTINCT FROM h.to_stage_id OR h.from_status IS DISTINCT FROM h.to_status)
               AND (lo IS NULL OR h.moved_at >= lo) AND (hi IS NULL OR h.moved_at < hi)),
    agg AS (SELECT s.id, s.name, s.position, count(v.sid) AS entered,
                   count(*) FILTER (WHERE v.nid IS NOT NULL AND v.nsid <> v.sid AND ns.position > s.position) AS advanced,
                   count(*) FILTER (WHERE v.nsid = v.sid AND v.nst = 'rejected') AS rejected,
                   count(*) FILTER (WHERE v.nsid = v.sid AND v.nst = 'withdrawn') AS withdrawn,
                   count(*) FILTER (WHERE v.nsid <> v.sid AND v.nst = 'hired') AS hired,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.d) AS med,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY v.d) AS p90
              FROM workflow_stage s
              LEFT JOIN vis v ON v.sid = s.id
              LEFT JOIN workflow_stage ns ON ns.id = v.nsid
             WHERE s.workflow_id = w
             GROUP BY s.id, s.name, s.position)
    SELECT a.id, a.name, a.position, a.entered,
           (SELECT count(*) FROM candidate_stage c WHERE c.tenant = t AND c.job_id = j AND c.workflow_id = w
                                                    AND c.stage_id = a.id AND c.status = 'active'),
           a.advanced, a.rejected, a.withdrawn, a.hired,
           round(a.advanced::numeric / nullif(a.entered, 0), 4), a.med, a.p90
      FROM agg a ORDER BY a.position
$$;
SELECT setseed(0.19);
SELECT pg_temp.fun_setup('org:fun', 'user:ann') AS fwf \gset
SELECT pg_temp.fun_setup('org:two', 'user:tom') AS twf \gset
\set ECHO none
\o /dev/null
SELECT format('SELECT pg_temp.fun_step(%L, %L, %s)', t, a, w)
  FROM generate_series(1, 300) i,
       LATERAL (VALUES ('org:fun', 'user:ann', :fwf), ('org:two', 'user:tom', :twf)) v(t, a, w) \gexec
\o
\set ECHO all
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
-- what the steps made: every kind of history row, several visits per candidate
SELECT count(*) > 300 AS many_rows, count(DISTINCT to_status) AS statuses,
       count(*) FILTER (WHERE reason = 'auto_advance') > 0 AS auto_advanced,
       count(*) FILTER (WHERE to_status = 'active' AND from_status IN ('rejected', 'withdrawn')) > 0 AS reopened,
       count(*) FILTER (WHERE from_stage_id <> to_stage_id AND to_stage_id IN (SELECT id FROM workflow_stage WHERE position < 3)
                          AND from_stage_id IN (SELECT id FROM workflow_stage WHERE position >= 3)) > 0 AS moved_back
  FROM stage_transition WHERE job_id = 600;
SELECT count(*) AS fun_differences FROM (
    (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x;
SELECT sum(entered) > 100 AS fun_entered, sum(advanced) > 0 AS fun_advanced, sum(hired) > 0 AS fun_hired,
       count(median_time_in_stage) >= 3 AS fun_medians
  FROM pipeline_funnel(600);
-- windows: bounds at the history's own times (a visit starting exactly at since counts)
SELECT min(moved_at) + (max(moved_at) - min(moved_at)) / 3 AS lo,
       min(moved_at) + 2 * (max(moved_at) - min(moved_at)) / 3 AS hi,
       (SELECT moved_at FROM stage_transition WHERE job_id = 600 ORDER BY id OFFSET 150 LIMIT 1) AS exact
  FROM stage_transition WHERE job_id = 600 \gset
SELECT count(*) AS fun_window_differences FROM (
    (SELECT * FROM pipeline_funnel(600, NULL, :'lo', :'hi') EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf, :'lo', :'hi'))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf, :'lo', :'hi') EXCEPT ALL SELECT * FROM pipeline_funnel(600, NULL, :'lo', :'hi'))
    UNION ALL
    (SELECT * FROM pipeline_funnel(600, since => :'exact') EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf, :'exact'))
    UNION ALL
    (SELECT * FROM pipeline_funnel(600, until => :'exact') EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf, NULL, :'exact'))) x;
-- the job candidates were transferred to
SELECT count(*) AS fun_601_differences FROM (
    SELECT * FROM pipeline_funnel(601) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 601, :fwf)) x;
-- the other tenant's visits are not there for org:fun
SELECT count(*) AS fun_sees_two FROM stage_visit_row WHERE tenant = 'org:two';
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:two';
SET LOCAL workflow_ext.actor = 'user:tom';
SELECT count(*) AS two_differences FROM (
    (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:two', 600, :twf))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:two', 600, :twf) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x;
SELECT sum(entered) > 100 AS two_entered FROM pipeline_funnel(600);
SELECT count(*) AS two_sees_fun FROM stage_visit_row WHERE tenant = 'org:fun';
-- the counting function decides as the policy does: nothing of org:fun's
SELECT count(*) AS two_counts_fun FROM stage_visit_counts('org:fun', 600, :fwf);
SELECT sum(visits) > 100 AS two_counts_own FROM stage_visit_counts('org:two', 600, :twf);
COMMIT;
BEGIN;
-- an actor of org:fun the workflow is not shared with sees none of its visits
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:cy';
SELECT count(*) AS unshared_sees_visit_rows FROM stage_visit_row WHERE workflow_id = :fwf;
SELECT test_error('SELECT * FROM pipeline_funnel(600)') AS unshared_funnel;
ROLLBACK;
-- a role without the grant set reads nothing
RESET ROLE;
CREATE ROLE wf_fun_nobody;
SET ROLE wf_fun_nobody;
SELECT test_error(format('SELECT * FROM stage_visit_counts(%L, 600, %s)', 'org:fun', :fwf)) AS nobody_counts;
RESET ROLE;
DROP ROLE wf_fun_nobody;
SET ROLE wf_fun_app;
-- the application cannot write visit rows
SELECT test_error('UPDATE stage_visit_row SET left_at = NULL') AS app_updates_visits;
SELECT test_error('DELETE FROM stage_visit_row') AS app_deletes_visits;
RESET ROLE;

\echo '== 8. The visit rows are exactly the visits stage_visit derives'
-- (as a superuser: every tenant's)
CREATE TEMP VIEW visit_diff AS
    (SELECT id, tenant, job_id, candidate_id, workflow_id, stage_id, entered_at, left_at,
            ended_by_transition_id, time_in_stage FROM stage_visit_row
     EXCEPT ALL
     SELECT transition_id, tenant, job_id, candidate_id, workflow_id, stage_id, entered_at, left_at,
            ended_by_transition_id, time_in_stage FROM stage_visit)
    UNION ALL
    (SELECT transition_id, tenant, job_id, candidate_id, workflow_id, stage_id, entered_at, left_at,
            ended_by_transition_id, time_in_stage FROM stage_visit
     EXCEPT ALL
     SELECT id, tenant, job_id, candidate_id, workflow_id, stage_id, entered_at, left_at,
            ended_by_transition_id, time_in_stage FROM stage_visit_row);
SELECT count(*) AS visits, (SELECT count(*) FROM visit_diff) AS differences FROM stage_visit_row;
SELECT count(*) AS next_differences FROM stage_visit_row v
  LEFT JOIN stage_transition n ON n.id = v.ended_by_transition_id
 WHERE v.next_stage_id IS DISTINCT FROM n.to_stage_id OR v.next_status IS DISTINCT FROM n.to_status;
-- A restore whose history rows arrive in any order builds the same visits:
-- org:fun's job 600 history copied into job 700, in reverse id order.
SELECT '/tmp/wf_funnel_rev_' || pg_backend_pid() AS revfile, nextval('stage_transition_id_seq') AS base \gset
COPY (SELECT :base + row_number() OVER (ORDER BY id), tenant, 700, candidate_id, workflow_id,
             from_stage_id, to_stage_id, from_status, to_status, actor, moved_at
        FROM stage_transition WHERE tenant = 'org:fun' AND job_id = 600 ORDER BY id DESC) TO :'revfile' WITH (FORMAT csv);
SELECT setval('stage_transition_id_seq', :base + 100000) IS NOT NULL AS ids_reserved;
SET row_security = off;
COPY stage_transition (id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                       from_status, to_status, actor, moved_at) FROM :'revfile' WITH (FORMAT csv);
RESET row_security;
SELECT (SELECT count(*) FROM stage_visit_row WHERE job_id = 700) = (SELECT count(*) FROM stage_visit_row WHERE job_id = 600 AND tenant = 'org:fun')
       AS same_visits_reversed, (SELECT count(*) FROM visit_diff) AS differences_reversed;
-- The owner deleting history (here: every third row of job 700) takes the
-- visits along; truncating it, all of them.
DELETE FROM stage_transition WHERE job_id = 700 AND id % 3 = 0;
SELECT count(*) > 0 AS some_left, (SELECT count(*) FROM visit_diff) AS differences_after_delete
  FROM stage_visit_row WHERE job_id = 700;
BEGIN;
TRUNCATE stage_transition, candidate_stage, alert_event;
SELECT count(*) AS visits_after_truncate FROM stage_visit_row;
ROLLBACK;

\echo '== 9. A policy the owner adds: the funnel counts what history shows under it, never the visit rows past it'
-- A restrictive policy on stage_transition hides every fifth candidate's
-- history from the application: the funnel equals the naive count over the
-- history the caller sees, and stage_visit_counts() counts nothing.  A
-- policy added to stage_visit_row: the funnel is still the history's.
CREATE POLICY fun_hide_fifth ON stage_transition AS RESTRICTIVE FOR SELECT USING (candidate_id % 5 <> 0);
SET ROLE wf_fun_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT count(*) FILTER (WHERE candidate_id % 5 = 0) AS hidden_rows_seen, count(*) > 0 AS some_rows_seen
  FROM stage_transition WHERE job_id = 600;
SELECT count(*) AS hidden_differences FROM (
    (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x;
SELECT count(*) AS counted_past_the_policy FROM stage_visit_counts('org:fun', 600, :fwf);
ROLLBACK;
RESET ROLE;
DROP POLICY fun_hide_fifth ON stage_transition;
CREATE POLICY fun_extra ON stage_visit_row FOR SELECT USING (false);
SET ROLE wf_fun_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT count(*) AS extra_policy_differences FROM (
    (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x;
SELECT sum(entered) > 100 AS funnel_entered FROM pipeline_funnel(600);
ROLLBACK;
RESET ROLE;
DROP POLICY fun_extra ON stage_visit_row;
\echo '== 10. Compacted visits (compact_stage_visits): the same numbers'
-- Each check, as the application role of a tenant: the funnel of job 600
-- against the naive count from history, and against the pass that reads
-- every visit row (a window with no bound that excludes anything).
CREATE FUNCTION pg_temp.funnel_check(t text, a text, w bigint) RETURNS TABLE (naive_diff bigint, pass_diff bigint, entered bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('workflow_ext.tenant', t, true);
    PERFORM set_config('workflow_ext.actor', a, true);
    RETURN QUERY SELECT
        (SELECT count(*) FROM (
            (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel(t, 600, w))
            UNION ALL
            (SELECT * FROM pg_temp.naive_funnel(t, 600, w) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x),
        (SELECT count(*) FROM (
            (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pipeline_funnel(600, NULL, '-infinity', 'infinity'))
            UNION ALL
            (SELECT * FROM pipeline_funnel(600, NULL, '-infinity', 'infinity') EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x),
        (SELECT sum(f.entered)::bigint FROM pipeline_funnel(600) f);
END $$;
-- The summary is exactly the folded visit rows (as the owner: every tenant's).
CREATE TEMP VIEW summary_diff AS
    WITH folded AS (
        SELECT tenant, job_id, workflow_id, stage_id, count(*) AS n,
               array_agg(extract(epoch FROM time_in_stage)::numeric * 1000000 ORDER BY time_in_stage) AS times
          FROM stage_visit_row WHERE folded GROUP BY 1, 2, 3, 4),
    summed AS (
        SELECT s.tenant, s.job_id, s.workflow_id, s.stage_id,
               (SELECT sum(x) FROM unnest(s.visits) x) AS n,
               (SELECT array_agg(x::numeric ORDER BY x) FROM unnest(s.time_in_stage) x) AS times
          FROM stage_visit_summary s)
    (SELECT * FROM folded EXCEPT ALL SELECT * FROM summed)
    UNION ALL
    (SELECT * FROM summed EXCEPT ALL SELECT * FROM folded);
-- The application neither compacts nor writes the summary.
SET ROLE wf_fun_app;
SELECT test_error('SELECT compact_stage_visits()') AS app_compacts;
SELECT test_error('DELETE FROM stage_visit_summary') AS app_deletes_summary;
RESET ROLE;
-- Before: nothing folded, the funnel is the pass.
SELECT count(*) FILTER (WHERE folded) AS folded_before, (SELECT count(*) FROM stage_visit_summary) AS summaries_before
  FROM stage_visit_row;
-- only in READ COMMITTED (a snapshot older than its lock could merge a summary emptied meanwhile)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT test_error('SELECT compact_stage_visits(600)') AS compact_repeatable_read;
ROLLBACK;
SELECT compact_stage_visits(600) > 100 AS folded_job_600;
SELECT count(DISTINCT tenant) AS tenants_folded, count(*) FILTER (WHERE job_id <> 600) AS other_jobs_folded
  FROM stage_visit_row WHERE folded;
SELECT count(*) AS summary_differences FROM summary_diff;
-- every ended visit of job 600 is folded; the open ones are not
SELECT count(*) FILTER (WHERE folded AND left_at IS NULL) AS open_folded,
       count(*) FILTER (WHERE NOT folded AND left_at IS NOT NULL) AS ended_unfolded
  FROM stage_visit_row WHERE job_id = 600;
SELECT compact_stage_visits(600) AS folded_again;
SET ROLE wf_fun_app;
SELECT naive_diff, pass_diff, entered > 100 AS many FROM pg_temp.funnel_check('org:fun', 'user:ann', :fwf);
SELECT naive_diff, pass_diff, entered > 100 AS many FROM pg_temp.funnel_check('org:two', 'user:tom', :twf);
-- each tenant sees only its own summary; an actor the workflow is not shared with, none
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:two';
SET LOCAL workflow_ext.actor = 'user:tom';
SELECT count(*) FILTER (WHERE tenant = 'org:fun') AS two_sees_fun_summary, count(*) > 0 AS two_sees_own_summary
  FROM stage_visit_summary;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:cy';
SELECT count(*) AS unshared_sees_summary FROM stage_visit_summary;
ROLLBACK;
-- More moves of every kind after the compaction: entries, moves, rejections,
-- reopens, transfers, removals (their visits are not folded yet).
\set ECHO none
\o /dev/null
SELECT format('SELECT pg_temp.fun_step(%L, %L, %s)', t, a, w)
  FROM generate_series(1, 150) i,
       LATERAL (VALUES ('org:fun', 'user:ann', :fwf), ('org:two', 'user:tom', :twf)) v(t, a, w) \gexec
\o
\set ECHO all
RESET ROLE;
SELECT count(*) FILTER (WHERE NOT folded AND left_at IS NOT NULL) > 0 AS ended_since,
       count(*) FILTER (WHERE folded) > 0 AS still_folded
  FROM stage_visit_row WHERE job_id = 600;
SET ROLE wf_fun_app;
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:fun', 'user:ann', :fwf);
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:two', 'user:tom', :twf);
RESET ROLE;
-- Every job (NULL), again.
SELECT compact_stage_visits() > 0 AS folded_all;
SELECT count(*) AS summary_differences_all FROM summary_diff;
SET ROLE wf_fun_app;
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:fun', 'user:ann', :fwf);
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:two', 'user:tom', :twf);
RESET ROLE;
-- The owner deletes a history row that ended a folded visit (one no
-- pipeline row points at): org:fun's summary of the job goes and its visits
-- are unfolded; org:two's stays.
SELECT t.id AS gone, '/tmp/wf_funnel_gone_' || pg_backend_pid() AS gonefile
  FROM stage_transition t
 WHERE t.tenant = 'org:fun' AND t.job_id = 600
   AND EXISTS (SELECT FROM stage_visit_row v WHERE v.ended_by_transition_id = t.id AND v.folded)
   AND EXISTS (SELECT FROM stage_transition n WHERE n.tenant = t.tenant AND n.job_id = t.job_id
                  AND n.candidate_id = t.candidate_id AND n.id > t.id)
   AND NOT EXISTS (SELECT FROM candidate_stage c WHERE t.id IN (c.transition_id, c.visit_transition_id))
 ORDER BY t.id LIMIT 1 \gset
COPY (SELECT id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id, from_status, to_status, actor, moved_at
        FROM stage_transition WHERE id = :gone) TO :'gonefile' WITH (FORMAT csv);
DELETE FROM stage_transition WHERE id = :gone;
SELECT count(*) FILTER (WHERE tenant = 'org:fun' AND folded) AS fun_folded_after_delete,
       count(*) FILTER (WHERE tenant = 'org:two' AND folded) > 0 AS two_still_folded,
       (SELECT count(*) FROM stage_visit_summary WHERE tenant = 'org:fun' AND job_id = 600) AS fun_summaries_after_delete,
       (SELECT count(*) FROM summary_diff) AS summary_differences_after_delete
  FROM stage_visit_row WHERE job_id = 600;
SET ROLE wf_fun_app;
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:fun', 'user:ann', :fwf);
RESET ROLE;
-- The row comes back (a restore's COPY, before later rows of its
-- candidate) after a compaction: it re-closes a folded visit, so the
-- summary goes again.
SELECT compact_stage_visits(600) > 0 AS refolded;
SET row_security = off;
COPY stage_transition (id, tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                       from_status, to_status, actor, moved_at) FROM :'gonefile' WITH (FORMAT csv);
RESET row_security;
SELECT count(*) FILTER (WHERE folded) AS fun_folded_after_return,
       (SELECT count(*) FROM stage_visit_summary WHERE tenant = 'org:fun' AND job_id = 600) AS fun_summaries_after_return,
       (SELECT count(*) FROM summary_diff) AS summary_differences_after_return,
       (SELECT count(*) FROM visit_diff) AS visit_differences_after_return
  FROM stage_visit_row WHERE job_id = 600 AND tenant = 'org:fun';
SELECT compact_stage_visits(600) > 0 AS folded_once_more;
SET ROLE wf_fun_app;
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:fun', 'user:ann', :fwf);
SELECT naive_diff, pass_diff FROM pg_temp.funnel_check('org:two', 'user:tom', :twf);
RESET ROLE;
-- a role without the grant set reads no summary
CREATE ROLE wf_fun_nobody;
SET ROLE wf_fun_nobody;
SELECT test_error('SELECT count(*) FROM stage_visit_summary') AS nobody_reads_summary;
RESET ROLE;
DROP ROLE wf_fun_nobody;
-- Truncating history empties the summaries too.
BEGIN;
TRUNCATE stage_transition, candidate_stage, alert_event;
SELECT count(*) AS summaries_after_truncate FROM stage_visit_summary;
ROLLBACK;
\echo '== 11. A policy the owner adds to the summary: the funnel is derived from history'
SELECT compact_stage_visits(600) IS NOT NULL AS compacted;
SELECT count(*) > 0 AS summary_rows FROM stage_visit_summary WHERE job_id = 600;
CREATE POLICY fun_extra_summary ON stage_visit_summary FOR SELECT USING (false);
SET ROLE wf_fun_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:fun';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT count(*) AS summary_policy_differences FROM (
    (SELECT * FROM pipeline_funnel(600) EXCEPT ALL SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf))
    UNION ALL
    (SELECT * FROM pg_temp.naive_funnel('org:fun', 600, :fwf) EXCEPT ALL SELECT * FROM pipeline_funnel(600))) x;
SELECT count(*) AS counted_past_the_summary_policy FROM stage_visit_counts('org:fun', 600, :fwf);
ROLLBACK;
RESET ROLE;
DROP POLICY fun_extra_summary ON stage_visit_summary;
