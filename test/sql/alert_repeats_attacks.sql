-- Attacks on the leaving out of repeated alert events (events_drop_repeats):
-- what the INSERT ... ON CONFLICT DO NOTHING evaluates for a proposed row
-- before it finds the conflict, beyond privileges, triggers, policies and
-- CHECK constraints: column defaults, NOT NULL, rules, and policy functions that see the rows the statement wrote before.
-- Each section changes facts so that only repeats (or a repeat after a new
-- event) are raised, and asserts the outcome of the statement itself.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_rept_app;
RESET client_min_messages;
CREATE ROLE wf_rept_app;
GRANT workflow_app TO wf_rept_app;
SET ROLE wf_rept_app;
SET workflow_ext.tenant = 'org:rept';
SET workflow_ext.actor = 'user:rhea';

\echo '== 1. Fixture: a stage with a new-first alert (x) and a repeat (flag)'
SELECT test_workflow('Repeat attacks', 3, false) AS wf \gset
SELECT test_stage(:wf, 2) AS two \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (:two, 'x', 'eq', 'true', 'xed'), (:two, 'flag', 'eq', 'true', 'flagged');
SELECT job_id FROM assign_workflow(2100, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (2101, '{"flag": true}'), (2102, '{"flag": true}'), (2103, '{"flag": true}'), (2104, '{"flag": true}');
SELECT candidate_id FROM add_candidate(2101, 2100);
SELECT candidate_id FROM add_candidate(2102, 2100);
SELECT candidate_id FROM add_candidate(2103, 2100);
SELECT candidate_id FROM add_candidate(2104, 2100);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(2101, 2100);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(2102, 2100);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(2103, 2100);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(2104, 2100);
SELECT candidate_id, message, cause FROM alert_event WHERE job_id = 2100 ORDER BY id;

\echo '== 2. raised_at without its default: the repeat fails as the statement does (23502)'
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN raised_at DROP DEFAULT;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 2101$$);
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN raised_at SET DEFAULT now();

\echo '== 3. A default that raises an error for every proposed row (42704)'
ALTER TABLE alert_event ALTER COLUMN acknowledged_at SET DEFAULT current_setting('rept.when')::timestamptz;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 2101$$);
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN acknowledged_at DROP DEFAULT;

\echo '== 4. A column default with a side effect runs for every proposed row'
CREATE SEQUENCE rept_seq;
GRANT USAGE ON SEQUENCE rept_seq TO wf_rept_app;
ALTER TABLE alert_event ALTER COLUMN acknowledged_by SET DEFAULT 'seq ' || nextval('rept_seq');
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 3}' WHERE candidate_id = 2101;
RESET ROLE;
SELECT last_value, is_called FROM rept_seq;
ALTER TABLE alert_event ALTER COLUMN acknowledged_by DROP DEFAULT;
DROP SEQUENCE rept_seq;

\echo '== 5. (the extension refuses a generated or a domain column: no column can be added)'
SELECT test_error($$ALTER TABLE alert_event ADD COLUMN rept_g integer GENERATED ALWAYS AS (1) STORED$$);

\echo '== 6. An INSERT rule: ON CONFLICT refuses the table (0A000)'
CREATE RULE rept_rule AS ON INSERT TO alert_event DO ALSO NOTIFY rept;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 5}' WHERE candidate_id = 2101$$);
RESET ROLE;
DROP RULE rept_rule ON alert_event;

\echo '== 7. A policy function that sees the rows the statement wrote before the repeat'
-- at most two events per candidate: the new event (x) comes first, then the
-- repeat (flagged) is checked with the new one already written
CREATE FUNCTION rept_quota(c bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE AS
$$ BEGIN RETURN (SELECT count(*) FROM public.alert_event WHERE candidate_id = c) < 2; END $$;
CREATE POLICY rept_quota ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (rept_quota(candidate_id));
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2102$$);
SELECT message, cause FROM alert_event WHERE candidate_id = 2102 ORDER BY id;
RESET ROLE;
DROP POLICY rept_quota ON alert_event;
DROP FUNCTION rept_quota(bigint);

\echo '== 7b. A policy function''s notices come in the statement''s order (the new event first)'
CREATE FUNCTION rept_noisy(m text) RETURNS boolean LANGUAGE plpgsql STABLE AS
$$ BEGIN RAISE NOTICE 'checking %', m; RETURN true; END $$;
CREATE POLICY rept_noisy ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (rept_noisy(message));
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2104;
-- two repeats: each checked once, in order
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 2104;
SELECT message, cause FROM alert_event WHERE candidate_id = 2104 ORDER BY id;
RESET ROLE;
DROP POLICY rept_noisy ON alert_event;
DROP FUNCTION rept_noisy(text);

\echo '== 7c. A deferrable unique constraint of the owner''s, probed before the repeat''s index (55000)'
-- (its recheck trigger, and the owner's unique indexes: test/specs/alert_repeats_arbiters.spec)
RESET ROLE;
ALTER TABLE alert_event ADD CONSTRAINT rept_deferrable UNIQUE (id, tenant) DEFERRABLE;
-- (the new index takes a new OID: the statement probes it last)
REINDEX INDEX CONCURRENTLY alert_event_once_per_visit_idx;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 2104$$);
RESET ROLE;
ALTER TABLE alert_event DROP CONSTRAINT rept_deferrable;

\echo '== 7d. A column''s type changed where the DDL guard does not fire (replica): the coercion (22001)'
SET ROLE wf_rept_app;
SELECT id AS flag_alert FROM alert WHERE stage_id = :two AND field_name = 'flag' \gset
RESET ROLE;
SET session_replication_role = replica;
ALTER TABLE alert_event ALTER COLUMN message TYPE varchar(20) USING left(message, 20);
RESET session_replication_role;
SET ROLE wf_rept_app;
UPDATE alert SET message = 'flagged, and at more length' WHERE id = :flag_alert;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 3}' WHERE candidate_id = 2104$$);
UPDATE alert SET message = 'flagged' WHERE id = :flag_alert;
RESET ROLE;
SET session_replication_role = replica;
ALTER TABLE alert_event ALTER COLUMN message TYPE text;
RESET session_replication_role;

\echo '== 8. After all of it: repeats raise nothing, a new alert its event'
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2103;
UPDATE candidate_profile SET attributes = attributes || '{"n": 9}' WHERE candidate_id = 2103;
SELECT candidate_id, message, cause FROM alert_event WHERE job_id = 2100 ORDER BY id;

RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
