-- Repro (bulk21d #1): an owner's BEFORE ROW trigger on stage_transition that fires AFTER
-- the history guard (its name sorts after stage_transition_write_guard) and moves the
-- same candidate again.  The set-wise path (default history_batch_size) and the
-- row-at-a-time path (history_batch_size = 1) leave DIFFERENT stage_visit_row rows:
-- set-wise matches the stage_visit view; row-at-a-time does not (the nested move's
-- close finds the history row before the outer one, which is not stored yet).
-- Run as superuser in a fresh database.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS r1_app;
CREATE ROLE r1_app;
GRANT workflow_app TO r1_app;
RESET client_min_messages;
SET workflow_ext.tenant = 'org:r1';
SET workflow_ext.actor = 'user:r1';
INSERT INTO workflow (name) VALUES ('R1') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT id AS s1 FROM workflow_stage WHERE workflow_id = :wf AND position = 1 \gset
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
SELECT id AS s3 FROM workflow_stage WHERE workflow_id = :wf AND position = 3 \gset
SELECT count(*) FROM generate_series(9101, 9102) j, assign_workflow(j, :wf);
CREATE FUNCTION r1_move_again() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF NEW.to_stage_id = current_setting('r1.s2', true)::bigint AND NEW.candidate_id = 2 THEN
        UPDATE public.candidate_stage SET stage_id = current_setting('r1.s3', true)::bigint
         WHERE job_id = NEW.job_id AND candidate_id = NEW.candidate_id;
    END IF;
    RETURN NEW;
END $f$;
CREATE TRIGGER z_r1_move_again BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION r1_move_again();
SELECT set_config('r1.s2', :'s2', false), set_config('r1.s3', :'s3', false) \gset
SET ROLE r1_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, c FROM generate_series(9101, 9102) j, generate_series(1, 3) c;
-- the same bulk move, set-wise (job 9101) and row at a time (job 9102)
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9101;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9102;
RESET workflow_ext.history_batch_size;
RESET ROLE;
-- candidate 2's visits, as ranks of its history: expected identical for both jobs
WITH t AS (SELECT id, job_id, rank() OVER (PARTITION BY job_id ORDER BY id) AS r FROM stage_transition
            WHERE candidate_id = 2 AND job_id IN (9101, 9102))
SELECT v.job_id, b.r AS visit_of_row, e.r AS ended_by_row, v.left_at IS NULL AS open
  FROM stage_visit_row v JOIN t b ON b.id = v.id LEFT JOIN t e ON e.id = v.ended_by_transition_id
 WHERE v.candidate_id = 2 AND v.job_id IN (9101, 9102) ORDER BY v.job_id, b.r;
-- visit rows the stage_visit view (derived from history) disagrees with, per job
SELECT j.job_id, (SELECT count(*) FROM ((SELECT id, left_at, ended_by_transition_id FROM stage_visit_row WHERE job_id = j.job_id
        EXCEPT SELECT transition_id, left_at, ended_by_transition_id FROM stage_visit WHERE job_id = j.job_id)
       UNION ALL (SELECT transition_id, left_at, ended_by_transition_id FROM stage_visit WHERE job_id = j.job_id
        EXCEPT SELECT id, left_at, ended_by_transition_id FROM stage_visit_row WHERE job_id = j.job_id)) d) AS underived
  FROM (VALUES (9101), (9102)) j(job_id);
