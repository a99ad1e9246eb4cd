-- attack15 02 (low, fixed): the owner-write check does not read column
-- types.  A column of a domain whose CHECK calls the application role's
-- function, on stage_visit_row, runs that function as the owner on every
-- move's INSERT (the missing column's default is the domain's NULL, checked
-- too).  Adding the column is refused by workflow_ext_ddl_guard, except for
-- a superuser in session_replication_role = replica (event triggers do not
-- fire): hence low.  Before the fix the move succeeds and rolsuper is t;
-- after it: 55000 owner_write_blocked {"kind": "column of a user-defined type", "name": "a15_note"}.
-- Run after 01 (same database):  psql -d scratch -f this_file
ALTER TABLE stage_visit_row DROP CONSTRAINT IF EXISTS a15_xml_check;
ALTER ROLE a15_app NOSUPERUSER;
SET ROLE a15_app;
CREATE DOMAIN a15.grab_text AS text CHECK (a15.grab());
RESET ROLE;
SET session_replication_role = replica;
ALTER TABLE stage_visit_row ADD COLUMN a15_note a15.grab_text;
RESET session_replication_role;
ALTER ROLE a15_app NOSUPERUSER;   -- (ADD COLUMN checked the rows there as the superuser)
SET ROLE a15_app;
SET workflow_ext.tenant = 'org:a15';
SET workflow_ext.actor = 'user:a';
SELECT count(*) FROM move_to_next_stage(1, 80);
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'a15_app';
