\set SHOW_CONTEXT never
CREATE OR REPLACE FUNCTION public.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text; n bigint;
BEGIN
  EXECUTE q; GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'OK rows=' || n;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || coalesce(left(d,200),'');
END $$;
GRANT EXECUTE ON FUNCTION public.err(text) TO PUBLIC;
SET ROLE app;
\pset format unaligned
\pset fieldsep ' => '
-- client: hand-made alert on stage 1 (salary > 500000), client's 5 sits in stage 1 of job 10
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (1, 'salary', '>', '500000', 'huge');
COMMIT;
-- agency changes ITS OWN profile of id 5 so that the alert would fire
BEGIN; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
UPDATE candidate_profile SET attributes = '{"salary": 999999}' WHERE candidate_id = 5;
COMMIT;
RESET ROLE;
SELECT 'client alert events for 5 after agency profile change', count(*) FROM alert_event WHERE candidate_id = 5 AND tenant = 'org:c';
SET ROLE app;
-- job_workflow ORM-style writes by the client on a job with candidates
BEGIN; SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
SELECT q, err(q) FROM unnest(ARRAY[
 'UPDATE job_workflow j SET (job_id, workflow_id, tenant, assigned_by) = (SELECT job_id, workflow_id, tenant, assigned_by FROM job_workflow k WHERE k.id = j.id) WHERE job_id = 10',
 'UPDATE job_workflow SET workflow_id = workflow_id, job_id = job_id WHERE job_id = 10',
 'INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, 1) ON CONFLICT ON CONSTRAINT job_workflow_job_id_key DO UPDATE SET workflow_id = EXCLUDED.workflow_id',
 'SELECT assign_workflow(10, 1)',
 'INSERT INTO job_workflow (job_id, workflow_id) VALUES (10, 2) ON CONFLICT ON CONSTRAINT job_workflow_job_id_key DO UPDATE SET workflow_id = EXCLUDED.workflow_id',
 'MERGE INTO job_workflow j USING (VALUES (10::bigint)) v(k) ON j.job_id = v.k WHEN MATCHED THEN DELETE',
 'MERGE INTO job_workflow j USING (VALUES (10::bigint)) v(k) ON j.job_id = v.k WHEN MATCHED THEN UPDATE SET workflow_id = 2'
 ]) q;
ROLLBACK;
-- the agency: job_workflow of the client
BEGIN; SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:ed';
SELECT q, err(q) FROM unnest(ARRAY[
 'UPDATE job_workflow SET job_id = 12 WHERE job_id = 10',
 'DELETE FROM job_workflow WHERE job_id = 10',
 'UPDATE job_workflow SET job_id = 501 WHERE job_id = 500',
 'SELECT assign_workflow(500, 1)',
 'SELECT assign_workflow(10, 1)'
 ]) q;
SELECT tenant, job_id FROM job_workflow ORDER BY 1, 2;
ROLLBACK;
