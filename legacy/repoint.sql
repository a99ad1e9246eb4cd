-- legacy/repoint.sql: once per database, as a superuser, in a fresh session
--   psql -X -v ON_ERROR_STOP=1 -d <database> -f legacy/repoint.sql
--
-- Points workflow_ext's C functions at the library that CREATE EXTENSION
-- workflow_ext VERSION '<its version>' names today: the module_pathname of the
-- installed secondary control file workflow_ext--<version>.control, else of
-- workflow_ext.control.  For a database created before the versioned
-- libraries (legacy/README.md), whose C functions all name
-- $libdir/workflow_ext: run it after installing a build that has them and
-- before the first call, so a 0.1.0 or 0.2.0 database keeps its own library
-- when $libdir/workflow_ext becomes a newer version's.  It changes nothing
-- else (each function is re-created as it is, library path excepted) and does
-- nothing the second time.  CREATE FUNCTION loads the library, so a session
-- that already ran another workflow_ext library fails here: reconnect.
DO $repoint$
DECLARE
    version text;
    sharedir text;
    control text;
    lib text;
    f record;
    n integer := 0;
BEGIN
    SELECT e.extversion INTO version FROM pg_catalog.pg_extension e WHERE e.extname = 'workflow_ext';
    IF version IS NULL THEN
        RAISE NOTICE 'workflow_ext is not installed in database %', pg_catalog.current_database();
        RETURN;
    END IF;
    SELECT c.setting INTO sharedir FROM pg_catalog.pg_config c WHERE c.name = 'SHAREDIR';
    control := pg_catalog.pg_read_file(sharedir || '/extension/workflow_ext--' || version || '.control', 0, 65536, true);
    lib := (pg_catalog.regexp_match(control, $re$(?:^|\n)\s*module_pathname\s*=\s*'([^']*)'$re$))[1];
    IF lib IS NULL THEN
        control := pg_catalog.pg_read_file(sharedir || '/extension/workflow_ext.control', 0, 65536, true);
        lib := (pg_catalog.regexp_match(control, $re$(?:^|\n)\s*module_pathname\s*=\s*'([^']*)'$re$))[1];
    END IF;
    IF lib IS NULL THEN
        RAISE EXCEPTION 'no module_pathname for workflow_ext % under %/extension', version, sharedir;
    END IF;
    FOR f IN
        SELECT p.oid, p.probin
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                                     AND d.objid = p.oid AND d.deptype = 'e'
                                     AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
          JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
          JOIN pg_catalog.pg_language l ON l.oid = p.prolang AND l.lanname = 'c'
         WHERE p.probin OPERATOR(pg_catalog.<>) lib
         ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.replace(pg_catalog.pg_get_functiondef(f.oid),
                                   pg_catalog.quote_literal(f.probin), pg_catalog.quote_literal(lib));
        n := n + 1;
    END LOOP;
    RAISE NOTICE 'workflow_ext %: % C function(s) now name %', version, n, lib;
END
$repoint$;
