-- Low (the owner's own trigger is trusted code, but a plausible one): the guard's
-- key_immutable / other_tenant_job checks run in the BEFORE trigger candidate_stage_guard;
-- an owner's BEFORE trigger whose name sorts after it (here a "dedupe" mapping duplicate
-- candidate ids, as a CRM merge would) changes NEW.candidate_id after the checks.  A move by
-- the AGENCY in the client's job 10 then re-keys the client's row 5 into candidate 777 --
-- a candidate of the client's private job the agency was never shown -- with no error, and
-- the rule and history speak of 5 while the row is 777's.  README's own trigger example
-- (only_recruiters_move) sorts after the guard too.  Expected: the row's job, candidate,
-- workflow and tenant cannot change whatever trigger runs (e.g. re-checked in the AFTER
-- trigger candidate_stage_record, which sees the final row), as the README promises
-- ("the job, candidate and workflow ... cannot change", key_immutable).
-- Run as a superuser on an empty database.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS a8_app;
CREATE ROLE a8_app;
GRANT workflow_app TO a8_app;
RESET client_min_messages;
SET ROLE a8_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:client'; SET LOCAL workflow_ext.actor = 'user:carl';
INSERT INTO workflow (name) VALUES ('W') RETURNING id AS w \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:w, 's1', 1), (:w, 's2', 2);
INSERT INTO workflow (name) VALUES ('Private') RETURNING id AS p \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:p, 'p1', 1);
SELECT job_id FROM assign_workflow(10, :w);
SELECT job_id FROM assign_workflow(99, :p);
SELECT candidate_id FROM add_candidate(5, 10);
SELECT candidate_id FROM add_candidate(777, 99);
SELECT share_workflow(:w, NULL, false, 'org:agency');
SET LOCAL workflow_ext.tenant = 'org:agency'; SET LOCAL workflow_ext.actor = 'user:boss';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w, true);
COMMIT;
RESET ROLE;
CREATE TABLE public.dedupe (from_id bigint PRIMARY KEY, to_id bigint);
INSERT INTO public.dedupe VALUES (5, 777);
GRANT SELECT ON public.dedupe TO PUBLIC;
CREATE FUNCTION public.zz_dedupe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.candidate_id := coalesce((SELECT to_id FROM public.dedupe WHERE from_id = NEW.candidate_id), NEW.candidate_id);
  RETURN NEW;
END $$;
CREATE TRIGGER zz_dedupe BEFORE INSERT OR UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION public.zz_dedupe();
SET ROLE a8_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:agency'; SET LOCAL workflow_ext.actor = 'user:agent';
SELECT to_stage_name FROM move_to_next_stage(5, 10);       -- expected: 55000 key_immutable; actual: s2
SELECT job_id, candidate_id FROM candidate_stage WHERE job_id = 10;   -- the agency now sees client candidate 777 in job 10
COMMIT;
RESET ROLE;
SELECT tenant, job_id, candidate_id, stage_id FROM candidate_stage ORDER BY job_id, candidate_id;
DROP TRIGGER zz_dedupe ON candidate_stage;
