-- Repro (bulk21d #4, docs): docs/architecture.md (new text of this change) says "A history
-- row a trigger of the owner's skips after the guard admitted it keeps its visit, as row at
-- a time; the statement fails on the pipeline row's foreign key to its history."  When the
-- skipped row is not the candidate's last one (a move into an auto_advance stage: the
-- chain's middle row), nothing fails: the transaction commits with a stage_visit_row whose
-- id is no history row (and stage_visit, derived from history, disagrees).  Same in both
-- modes: a documentation defect (or a missing check), not a set-wise regression.
\set ON_ERROR_STOP 0
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS r4_app;
CREATE ROLE r4_app;
GRANT workflow_app TO r4_app;
RESET client_min_messages;
SET workflow_ext.tenant = 'org:r4';
SET workflow_ext.actor = 'user:r4';
INSERT INTO workflow (name) VALUES ('R4') RETURNING id AS wf \gset
-- s2 moves its candidates on by itself to s3, whose rule every candidate passes
INSERT INTO workflow_stage (workflow_id, name, position, auto_advance)
SELECT :wf, 's' || i, i, i = 2 FROM generate_series(1, 4) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'any', '{"field": "x", "op": "not_exists"}' FROM workflow_stage WHERE workflow_id = :wf AND position = 3;
SELECT count(*) FROM assign_workflow(9401, :wf);
SET ROLE r4_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 9401, c FROM generate_series(1, 3) c;
RESET ROLE;
-- the owner's trigger drops candidate 2's history row into s2 (after the guard admitted it)
CREATE FUNCTION r4_skip() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF NEW.job_id = 9401 AND NEW.candidate_id = 2 AND NEW.to_stage_id = current_setting('r4.s2', true)::bigint THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $f$;
CREATE TRIGGER z_r4_skip BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION r4_skip();
SELECT set_config('r4.s2', :'s2', false) \gset
SET ROLE r4_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9401;   -- commits (expected per docs: fails)
RESET ROLE;
SELECT v.candidate_id, (SELECT position FROM workflow_stage s WHERE s.id = v.stage_id) AS stage,
       EXISTS (SELECT 1 FROM stage_transition t WHERE t.id = v.id) AS has_history_row
  FROM stage_visit_row v WHERE v.job_id = 9401 AND v.candidate_id = 2 ORDER BY v.id;
