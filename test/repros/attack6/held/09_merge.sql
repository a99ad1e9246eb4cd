CREATE FUNCTION evs() RETURNS text LANGUAGE sql AS $$ SELECT coalesce(string_agg(format('%s/%s/%s/%s', job_id, candidate_id, message, cause), ' ' ORDER BY n), '-') FROM ev $$;
SET ROLE att_app;
\pset format unaligned
\pset tuples_only on

BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
MERGE INTO candidate_profile p USING (VALUES (1, 2), (2, 1), (9, 3), (3, 5)) s(cid, lvl) ON p.candidate_id = s.cid WHEN MATCHED AND s.cid = 3 THEN DELETE WHEN MATCHED THEN UPDATE SET attributes = jsonb_build_object('level', s.lvl) WHEN NOT MATCHED THEN INSERT (candidate_id, attributes) VALUES (s.cid, jsonb_build_object('level', s.lvl));
SELECT 'merge', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
MERGE INTO candidate_profile p USING (VALUES (1, 2), (2, 1), (9, 3), (3, 5)) s(cid, lvl) ON p.candidate_id = s.cid WHEN MATCHED AND s.cid = 3 THEN DELETE WHEN MATCHED THEN UPDATE SET attributes = jsonb_build_object('level', s.lvl) WHEN NOT MATCHED THEN INSERT (candidate_id, attributes) VALUES (s.cid, jsonb_build_object('level', s.lvl));
SELECT 'merge', '1000', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
WITH m AS (UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2)) WHERE job_id = 100 AND candidate_id = 4 RETURNING candidate_id) MERGE INTO candidate_profile p USING (VALUES (1, 2), (4, 1)) s(cid, lvl) ON p.candidate_id = s.cid WHEN MATCHED THEN UPDATE SET attributes = jsonb_build_object('level', s.lvl);
SELECT 'merge_cte', '1', evs();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
WITH m AS (UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2)) WHERE job_id = 100 AND candidate_id = 4 RETURNING candidate_id) MERGE INTO candidate_profile p USING (VALUES (1, 2), (4, 1)) s(cid, lvl) ON p.candidate_id = s.cid WHEN MATCHED THEN UPDATE SET attributes = jsonb_build_object('level', s.lvl);
SELECT 'merge_cte', '1000', evs();
ROLLBACK;