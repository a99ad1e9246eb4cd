-- Issue "no path to the extension's rights": each attack of the security
-- review, run as non-superuser roles (wf_app holds exactly the grants the
-- README documents; wf_mallory can only log in: the extension grants PUBLIC nothing), with the variants an
-- attacker tries next.  Stands alone: loads what it needs.
\set own_db wf_attacks
\i test/sql/include/own_database.psql
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_mallory') THEN CREATE ROLE wf_mallory; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_app') THEN CREATE ROLE wf_app; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_trusted') THEN CREATE ROLE wf_trusted; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wf_front') THEN CREATE ROLE wf_front; END IF;
END $$;
GRANT wf_trusted TO wf_front;
RESET client_min_messages;
-- The extension's schema is public here; mallory may create in her own schema only.
CREATE SCHEMA mallory_things AUTHORIZATION wf_mallory;

-- The application role with exactly the README's grants (README: Privileges,
-- given to workflow_app by own_database.psql); wf_mallory can only log in.
GRANT workflow_app TO wf_app;

-- Tenant A (user:ann) builds a pipeline through the application role.  No
-- workflow_ext.tenant is set in this file (but in section 5): each actor is
-- its own tenant, so every share here is a share with another tenant.
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('A hiring') RETURNING id AS awid \gset
INSERT INTO workflow_stage (workflow_id, name, position, sla) VALUES
    (:awid, 'a1', 1, '1 second'), (:awid, 'a2', 2, NULL), (:awid, 'a3', 3, NULL);
SELECT id AS a1 FROM workflow_stage WHERE workflow_id = :awid AND position = 1 \gset
SELECT id AS a2 FROM workflow_stage WHERE workflow_id = :awid AND position = 2 \gset
SELECT id AS a3 FROM workflow_stage WHERE workflow_id = :awid AND position = 3 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:a2, 'needs ssn', '{"field": "ssn", "op": "exists"}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:a3, 'salary', 'gt', '100', 'pricey');
SELECT job_id FROM assign_workflow(7001, :awid);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (456, '{"ssn": "123-45-6789", "salary": 190}');
SELECT candidate_id, status FROM add_candidate(456, 7001);
SELECT candidate_id, status FROM add_candidate(457, 7001);   -- stays in a1 (sla 1 second)
SELECT to_stage_id = :a2 AS moved FROM move_to_next_stage(456, 7001);
SELECT share_workflow(:awid, 'user:ro');            -- a read-only grantee
SET workflow_ext.actor = 'user:ro';
SELECT accept_share(:awid);                          -- (an offer until ro accepts it)
SET workflow_ext.actor = 'user:ann';
-- The whole API works with exactly the documented grants.
SELECT to_stage_name FROM move_to_stage(456, 7001, :a3, 'to onsite');
SELECT status FROM reject_candidate(456, 7001, 'no');
SELECT status FROM reopen_candidate(456, 7001);
SELECT count(*) AS events FROM alert_event WHERE candidate_id = 456;
SELECT acknowledged_by FROM acknowledge_alert((SELECT min(id) FROM alert_event WHERE candidate_id = 456));
SELECT clone_workflow(:awid, 'A copy') > 0 AS cloned;
SELECT reorder_stages(:awid, ARRAY[:a1, :a2, :a3]::bigint[]);
SELECT (get_stage_rule(:a2)).name, (SELECT count(*) FROM get_stage_alerts(:a3)) AS alerts;
SELECT jsonb_array_length(stages) FROM workflow_with_stages WHERE id = :awid;
SELECT candidate_facts(456) ->> 'salary' AS own_facts;
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 1. Casts of the caller never run with the extension''s rights'
-- Mallory's type has a cast to json that tries to make her superuser.
SET ROLE wf_mallory;
CREATE TYPE mallory_things.e AS ENUM ('x');
CREATE FUNCTION mallory_things.j(mallory_things.e) RETURNS json LANGUAGE plpgsql
    AS $$BEGIN EXECUTE 'ALTER ROLE wf_mallory SUPERUSER'; RETURN '"x"'; END$$;
CREATE CAST (mallory_things.e AS json) WITH FUNCTION mallory_things.j(mallory_things.e);
CREATE TABLE mallory_things.src (id bigint, e mallory_things.e);
INSERT INTO mallory_things.src VALUES (456, 'x');
GRANT USAGE ON SCHEMA mallory_things TO PUBLIC;
GRANT SELECT ON mallory_things.src TO PUBLIC;
-- She cannot make it the facts source: a database-wide setting.
SELECT test_error('SELECT set_candidate_source(''mallory_things.src'', ''id'')');
CREATE TEMP TABLE tsrc (id bigint);
SELECT test_error('SELECT set_candidate_source(''pg_temp.tsrc'', ''id'')');
RESET ROLE;
-- A superuser makes it the source (a mistake, but one a DBA can make) ...
SELECT set_candidate_source('mallory_things.src', 'id');
-- ... and a move reads it with the mover's rights: the cast runs as wf_app, fails, and nobody is superuser.
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT move_to_stage(456, 7001, ' || :a2 || ')');
SELECT test_error('SELECT candidate_facts(456)');
RESET workflow_ext.actor;
RESET ROLE;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'wf_mallory';
-- Temp tables are refused even for a superuser; back to candidate_profile.
CREATE TEMP TABLE tsrc2 (id bigint);
SELECT test_error('SELECT set_candidate_source(''pg_temp.tsrc2'', ''id'')');
DROP TRIGGER workflow_ext_facts_changed ON mallory_things.src;
DELETE FROM facts_source;

\echo '== 2. Triggers of the caller on the history tables run as the caller'
GRANT ALL ON stage_transition, alert_event TO wf_mallory;   -- the GRANT ALL the README warns against
SET ROLE wf_mallory;
CREATE FUNCTION mallory_things.up() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN EXECUTE 'ALTER ROLE wf_mallory SUPERUSER'; RETURN NEW; END$$;
CREATE TRIGGER up AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION mallory_things.up();
CREATE TRIGGER up AFTER INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION mallory_things.up();
RESET ROLE;
-- Anyone's move now runs mallory's function as the mover, who cannot ALTER ROLE.
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT move_to_stage(456, 7001, ' || :a2 || ')');
RESET workflow_ext.actor;
RESET ROLE;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'wf_mallory';
DROP TRIGGER up ON stage_transition;
DROP TRIGGER up ON alert_event;
REVOKE ALL ON stage_transition, alert_event FROM wf_mallory;

\echo '== 3. Forged history: trigger functions on look-alike tables, direct inserts'
SET ROLE wf_mallory;
CREATE TEMP TABLE candidate_stage (id bigint, job_id bigint, candidate_id bigint, workflow_id bigint,
    stage_id bigint, status text, entered_at timestamptz, transition_id bigint, visit_transition_id bigint);
SELECT test_error('CREATE TRIGGER g BEFORE INSERT ON pg_temp.candidate_stage FOR EACH ROW EXECUTE FUNCTION public.candidate_stage_guard()');
SELECT test_error('CREATE TRIGGER r AFTER INSERT ON pg_temp.candidate_stage FOR EACH ROW EXECUTE FUNCTION public.candidate_stage_record()');
SELECT test_error('CREATE TRIGGER f AFTER INSERT ON pg_temp.candidate_stage FOR EACH ROW EXECUTE FUNCTION public.candidate_facts_changed(''candidate_id'')');
SELECT test_error('CREATE TRIGGER h BEFORE INSERT ON pg_temp.candidate_stage FOR EACH ROW EXECUTE FUNCTION public.history_write_guard()');
DROP TABLE pg_temp.candidate_stage;
RESET ROLE;
-- Even a superuser's look-alike does not get the functions to fire elsewhere.
CREATE TABLE lookalike (LIKE candidate_stage);
CREATE TRIGGER r AFTER INSERT ON lookalike FOR EACH ROW EXECUTE FUNCTION candidate_stage_record();
SELECT test_error(format('INSERT INTO lookalike (id, tenant, job_id, candidate_id, workflow_id, stage_id, status, entered_at, transition_id, added_by, attributes) VALUES (1, ''user:ann'', 7001, 456, %s, %s, ''hired'', now(), 999, ''x'', ''{}'')', :awid, :a3));
DROP TRIGGER r ON lookalike;
CREATE TRIGGER f AFTER INSERT ON lookalike FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('candidate_id');
SELECT test_error(format('INSERT INTO lookalike (id, tenant, job_id, candidate_id, workflow_id, stage_id, status, entered_at, transition_id, added_by, attributes) VALUES (1, ''user:ann'', 7001, 456, %s, %s, ''hired'', now(), 999, ''x'', ''{}'')', :awid, :a3));
SELECT count(*) AS forged_history FROM stage_transition WHERE to_status = 'hired';
DROP TABLE lookalike;
-- History takes no row but the extension's, whatever the grants.
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
SELECT test_error(format('INSERT INTO stage_transition (id, tenant, job_id, candidate_id, workflow_id, to_stage_id, to_status, actor) VALUES (99999, ''user:ann'', 7001, 456, %s, %s, ''hired'', ''user:ann'')', :awid, :a3));
SELECT test_error(format('INSERT INTO alert_event (id, tenant, job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message) SELECT 99999, ''user:ann'', 7001, 456, %s, %s, max(id), ''sla'', ''x'', ''x'' FROM stage_transition', :awid, :a3));
SELECT test_error('UPDATE alert_event SET message = ''forged''');
SELECT test_error('UPDATE alert_event SET acknowledged_at = NULL');
SELECT test_error('DELETE FROM stage_transition');
SELECT test_error('TRUNCATE stage_transition');
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 5. A read-only grantee neither reassigns a job nor removes pipeline rows'
-- user:ro is a grantee of another tenant (ann's share above).  Job ids are
-- the application's within a tenant: ro's job 7001 is ro's own, never ann's.
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ro';
INSERT INTO workflow (name) VALUES ('RO own') RETURNING id AS rowid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:rowid, 'r1', 1);
SELECT tenant, workflow_id = :rowid AS ros_own_job FROM assign_workflow(7001, :rowid);
WITH u AS (UPDATE job_workflow SET workflow_id = :rowid WHERE job_id = 7001 AND tenant = 'user:ann' RETURNING 1)
SELECT count(*) AS anns_job_reassigned FROM u;
WITH d AS (DELETE FROM job_workflow WHERE job_id = 7001 RETURNING tenant) SELECT tenant AS deleted_job_of FROM d;
DELETE FROM candidate_stage WHERE job_id = 7001;
SELECT count(*) AS pipeline_rows_left FROM candidate_stage WHERE job_id = 7001;
SELECT tenant, workflow_id = :awid AS job_kept FROM job_workflow WHERE job_id = 7001;
-- ... but may move candidates (visibility is enough for that): 7001 is now ann's shared job.
SELECT status FROM reject_candidate(456, 7001, 'ro may reject');
SELECT status FROM reopen_candidate(456, 7001);
RESET workflow_ext.actor;
-- The same within one organization (workflow_ext.tenant): a read-only grantee of
-- the tenant names the tenant's job, and still neither reassigns nor removes.
SET workflow_ext.tenant = 'org:five';
SET workflow_ext.actor = 'user:owner5';
INSERT INTO workflow (name) VALUES ('Five') RETURNING id AS fwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:fwid, 'f1', 1);
SELECT job_id FROM assign_workflow(7501, :fwid);
SELECT candidate_id FROM add_candidate(1, 7501);
SELECT share_workflow(:fwid, 'user:ro5');
SET workflow_ext.actor = 'user:ro5';
INSERT INTO workflow (name) VALUES ('RO5 own') RETURNING id AS ro5wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:ro5wid, 'r1', 1);
SELECT test_error(format('SELECT assign_workflow(7501, %s)', :ro5wid));
SELECT test_error('UPDATE job_workflow SET workflow_id = ' || :ro5wid || ' WHERE job_id = 7501');
DELETE FROM job_workflow WHERE job_id = 7501;
DELETE FROM candidate_stage WHERE job_id = 7501;
SELECT count(*) AS pipeline_rows_left FROM candidate_stage WHERE job_id = 7501;
SELECT workflow_id = :fwid AS job_kept FROM job_workflow WHERE job_id = 7501;
SELECT status FROM reject_candidate(1, 7501, 'ro5 may reject');
RESET workflow_ext.actor;
RESET workflow_ext.tenant;
RESET ROLE;

\echo '== 6. Tenants: a candidate id in my pipeline opens nobody else''s profile'
SET ROLE wf_app;
SET workflow_ext.actor = 'user:bob';
INSERT INTO workflow (name) VALUES ('B hiring') RETURNING id AS bwid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:bwid, 'b1', 1), (:bwid, 'b2', 2);
SELECT id AS b2 FROM workflow_stage WHERE workflow_id = :bwid AND position = 2 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:b2, 'salary shown',
    '{"field": "salary", "op": "lt", "value": 50}');
SELECT job_id FROM assign_workflow(7002, :bwid);
SELECT candidate_id FROM add_candidate(456, 7002);          -- ann's candidate id
SELECT candidate_facts(456) AS bob_reads;                   -- nothing of ann's profile
SELECT count(*) AS profiles_bob_sees FROM candidate_profile;
UPDATE candidate_profile SET attributes = '{"salary": 1}' WHERE candidate_id = 456;
-- A profile is its writer's tenant's, stamped by the engine: naming another
-- tenant plants nothing there, and a profile never changes tenant.
INSERT INTO candidate_profile (candidate_id, attributes, tenant) VALUES (999, '{"planted": true}', 'user:ann');
SELECT tenant FROM candidate_profile WHERE candidate_id = 999;
SELECT test_error('UPDATE candidate_profile SET tenant = ''user:ann'' WHERE candidate_id = 999');
-- The rule's DETAIL shows only what bob may read: the salary is missing, not 190.
SELECT test_error('SELECT move_to_next_stage(456, 7002)');
RESET workflow_ext.actor;
SET workflow_ext.actor = 'user:ann';
SELECT attributes ->> 'salary' AS ann_profile_unchanged FROM candidate_profile WHERE candidate_id = 456;
SELECT count(*) AS planted_in_ann FROM candidate_profile WHERE candidate_id = 999;
-- ann's profile update does not evaluate bob's pipeline.
UPDATE candidate_profile SET attributes = attributes || '{"salary": 500}' WHERE candidate_id = 456;
RESET workflow_ext.actor;
SET workflow_ext.actor = 'user:bob';
SELECT count(*) AS bob_events_from_ann FROM alert_event WHERE job_id = 7002;
RESET workflow_ext.actor;
-- Sharing his own workflow with the profile's owner opens nothing ...
SET workflow_ext.actor = 'user:bob';
SELECT share_workflow(:bwid, 'user:ann');
SELECT candidate_facts(456) AS bob_reads_after_sharing_his;
RESET workflow_ext.actor;
-- ... nor does the owner sharing hers: it opens her pipeline to bob's tenant,
-- never her tenant's facts (not in candidate_facts, the profiles, the events).
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(:awid, 'user:bob');
SET workflow_ext.actor = 'user:bob';
SELECT accept_share(:awid);
SELECT candidate_facts(456) ->> 'salary' AS bob_reads_after_ann_shares;
SELECT test_error('SELECT candidate_facts(456, 7001)') AS bob_reads_through_anns_job;   -- refused (newcomer6)
SELECT count(*) AS anns_profile_bob_sees FROM candidate_profile WHERE candidate_id = 456;
SELECT count(*) > 0 AS bob_sees_anns_pipeline FROM candidate_stage WHERE job_id = 7001 AND tenant = 'user:ann';
SELECT count(*) > 0 AS bob_sees_anns_events, count(*) FILTER (WHERE facts <> '{}') AS with_fact_values
  FROM alert_event WHERE job_id = 7001;
SELECT unshare_workflow(:awid, 'user:bob') FROM (SELECT set_config('workflow_ext.actor', 'user:ann', false)) x;
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 7. The SLA sweep of one tenant touches only its own pipelines'
SELECT pg_sleep(1.1);
SET ROLE wf_app;
SET workflow_ext.actor = 'user:bob';
SELECT raise_overdue_alerts() AS bob_swept;
RESET workflow_ext.actor;
RESET ROLE;
SELECT count(*) AS ann_sla_events_after_bob FROM alert_event WHERE cause = 'sla';
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
SELECT raise_overdue_alerts() AS ann_swept;
SELECT raise_overdue_alerts() AS ann_swept_again;
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 8. Another tenant''s job looks exactly like a missing one'
SET ROLE wf_app;
SET workflow_ext.actor = 'user:eve';
SELECT test_error('SELECT move_to_next_stage(456, 7001)');
SELECT test_error('SELECT move_to_next_stage(456, 999999)');
SELECT test_error('SELECT add_candidate(1, 7001)');
SELECT test_error('SELECT add_candidate(1, 999999)');
SELECT test_error('SELECT reject_candidate(456, 7001)');
SELECT test_error('SELECT reject_candidate(456, 999999)');
RESET workflow_ext.actor;
RESET ROLE;

\echo '== 9. require_actor: no client setting weakens it; a blank actor is no actor'
ALTER ROLE wf_mallory SET workflow_ext.require_actor = on;
\c
-- A fresh backend: the library is not loaded, so the setting is a placeholder.
SET ROLE wf_mallory;
SET workflow_ext.require_actor = off;
SELECT test_error('SELECT current_actor()');
-- SHOW tells what the session enforces (on), not the boot default PostgreSQL
-- leaves after refusing the client's value; RESET cannot undo it either.
SHOW workflow_ext.require_actor;
SELECT test_error('RESET workflow_ext.require_actor');
SELECT current_setting('workflow_ext.require_actor') AS require_actor_after_reset;
SET workflow_ext.actor = '   ';
SELECT test_error('SELECT current_actor()');
SELECT set_config('workflow_ext.actor', chr(11) || chr(12) || chr(9), false) IS NOT NULL AS set;
SELECT test_error('SELECT current_actor()');
SELECT set_config('workflow_ext.actor', U&'\00A0\2003\3000\FEFF', false) IS NOT NULL AS set;
SELECT test_error('SELECT current_actor()');
BEGIN;
SET LOCAL workflow_ext.actor = 'user:m';
SELECT current_actor();
COMMIT;
RESET workflow_ext.actor;
SELECT test_error('SELECT current_actor()');
RESET ROLE;
ALTER ROLE wf_mallory RESET workflow_ext.require_actor;
\c
SET workflow_ext.actor = 'user:first';
RESET workflow_ext.actor;
SELECT current_actor() = role_identity(current_user::text::regrole) AS reset_before_load_is_reset;

\echo '== 10. trusted_role: only its members name another actor'
SET workflow_ext.trusted_role = 'wf_trusted';
SET ROLE wf_mallory;
SET workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT count(*) FROM workflow');
-- A role's name is not its identity (role:<oid> is): naming it is naming another actor ...
SET workflow_ext.actor = 'wf_mallory';
SELECT test_error('SELECT current_actor()');
-- ... its own identity it may name, or leave unset.
SELECT set_config('workflow_ext.actor', role_identity('wf_mallory'), false) IS NOT NULL AS set;
SELECT current_actor() = role_identity('wf_mallory') AS acts_as_itself;
RESET workflow_ext.actor;
SELECT current_actor() = role_identity('wf_mallory') AS acts_as_itself_unset;
-- The tenant and the administrator flag are identities too: nor may she name another tenant, nor claim it.
SET workflow_ext.tenant = 'user:ann';
SELECT test_error('SELECT current_tenant()');
RESET workflow_ext.tenant;
SET workflow_ext.tenant_admin = on;
SELECT test_error('SELECT is_tenant_admin()');
RESET workflow_ext.tenant_admin;
RESET ROLE;
SET ROLE wf_front;
SET workflow_ext.actor = 'user:ann';
SET workflow_ext.tenant = 'org:a';
SELECT current_actor(), current_tenant();
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
RESET ROLE;
SET ROLE wf_mallory;
SELECT test_error('SET workflow_ext.trusted_role = ''''');
RESET ROLE;
RESET workflow_ext.trusted_role;

\echo '== Review round 2: sharing one''s workflow with a profile''s owner opens nothing, on any path'
SET ROLE wf_app;
SET workflow_ext.actor = 'user:bob2';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (777, '{"ssn": "123-45-6789", "years": 3}');
SET workflow_ext.actor = 'user:alice2';
INSERT INTO workflow (name) VALUES ('Alice2 flow') RETURNING id AS a2wid \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:a2wid, 'x1', 1) RETURNING id AS x1 \gset
INSERT INTO alert (stage_id, field_name, operator, message) VALUES (:x1, 'ssn', 'exists', 'has ssn');
SELECT job_id FROM assign_workflow(7101, :a2wid);
SELECT candidate_id FROM add_candidate(777, 7101);
SELECT share_workflow(:a2wid, 'user:bob2');
-- bob2 updates his own profile: alice2's pipeline is not evaluated (no facts snapshot lands there),
-- and bob2's write takes no lock on it.
SET workflow_ext.actor = 'user:bob2';
UPDATE candidate_profile SET attributes = attributes || '{"note": "updated"}' WHERE candidate_id = 777;
SET workflow_ext.actor = 'user:alice2';
SELECT count(*) AS events_with_bobs_facts FROM alert_event WHERE candidate_id = 777;
-- job_tenant() says nothing about a job the caller cannot see (ann's 7001 is a missing job).
SELECT job_tenant(7001) IS NULL AS hidden_job, job_tenant(999999) IS NULL AS missing_job,
       job_tenant(7101) = 'user:alice2' AS own;
RESET workflow_ext.actor;

\echo '== Review round 2: a grantee cannot plant the facts the owner''s rule is checked against'
SET workflow_ext.actor = 'user:ann';
SELECT share_workflow(:awid, 'user:planter');
SELECT candidate_id FROM add_candidate(888, 7001);
SET workflow_ext.actor = 'user:planter';
SELECT accept_share(:awid);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (888, '{"ssn": "planted"}');
SELECT test_error(format('SELECT move_to_stage(888, 7001, %s)', :a2));
SET workflow_ext.actor = 'user:ann';
SELECT stage_id = :a1 AS still_in_a1 FROM candidate_stage WHERE candidate_id = 888;
RESET workflow_ext.actor;
RESET ROLE;

\echo '== Review round 2: a superuser''s SLA sweep never runs a facts table owner''s code'
CREATE SCHEMA appdata AUTHORIZATION wf_app;
SET ROLE wf_app;
CREATE TABLE appdata.candidates (id bigint PRIMARY KEY, years int);
INSERT INTO appdata.candidates VALUES (457, 3);
RESET ROLE;
SELECT set_candidate_source('appdata.candidates', 'id');
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
-- Shared with no other tenant, ann's workflow records facts in its events: the sweep reads them.
SELECT unshare_workflow(:awid, 'user:ro'), unshare_workflow(:awid, 'user:planter');
SELECT to_stage_name FROM move_to_stage(457, 7001, :a3);       -- a new visit of a1 (sla 1 second) ...
SELECT to_stage_name FROM move_to_stage(457, 7001, :a1);
RESET workflow_ext.actor;
SELECT pg_sleep(1.1);                                           -- ... overdue
CREATE TYPE appdata.e AS ENUM ('x');
CREATE FUNCTION appdata.j(appdata.e) RETURNS json LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE wf_app SUPERUSER';
  END IF;
  RETURN '"x"';
END $$;
CREATE CAST (appdata.e AS json) WITH FUNCTION appdata.j(appdata.e);
ALTER TABLE appdata.candidates ADD COLUMN z appdata.e DEFAULT 'x';
RESET ROLE;
SELECT test_error('SELECT raise_overdue_alerts()');            -- as a superuser, as pg_cron runs it
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_app';

\echo '== Review round 2: a search_path changed by the caller''s code mid-call never reaches the owner''s reads'
ALTER TABLE appdata.candidates DROP COLUMN z;
SET ROLE wf_app;
CREATE FUNCTION appdata.eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    ALTER ROLE wf_app SUPERUSER;
  END IF;
  RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR appdata.= (LEFTARG = text, RIGHTARG = text, FUNCTION = appdata.eq);
CREATE FUNCTION appdata.on_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'appdata, pg_catalog', true);
  UPDATE public.stage_rule SET name = name WHERE stage_id = NEW.stage_id;   -- the stage cache goes stale
  RETURN NULL;
END $$;
RESET ROLE;
CREATE TRIGGER sync_crm AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION appdata.on_move();
SET ROLE wf_app;
SET workflow_ext.actor = 'user:ann';
SELECT to_stage_name FROM move_to_stage(457, 7001, :a3);
SELECT to_stage_name FROM move_to_stage(457, 7001, :a1);
RESET workflow_ext.actor;
RESET ROLE;
SELECT rolsuper AS app_is_superuser FROM pg_roles WHERE rolname = 'wf_app';
DROP TRIGGER sync_crm ON candidate_stage;
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON appdata.candidates;

\echo '== Review round 2: trusted_role fails closed like require_actor'
ALTER DATABASE :own_db SET workflow_ext.trusted_role = 'wf_trusted';
\c
SET ROLE wf_mallory;
SET workflow_ext.trusted_role = '';
SET workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT count(*) FROM workflow');
RESET ROLE;
ALTER DATABASE :own_db RESET workflow_ext.trusted_role;
\c

REVOKE workflow_app FROM wf_app;

\c :home
DROP DATABASE :own_db;
