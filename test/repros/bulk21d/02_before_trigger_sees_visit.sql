-- Repro (bulk21d #2): an owner's BEFORE ROW trigger on stage_transition that fires after
-- the history guard sees the row's own stage visit (and the closed previous one) when
-- history_batch_size = 1, and does not see it set-wise (default): an undocumented
-- difference (docs/architecture.md only promises the AFTER triggers see the same).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS r2_app;
CREATE ROLE r2_app;
GRANT workflow_app TO r2_app;
RESET client_min_messages;
SET workflow_ext.tenant = 'org:r2';
SET workflow_ext.actor = 'user:r2';
INSERT INTO workflow (name) VALUES ('R2') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT id AS s2 FROM workflow_stage WHERE workflow_id = :wf AND position = 2 \gset
SELECT count(*) FROM generate_series(9201, 9202) j, assign_workflow(j, :wf);
CREATE TABLE r2_seen (job_id bigint, candidate_id bigint, own_visit_written boolean);
GRANT INSERT, SELECT ON r2_seen TO PUBLIC;
CREATE FUNCTION r2_peek() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO public.r2_seen SELECT NEW.job_id, NEW.candidate_id,
           EXISTS (SELECT 1 FROM public.stage_visit_row v WHERE v.id = NEW.id);
    RETURN NEW;
END $f$;
SET ROLE r2_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, c FROM generate_series(9201, 9202) j, generate_series(1, 3) c;
RESET ROLE;
CREATE TRIGGER z_r2_peek BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION r2_peek();
SET ROLE r2_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9201;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9202;
RESET workflow_ext.history_batch_size;
RESET ROLE;
-- expected: the same for both jobs
SELECT job_id, own_visit_written, count(*) FROM r2_seen GROUP BY 1, 2 ORDER BY 1, 2;
