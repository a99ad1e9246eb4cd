-- The extension writes stage_visit_row (every move), stage_visit_summary,
-- feed_origin (a cluster's first event) and, in erase_candidate(), the
-- history tables as their owner (here the bootstrap superuser).  Whatever
-- such a write runs besides its rows would run with the owner's rights:
-- triggers (any enabled one), rules, forced row-level security, CHECK
-- constraints, column defaults, index expressions and predicates, foreign
-- keys, an inheritance child.  Each kind, with a function the application
-- role owns, is refused (55000 owner_write_blocked, naming the table and the
-- object; erasure_blocked for the erasure) and the role stays what it was;
-- with the object dropped or disabled the write goes through again.  Without
-- the refusal, each function here would make the application role a
-- superuser (ALTER ROLE as the owner: attack13).  In a database of its own.
\set own_db wf_owner_writes
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_ow_app;
RESET client_min_messages;
CREATE ROLE wf_ow_app;
GRANT workflow_app TO wf_ow_app;
-- SQLSTATE, reason and message of a statement's error ('no error' when none)
CREATE FUNCTION ow_try(q text) RETURNS text LANGUAGE plpgsql AS $$
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
GRANT EXECUTE ON FUNCTION ow_try(text) TO wf_ow_app;

-- The application role's functions: each makes it a superuser when it runs as one.
CREATE SCHEMA ow_app AUTHORIZATION wf_ow_app;
GRANT USAGE ON SCHEMA ow_app TO PUBLIC;
SET ROLE wf_ow_app;
CREATE FUNCTION ow_app.grab() RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER ROLE wf_ow_app SUPERUSER;
    END IF;
    RETURN true;
END $f$;
CREATE FUNCTION ow_app.grab_trigger() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM ow_app.grab();
    RETURN NEW;
END $f$;
-- (immutable, for an index: the volatile one inside runs its ALTER ROLE)
CREATE FUNCTION ow_app.grab_id(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM ow_app.grab();
    RETURN $1;
END $f$;
CREATE FUNCTION ow_app.grab_true(bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM ow_app.grab();
    RETURN true;
END $f$;
CREATE FUNCTION ow_app.grab_cmp(bigint, bigint) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $f$
BEGIN
    PERFORM ow_app.grab();
    RETURN btint8cmp($1, $2);
END $f$;
RESET ROLE;
-- (an operator class needs a superuser: the application's comparison function in it)
CREATE OPERATOR CLASS ow_app.int8_grab_ops FOR TYPE bigint USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 ow_app.grab_cmp(bigint, bigint);

-- A workflow of 30 stages, a job; no event written in the database yet.
SET ROLE wf_ow_app;
SET workflow_ext.tenant = 'org:ow';
SET workflow_ext.actor = 'user:owen';
INSERT INTO workflow (name) VALUES ('ow') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position) SELECT :wf, 's' || i, i FROM generate_series(1, 30) i;
SELECT count(*) AS jobs FROM assign_workflow(80, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT c, '{}' FROM generate_series(1, 3) c;
RESET ROLE;
SELECT count(*) AS feed_origin_rows FROM feed_origin;

-- One move of candidate 1 as the application role, then whether it became a superuser.
\set move 'SET ROLE wf_ow_app; SELECT ow_try(''SELECT move_to_next_stage(1, 80)'') AS move; RESET ROLE; SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = ''wf_ow_app''; ALTER ROLE wf_ow_app NOSUPERUSER;'

\echo '== 1. feed_origin: a trigger of the application role''s function refuses the first event'
CREATE TRIGGER ow_feed BEFORE INSERT ON feed_origin FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
SET ROLE wf_ow_app;
SELECT ow_try('SELECT add_candidate(1, 80)') AS first_event;
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_ow_app';
ALTER ROLE wf_ow_app NOSUPERUSER;
SELECT count(*) AS feed_origin_rows FROM feed_origin;
ALTER TABLE feed_origin DISABLE TRIGGER ow_feed;
SET ROLE wf_ow_app;
SELECT ow_try('SELECT add_candidate(c, 80) FROM generate_series(1, 3) c') AS first_event;
RESET ROLE;
SELECT count(*) AS feed_origin_rows FROM feed_origin;
DROP TRIGGER ow_feed ON feed_origin;

\echo '== 2. stage_visit_row, a move: nothing there yet, it moves'
:move

\echo '== 3. a row trigger (BEFORE INSERT)'
CREATE TRIGGER ow_row BEFORE INSERT ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
:move
\echo '-- ENABLE ALWAYS, ENABLE REPLICA: still refused'
ALTER TABLE stage_visit_row ENABLE ALWAYS TRIGGER ow_row;
:move
ALTER TABLE stage_visit_row ENABLE REPLICA TRIGGER ow_row;
:move
\echo '-- disabled: it moves'
ALTER TABLE stage_visit_row DISABLE TRIGGER ow_row;
:move
DROP TRIGGER ow_row ON stage_visit_row;

\echo '== 4. a statement trigger (AFTER UPDATE)'
CREATE TRIGGER ow_statement AFTER UPDATE ON stage_visit_row FOR EACH STATEMENT EXECUTE FUNCTION ow_app.grab_trigger();
:move
DROP TRIGGER ow_statement ON stage_visit_row;
:move

\echo '== 5. a constraint trigger'
CREATE CONSTRAINT TRIGGER ow_constraint AFTER INSERT ON stage_visit_row DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
:move
DROP TRIGGER ow_constraint ON stage_visit_row;

\echo '== 6. the extension''s own trigger function with a WHEN clause of the application''s'
CREATE TRIGGER ow_when BEFORE INSERT ON stage_visit_row FOR EACH ROW WHEN (ow_app.grab_true(NEW.id))
    EXECUTE FUNCTION require_actor_trigger();
:move
DROP TRIGGER ow_when ON stage_visit_row;

\echo '== 7. a rule'
CREATE RULE ow_rule AS ON INSERT TO stage_visit_row DO ALSO SELECT ow_app.grab();
:move
DROP RULE ow_rule ON stage_visit_row;

\echo '== 8. row-level security forced on the owner, a policy of the application''s function'
CREATE POLICY ow_policy ON stage_visit_row USING (ow_app.grab()) WITH CHECK (ow_app.grab());
ALTER TABLE stage_visit_row FORCE ROW LEVEL SECURITY;
:move
ALTER TABLE stage_visit_row NO FORCE ROW LEVEL SECURITY;
:move
DROP POLICY ow_policy ON stage_visit_row;

\echo '== 9. a CHECK constraint (NOT VALID: it checks new rows)'
ALTER TABLE stage_visit_row ADD CONSTRAINT ow_check CHECK (ow_app.grab()) NOT VALID;
:move
ALTER TABLE stage_visit_row DROP CONSTRAINT ow_check;
\echo '-- a CHECK of built-in functions alone: it moves'
ALTER TABLE stage_visit_row ADD CONSTRAINT ow_plain_check CHECK (length(tenant) > 0);
:move
ALTER TABLE stage_visit_row DROP CONSTRAINT ow_plain_check;

\echo '== 10. a column default (ALTER COLUMN SET DEFAULT: the visit''s INSERT leaves folded to it)'
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT NOT ow_app.grab();
:move
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT false;
:move

\echo '== 11. an index expression, an index predicate, an operator class'
-- (CREATE INDEX itself evaluates them for the rows there, as the table's
-- owner: the application role is a superuser at once, by the owner's own act)
CREATE INDEX ow_expression ON stage_visit_row (ow_app.grab_id(candidate_id));
SELECT rolsuper AS app_is_superuser_by_create_index FROM pg_roles WHERE rolname = 'wf_ow_app';
ALTER ROLE wf_ow_app NOSUPERUSER;
:move
DROP INDEX ow_expression;
CREATE INDEX ow_predicate ON stage_visit_row (candidate_id) WHERE ow_app.grab_true(candidate_id);
ALTER ROLE wf_ow_app NOSUPERUSER;
:move
DROP INDEX ow_predicate;
\echo '-- an index by an operator class of the application''s comparison function; an exclusion constraint by it'
CREATE INDEX ow_opclass ON stage_visit_row (candidate_id ow_app.int8_grab_ops);
ALTER ROLE wf_ow_app NOSUPERUSER;
:move
DROP INDEX ow_opclass;
ALTER TABLE stage_visit_row ADD CONSTRAINT ow_exclusion EXCLUDE USING btree (id ow_app.int8_grab_ops WITH =);
ALTER ROLE wf_ow_app NOSUPERUSER;
:move
ALTER TABLE stage_visit_row DROP CONSTRAINT ow_exclusion;
\echo '-- an index of built-in functions alone: it moves'
CREATE INDEX ow_plain ON stage_visit_row (lower(tenant)) WHERE next_status IS NULL;
:move
DROP INDEX ow_plain;

\echo '== 12. a foreign key to a table outside the extension'
CREATE TABLE ow_jobs (job_id bigint PRIMARY KEY);
INSERT INTO ow_jobs VALUES (80);
ALTER TABLE stage_visit_row ADD CONSTRAINT ow_fk FOREIGN KEY (job_id) REFERENCES ow_jobs NOT VALID;
:move
ALTER TABLE stage_visit_row DROP CONSTRAINT ow_fk;
\echo '-- one referencing the table, with an action (it writes the other table as its owner)'
CREATE TABLE ow_visit_note (visit_id bigint REFERENCES stage_visit_row ON DELETE CASCADE);
:move
DROP TABLE ow_visit_note;

\echo '== 13. an inheritance child (an UPDATE without ONLY reaches its triggers)'
CREATE TABLE ow_child () INHERITS (stage_visit_row);
CREATE TRIGGER ow_child_row BEFORE UPDATE ON ow_child FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
-- (a row there that the move's UPDATE of the open visit, by id, reaches too)
INSERT INTO ow_child SELECT * FROM ONLY stage_visit_row WHERE candidate_id = 1 AND left_at IS NULL;
:move
DROP TABLE ow_child;
\echo '-- dropped (the parent gets no invalidation for it): it moves'
:move

\echo '== 14. erase_candidate: an index expression on stage_transition (not only triggers) refuses the erasure'
CREATE INDEX ow_history_expression ON stage_transition (ow_app.grab_id(candidate_id));
ALTER ROLE wf_ow_app NOSUPERUSER;
SET ROLE wf_ow_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT ow_try('SELECT * FROM erase_candidate(3)') AS erasure;
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_ow_app';
ALTER ROLE wf_ow_app NOSUPERUSER;
DROP INDEX ow_history_expression;
SET ROLE wf_ow_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT jobs_removed, profile_deleted FROM erase_candidate(3);
COMMIT;
RESET ROLE;

\echo '== 15. a CREATE TRIGGER rolled back leaves the verdict as it was; one committed after a move is seen by the next move'
BEGIN;
CREATE TRIGGER ow_rolled_back BEFORE INSERT ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
ROLLBACK;
:move
CREATE TRIGGER ow_late BEFORE INSERT ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION ow_app.grab_trigger();
:move
DROP TRIGGER ow_late ON stage_visit_row;

SELECT count(*) AS visits_of_candidate_1 FROM stage_visit_row WHERE candidate_id = 1;

-- Sections 16-17, attack15: what the owner-write check (owner_writes.c) missed.  The
-- extension writes stage_visit_row and the history tables as their owner
-- (here the bootstrap superuser) and refuses while anything of anyone's but
-- initdb's or the extension's would run there.  Two ways past it, each with
-- a function the application role owns (it makes the role a superuser when
-- it runs as one):
--  16. a built-in function that runs SQL given as text, or reads a view by
--     name (query_to_xml, table_to_xml, ts_stat, ...) in a CHECK, a default,
--     an index or a trigger's WHEN clause: built in, so it passed, and the
--     application's function in its query ran as the owner;
--  17. a column whose type is a domain of the application's (its CHECK runs
--     on every value written, NULL included): column types were not read at
--     all (the extension's event trigger refuses the column's addition, but
--     not in replica mode).
-- Both are refused now: 55000 owner_write_blocked naming the table and the
-- object, and erasure_blocked for erase_candidate().
\set move2 'SET ROLE wf_ow_app; SELECT ow_try(''SELECT move_to_next_stage(2, 80)'') AS move; RESET ROLE; SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = ''wf_ow_app''; ALTER ROLE wf_ow_app NOSUPERUSER;'
\echo '== 16. a built-in that runs a query given as text: a CHECK by query_to_xml running the application''s function'
ALTER TABLE stage_visit_row ADD CONSTRAINT ow_xml_check
    CHECK (query_to_xml('SELECT ow_app.grab()', false, false, '') IS NOT NULL) NOT VALID;
:move2
ALTER TABLE stage_visit_row DROP CONSTRAINT ow_xml_check;
\echo '-- a column default by ts_rewrite (a query as text)'
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT
    (ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery WHERE ow_app.grab()') IS NULL);
:move2
ALTER TABLE stage_visit_row ALTER COLUMN folded SET DEFAULT false;
\echo '-- a trigger of the extension''s with a WHEN clause reading a view of the application''s by table_to_xml'
SET ROLE wf_ow_app;
CREATE VIEW ow_app.v AS SELECT ow_app.grab() AS g;
RESET ROLE;
CREATE TRIGGER ow_when_xml BEFORE INSERT ON stage_visit_row FOR EACH ROW
    WHEN (table_to_xml('ow_app.v'::regclass, false, false, '') IS NOT NULL)
    EXECUTE FUNCTION require_actor_trigger();
:move2
DROP TRIGGER ow_when_xml ON stage_visit_row;
\echo '-- nothing there: it moves'
:move2

\echo '== 17. a column of a domain of the application''s (added past the extension''s event trigger by a superuser in replica mode)'
SET ROLE wf_ow_app;
CREATE DOMAIN ow_app.grab_text AS text CHECK (ow_app.grab());
RESET ROLE;
SET session_replication_role = replica;
ALTER TABLE stage_visit_row ADD COLUMN ow_note ow_app.grab_text;
ALTER TABLE stage_transition ADD COLUMN ow_note ow_app.grab_text;
RESET session_replication_role;
-- (ADD COLUMN checked the domain against the rows there, as the superuser)
ALTER ROLE wf_ow_app NOSUPERUSER;
\echo '-- (a NULL written to it is checked too: the INSERT''s default is the domain''s NULL)'
:move2
\echo '-- erase_candidate: refused on stage_transition too (its UPDATEs leave the column alone, but an INSERT would not)'
SET ROLE wf_ow_app;
BEGIN;
SET LOCAL workflow_ext.tenant_admin = on;
SELECT ow_try('SELECT * FROM erase_candidate(2)') AS erasure;
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_ow_app';
ALTER ROLE wf_ow_app NOSUPERUSER;
SET session_replication_role = replica;
ALTER TABLE stage_visit_row DROP COLUMN ow_note;
ALTER TABLE stage_transition DROP COLUMN ow_note;
RESET session_replication_role;
\echo '-- dropped: it moves'
:move2
RESET ROLE;
\c :home
DROP DATABASE :own_db;
DROP ROLE wf_ow_app;
