-- workflow_ext 0.2.0 database (served by 0.2.0's code: current_actor() is the role's name).
-- In a savepoint, a catalog-only change that makes the schema look like 0.3.0
-- (no new relation files, so no smgr invalidation at rollback), two C functions
-- called, then the savepoint rolled back: the schema is 0.2.0 again and the
-- same command id and invalidation count hold.
\set VERBOSITY terse
CREATE EXTENSION workflow_ext VERSION '0.2.0';
BEGIN;
SELECT current_actor() = current_user AS served_by_020_before;
SAVEPOINT s;
ALTER TABLE candidate_stage ADD COLUMN tenant text;
SELECT current_actor() = current_user AS served_by_020_inside,
       condition_matches('{"field":"a","op":"eq","value":1}', '{"a":1}');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS tenant_columns FROM pg_attribute WHERE attrelid = 'candidate_stage'::regclass AND attname = 'tenant';
-- expected: t (0.2.0's code again, as on main); screen21d: f (0.3.0's code, role:<oid>)
SELECT current_actor() = current_user AS served_by_020_after,
       condition_matches('{"field":"a","op":"eq","value":1}', '{"a":1}');
SELECT current_actor() AS actor_after;
COMMIT;
