-- attack16 repros: the fixture (as superuser, in a fresh database of the sandbox): psql -f test/repros/attack16/00_setup.sql
-- org:a job 100 (candidates 1..20), org:b jobs 100 and 500 (1..30; 500/3 rejected), org:b's workflow shared read-only with user:ann of org:a (accepted); role a16_app (workflow_app); public.e(q) returns an error's SQLSTATE, message and DETAIL.
\set ON_ERROR_STOP 0
CREATE EXTENSION IF NOT EXISTS workflow_ext;
\i test/sql/include/app_grants.psql
CREATE ROLE a16_app; GRANT workflow_app TO a16_app;
CREATE OR REPLACE FUNCTION public.e(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; d text; m text; BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, d = PG_EXCEPTION_DETAIL, m = MESSAGE_TEXT; RETURN s || ' ' || m || ' ' || coalesce(d,''); END $$;
SET ROLE a16_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('a') RETURNING id AS wfa \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wfa, 's' || i, i FROM generate_series(1, 3) i;
SELECT count(*) FROM assign_workflow(100, :wfa);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 100, c FROM generate_series(1, 20) c;
INSERT INTO rejection_reason (code, label, kind) VALUES ('skills', 'Missing skills', 'rejected');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:b';
SET LOCAL workflow_ext.actor = 'user:bob';
INSERT INTO workflow (name) VALUES ('b') RETURNING id AS wfb \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wfb, 'b' || i, i FROM generate_series(1, 2) i;
SELECT count(*) FROM assign_workflow(100, :wfb);
SELECT count(*) FROM assign_workflow(500, :wfb);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 100, c FROM generate_series(1, 30) c;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 500, c FROM generate_series(1, 30) c;
UPDATE candidate_stage SET status='rejected' WHERE job_id=500 AND candidate_id=3;
INSERT INTO rejection_reason (code, label, kind) VALUES ('bonly', 'B code', 'rejected');
SELECT share_workflow(:wfb, 'user:ann', false, 'org:a');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT accept_share(:wfb);
COMMIT;
RESET ROLE;
