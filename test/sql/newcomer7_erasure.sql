-- newcomer7 #1: a GDPR erasure (erase_candidate) leaves no fact of the
-- candidate anywhere the application or the tables' owner can read (profile,
-- pipeline rows, history warnings, alert event facts, feed, funnel, visits),
-- keeps who moved whom when, records the erasure as removals with reason
-- erasure, touches no other candidate and no other tenant, refuses a
-- non-administrator (42501 not_tenant_admin), and answers another tenant's
-- candidate id like an unknown one.  History stays immutable otherwise.
-- Runs as wf_nc7a_app, an ordinary role with the README's grant set.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_nc7a_app;
RESET client_min_messages;
CREATE ROLE wf_nc7a_app;
GRANT workflow_app TO wf_nc7a_app;
-- SQLSTATE and reason of a statement's error ('no error' when none).
CREATE FUNCTION nc7a_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || coalesce(detail::jsonb->>'reason', '') || ': ' || regexp_replace(SQLERRM, '\m\d+\M', 'N', 'g');
END $$;
GRANT EXECUTE ON FUNCTION nc7a_error(text) TO wf_nc7a_app;
-- Everything a role can read that names a tenant's candidate, as text.
CREATE FUNCTION nc7a_traces(tenant text, candidate bigint) RETURNS TABLE (place text, rows bigint, with_facts bigint)
LANGUAGE sql AS $$
    SELECT 'profile', count(*), count(*) FILTER (WHERE p::text ~* 'jane|150000|john|90000|other-org')
      FROM candidate_profile p WHERE p.tenant = $1 AND p.candidate_id = $2
    UNION ALL
    SELECT 'pipeline rows', count(*), count(*) FILTER (WHERE c::text ~* 'jane|150000|john|90000|other-org|scorecard')
      FROM candidate_stage c WHERE c.tenant = $1 AND c.candidate_id = $2
    UNION ALL
    SELECT 'history', count(*), count(*) FILTER (WHERE t::text ~* 'jane|150000|john|90000|other-org')
      FROM stage_transition t WHERE t.tenant = $1 AND t.candidate_id = $2
    UNION ALL
    SELECT 'alert events', count(*), count(*) FILTER (WHERE e::text ~* 'jane|150000|john|90000|other-org')
      FROM alert_event e WHERE e.tenant = $1 AND e.candidate_id = $2
    UNION ALL
    SELECT 'visits', count(*), count(*) FILTER (WHERE v::text ~* 'jane|150000|john|90000|other-org')
      FROM stage_visit_row v WHERE v.tenant = $1 AND v.candidate_id = $2
$$;
GRANT EXECUTE ON FUNCTION nc7a_traces(text, bigint) TO wf_nc7a_app;
SET ROLE wf_nc7a_app;

-- org:nc7a-acme: a warn rule that explains the e-mail, an alert on the salary,
-- Jane (459) in two jobs, John (460) in one.
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
CREATE TEMP TABLE nc7a_ids ON COMMIT DROP AS
WITH w AS (INSERT INTO workflow (name) VALUES ('nc7a Backend') RETURNING id)
SELECT w.id AS w FROM w;
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT w, s.name, s.position, s.kind FROM nc7a_ids,
       (VALUES ('Applied', 1, 'normal'), ('Screen', 2, 'normal'), ('Hired', 3, 'hired')) s(name, position, kind);
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT s.id, 'has portfolio', '{"field": "email", "op": "ends_with", "value": "@portfolio.example"}', 'warn'
  FROM workflow_stage s, nc7a_ids WHERE s.workflow_id = w AND s.name = 'Screen';
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT s.id, 'salary', '>', '50000', 'salary above band'
  FROM workflow_stage s, nc7a_ids WHERE s.workflow_id = w AND s.name = 'Screen';
SELECT count(*) AS assigned FROM nc7a_ids, LATERAL assign_workflow(71001, w) UNION ALL
SELECT count(*) FROM nc7a_ids, LATERAL assign_workflow(71002, w);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (459, '{"email": "jane.doe@private.example", "salary": 150000, "name": "Jane Doe"}'),
    (460, '{"email": "john.roe@private.example", "salary": 90000, "name": "John Roe"}');
SELECT count(*) AS added FROM (SELECT add_candidate(459, 71001) UNION ALL SELECT add_candidate(459, 71002)
                                UNION ALL SELECT add_candidate(460, 71001)) a;
UPDATE candidate_stage SET attributes = '{"scorecard": "Jane was great"}' WHERE candidate_id = 459 AND job_id = 71001;
SELECT candidate_id, job_id, to_stage_name, alerts_raised, warnings->0->>'actual' AS actual
  FROM (SELECT * FROM move_to_next_stage(459, 71001) UNION ALL SELECT * FROM move_to_next_stage(459, 71002)
        UNION ALL SELECT * FROM move_to_next_stage(460, 71001)) m ORDER BY 1, 2;
COMMIT;

-- org:nc7a-other: its own candidate 459 (another person) in its own job 71001,
-- and a candidate 777 that org:nc7a-acme does not have.
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-other';
SET LOCAL workflow_ext.actor = 'user:olga';
CREATE TEMP TABLE nc7a_ids ON COMMIT DROP AS
WITH w AS (INSERT INTO workflow (name) VALUES ('nc7a Other') RETURNING id)
SELECT w.id AS w FROM w;
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT w, s.name, s.position FROM nc7a_ids, (VALUES ('Applied', 1), ('Screen', 2)) s(name, position);
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT s.id, 'has portfolio', '{"field": "email", "op": "ends_with", "value": "@portfolio.example"}', 'warn'
  FROM workflow_stage s, nc7a_ids WHERE s.workflow_id = w AND s.name = 'Screen';
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT s.id, 'salary', '>', '50000', 'salary above band'
  FROM workflow_stage s, nc7a_ids WHERE s.workflow_id = w AND s.name = 'Screen';
SELECT count(*) AS assigned FROM nc7a_ids, LATERAL assign_workflow(71001, w);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (459, '{"email": "x@other-org.example", "salary": 70000}'),
    (777, '{"email": "y@other-org.example", "salary": 80000}');
SELECT count(*) AS added FROM (SELECT add_candidate(459, 71001) UNION ALL SELECT add_candidate(777, 71001)) a;
SELECT candidate_id, to_stage_name, alerts_raised, warnings->0->>'actual' AS actual
  FROM (SELECT * FROM move_to_next_stage(459, 71001) UNION ALL SELECT * FROM move_to_next_stage(777, 71001)) m ORDER BY 1;
COMMIT;

\echo '== before: Jane''s facts are in her profile, pipeline row, history warnings and alert events'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT * FROM nc7a_traces('org:nc7a-acme', 459);
COMMIT;

\echo '== a member who is not the administrator: 42501 not_tenant_admin, nothing changes'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT nc7a_error('SELECT erase_candidate(459)');
SELECT nc7a_error('SELECT erase_candidate(NULL)');
COMMIT;

\echo '== the administrator: an unknown id and another tenant''s candidate id give the same answer and change nothing'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:root';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM erase_candidate(424242);
SELECT * FROM erase_candidate(777);
SELECT nc7a_error('SELECT erase_candidate(NULL)');
COMMIT;

\echo '== the administrator erases Jane'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:root';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM erase_candidate(459);
-- the guards' state is the function's: over when it returns
SELECT erasing_candidate('org:nc7a-acme', 459) AS still_erasing;
-- again: nothing left to do
SELECT * FROM erase_candidate(459);
COMMIT;

\echo '== after, as the application: no fact of Jane anywhere; the trail of who moved her where and when stays'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM nc7a_traces('org:nc7a-acme', 459);
SELECT job_id, from_status, to_status, actor, reason, jsonb_array_length(warnings) AS warnings,
       warnings::text ~ 'jane' AS warnings_name_her
  FROM stage_transition WHERE candidate_id = 459 ORDER BY job_id, id;
SELECT s.name AS stage, e.message, e.facts FROM alert_event e JOIN workflow_stage s ON s.id = e.stage_id
 WHERE e.candidate_id = 459 ORDER BY e.job_id;
-- the redacted warning keeps what the rule says
SELECT warnings->0 AS redacted_warning FROM stage_transition WHERE candidate_id = 459 AND warnings <> '[]' ORDER BY id LIMIT 1;
SELECT count(*) AS feed_events, count(*) FILTER (WHERE event::text ~* 'jane|150000') AS with_facts,
       count(*) FILTER (WHERE event->>'kind' = 'removal' AND event->>'reason' = 'erasure') AS erasure_removals
  FROM workflow_events_since(NULL, 100000) WHERE (event->>'candidate_id')::bigint = 459;
SELECT stage_name, entered, current, advanced FROM pipeline_funnel(71001) ORDER BY position;
SELECT candidate_facts(459) AS facts_now;
-- John, the other candidate, keeps his
SELECT * FROM nc7a_traces('org:nc7a-acme', 460);
COMMIT;

\echo '== the other tenant''s 459 and 777 are untouched'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-other';
SET LOCAL workflow_ext.actor = 'user:olga';
SELECT * FROM nc7a_traces('org:nc7a-other', 459);
SELECT * FROM nc7a_traces('org:nc7a-other', 777);
COMMIT;

\echo '== a transferred candidate (a closed row in one job, an active one in the other) and a hired one: every row goes'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (461, '{"email": "jim.poe@private.example", "salary": 99000}');
SELECT count(*) AS added FROM add_candidate(461, 71001);
SELECT to_stage_name, warnings->0->>'actual' AS actual FROM move_to_next_stage(461, 71001);
SELECT status FROM transfer_candidate(461, 71001, 71002, reason => 'better fit');
SELECT to_stage_name FROM move_to_next_stage(461, 71002);
SELECT to_stage_name FROM move_to_next_stage(461, 71002);
SELECT job_id, status FROM candidate_stage WHERE candidate_id = 461 ORDER BY job_id;
SET LOCAL workflow_ext.actor = 'user:root';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT * FROM erase_candidate(461);
SELECT job_id, from_status, to_status, reason, warnings::text ~ 'jim' AS warnings_name_him
  FROM stage_transition WHERE candidate_id = 461 ORDER BY id;
SELECT count(*) AS alert_events, count(*) FILTER (WHERE facts <> '{}') AS with_facts
  FROM alert_event WHERE candidate_id = 461;
COMMIT;
RESET ROLE;

\echo '== as the tables'' owner: nothing of Jane either, and history is as immutable as before'
SELECT * FROM nc7a_traces('org:nc7a-acme', 459);
SELECT nc7a_error($q$UPDATE stage_transition SET warnings = '[]' WHERE tenant = 'org:nc7a-acme' AND candidate_id = 460$q$);
SELECT nc7a_error($q$UPDATE alert_event SET facts = '{}' WHERE tenant = 'org:nc7a-acme' AND candidate_id = 460$q$);
SELECT nc7a_error($q$UPDATE stage_transition SET reason = 'x' WHERE tenant = 'org:nc7a-acme' AND candidate_id = 459$q$);

\echo '== the owner''s trigger on history: the erasure refuses (55000 erasure_blocked) before anything changes, none of its code runs as the owner'
-- (attack13: step 3 rewrites history as the tables' owner; a trigger the owner added, whose
-- function the application role owns, ran there as the owner: ALTER ROLE made the role a superuser)
CREATE SCHEMA nc7a_app AUTHORIZATION wf_nc7a_app;
SET ROLE wf_nc7a_app;
CREATE FUNCTION nc7a_app.escalate() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    ALTER ROLE wf_nc7a_app SUPERUSER;
    RETURN NEW;
END $f$;
RESET ROLE;
CREATE TRIGGER zz_owner_audit AFTER UPDATE ON stage_transition FOR EACH ROW EXECUTE FUNCTION nc7a_app.escalate();
SET ROLE wf_nc7a_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:root';
SET LOCAL workflow_ext.tenant_admin = on;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (462, '{"email": "joe.roe@private.example"}');
SELECT count(*) AS added FROM add_candidate(462, 71001);
SELECT to_stage_name FROM move_to_next_stage(462, 71001);
SELECT nc7a_error('SELECT * FROM erase_candidate(462)') AS with_owner_trigger;
SELECT count(*) AS pipeline_rows FROM candidate_stage WHERE candidate_id = 462;
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_became_superuser FROM pg_roles WHERE rolname = 'wf_nc7a_app';
-- disabled for the erasure, as the HINT says: the erasure runs
ALTER TABLE stage_transition DISABLE TRIGGER zz_owner_audit;
SET ROLE wf_nc7a_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:nc7a-acme';
SET LOCAL workflow_ext.actor = 'user:root';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT jobs_removed, profile_deleted FROM erase_candidate(462);
COMMIT;
RESET ROLE;
SELECT rolsuper AS app_became_superuser FROM pg_roles WHERE rolname = 'wf_nc7a_app';
DROP TRIGGER zz_owner_audit ON stage_transition;
DROP SCHEMA nc7a_app CASCADE;

DROP FUNCTION nc7a_traces(text, bigint), nc7a_error(text);
DROP ROLE wf_nc7a_app;
