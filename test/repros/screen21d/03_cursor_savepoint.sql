-- A cursor of a 0.2.0 database fetched across commands: a savepoint around a
-- catalog-only change (candidate_stage looks like 0.3.0) and a FETCH, rolled
-- back; the next FETCH must be served by 0.2.0's code (current_actor() is the
-- role's name) as on main; screen21d keeps 0.3.0's (role:<oid>).
\set VERBOSITY terse
CREATE EXTENSION workflow_ext VERSION '0.2.0';
CREATE SCHEMA p;
CREATE FUNCTION p.a1() RETURNS text LANGUAGE c STABLE AS '$libdir/workflow_ext', 'wf_current_actor';
BEGIN;
DECLARE c CURSOR FOR SELECT g, current_actor() AS a, p.a1() AS b FROM generate_series(1, 5) g;
FETCH 2 FROM c;
SAVEPOINT s;
ALTER TABLE candidate_stage ADD COLUMN tenant text;
FETCH 1 FROM c;
ROLLBACK TO SAVEPOINT s;
FETCH 2 FROM c;   -- want a = current_user (0.2.0's code)
COMMIT;
