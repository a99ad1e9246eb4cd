-- Repro (bulk21d #3): an owner's BEFORE INSERT trigger on stage_visit_row that skips some
-- visits (RETURN NULL; e.g. an archiving or sampling policy).  Row at a time
-- (history_batch_size = 1) the move succeeds, the skipped visit simply missing; set-wise
-- (default) the same bulk UPDATE fails with an internal error (XX000 "could not open the
-- stage visits of N history rows"): the row count check in write_visits treats a skipped
-- row as a failure.  Run as superuser in a fresh database.
\set ON_ERROR_STOP 0
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS r3_app;
CREATE ROLE r3_app;
GRANT workflow_app TO r3_app;
RESET client_min_messages;
SET workflow_ext.tenant = 'org:r3';
SET workflow_ext.actor = 'user:r3';
INSERT INTO workflow (name) VALUES ('R3') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
SELECT count(*) FROM generate_series(9301, 9302) j, assign_workflow(j, :wf);
SET ROLE r3_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, c FROM generate_series(9301, 9302) j, generate_series(1, 3) c;
RESET ROLE;
CREATE FUNCTION r3_skip_visit() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF NEW.candidate_id = 2 AND NEW.left_at IS NULL AND NEW.job_id IN (9301, 9302) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $f$;
CREATE TRIGGER r3_skip_visit BEFORE INSERT ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION r3_skip_visit();
SET ROLE r3_app;
-- set-wise: fails (expected: succeeds like the next one)
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9301;
-- row at a time: succeeds
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9302;
RESET workflow_ext.history_batch_size;
SELECT job_id, count(*) FILTER (WHERE stage_id = :s2) AS moved FROM candidate_stage
 WHERE job_id IN (9301, 9302) GROUP BY 1 ORDER BY 1;
RESET ROLE;
-- and the same visit rows (candidate 2's new visit skipped in both)
SELECT job_id, candidate_id, (SELECT position FROM workflow_stage s WHERE s.id = v.stage_id) AS stage, left_at IS NULL AS open
  FROM stage_visit_row v WHERE job_id IN (9301, 9302) ORDER BY candidate_id, stage, job_id;
