-- attack15: what the owner-write check (owner_writes.c) missed.  The
-- extension writes stage_visit_row and the history tables as their owner
-- (here the bootstrap superuser) and refuses while anything of anyone's but
-- initdb's or the extension's would run there.  Two ways past it, each with
-- a function the application role owns (it makes the role a superuser when
-- it runs as one):
--  1. a built-in function that runs SQL given as text, or reads a view by
--     name (query_to_xml, table_to_xml, ts_stat, ...) in a CHECK, a default,
--     an index or a trigger's WHEN clause: built in, so it passed, and the
--     application's function in its query ran as the owner;
--  2. a column whose type is a domain of the application's (its CHECK runs
--     on every value written, NULL included): column types were not read at
--     all (the extension's event trigger refuses the column's addition, but
--     not in replica mode).
-- Both are refused now: 55000 owner_write_blocked naming the table and the
-- object, and erasure_blocked for erase_candidate().
\set own_db wf_attack15
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_a15_app;
RESET client_min_messages;
CREATE ROLE wf_a15_app;
GRANT workflow_app TO wf_a15_app;
-- SQLSTATE, reason and message of a statement's error ('no error' when none)
CREATE FUNCTION a15_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || coalesce(detail::jsonb ->> 'reason', '') || ' '
        || coalesce((detail::jsonb - 'reason')::text, '') || ': ' || SQLERRM;
END $$;
GRANT EXECUTE ON FUNCTION a15_try(text) TO wf_a15_app;

-- The application role's functions: each makes it a superuser when it runs as one.
CREATE SCHEMA a15_app AUTHORIZATION wf_a15_app;
GRANT USAGE ON SCHEMA a15_app TO PUBLIC;
SET ROLE wf_a15_app;
CREATE FUNCTION a15_app.grab() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER ROLE wf_a15_app SUPERUSER;
    END IF;
    RETURN true;
END $f$;
CREATE FUNCTION a15_app.grab_trigger() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM a15_app.grab();
    RETURN NEW;
END $f$;
-- (immutable, for an index: the volatile one inside runs its ALTER ROLE)
CREATE FUNCTION a15_app.grab_id(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM a15_app.grab();
    RETURN $1;
END $f$;
CREATE FUNCTION a15_app.grab_true(bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM a15_app.grab();
    RETURN true;
END $f$;
CREATE FUNCTION a15_app.grab_cmp(bigint, bigint) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM a15_app.grab();
    RETURN btint8cmp($1, $2);
END $f$;
RESET ROLE;
-- A workflow of 30 stages, a job; no event written in the database yet.
SET ROLE wf_a15_app;
SET workflow_ext.tenant = 'org:a15';
SET workflow_ext.actor = 'user:owen';
INSERT INTO workflow (name) VALUES ('a15') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 30) i;
SELECT count(*) AS jobs FROM assign_workflow(80, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{}' FROM generate_series(1, 3) c;
RESET ROLE;
SELECT count(*) AS feed_origin_rows FROM feed_origin;

-- One move of candidate 1 as the application role, then whether it became a superuser.
\set move 'SET ROLE wf_a15_app; SELECT a15_try(''SELECT move_to_next_stage(1, 80)'') AS move; RESET ROLE; SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = ''wf_a15_app''; ALTER ROLE wf_a15_app NOSUPERUSER;'


SET ROLE wf_a15_app;
SELECT count(*) AS entered FROM generate_series(1, 3) c, add_candidate(c, 80);
RESET ROLE;

\echo '== 1. a CHECK by query_to_xml running the application''s function'
ALTER TABLE stage_visit_row ADD CONSTRAINT a15_xml_check
    CHECK (query_to_xml('SELECT a15_app.grab()', false, false, '') IS NOT NULL) NOT VALID;
:move
ALTER TABLE stage_visit_row DROP CONSTRAINT a15_xml_check;
\echo '-- a column default by ts_rewrite (a query as text)'
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT
    (ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery WHERE a15_app.grab()') IS NULL);
:move
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT false;
\echo '-- a trigger of the extension''s with a WHEN clause reading a view of the application''s by table_to_xml'
SET ROLE wf_a15_app;
CREATE VIEW a15_app.v AS SELECT a15_app.grab() AS g;
RESET ROLE;
CREATE TRIGGER a15_when BEFORE INSERT ON stage_visit_row FOR EACH ROW
    WHEN (table_to_xml('a15_app.v'::regclass, false, false, '') IS NOT NULL)
    EXECUTE FUNCTION require_actor_trigger();
:move
DROP TRIGGER a15_when ON stage_visit_row;
\echo '-- nothing there: it moves'
:move

\echo '== 2. a column of a domain of the application''s (added past the extension''s event trigger by a superuser in replica mode)'
SET ROLE wf_a15_app;
CREATE DOMAIN a15_app.grab_text AS text CHECK (a15_app.grab());
RESET ROLE;
SET session_replication_role = replica;
ALTER TABLE stage_visit_row ADD COLUMN a15_note a15_app.grab_text;
ALTER TABLE stage_transition ADD COLUMN a15_note a15_app.grab_text;
RESET session_replication_role;
-- (ADD COLUMN checked the domain against the rows there, as the superuser)
ALTER ROLE wf_a15_app NOSUPERUSER;
\echo '-- (a NULL written to it is checked too: the INSERT''s default is the domain''s NULL)'
:move
\echo '-- erase_candidate: refused on stage_transition too (its UPDATEs leave the column alone, but an INSERT would not)'
SET ROLE wf_a15_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT a15_try('SELECT * FROM erase_candidate(2)') AS erasure;
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_a15_app';
ALTER ROLE wf_a15_app NOSUPERUSER;
SET session_replication_role = replica;
ALTER TABLE stage_visit_row DROP COLUMN a15_note;
ALTER TABLE stage_transition DROP COLUMN a15_note;
RESET session_replication_role;
\echo '-- dropped: it moves'
:move

RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_a15_app;
