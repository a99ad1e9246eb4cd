-- A newcomer's findings (cross-tenant sharing, explain functions, HINTs, raw
-- errors), each as a kind: only the job's own tenant enters candidates into
-- its jobs, on every write path; the explain functions answer for the
-- caller's own tenant's jobs only, P0002 for a job it cannot see and 22023
-- for a NULL; a transfer into a named archived stage says to name another;
-- assign_workflow and plain writes of job_workflow refuse with a reason.
-- Everything runs as wf_nc6_app, an ordinary role with the README's grant
-- set: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc6_app;
RESET client_min_messages;
CREATE ROLE wf_nc6_app;
GRANT workflow_app TO wf_nc6_app;
-- The fixture's ids by name (:w, :p, :s3, :ivy_wf), so that what is shown
-- does not depend on the ids earlier tests used.
CREATE TABLE nc6_ids (name text PRIMARY KEY, id bigint);
GRANT SELECT, INSERT ON nc6_ids TO wf_nc6_app;
CREATE FUNCTION nc6_sql(template text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT name, id FROM nc6_ids ORDER BY length(name) DESC LOOP
        template := replace(template, ':' || r.name, r.id::text);
    END LOOP;
    RETURN template;
END $$;
CREATE FUNCTION nc6_masked(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT name, id FROM nc6_ids LOOP
        t := regexp_replace(t, '\m' || r.id || '\M', ':' || r.name, 'g');
    END LOOP;
    RETURN t;
END $$;
-- SQLSTATE, reason and HINT of a statement's error ('no error' when none).
CREATE FUNCTION nc6_error(template text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
    hint text;
BEGIN
    EXECUTE nc6_sql(template);
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN SQLSTATE || ' ' || coalesce(nullif(detail, '')::jsonb ->> 'reason', '(no reason: ' || SQLERRM || ')')
        || coalesce(' | ' || nullif(hint, ''), '');
END $$;
-- test_error() of the statement, the fixture's ids shown by name.
CREATE FUNCTION nc6_detail(template text) RETURNS text LANGUAGE sql AS
$$ SELECT nc6_masked(test_error(nc6_sql(template))) $$;
SET ROLE wf_nc6_app;

\echo '== Fixture: a client shares workflow W with an agency (read-only) and with its editor (can_edit)'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT test_workflow('Shared', 3, false) AS w, test_workflow('Private', 1, false) AS p \gset
SELECT test_stage(:w, 3) AS s3 \gset
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:w, 2), 'within budget', '{"field": "salary", "op": "lte", "value": 150000}');
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (test_stage(:w, 1), 'salary', '>', '180000', 'very expensive');
SELECT job_id FROM assign_workflow(10, :w);
SELECT job_id FROM assign_workflow(11, :w);
SELECT job_id FROM assign_workflow(12, :w);
SELECT job_id FROM assign_workflow(99, :p);
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (777, '{"salary": 200000}'), (5, '{"salary": 100000}'), (6, '{"salary": 90000}');
SELECT candidate_id, tenant FROM add_candidate(777, 99);    -- only in the client's private job
SELECT candidate_id, tenant FROM add_candidate(5, 10);
SELECT candidate_id, tenant FROM add_candidate(6, 10);
SELECT share_workflow(:w, NULL, false, 'org:nc6-agency');
SELECT share_workflow(:w, 'user:editor', true, 'org:nc6-agency');
SELECT share_workflow(:w, 'user:ivy');                       -- a colleague, read-only
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:boss';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w, true);
SET LOCAL workflow_ext.tenant_admin = off;
SET LOCAL workflow_ext.actor = 'user:editor';
SELECT accept_share(:w);
-- the agency's own candidates, whose ids the client also uses
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"name": "agency person #5"}'),
       (777, '{"name": "agency person #777", "salary": 1}');
COMMIT;
INSERT INTO nc6_ids VALUES ('w', :w), ('p', :p), ('s3', :s3);

\echo '== 1. A read-only grantee enters no candidate into the client''s job, on any path, whatever the id'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:agent';
-- 777: the client's, never shown to the agency; 5: in the job already; 424242: nobody's
SELECT count(*) AS agency_sees_777 FROM candidate_stage WHERE candidate_id = 777;
SELECT c AS call, nc6_error(c) AS error FROM unnest(ARRAY[
  'SELECT add_candidate(777, 10)', 'SELECT add_candidate(5, 10)', 'SELECT add_candidate(424242, 10)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 5)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 424242)',
  'INSERT INTO candidate_stage (job_id, candidate_id, tenant) VALUES (10, 777, ''org:nc6-client'')',
  'INSERT INTO candidate_stage (job_id, candidate_id, workflow_id) VALUES (10, 777, :w)',
  'INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (10, 777, :s3)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777) ON CONFLICT DO NOTHING',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 5) ON CONFLICT DO NOTHING',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 5) ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = EXCLUDED.stage_id',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777), (10, 778)',
  'INSERT INTO candidate_stage (job_id, candidate_id) SELECT 10, g FROM generate_series(770, 779) g']) AS c
 ORDER BY 1;
-- a bulk move enters nobody: an id not in the job is its row's not_found
SELECT candidate_id, outcome, sqlstate FROM move_candidates(10, ARRAY[777]::bigint[]);
-- COPY: PostgreSQL refuses it to a role under row-level security ...
COPY candidate_stage (job_id, candidate_id) FROM stdin;
10	777
\.
ROLLBACK;
-- ... and for a role that bypasses it, acting as the agency, the guard refuses it
RESET ROLE;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:agent';
COPY candidate_stage (job_id, candidate_id) FROM stdin;
10	777
\.
ROLLBACK;
SET ROLE wf_nc6_app;
-- nothing reached the client's job: no row, no history, no alert event
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT job_id, candidate_id, added_by FROM candidate_stage WHERE job_id = 10 ORDER BY candidate_id;
SELECT count(*) AS job_10_history FROM stage_transition WHERE job_id = 10;
SELECT count(*) AS alert_events_of_777 FROM alert_event WHERE candidate_id = 777;
COMMIT;

\echo '== 2. A grantee with can_edit neither, and no transfer takes a candidate into the client''s job'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:editor';
SELECT job_id, tenant FROM assign_workflow(500, :w);        -- the agency's own job on the workflow
SELECT candidate_id, tenant, added_by FROM add_candidate(777, 500);
SELECT c AS call, nc6_error(c) AS error FROM unnest(ARRAY[
  'SELECT add_candidate(777, 10)', 'SELECT add_candidate(424242, 10)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777)',
  'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777) ON CONFLICT DO NOTHING',
  'SELECT transfer_candidate(5, 10, 11)',            -- between two of the client's jobs
  'SELECT transfer_candidate(5, 10, 11, :s3)',
  'SELECT transfer_candidate(777, 500, 10)',         -- from the agency's own job into the client's
  'SELECT transfer_candidate(5, 10, 500)']) AS c     -- the client's candidate into the agency's job
 ORDER BY 1;
SELECT test_error('SELECT transfer_candidate(777, 500, 10)');
SELECT test_error('SELECT add_candidate(777, 10)');
ROLLBACK;

\echo '== 3. What a share still does: moves, rejections, reopens, removals in the client''s pipeline; the agency''s own jobs'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT to_stage_name FROM move_to_next_stage(5, 10);
SELECT candidate_id, outcome FROM move_candidates(10, ARRAY[6, 424242]::bigint[]);
SELECT status FROM reject_candidate(5, 10);
SELECT status FROM reopen_candidate(5, 10);
UPDATE candidate_stage SET stage_id = test_stage(:w, 3) WHERE job_id = 10 AND candidate_id = 5;
SELECT stage_id = test_stage(:w, 3) AS moved_by_update, tenant FROM candidate_stage WHERE job_id = 10 AND candidate_id = 5;
-- its own jobs on the client's workflow, by function and by plain INSERT, its own facts
SELECT job_id, tenant FROM assign_workflow(501, :w);
SELECT candidate_id, tenant, added_by FROM add_candidate(5, 501);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (501, 777), (501, 778) RETURNING candidate_id, tenant;
-- a job id of its own that the client also uses: its own job, not the client's
SELECT job_id, tenant FROM assign_workflow(11, :w);
SELECT candidate_id, tenant FROM add_candidate(777, 11);
SELECT candidate_facts(777, 11) AS own_job_facts;
SET LOCAL workflow_ext.actor = 'user:editor';
SELECT remove_candidate(6, 10);
SELECT count(*) AS client_rows_left_in_10 FROM candidate_stage WHERE job_id = 10 AND tenant = 'org:nc6-client';
ROLLBACK;
-- the client itself enters candidates into its job, on every path
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT candidate_id, tenant FROM add_candidate(777, 11);
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (11, 5), (11, 6) ON CONFLICT DO NOTHING RETURNING candidate_id;
SELECT job_id, tenant FROM transfer_candidate(5, 10, 12);
SELECT message FROM alert_event WHERE candidate_id = 777 AND job_id = 11;
ROLLBACK;

\echo '== 4. The explain functions: the caller''s own jobs only; P0002 for a job it cannot see; 22023 for a NULL'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-agency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT c AS call, nc6_error(c) AS error FROM unnest(ARRAY[
  'SELECT candidate_facts(5, 10)',                    -- the client's job: another person's 5
  'SELECT candidate_facts(777, 10)',                  -- one it was never shown: the same answer
  'SELECT evaluate_condition(''{"field": "salary", "op": "exists"}'', 5, 10)',
  'SELECT evaluate_condition(''{"field": "salary", "op": "exists"}'', 777, 10)',
  'SELECT candidate_facts(5, 99)',                    -- the client's private job
  'SELECT candidate_facts(5, 424242)',                -- nobody's job
  'SELECT evaluate_condition(''{"field": "x", "op": "exists"}'', 5, 424242)',
  'SELECT evaluate_condition(''{"field": "x", "op": "exists"}'', 5, 99)',
  'SELECT candidate_facts(NULL)', 'SELECT candidate_facts(NULL, 10)', 'SELECT candidate_facts(5, NULL)',
  'SELECT evaluate_condition(NULL, 5, 10)',
  'SELECT evaluate_condition(''{"field": "x", "op": "exists"}'', NULL, 10)',
  'SELECT evaluate_condition(''{"field": "x", "op": "exists"}'', 5, NULL)']) AS c
 ORDER BY 1;
SELECT test_error('SELECT candidate_facts(5, 10)');
SELECT test_error('SELECT candidate_facts(5, 424242)');
-- its own candidate 5 alone is its own to read
SELECT candidate_facts(5) AS own_candidate_5;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT candidate_facts(5, 10) AS client_reads_its_job;
SELECT evaluate_condition(condition, 5, 10) -> 'result' AS rule_holds_for_5,
       evaluate_condition(condition, 777, 10) -> 'result' AS rule_holds_for_777
  FROM stage_rule WHERE stage_id = test_stage(:w, 2);
SELECT nc6_error('SELECT candidate_facts(5, 424242)') AS unknown_job;
COMMIT;

\echo '== 5. An archived stage: the HINT fits how it was reached'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT name FROM archive_stage(test_stage(:w, 3));
SELECT 'transfer, to_stage_id named' AS how, nc6_error(format('SELECT transfer_candidate(5, 10, 11, to_stage_id => %s)', test_stage(:w, 3))) AS error
UNION ALL
SELECT 'INSERT naming the stage', nc6_error(format('INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (11, 5, %s)', test_stage(:w, 3)))
UNION ALL
SELECT 'a move into it', nc6_error(format('SELECT move_to_stage(5, 10, %s)', test_stage(:w, 3)));
SELECT name FROM archive_stage(test_stage(:w, 1));
SELECT 'the first stage' AS how, nc6_error('SELECT add_candidate(8, 11)') AS error
UNION ALL
SELECT 'transfer to the first stage', nc6_error('SELECT transfer_candidate(5, 10, 11)');
-- the HINT's way out: name another stage
SELECT to_stage_id = test_stage(:w, 2) AS entered_named_stage
  FROM (SELECT (transfer_candidate(5, 10, 11, to_stage_id => test_stage(:w, 2))).stage_id AS to_stage_id) t;
ROLLBACK;

\echo '== 6. Assignments: a read-only grantee and a job with candidates get the extension''s refusals'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc6-client';
SET LOCAL workflow_ext.actor = 'user:ivy';
SELECT test_workflow('Ivy''s own', 2, false) AS ivy_wf \gset
INSERT INTO nc6_ids VALUES ('ivy_wf', :ivy_wf);
SELECT c AS call, nc6_error(c) AS error FROM unnest(ARRAY[
  'SELECT assign_workflow(12, :ivy_wf)',        -- job 12 follows W, read-only for her
  'SELECT assign_workflow(12, :w)',             -- stamping it again changes it too
  'SELECT assign_workflow(99, :ivy_wf)',        -- job 99 follows a workflow she does not see
  'SELECT assign_workflow(13, :ivy_wf)']) AS c  -- a new job on her own workflow
 ORDER BY 1;
SELECT nc6_detail('SELECT assign_workflow(12, :ivy_wf)');
SELECT nc6_detail('SELECT assign_workflow(99, :ivy_wf)');
WITH d AS (DELETE FROM job_workflow WHERE job_id = 12 RETURNING 1) SELECT count(*) AS ivy_unassigned FROM d;
SET LOCAL workflow_ext.actor = 'user:carl';
SELECT c AS call, nc6_error(c) AS error FROM unnest(ARRAY[
  'SELECT assign_workflow(10, :p)',
  'DELETE FROM job_workflow WHERE job_id = 10',
  'UPDATE job_workflow SET workflow_id = :p WHERE job_id = 10',
  'UPDATE job_workflow SET job_id = 14 WHERE job_id = 10']) AS c
 ORDER BY 1;
SELECT nc6_detail('DELETE FROM job_workflow WHERE job_id = 10');
-- what has no candidates is unassigned and reassigned as before
WITH d AS (DELETE FROM job_workflow WHERE job_id = 12 RETURNING job_id) SELECT job_id AS unassigned FROM d;
UPDATE job_workflow SET workflow_id = :p WHERE job_id = 11 RETURNING job_id, workflow_id = :p AS reassigned;
SELECT job_id, workflow_id = :w AS same_workflow FROM assign_workflow(10, :w);
ROLLBACK;

\echo '== 7. The views'' columns, as the README lists them'
RESET ROLE;
SELECT c.relname AS view, string_agg(a.attname, ', ' ORDER BY a.attnum) AS columns
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace
   AND c.relname IN ('workflow_with_stages', 'stage_with_rules', 'stage_visit')
 GROUP BY c.relname ORDER BY 1;

\echo '== 8. The front''s screening_counts: another tenant''s job is 42501 other_tenant_facts, as candidate_facts(c, j) (attack8 D2)'
-- (it counted the agency's own profiles of the client's candidate ids: other people)
SELECT error_sqlstate, error_detail::jsonb->>'reason' AS reason, result
  FROM shard_call('org:nc6-agency', 'user:agent', 'screening_counts',
                  '{"job_id": 10, "condition": {"field": "salary", "op": "exists"}}');
SELECT error_sqlstate, result
  FROM shard_call('org:nc6-agency', 'user:agent', 'screening_counts',
                  '{"job_id": 424242, "condition": {"field": "salary", "op": "exists"}}');
SELECT error_sqlstate, result
  FROM shard_call('org:nc6-client', 'user:carl', 'screening_counts',
                  '{"job_id": 10, "condition": {"field": "salary", "op": "exists"}}');

DROP FUNCTION nc6_detail(text), nc6_error(text), nc6_masked(text), nc6_sql(text);
DROP TABLE nc6_ids;
DROP ROLE wf_nc6_app;
