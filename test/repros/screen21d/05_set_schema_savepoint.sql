-- Same root cause, another trigger: a function moved to another schema (no
-- candidate_stage there: the current code) in a savepoint, rolled back.  After
-- the rollback current_actor() is in the 0.2.0 schema again and must answer
-- the role's name (main: postgres); screen21d without the fix: role:<oid>.
\set VERBOSITY terse
CREATE EXTENSION workflow_ext VERSION '0.2.0';
CREATE SCHEMA p;
CREATE FUNCTION p.a1() RETURNS text LANGUAGE c STABLE AS '$libdir/workflow_ext', 'wf_current_actor';
BEGIN;
SELECT current_actor() a, p.a1() b;
CREATE OR REPLACE FUNCTION current_actor() RETURNS text LANGUAGE c VOLATILE AS '$libdir/workflow_ext', 'wf_current_actor';
SELECT current_actor() a, p.a1() b;
ALTER FUNCTION current_actor() SET SCHEMA p;
SELECT p.current_actor() a_moved, p.a1() b;
ALTER FUNCTION p.current_actor() SET SCHEMA public;
SELECT current_actor() a_back, p.a1() b;
SAVEPOINT s;
ALTER FUNCTION current_actor() SET SCHEMA p;
SELECT p.current_actor() a_moved, p.a1() b;
ROLLBACK TO s;
SELECT current_actor() a_back_after_rollback, p.a1() b;
ROLLBACK;
