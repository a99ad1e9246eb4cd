-- attack13 04: erase_candidate() reads the candidate's jobs once (step 1) and takes no lock that a
-- concurrent add_candidate() of the same tenant waits for.  Session A (administrator) erases
-- candidate 5; session B (the workflow's owner, user:ann) adds candidate 5 to job 101 while A's
-- transaction is open: B still reads the profile A deleted (not committed yet), and its entry writes a
-- pipeline row, a history row whose warnings carry the profile's facts ("actual") and an alert event
-- whose facts snapshot holds them.  Both commit; A's answer says the candidate was erased.
-- Expected: after A's erasure commits, nothing of the person's facts is left (B waits for A and then
--           finds no profile, or A's erasure fails / covers B's rows); Actual: job 101's history
--           warnings and alert_event.facts carry jane@private.example and the salary.
-- Fixed (branch erasurerace): B's add_candidate waits for A's transaction (the entry lock of the
--           candidate, src/pg/erasure.c), then finds no profile: job 101's entry has no warnings'
--           actual and its alert events {} (test/specs/erasure_entry_race.spec).
-- Run from the repository root as a superuser on a fresh database:
--   psql -X -f test/repros/attack13/04_concurrent_add_survives_erasure.sql
-- (it starts session B itself with \! psql ... & and uses pg_sleep for the interleaving).
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
SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('W');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1,'Applied',1,'normal'),(1,'Screen',2,'normal'),(1,'Hired',3,'hired');
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
  VALUES (1, 'portfolio', '{"field": "email", "op": "ends_with", "value": "@portfolio.example"}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (1, 'salary', '>', '50000', 'salary above band');
SELECT assign_workflow(100, 1), assign_workflow(101, 1);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"email": "jane@private.example", "salary": 150000}');
SELECT add_candidate(5, 100) IS NOT NULL AS added;
COMMIT;
RESET ROLE;
-- session B: starts in 1 s, adds candidate 5 to job 101 while A's erasure is not committed
\! (sleep 1; psql -X -q -c "SET ROLE app; SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann'; SELECT (add_candidate(5, 101)).stage_id AS b_added" > /tmp/attack13_04_b.out 2>&1) &
SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:a';
SET LOCAL workflow_ext.actor = 'user:admin';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM erase_candidate(5);
SELECT pg_sleep(3);
COMMIT;
RESET ROLE;
SELECT pg_sleep(1);
\! cat /tmp/attack13_04_b.out
SELECT job_id, to_status, reason, warnings->0->>'actual' AS actual FROM stage_transition WHERE candidate_id = 5 ORDER BY id;
SELECT job_id, facts FROM alert_event WHERE candidate_id = 5 ORDER BY id;
SELECT count(*) AS profiles FROM candidate_profile WHERE candidate_id = 5;
-- actual: job 101 | active | | jane@private.example ; alert_event job 101 facts {"salary": 150000, ...}
