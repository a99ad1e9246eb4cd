-- Alert events of a change of facts: an alert fires at most once per stage
-- visit.  The events' INSERT leaves out, by NOT EXISTS in the statement, a
-- repeat the writer can read (pipeline_events.c, alert_events_rows_plan):
-- nothing of an INSERT runs for it (triggers, WITH CHECK, CHECK); a new
-- event, or a repeat the writer cannot read, is proposed and every check
-- runs on it.  These assertions fail if an event that should be raised is
-- left out, if a repeat the writer reads is proposed, or if a check is
-- skipped for a proposed event.  Runs as wf_rep_app, an ordinary role:
-- row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_rep_app;
RESET client_min_messages;
CREATE ROLE wf_rep_app;
GRANT workflow_app TO wf_rep_app;
SET ROLE wf_rep_app;
SET workflow_ext.tenant = 'org:rep';
SET workflow_ext.actor = 'user:rita';

\echo '== 1. Fixture: a stage with two alerts, a stage with 2,000'
SELECT test_workflow('Repeats', 3, false) AS wf \gset
SELECT test_stage(:wf, 2) AS two \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (:two, 'flag', 'eq', 'true', 'flagged'), (:two, 'late', 'eq', 'true', 'late');
SELECT job_id FROM assign_workflow(500, :wf);
SELECT test_workflow('Many alerts', 2, false) AS many_wf \gset
SELECT test_stage(:many_wf, 2) AS many \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT :many, 'n', 'gte', to_jsonb(i), 'n >= ' || i FROM generate_series(1, 2000) i;
SELECT job_id FROM assign_workflow(501, :many_wf);
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (1, '{"flag": true, "late": false}'), (2, '{"n": 1000}');
SELECT candidate_id FROM add_candidate(1, 500);
SELECT candidate_id FROM add_candidate(2, 501);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(1, 500);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(2, 501);

\echo '== 2. A repeat raises nothing; a newly true alert raises its event, once'
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 1;
SELECT message, cause FROM alert_event WHERE candidate_id = 1 ORDER BY id;
UPDATE candidate_profile SET attributes = attributes || '{"late": true}' WHERE candidate_id = 1;
SELECT message, cause FROM alert_event WHERE candidate_id = 1 ORDER BY id;
UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 1;
SELECT message, cause FROM alert_event WHERE candidate_id = 1 ORDER BY id;
-- in one transaction: the event written earlier in it is a repeat too
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": false, "late": false}' WHERE candidate_id = 1;
SELECT to_stage_name FROM move_to_next_stage(1, 500);
SELECT to_stage_name FROM move_to_stage(1, 500, :two);
UPDATE candidate_profile SET attributes = '{"flag": true, "late": false}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": true, "late": true}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = '{"flag": true, "late": true, "n": 3}' WHERE candidate_id = 1;
COMMIT;
-- the new visit raised each alert once, on the facts changes
SELECT e.message, e.cause, e.transition_id = c.visit_transition_id AS this_visit
FROM alert_event e JOIN candidate_stage c USING (job_id, candidate_id)
WHERE e.candidate_id = 1 ORDER BY e.id;

\echo '== 3. A stage with 2,000 alerts: the newly true ones are raised, exactly'
SELECT count(*) AS events, count(DISTINCT alert_id) AS alerts FROM alert_event WHERE candidate_id = 2;
UPDATE candidate_profile SET attributes = '{"n": 1500}' WHERE candidate_id = 2;
SELECT cause, count(*), min(message), max(message) FROM alert_event WHERE candidate_id = 2 GROUP BY cause ORDER BY cause;
UPDATE candidate_profile SET attributes = '{"n": 1500, "m": 1}' WHERE candidate_id = 2;
SELECT count(*) AS events, count(DISTINCT alert_id) AS alerts FROM alert_event WHERE candidate_id = 2;
UPDATE candidate_profile SET attributes = '{"n": 2000}' WHERE candidate_id = 2;
SELECT cause, count(*), count(DISTINCT alert_id) AS alerts FROM alert_event WHERE candidate_id = 2 GROUP BY cause ORDER BY cause;
-- every alert of the stage exactly once in the visit
SELECT count(*) AS alerts_without_event FROM alert a
WHERE a.stage_id = :many AND NOT EXISTS (SELECT 1 FROM alert_event e WHERE e.alert_id = a.id AND e.candidate_id = 2);

\echo '== 4. A trigger of the user''s on alert_event sees the proposed events: no repeat the writer reads'
RESET ROLE;
CREATE TABLE rep_seen (kind text, message text);
GRANT INSERT ON rep_seen TO wf_rep_app;
CREATE FUNCTION rep_seen_row() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.rep_seen VALUES ('row', NEW.message); RETURN NEW; END $$;
CREATE FUNCTION rep_seen_statement() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.rep_seen VALUES ('statement', NULL); RETURN NULL; END $$;
CREATE TRIGGER rep_seen_row BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION rep_seen_row();
SET ROLE wf_rep_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 4}' WHERE candidate_id = 1;
SELECT count(*) AS events_of_candidate_1 FROM alert_event WHERE candidate_id = 1;
RESET ROLE;
SELECT kind, message FROM rep_seen ORDER BY message;
-- a repeat hidden from the writer by a SELECT policy of the owner's is
-- proposed: the trigger sees it, ON CONFLICT skips it
CREATE POLICY rep_hide_late ON alert_event AS RESTRICTIVE FOR SELECT USING (message <> 'late');
SET ROLE wf_rep_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 4.5}' WHERE candidate_id = 1;
RESET ROLE;
SELECT kind, message FROM rep_seen ORDER BY message;
SELECT count(*) AS events_of_candidate_1 FROM alert_event WHERE candidate_id = 1;
DROP POLICY rep_hide_late ON alert_event;
DROP TRIGGER rep_seen_row ON alert_event;
TRUNCATE rep_seen;
CREATE TRIGGER rep_seen_statement AFTER INSERT ON alert_event FOR EACH STATEMENT EXECUTE FUNCTION rep_seen_statement();
SET ROLE wf_rep_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 5}' WHERE candidate_id = 1;
RESET ROLE;
SELECT kind, count(*) FROM rep_seen GROUP BY kind;
DROP TRIGGER rep_seen_statement ON alert_event;
DROP TABLE rep_seen;
DROP FUNCTION rep_seen_row(), rep_seen_statement();
SET ROLE wf_rep_app;
SELECT count(*) AS events_of_candidate_1 FROM alert_event WHERE candidate_id = 1;

\echo '== 5. The checks of the statement apply to a new event, not to a repeat the writer reads'
-- a restrictive INSERT policy of the owner's, refusing the 'late' event:
-- a repeat, not proposed, so not refused
RESET ROLE;
CREATE POLICY rep_no_late ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (message <> 'late');
SET ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 6}' WHERE candidate_id = 1$$);
-- (a policy reading a column the event fills only in the statement: through the statement)
RESET ROLE;
DROP POLICY rep_no_late ON alert_event;
CREATE POLICY rep_raised_today ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (raised_at > '2000-01-01');
SET ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 7}' WHERE candidate_id = 1$$);
RESET ROLE;
DROP POLICY rep_raised_today ON alert_event;
-- a CHECK constraint of the owner's, refusing the 'flagged' event (a repeat)
ALTER TABLE alert_event ADD CONSTRAINT rep_no_flagged CHECK (message <> 'flagged') NOT VALID;
SET ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 8}' WHERE candidate_id = 1$$);
RESET ROLE;
ALTER TABLE alert_event DROP CONSTRAINT rep_no_flagged;
-- in one transaction: the checks prepared for an earlier change follow a policy created since
BEGIN;
SET LOCAL ROLE wf_rep_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 11}' WHERE candidate_id = 1;
RESET ROLE;
CREATE POLICY rep_no_flagged ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (message <> 'flagged');
SET LOCAL ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 12}' WHERE candidate_id = 1$$);
ROLLBACK;
-- a new event is checked: candidate 3 enters with 'flagged', then 'late' fires
RESET ROLE;
CREATE POLICY rep_no_late ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (message <> 'late');
SET ROLE wf_rep_app;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (3, '{"flag": true, "late": false}');
SELECT candidate_id FROM add_candidate(3, 500);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(3, 500);
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"late": true}' WHERE candidate_id = 3$$);
RESET ROLE;
DROP POLICY rep_no_late ON alert_event;
ALTER TABLE alert_event ADD CONSTRAINT rep_no_late CHECK (message <> 'late') NOT VALID;
SET ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"late": true}' WHERE candidate_id = 3$$);
RESET ROLE;
ALTER TABLE alert_event DROP CONSTRAINT rep_no_late;
SET ROLE wf_rep_app;
UPDATE candidate_profile SET attributes = attributes || '{"late": true}' WHERE candidate_id = 3;
SELECT message, cause FROM alert_event WHERE candidate_id = 3 ORDER BY id;
RESET ROLE;
-- the INSERT privilege
BEGIN;
REVOKE INSERT ON alert_event FROM workflow_app;
SET LOCAL ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 9}' WHERE candidate_id = 1$$);
ROLLBACK;
-- the SELECT privilege: the statement reads alert_event for the repeats
BEGIN;
REVOKE SELECT ON alert_event FROM workflow_app;
SET LOCAL ROLE wf_rep_app;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 9}' WHERE candidate_id = 1$$);
ROLLBACK;
SET ROLE wf_rep_app;
-- under REPEATABLE READ, through the statement: the same answer
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE candidate_profile SET attributes = attributes || '{"n": 10}' WHERE candidate_id = 1;
COMMIT;
SELECT count(*) AS events_of_candidate_1 FROM alert_event WHERE candidate_id = 1;

RESET ROLE;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
