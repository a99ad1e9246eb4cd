-- A custom facts table cannot run anyone's code inside a reader (issue 18,
-- item 1): the facts are read with the mover's rights, so whatever the
-- table's owner (or the database owner) can attach to it would run as the
-- application role inside an ordinary move.  The table must be owned by a
-- superuser or the database owner, and nothing on it may run code that is
-- not built in; checked by set_candidate_source() and again before every
-- read.  Each attack is a policy, type, operator class... that would switch
-- the actor and copy another tenant's profile; none of them ever runs.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_fs_app;
DROP ROLE IF EXISTS wf_fs_dbo;
DROP ROLE IF EXISTS wf_fs_etl;
RESET client_min_messages;
CREATE ROLE wf_fs_app;          -- the application role
CREATE ROLE wf_fs_dbo;          -- the database owner (no superuser)
CREATE ROLE wf_fs_etl;          -- a tenant's loader: may own nothing the facts come from
GRANT workflow_app TO wf_fs_app, wf_fs_dbo;   -- the README's grant set (test/sql/include/app_grants.psql)
SELECT current_database() AS db \gset
ALTER DATABASE :"db" OWNER TO wf_fs_dbo;

\echo '== 1. Fixture: two tenants, one job each, candidate 456 in both'
SET ROLE wf_fs_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT test_workflow('acme', 3, false) AS acme_wf \gset
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:acme_wf, 2), 'experienced', '{"field": "years", "op": "gte", "value": 1}');
SELECT job_id FROM assign_workflow(1234, :acme_wf);
SELECT candidate_id FROM add_candidate(456, 1234);
SELECT candidate_id FROM add_candidate(457, 1234);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"ssn": "globex-secret"}');
COMMIT;
RESET ROLE;
-- the loot table and the attacker's function: switches the actor, copies
-- every tenant's profile (it runs as whoever reads the facts; what it records
-- when the attacker's own DDL runs it, building an index, is not counted)
CREATE TABLE fs_loot (actor text, stolen jsonb);
GRANT INSERT, SELECT ON fs_loot TO PUBLIC;
CREATE FUNCTION fs_pwn() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('workflow_ext.actor', 'user:evil', false);
    PERFORM set_config('workflow_ext.tenant', 'org:globex', false);
    INSERT INTO fs_loot SELECT current_user, attributes FROM candidate_profile;
    RETURN true;
END $$;
CREATE FUNCTION fs_pwn_int(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fs_pwn();
    RETURN $1;
END $$;
GRANT EXECUTE ON FUNCTION fs_pwn(), fs_pwn_int(bigint) TO PUBLIC;

-- the database owner's own table, set as the facts source
SET ROLE wf_fs_dbo;
CREATE TABLE fs_facts (org text NOT NULL, id bigint NOT NULL, years int, PRIMARY KEY (org, id));
INSERT INTO fs_facts VALUES ('org:acme', 456, 7), ('org:acme', 457, 5);
GRANT SELECT ON fs_facts TO wf_fs_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:hq';
SET LOCAL workflow_ext.actor = 'user:dba';
SELECT set_candidate_source('fs_facts', 'id', 'org');
COMMIT;
RESET ROLE;

-- A move as the application role: its result, or the error, then what the
-- session's actor and tenant are afterwards and what was stolen.
CREATE FUNCTION fs_try(candidate bigint) RETURNS TABLE (result text, actor text, tenant text, stolen bigint)
LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    PERFORM set_config('workflow_ext.tenant', 'org:acme', false);
    PERFORM set_config('workflow_ext.actor', 'user:hank', false);
    r := test_error(format('SELECT candidate_facts(%s)', candidate));
    IF r = 'no error' THEN
        r := (SELECT (candidate_facts(candidate) ->> 'years'));
    END IF;
    RETURN QUERY SELECT r, current_setting('workflow_ext.actor'), current_setting('workflow_ext.tenant'),
                        (SELECT count(*) FROM fs_loot l WHERE l.actor = 'wf_fs_app');
END $$;
GRANT EXECUTE ON FUNCTION fs_try(bigint) TO PUBLIC;

\echo '== 2. The clean table is read'
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
ROLLBACK;
RESET ROLE;

\echo '== 3. The database owner enables row-level security after set_candidate_source'
SET ROLE wf_fs_dbo;
CREATE POLICY fs_steal ON fs_facts USING (fs_pwn());
ALTER TABLE fs_facts ENABLE ROW LEVEL SECURITY;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
-- an ordinary move is refused before the read: nothing ran
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT test_error('SELECT move_to_next_stage(456, 1234)');
SELECT current_setting('workflow_ext.actor') AS actor_after_move;
ROLLBACK;
SET ROLE wf_fs_dbo;
ALTER TABLE fs_facts DISABLE ROW LEVEL SECURITY;
-- forced without being enabled counts too
ALTER TABLE fs_facts FORCE ROW LEVEL SECURITY;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
ALTER TABLE fs_facts NO FORCE ROW LEVEL SECURITY;
DROP POLICY fs_steal ON fs_facts;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;

\echo '== 4. Ownership transferred after set_candidate_source'
ALTER TABLE fs_facts OWNER TO wf_fs_etl;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
-- a role made a member of the database owner afterwards is trusted (the
-- check follows memberships), and not once the membership is revoked
GRANT wf_fs_dbo TO wf_fs_etl;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
REVOKE wf_fs_dbo FROM wf_fs_etl;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
ALTER TABLE fs_facts OWNER TO wf_fs_dbo;

\echo '== 5. Columns of a type or domain that is not built in, added after'
SET ROLE wf_fs_dbo;
CREATE TYPE fs_mood AS ENUM ('happy', 'sad');
ALTER TABLE fs_facts ADD COLUMN mood fs_mood;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
ALTER TABLE fs_facts DROP COLUMN mood;
CREATE DOMAIN fs_years AS integer CHECK (VALUE >= 0);
ALTER TABLE fs_facts ADD COLUMN tenure fs_years;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
ALTER TABLE fs_facts DROP COLUMN tenure;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;

\echo '== 6. Indexes and operator classes'
SET ROLE wf_fs_dbo;
-- an index expression calling the attacker's function
CREATE INDEX fs_expr ON fs_facts (fs_pwn_int(id));
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
DROP INDEX fs_expr;
RESET ROLE;
-- an operator class whose comparison the index scan on the key would call
CREATE FUNCTION fs_cmp(bigint, bigint) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fs_pwn();
    RETURN btint8cmp($1, $2);
END $$;
CREATE OPERATOR CLASS fs_int8_ops FOR TYPE bigint USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 fs_cmp(bigint, bigint);
ALTER TABLE fs_facts OWNER TO CURRENT_USER;      -- the superuser's index ...
CREATE INDEX fs_opclass ON fs_facts (id fs_int8_ops);
ALTER TABLE fs_facts OWNER TO wf_fs_dbo;         -- ... on the database owner's table
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
DROP INDEX fs_opclass;
-- a CHECK constraint calling it (NOT VALID: not run when added)
ALTER TABLE fs_facts ADD CONSTRAINT fs_check CHECK (fs_pwn_int(id) > 0) NOT VALID;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
ALTER TABLE fs_facts DROP CONSTRAINT fs_check;

\echo '== 7. Partitions: a partition with its own policies, a partition key'
SET ROLE wf_fs_dbo;
CREATE TABLE fs_parts (org text NOT NULL, id bigint NOT NULL, years int) PARTITION BY LIST (org);
CREATE TABLE fs_parts_acme PARTITION OF fs_parts FOR VALUES IN ('org:acme');
INSERT INTO fs_parts VALUES ('org:acme', 456, 9);
GRANT SELECT ON fs_parts TO wf_fs_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:hq';
SET LOCAL workflow_ext.actor = 'user:dba';
SELECT set_candidate_source('fs_parts', 'id', 'org');
COMMIT;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
CREATE POLICY fs_part_steal ON fs_parts_acme USING (fs_pwn());
ALTER TABLE fs_parts_acme ENABLE ROW LEVEL SECURITY;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
SET ROLE wf_fs_dbo;
ALTER TABLE fs_parts_acme DISABLE ROW LEVEL SECURITY;
DROP POLICY fs_part_steal ON fs_parts_acme;
-- a partition key with an operator class that is not built in
RESET ROLE;
CREATE TABLE fs_parts2 (org text NOT NULL, id bigint NOT NULL, years int) PARTITION BY RANGE (id fs_int8_ops);
CREATE TABLE fs_parts2_all PARTITION OF fs_parts2 FOR VALUES FROM (0) TO (1000000);
ALTER TABLE fs_parts2 OWNER TO wf_fs_dbo;
GRANT SELECT ON fs_parts2 TO wf_fs_app;
SET ROLE wf_fs_dbo;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:hq';
SET LOCAL workflow_ext.actor = 'user:dba';
SELECT test_error('SELECT set_candidate_source(''fs_parts2'', ''id'', ''org'')');
COMMIT;
RESET ROLE;

\echo '== 8. A table the database owner may trigger but does not own'
DROP TABLE fs_parts2;
CREATE TABLE fs_parts2 (org text NOT NULL, id bigint NOT NULL, years int);
INSERT INTO fs_parts2 VALUES ('org:acme', 456, 3);
GRANT SELECT ON fs_parts2 TO wf_fs_app;
ALTER TABLE fs_parts2 OWNER TO wf_fs_etl;
GRANT TRIGGER ON fs_parts2 TO wf_fs_dbo;
SET ROLE wf_fs_dbo;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:hq';
SET LOCAL workflow_ext.actor = 'user:dba';
SELECT set_candidate_source('fs_parts2', 'id', 'org');
COMMIT;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
-- the application role owning the table itself reads it (its own code runs
-- as itself), but a superuser's read of it is refused (it would run as them)
ALTER TABLE fs_facts OWNER TO wf_fs_app;
BEGIN;
SELECT set_candidate_source('fs_facts', 'id', 'org');
COMMIT;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(456);
RESET ROLE;
SELECT * FROM fs_try(456);
ALTER TABLE fs_facts OWNER TO wf_fs_dbo;
GRANT SELECT ON fs_facts TO wf_fs_app;
SET ROLE wf_fs_dbo;
-- back to a clean table: read again
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:hq';
SET LOCAL workflow_ext.actor = 'user:dba';
SELECT set_candidate_source('fs_facts', 'id', 'org');
COMMIT;
SET ROLE wf_fs_app;
SELECT * FROM fs_try(457);
RESET ROLE;

\echo '== 9. Nothing ever ran as the application role'
SELECT count(*) AS stolen_by_reader FROM fs_loot WHERE actor = 'wf_fs_app';

-- clean up
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
DELETE FROM facts_source;
DROP TABLE fs_facts, fs_parts, fs_parts2, fs_loot;
DROP FUNCTION fs_try(bigint);
DROP OPERATOR CLASS fs_int8_ops USING btree;
DROP OPERATOR FAMILY fs_int8_ops USING btree;
DROP FUNCTION fs_cmp(bigint, bigint), fs_pwn_int(bigint), fs_pwn();
DROP TYPE fs_mood;
DROP DOMAIN fs_years;
ALTER DATABASE :"db" OWNER TO CURRENT_USER;
DELETE FROM candidate_stage WHERE candidate_id IN (456, 457) AND tenant = 'org:acme';
DROP ROLE wf_fs_app;
DROP ROLE wf_fs_dbo;
DROP ROLE wf_fs_etl;
