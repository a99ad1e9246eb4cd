-- Entry paths into the client's job 10 as the agency (read-only user:agent, can_edit user:ed)
\set SHOW_CONTEXT never
CREATE OR REPLACE FUNCTION public.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text; n bigint;
BEGIN
  EXECUTE q; GET DIAGNOSTICS n = ROW_COUNT;
  RETURN 'no error, rows=' || n;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ' ' || SQLERRM || ' | ' || coalesce(d,'') || ' | ' || coalesce(h,'');
END $$;
GRANT EXECUTE ON FUNCTION public.err(text) TO PUBLIC;
SET ROLE app;
\pset format unaligned
\pset fieldsep ' => '
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT (SELECT id FROM workflow WHERE name='W') AS w \gset
SELECT q, err(q) FROM unnest(ARRAY[
 'MERGE INTO candidate_stage c USING (VALUES (10::bigint, 777::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k WHEN NOT MATCHED THEN INSERT (job_id, candidate_id) VALUES (v.j, v.k)',
 'MERGE INTO candidate_stage c USING (VALUES (10::bigint, 5::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k WHEN MATCHED THEN UPDATE SET candidate_id = 777',
 'MERGE INTO candidate_stage c USING (VALUES (10::bigint, 5::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k WHEN MATCHED THEN DELETE',
 'WITH x AS (INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777) RETURNING *) SELECT * FROM x',
 'UPDATE candidate_stage SET candidate_id = 777 WHERE job_id = 10 AND candidate_id = 5',
 'UPDATE candidate_stage SET job_id = 11 WHERE job_id = 10 AND candidate_id = 5',
 'UPDATE candidate_stage SET tenant = ''org:a'' WHERE job_id = 10 AND candidate_id = 5',
 'UPDATE candidate_stage SET added_by = ''user:agent'' WHERE job_id = 10 AND candidate_id = 5',
 'UPDATE candidate_stage SET candidate_id = candidate_id + 772 WHERE job_id = 10',
 'INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, 777) ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = EXCLUDED.stage_id',
 'INSERT INTO candidate_stage (job_id, candidate_id, tenant) VALUES (10, 5, ''org:c'') ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET candidate_id = 777',
 'SELECT move_candidates(10, ARRAY[777]::bigint[])',
 'SELECT reopen_candidate(777, 10)',
 'SELECT transfer_candidate(888, 500, 10)',
 'SELECT transfer_candidate(5, 10, 11)',
 'SELECT transfer_candidate(5, 10, 500)',
 'SELECT transfer_candidate(777, 99, 500)',
 'SELECT add_candidate(777, 10)',
 'SELECT add_candidate(777, 99)',
 'SELECT add_candidate(777, 424242)',
 'SELECT add_candidate(NULL, 10)',
 'SELECT add_candidate(777, NULL)'
 ]) q;
-- ORM-style full-row update (legit no-op) by the agency on the client's row
SELECT 'orm full row', err('UPDATE candidate_stage c SET (job_id, candidate_id, tenant, workflow_id, stage_id, status, added_by, attributes) = (SELECT job_id, candidate_id, tenant, workflow_id, stage_id, status, added_by, attributes FROM candidate_stage d WHERE d.id = c.id) WHERE job_id = 10 AND candidate_id = 5');
-- prepared statement
PREPARE ins(bigint, bigint) AS INSERT INTO candidate_stage (job_id, candidate_id) VALUES ($1, $2);
SELECT 'prepared', err('EXECUTE ins(10, 777)');
-- PL/pgSQL loop with savepoints
DO $$ DECLARE i int; BEGIN FOR i IN 770..772 LOOP BEGIN INSERT INTO candidate_stage (job_id, candidate_id) VALUES (10, i); RAISE NOTICE 'inserted %', i; EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', i, SQLSTATE; END; END LOOP; END $$;
SET LOCAL workflow_ext.actor = 'user:ed';
SELECT q, err(q) FROM unnest(ARRAY[
 'SELECT transfer_candidate(5, 10, 11)',
 'SELECT add_candidate(777, 10)',
 'MERGE INTO candidate_stage c USING (VALUES (10::bigint, 777::bigint)) v(j, k) ON c.job_id = v.j AND c.candidate_id = v.k WHEN NOT MATCHED THEN INSERT (job_id, candidate_id) VALUES (v.j, v.k)'
 ]) q;
ROLLBACK;
RESET ROLE;
SELECT tenant, job_id, candidate_id, status, added_by FROM candidate_stage ORDER BY 1,2,3;
