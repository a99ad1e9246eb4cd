-- What the events' INSERT evaluates for a repeat of a change of facts.
-- A repeat the writer can read is not proposed (NOT EXISTS in the statement,
-- pipeline_events.c, alert_events_rows_plan): nothing a proposed row runs
-- before its conflict is found (column defaults, NOT NULL, rules' refusal
-- of ON CONFLICT aside, policy functions, deferrable arbiters, coercions)
-- runs for it, so none of it can refuse the change.  (Until 0.3.0's
-- set-wise NOT EXISTS the repeat went through all of it; these sections
-- asserted those errors.)  A new event still does; alert_event_once_per_visit_idx
-- and an owner's unique index stay arbiters of ON CONFLICT DO NOTHING (7e).
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

\echo '== 2. raised_at without its default: a repeat is not proposed, no 23502'
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN raised_at DROP DEFAULT;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 2101$$);
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN raised_at SET DEFAULT now();

\echo '== 3. A default that raises an error for every proposed row: none proposed'
ALTER TABLE alert_event ALTER COLUMN acknowledged_at SET DEFAULT current_setting('rept.when')::timestamptz;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 2101$$);
RESET ROLE;
ALTER TABLE alert_event ALTER COLUMN acknowledged_at DROP DEFAULT;

\echo '== 4. A column default with a side effect runs for every proposed row: none proposed'
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

\echo '== 6. An INSERT rule: ON CONFLICT refuses the table (0A000), repeats or not'
CREATE RULE rept_rule AS ON INSERT TO alert_event DO ALSO NOTIFY rept;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 5}' WHERE candidate_id = 2101$$);
RESET ROLE;
DROP RULE rept_rule ON alert_event;

\echo '== 7. A policy function that sees the rows the statement wrote: the repeat is not checked'
-- at most two events per candidate: the new event (x) is checked (one there),
-- the repeat (flagged) is not proposed: x is written
CREATE FUNCTION rept_quota(c bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE AS
$$ BEGIN RETURN (SELECT count(*) FROM public.alert_event WHERE candidate_id = c) < 2; END $$;
CREATE POLICY rept_quota ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (rept_quota(candidate_id));
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2102$$);
SELECT message, cause FROM alert_event WHERE candidate_id = 2102 ORDER BY id;
RESET ROLE;
DROP POLICY rept_quota ON alert_event;
DROP FUNCTION rept_quota(bigint);

\echo '== 7b. A policy function''s notices: the new event''s only'
CREATE FUNCTION rept_noisy(m text) RETURNS boolean LANGUAGE plpgsql STABLE AS
$$ BEGIN RAISE NOTICE 'checking %', m; RETURN true; END $$;
CREATE POLICY rept_noisy ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (rept_noisy(message));
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2104;
-- two repeats: neither checked
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 2104;
SELECT message, cause FROM alert_event WHERE candidate_id = 2104 ORDER BY id;
RESET ROLE;
DROP POLICY rept_noisy ON alert_event;
DROP FUNCTION rept_noisy(text);

\echo '== 7c. A deferrable unique constraint of the owner''s: a repeat is not proposed; a new event is refused (55000)'
-- (the owner's unique indexes: 7e, test/specs/alert_repeats_arbiters.spec)
RESET ROLE;
ALTER TABLE alert_event ADD CONSTRAINT rept_deferrable UNIQUE (id, tenant) DEFERRABLE;
-- (the new index takes a new OID: the statement probes it last)
REINDEX INDEX CONCURRENTLY alert_event_once_per_visit_idx;
SET ROLE wf_rept_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 2104$$);
-- a new event proposed with it in place: ON CONFLICT refuses it as an arbiter
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2101$$);
RESET ROLE;
ALTER TABLE alert_event DROP CONSTRAINT rept_deferrable;

\echo '== 7d. A column''s type changed where the DDL guard does not fire (replica): a repeat is not coerced'
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

\echo '== 7e. An owner''s unique index is an arbiter: a new event conflicting with it is skipped'
RESET ROLE;
CREATE UNIQUE INDEX rept_one_facts ON alert_event (tenant, job_id, cause) WHERE cause = 'facts' AND candidate_id IN (2101, 2103);
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2101;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2103;
SELECT candidate_id, message, cause FROM alert_event WHERE candidate_id IN (2101, 2103) ORDER BY id;
-- 2101's event of cause facts, raised again: a repeat, not proposed
UPDATE candidate_profile SET attributes = attributes || '{"n": 7}' WHERE candidate_id = 2101;
RESET ROLE;
DROP INDEX rept_one_facts;

\echo '== 8. After all of it: repeats raise nothing, a new alert its event'
SET ROLE wf_rept_app;
UPDATE candidate_profile SET attributes = attributes || '{"x": true}' WHERE candidate_id = 2103;
UPDATE candidate_profile SET attributes = attributes || '{"n": 9}' WHERE candidate_id = 2103;
SELECT candidate_id, message, cause FROM alert_event WHERE job_id = 2100 ORDER BY id;

RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
