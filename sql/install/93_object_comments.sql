-- Every trigger and policy on the extension's tables says what it is for
-- (\dS+, \d+, pg_description): a trigger by the comment of the function it
-- runs, a policy by the statement it governs.  Written once here from the
-- catalogs, so that one added elsewhere is commented too.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgname, c.relname, p.proname,
                    coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), '') AS what
               FROM pg_catalog.pg_trigger t
               JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
               JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
              WHERE c.relnamespace = '@extschema@'::regnamespace AND NOT t.tgisinternal LOOP
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON @extschema@.%I IS %L', r.tgname, r.relname,
                                  pg_catalog.format('Runs %s() on %s. %s', r.proname, r.relname, r.what));
    END LOOP;
    FOR r IN SELECT po.polname, c.relname,
                    CASE po.polcmd WHEN 'r' THEN 'which rows a statement reads (SELECT, and the rows an UPDATE or DELETE may target)'
                                   WHEN 'a' THEN 'which rows may be inserted'
                                   WHEN 'w' THEN 'which rows may be updated, and into what'
                                   WHEN 'd' THEN 'which rows may be deleted'
                                   ELSE 'which rows any statement reads and writes' END AS what
               FROM pg_catalog.pg_policy po
               JOIN pg_catalog.pg_class c ON c.oid = po.polrelid
              WHERE c.relnamespace = '@extschema@'::regnamespace LOOP
        EXECUTE pg_catalog.format('COMMENT ON POLICY %I ON @extschema@.%I IS %L', r.polname, r.relname,
                                  pg_catalog.format('Row-level security of %s: %s for the current tenant and actor (README: Security, Organizations and teams).',
                                                    r.relname, r.what));
    END LOOP;
END $$;
