-- The same through a PL/pgSQL exception block (an internal subtransaction),
-- in one top-level command: 0.2.0 database, the block makes candidate_stage
-- look like 0.3.0 (catalog-only ALTER), calls two C functions, and is rolled
-- back.  After it, current_actor() must be served by 0.2.0's code again (the
-- role's name), as on main; screen21d serves it with 0.3.0's (role:<oid>).
\set VERBOSITY terse
CREATE EXTENSION workflow_ext VERSION '0.2.0';
DO $$
DECLARE inside text; after text;
BEGIN
  BEGIN
    ALTER TABLE candidate_stage ADD COLUMN tenant text;
    inside := current_actor();
    PERFORM condition_matches('{"field":"a","op":"eq","value":1}', '{"a":1}');
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  PERFORM condition_matches('{"field":"a","op":"eq","value":1}', '{"a":1}');
  after := current_actor();
  RAISE NOTICE 'inside: %, after the rollback: % (want %)', inside, after, current_user;
END $$;
