-- attack15 04: the extension reads tables as their owner too (erase_candidate()
-- locks candidate_profile rows FOR UPDATE as the owner; the stage cache, the
-- facts reads).  With the tables owned by a role that is no superuser and
-- row-level security forced on candidate_profile, a policy of the owner's
-- calling the application role's function ran that function as the owner
-- (here it records current_user).  Owner reads and writes now run with
-- row_security off: such a query fails (42501, naming the table) instead.
\set own_db wf_attack15_rls
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_a15r_app;
DROP ROLE IF EXISTS wf_a15r_owner;
RESET client_min_messages;
CREATE ROLE wf_a15r_app;
GRANT workflow_app TO wf_a15r_app;
CREATE ROLE wf_a15r_owner;
CREATE SCHEMA a15r AUTHORIZATION wf_a15r_app;
GRANT USAGE ON SCHEMA a15r TO PUBLIC;
SET ROLE wf_a15r_app;
CREATE TABLE a15r.ran_as (who name);
GRANT INSERT ON a15r.ran_as TO PUBLIC;
CREATE FUNCTION a15r.record() RETURNS boolean LANGUAGE sql AS $$ INSERT INTO a15r.ran_as VALUES (current_user) RETURNING true $$;
SET workflow_ext.tenant = 'org:r';
SET workflow_ext.actor = 'user:r';
INSERT INTO workflow (name) VALUES ('r') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT count(*) AS jobs FROM assign_workflow(80, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{}'), (2, '{}');
SELECT count(*) AS entered FROM generate_series(1, 2) c, add_candidate(c, 80);
RESET ROLE;
-- every table of the extension (its sequences follow) to the owner that is no superuser
SET client_min_messages = warning;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
             JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext' AND d.deptype = 'e'
             WHERE c.relkind IN ('r', 'p') LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO wf_a15r_owner', r.rel);
    END LOOP;
END $$;
RESET client_min_messages;
CREATE POLICY a15r_owner_sees ON candidate_profile TO wf_a15r_owner USING (true);
CREATE POLICY a15r_audit ON candidate_profile AS RESTRICTIVE USING (a15r.record());
ALTER TABLE candidate_profile FORCE ROW LEVEL SECURITY;
SET ROLE wf_a15r_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT test_error('SELECT * FROM erase_candidate(1)') AS erasure_forced;
COMMIT;
RESET ROLE;
SELECT who, count(*) FROM a15r.ran_as GROUP BY who ORDER BY who;
\echo '-- not forced: the erasure runs'
ALTER TABLE candidate_profile NO FORCE ROW LEVEL SECURITY;
SET ROLE wf_a15r_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT jobs_removed, profile_deleted FROM erase_candidate(1);
COMMIT;
RESET ROLE;
SELECT who, count(*) FROM a15r.ran_as GROUP BY who ORDER BY who;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_a15r_app;
DROP ROLE wf_a15r_owner;
