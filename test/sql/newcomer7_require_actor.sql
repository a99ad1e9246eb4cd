-- newcomer7 #6: with workflow_ext.require_actor (require_tenant) on, only an
-- actor (tenant) set in the current transaction counts; one set by a
-- session-level SET in an earlier transaction is ignored although SHOW shows
-- it.  The error's HINT says so when that is the case.
\set SHOW_CONTEXT never
CREATE FUNCTION nc7c_hint(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN st || ' ' || msg || E'\nHINT: ' || hint;
END $$;
SET workflow_ext.require_actor = on;
RESET workflow_ext.actor;
-- nothing set: the hint as before
SELECT nc7c_hint('SELECT current_actor()');
-- a session-level SET: its own transaction, over when the next statement runs
SET workflow_ext.actor = 'user:ann';
SHOW workflow_ext.actor;
SELECT nc7c_hint('SELECT current_actor()');
-- set in the transaction (SET LOCAL, or SET inside it): counts
BEGIN;
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT current_actor();
COMMIT;
BEGIN;
SET workflow_ext.actor = 'user:bob';
SELECT current_actor();
COMMIT;
-- the next transaction: left over again
SELECT nc7c_hint('SELECT current_actor()');
RESET workflow_ext.actor;
RESET workflow_ext.require_actor;

-- require_tenant: the same
SET workflow_ext.require_tenant = on;
SET workflow_ext.actor = 'user:ann';
RESET workflow_ext.tenant;
SELECT nc7c_hint('SELECT current_tenant()');
SET workflow_ext.tenant = 'org:acme';
SELECT nc7c_hint('SELECT current_tenant()');
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SELECT current_tenant();
COMMIT;
RESET workflow_ext.tenant;
RESET workflow_ext.require_tenant;
RESET workflow_ext.actor;
DROP FUNCTION nc7c_hint(text);
