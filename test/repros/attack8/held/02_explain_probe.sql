\set SHOW_CONTEXT never
CREATE OR REPLACE FUNCTION public.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text; n bigint; r text;
BEGIN
  EXECUTE q INTO r;
  RETURN 'OK: ' || coalesce(left(r, 400), 'null');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || coalesce(d,'') || ' | ' || coalesce(h,'');
END $$;
GRANT EXECUTE ON FUNCTION public.err(text) TO PUBLIC;
-- a third tenant org:t with its own job 77 on its own workflow
SET ROLE app;
BEGIN; SET LOCAL workflow_ext.tenant='org:t'; SET LOCAL workflow_ext.actor='user:t';
INSERT INTO workflow (name) VALUES ('T');
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 't1', 1 FROM workflow WHERE name='T';
SELECT job_id FROM assign_workflow(77, (SELECT id FROM workflow WHERE name='T'));
COMMIT;
-- client: colleague-private workflow job 55 (invisible to user:ivy of client)
BEGIN; SET LOCAL workflow_ext.tenant='org:c'; SET LOCAL workflow_ext.actor='user:priv';
INSERT INTO workflow (name) VALUES ('Priv');
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 'x1', 1 FROM workflow WHERE name='Priv';
SELECT job_id FROM assign_workflow(55, (SELECT id FROM workflow WHERE name='Priv'));
SELECT candidate_id FROM add_candidate(777, 55);
COMMIT;
\pset format unaligned
\pset fieldsep ' => '
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT q, err(q) FROM unnest(ARRAY[
 'SELECT candidate_facts(5, 10)', 'SELECT candidate_facts(777, 10)', 'SELECT candidate_facts(777, 99)', 'SELECT candidate_facts(777, 424242)', 'SELECT candidate_facts(777, 77)',
 'SELECT candidate_facts(888, 500)',
 'SELECT evaluate_condition(''{"field":"salary","op":"gt","value":1}'', 5, 10)',
 'SELECT evaluate_condition(''{"bad":1}'', 5, 10)', 'SELECT evaluate_condition(''{"bad":1}'', 5, 424242)', 'SELECT evaluate_condition(''{"bad":1}'', 5, 99)',
 'SELECT transfer_candidate(5, 10, 99)', 'SELECT transfer_candidate(5, 10, 424242)', 'SELECT transfer_candidate(5, 10, 77)',
 'SELECT transfer_candidate(777, 10, 11)', 'SELECT transfer_candidate(424242, 10, 11)',
 'SELECT transfer_candidate(888, 500, 99)', 'SELECT transfer_candidate(888, 500, 424242)',
 'SELECT move_to_stage(777, 10, 1)', 'SELECT move_to_stage(424242, 10, 1)',
 'SELECT remove_candidate(777, 10)', 'SELECT remove_candidate(5, 10)',
 'SELECT assign_workflow(10, 2)', 'SELECT assign_workflow(99, 2)', 'SELECT assign_workflow(424242, 2)',
 'SELECT pipeline_funnel(99)', 'SELECT pipeline_funnel(424242)', 'SELECT count(*) FROM pipeline_funnel(10)',
 'SELECT count(*) FROM stage_visit_counts(''org:c'', 10, 1)',
 'SELECT count(*) FROM stage_visit_counts(''org:c'', 99, 2)',
 'SELECT (shard_call(''org:a'', ''user:agent'', ''screening_counts'', ''{"job_id": 10, "condition": {"field":"salary","op":"gt","value":0}}'')).result',
 'SELECT (shard_call(''org:a'', ''user:agent'', ''candidate_facts'', ''{"job_id": 10, "candidate_id": 5}'')).error_sqlstate',
 'SELECT (shard_call(''org:a'', ''user:agent'', ''add_candidate'', ''{"job_id": 10, "candidate_id": 777}'')).error_sqlstate',
 'SELECT (shard_call(''org:a'', ''user:agent'', ''transfer_candidate'', ''{"candidate_id": 5, "from_job_id": 10, "to_job_id": 11}'')).error_sqlstate',
 'SELECT (shard_call(''org:a'', ''user:agent'', ''evaluate_condition'', ''{"condition": {"field":"salary","op":"gt","value":0}, "candidate_id": 5, "job_id": 10}'')).error_sqlstate'
 ]) q;
ROLLBACK;
-- third tenant
BEGIN; SET LOCAL workflow_ext.tenant = 'org:t'; SET LOCAL workflow_ext.actor = 'user:t';
SELECT q, err(q) FROM unnest(ARRAY['SELECT candidate_facts(5, 10)','SELECT candidate_facts(5, 424242)','SELECT add_candidate(5, 10)','SELECT add_candidate(5, 424242)', 'SELECT transfer_candidate(5, 10, 77)', 'SELECT transfer_candidate(5, 424242, 77)']) q;
ROLLBACK;
-- client colleague ivy (no visibility of Priv): job 55 exists in own tenant but invisible
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:ivy';
SELECT q, err(q) FROM unnest(ARRAY['SELECT candidate_facts(777, 55)','SELECT candidate_facts(777, 424242)','SELECT add_candidate(1, 55)','SELECT add_candidate(1, 424242)','INSERT INTO candidate_stage(job_id,candidate_id) VALUES (55, 1)','INSERT INTO candidate_stage(job_id,candidate_id) VALUES (424242, 1)', 'SELECT assign_workflow(55, 1)', 'SELECT assign_workflow(424242, 1)']) q;
ROLLBACK;
