-- attack13 03: a BEFORE UPDATE trigger on stage_transition whose name sorts after
-- stage_transition_immutable runs after the guard's check: during erase_candidate()'s step 3 the
-- guard compares NEW (as it stands before the later trigger) with OLD and lets it through, then the
-- later trigger rewrites any column of the history row (actor, to_status, times), which commits.
-- README: "any other UPDATE, by anyone, is still 55000 history_immutable"; "Everything else stays:
-- history rows (ids, stages, statuses, actors, times, reasons ...)".
-- Expected: the erasure changes only warnings (an AFTER check, or a constraint trigger, or refusing
--           user triggers in the window); Actual: actor/to_status of the redacted row are rewritten.
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
CREATE SCHEMA a13;
-- the additions script (DBA): a BEFORE UPDATE trigger on history that sorts after
-- stage_transition_immutable (here: a careless "normalise the actor" trigger)
CREATE FUNCTION a13.rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.actor := 'user:nobody';
  NEW.to_status := 'hired';
  NEW.moved_at := NEW.moved_at - interval '1 year';
  RETURN NEW;
END $$;
CREATE TRIGGER zz_rewrite BEFORE UPDATE ON stage_transition FOR EACH ROW EXECUTE FUNCTION a13.rewrite();

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
SELECT id, to_status, reason, actor, moved_at FROM stage_transition WHERE candidate_id = 5 ORDER BY id;
-- expected: row 2 (the redacted one) keeps actor user:ann, to_status active
-- actual:   row 2: to_status hired, actor user:nobody, moved_at a year earlier (run 2026-12-07: 2025-12-07 …)
-- (outside an erasure the same UPDATE is refused: stage_transition_immutable fires first)
