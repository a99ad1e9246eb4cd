\set SHOW_CONTEXT never
CREATE OR REPLACE FUNCTION public.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text; r text;
BEGIN
  EXECUTE q INTO r;
  RETURN 'OK: ' || coalesce(left(r, 500), 'null');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || coalesce(left(d,300),'') || ' | ' || coalesce(h,'');
END $$;
GRANT EXECUTE ON FUNCTION public.err(text) TO PUBLIC;
SET ROLE app;
\pset format unaligned
\pset fieldsep ' => '
SELECT 1 AS w \gset
-- agency read-only user: legit work in client's pipeline and own jobs
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT q, err(q) FROM unnest(ARRAY[
 'SELECT to_jsonb(m) FROM move_to_next_stage(6, 10) m',
 'SELECT to_jsonb(m) FROM move_to_stage(6, 10, 3) m',
 'SELECT to_jsonb(m) FROM move_to_stage(5, 10, 2) m',
 'SELECT jsonb_agg(to_jsonb(m)) FROM move_candidates(10, ARRAY[5,6]::bigint[], 3) m',
 'SELECT status FROM reject_candidate(5, 10)',
 'SELECT status FROM reopen_candidate(5, 10)',
 'SELECT job_id::text FROM assign_workflow(501, 1)',
 'SELECT candidate_id::text FROM add_candidate(777, 501)',
 'SELECT to_jsonb(m) FROM move_to_stage(777, 501, 3) m',
 'SELECT candidate_facts(777, 501)::text',
 'SELECT evaluate_condition(''{"field":"salary","op":"lte","value":10}'', 777, 501)->>''result''',
 'SELECT job_id::text FROM assign_workflow(11, 1)',
 'SELECT candidate_id::text FROM add_candidate(5, 11)',
 'SELECT job_id::text FROM transfer_candidate(5, 11, 501)',
 'SELECT count(*)::text FROM candidate_stage WHERE tenant = ''org:a''',
 'SELECT job_id::text FROM assign_workflow(11, 2)'
 ]) q;
SELECT 'history warnings of client rows', jsonb_agg(warnings) FROM stage_transition WHERE tenant='org:c';
COMMIT;
-- client side: can the client see or probe the agency's jobs/candidates?
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT q, err(q) FROM unnest(ARRAY[
 'SELECT candidate_facts(777, 501)', 'SELECT candidate_facts(777, 424242)',
 'SELECT add_candidate(1, 501)', 'SELECT add_candidate(1, 424242)',
 'SELECT count(*) FROM candidate_stage WHERE tenant = ''org:a''',
 'SELECT count(*) FROM stage_transition WHERE tenant = ''org:a''',
 'SELECT count(*) FROM alert_event WHERE tenant = ''org:a''',
 'SELECT count(*) FROM pipeline_funnel(501)',
 'SELECT (SELECT count(*) FROM workflow_events_since(NULL, 1000) e)',
 'SELECT count(*) FROM stage_visit_counts(''org:a'', 501, 1)',
 'SELECT count(*) FROM stage_visit_row WHERE tenant = ''org:a''',
 'SELECT (shard_call(''org:c'', ''user:carl'', ''screening_counts'', ''{"job_id": 501, "condition": {"field":"salary","op":"gt","value":0}}'')).result',
 'SELECT (shard_call(''org:c'', ''user:carl'', ''stage_counts'', ''{"job_id": 501}'')).result',
 -- client's own legit paths
 'SELECT candidate_id::text FROM add_candidate(777, 11)',
 'SELECT count(*)::text FROM (SELECT 1 FROM (WITH x AS (INSERT INTO candidate_stage (job_id, candidate_id) VALUES (11, 900), (11, 901) RETURNING 1) SELECT * FROM x) y) z',
 'MERGE INTO candidate_stage c USING (VALUES (11::bigint, 902::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k AND c.tenant = current_tenant() WHEN NOT MATCHED THEN INSERT (job_id, candidate_id) VALUES (v.j, v.k)',
 'SELECT job_id::text FROM transfer_candidate(6, 10, 11)',
 'SELECT candidate_facts(5, 10)::text',
 'SELECT evaluate_condition(''{"field":"salary","op":"gt","value":1}'', 5, 10)->>''result'''
 ]) q;
SELECT tenant, job_id, candidate_id, status FROM candidate_stage ORDER BY 1,2,3;
ROLLBACK;
-- agency: screening_counts on the client's job evaluates the agency's own facts of those ids
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT (shard_call('org:a', 'user:agent', 'screening_counts', '{"job_id": 10, "condition": {"field":"name","op":"eq","value":"agency5"}}')).result AS agency_screens_client_job;
ROLLBACK;
