-- Memory of the stage cache (issue 18, item 14): one transaction that
-- creates a thousand jobs with rules, each followed by a lookup of its stages
-- (adding a candidate), used to keep every invalidated cache until commit
-- (33 MB per thousand jobs).  Each definition write still invalidates the
-- cache, but a cache is freed once no call holds one of its stages, and an
-- empty one is reused: the backend's stage caches stay within a bound,
-- whether the writes are separate statements or one PL/pgSQL loop.
SET workflow_ext.tenant = 'org:mem';
SET workflow_ext.actor = 'user:mem';
CREATE FUNCTION mem_stage_caches(OUT caches bigint, OUT bytes bigint) LANGUAGE sql AS $$
    SELECT count(*), coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts
     WHERE name = 'workflow_ext stage cache' $$;
CREATE FUNCTION mem_job(j bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    wid bigint;
BEGIN
    INSERT INTO workflow (name) VALUES ('mem ' || j) RETURNING id INTO wid;
    INSERT INTO workflow_stage (workflow_id, name, position) VALUES (wid, 'a', 1), (wid, 'b', 2);
    INSERT INTO stage_rule (stage_id, name, condition)
    SELECT id, 'r', '{"field": "x", "op": "gte", "value": 1}' FROM workflow_stage
     WHERE workflow_id = wid AND position = 2;
    PERFORM assign_workflow(j, wid);
    PERFORM add_candidate(1, j);
END $$;

BEGIN;
SELECT mem_job(900000);         -- the cache exists
SELECT bytes AS before_bytes FROM mem_stage_caches() \gset
-- one PL/pgSQL loop: every job inside one top-level statement
DO $$ BEGIN FOR j IN 900001 .. 901000 LOOP PERFORM mem_job(j); END LOOP; END $$;
SELECT caches, bytes - :before_bytes < 512 * 1024 AS grew_less_than_512kb FROM mem_stage_caches();
-- separate statements
\o /dev/null
SELECT format('SELECT mem_job(%s)', j) FROM generate_series(901001, 901200) j \gexec
\o
SELECT caches, bytes - :before_bytes < 512 * 1024 AS grew_less_than_512kb FROM mem_stage_caches();
-- the moves of this transaction still see every rule
SELECT test_error('SELECT move_to_next_stage(1, 901000)');
ROLLBACK;

DROP FUNCTION mem_job(bigint);
DROP FUNCTION mem_stage_caches();
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
