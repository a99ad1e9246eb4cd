-- Changes to the extension's own objects that would break it later are
-- refused before they happen (src/pg/ddl_guard.c): a column added to one of
-- its tables (pg_dump would lose the table's rows), a column dropped or
-- retyped, and renaming its schema, its tables or their columns.  Runs for
-- every role, superusers included; not inside CREATE/ALTER EXTENSION.
-- (Event triggers do not fire in single-user mode or with
-- session_replication_role = replica.)
CREATE FUNCTION ddl_guard() RETURNS event_trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_ddl_guard';
COMMENT ON FUNCTION ddl_guard() IS
    'Event trigger (ddl_command_start): refuses with 0A000 (reason extension_object_change) adding, dropping or retyping a column of a workflow_ext table, renaming or moving one of its tables or columns, and renaming its schema.';
REVOKE EXECUTE ON FUNCTION ddl_guard() FROM PUBLIC;

CREATE EVENT TRIGGER workflow_ext_ddl_guard ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'ALTER SCHEMA')
    EXECUTE FUNCTION ddl_guard();
COMMENT ON EVENT TRIGGER workflow_ext_ddl_guard IS
    'Refuses changes to workflow_ext''s tables and schema that pg_dump or its functions could not survive (ddl_guard()).';
