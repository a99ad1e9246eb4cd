-- attack15 04 (medium, fixed: owner reads/writes run with row_security off,
-- so the erasure fails with 42501 naming candidate_profile; test attack15_forced_rls): the owner-write check covers the five
-- tables the extension WRITES as their owner, but the extension also READS
-- tables as their owner (wf_become_owner): erase_candidate() locks
-- candidate_profile and candidate_stage rows FOR UPDATE and counts the
-- candidate's rows as the owner (erasure.c), the stage cache loads
-- workflow_stage / stage_rule / workflow_share as the owner (stage_cache.c),
-- facts_source's kept reads run as the owner.  Row-level security FORCED on
-- one of those tables with a policy calling a function of the application
-- role's runs that function as the owner, with no refusal.  A superuser
-- owner bypasses row-level security even when forced (so the bootstrap
-- superuser as owner is safe from this one); an owner that is not a
-- superuser is not: here the tables' owner is the plain role a15r_owner and
-- the erasure prints "NOTICE: grab as a15r_owner" (the application's code,
-- run as the owner of every tenant's rows).  (The erasure then fails on
-- candidate_stage only because this script moved just two tables to
-- a15r_owner.)  An index of an operator class of anyone's used by such a
-- read's plan is the same class of problem (not tried).
-- Run as a superuser in a scratch database:  psql -d scratch -f this_file
CREATE EXTENSION IF NOT EXISTS workflow_ext;
\i test/sql/include/app_grants.psql
CREATE ROLE a15r_app;
GRANT workflow_app TO a15r_app;
CREATE SCHEMA a15r AUTHORIZATION a15r_app;
GRANT USAGE ON SCHEMA a15r TO PUBLIC;
SET ROLE a15r_app;
CREATE FUNCTION a15r.grab() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    RAISE NOTICE 'grab as %', current_user;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER ROLE a15r_app SUPERUSER;
    END IF;
    RETURN true;
END $f$;
SET workflow_ext.tenant = 'org:a15r';
SET workflow_ext.actor = 'user:a';
INSERT INTO workflow (name) VALUES ('a15r') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 3) i;
SELECT count(*) FROM assign_workflow(80, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{}');
SELECT count(*) FROM add_candidate(1, 80);
RESET ROLE;
CREATE ROLE a15r_owner;
GRANT USAGE ON SCHEMA a15r TO a15r_owner;
ALTER TABLE workflow_stage OWNER TO a15r_owner;
ALTER TABLE candidate_profile OWNER TO a15r_owner;
-- the owner: an audit policy, forced, on a table the extension only reads as its owner
CREATE POLICY a15r_audit ON candidate_profile AS RESTRICTIVE USING (a15r.grab());
CREATE POLICY a15r_owner ON candidate_profile TO a15r_owner USING (true);   -- (the owner sees its rows)
ALTER TABLE candidate_profile FORCE ROW LEVEL SECURITY;
SET ROLE a15r_app;
SET workflow_ext.tenant = 'org:a15r';
SET workflow_ext.actor = 'user:a';
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT jobs_removed, profile_deleted FROM erase_candidate(1);
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_is_superuser_after_erasure FROM pg_roles WHERE rolname = 'a15r_app';
