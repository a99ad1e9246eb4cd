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

RESET ROLE;
