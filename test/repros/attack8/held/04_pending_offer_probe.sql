\set SHOW_CONTEXT never
CREATE OR REPLACE FUNCTION public.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text; r text;
BEGIN
  EXECUTE q INTO r;
  RETURN 'OK: ' || coalesce(left(r, 300), 'null');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || coalesce(left(d,200),'');
END $$;
GRANT EXECUTE ON FUNCTION public.err(text) TO PUBLIC;
SET ROLE app;
\pset format unaligned
\pset fieldsep ' => '
-- client offers W to org:p (pending, never accepted), and W shared only with user:ed in org:a
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT share_workflow(1, NULL, false, 'org:p');
COMMIT;
-- org:p pending offer
BEGIN; SET LOCAL workflow_ext.tenant = 'org:p'; SET LOCAL workflow_ext.actor = 'user:p';
SELECT q, err(q) FROM unnest(ARRAY['SELECT add_candidate(1, 10)','SELECT add_candidate(1, 424242)',
 'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 1)','INSERT INTO candidate_stage (job_id, candidate_id) VALUES (424242, 1)',
 'SELECT candidate_facts(1, 10)','SELECT candidate_facts(1, 424242)',
 'SELECT transfer_candidate(5, 10, 11)','SELECT transfer_candidate(5, 424242, 424243)',
 'SELECT job_tenant(10)','SELECT job_tenant(424242)',
 'SELECT (shard_call(''org:p'', ''user:p'', ''screening_counts'', ''{"job_id": 10, "condition": {"field":"x","op":"exists"}}'')).result']) q;
ROLLBACK;
-- client unshares from org:a tenant-wide; user:agent then probes
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT unshare_workflow(1, NULL, 'org:a');
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT q, err(q) FROM unnest(ARRAY['SELECT add_candidate(1, 10)','SELECT add_candidate(1, 424242)',
 'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 1)','SELECT candidate_facts(1, 10)','SELECT transfer_candidate(5, 10, 11)',
 'SELECT add_candidate(1, 500)', 'SELECT candidate_facts(888, 500)']) q;
SET LOCAL workflow_ext.actor = 'user:ed';
SELECT q, err(q) FROM unnest(ARRAY['SELECT add_candidate(1, 10)','SELECT candidate_facts(1, 10)', 'SELECT add_candidate(1, 500)']) q;
ROLLBACK;
