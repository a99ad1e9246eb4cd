-- facts21d repro 1: whether a statement's change of facts proposes its
-- repeats depends on workflow_ext.history_batch_size.  At the default a
-- repeat the writer reads is left out (no owner's INSERT policy, CHECK or
-- trigger runs on it); at history_batch_size = 1 (batching off: the events
-- are written at once, alert_events_plan) the same single-row UPDATE proposes
-- it: the owner's restrictive INSERT policy refuses the facts change (42501)
-- and the owner's BEFORE INSERT trigger sees the repeat.  The README's new
-- paragraph ("A repeat you can already read is not proposed") names the paths
-- that still propose (entries, move functions, COPY, raise_overdue_alerts),
-- not this setting.  Assumes test/sql/setup.sql ran.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_r1_app;
RESET client_min_messages;
CREATE ROLE wf_r1_app;
GRANT workflow_app TO wf_r1_app;
SET ROLE wf_r1_app;
SET workflow_ext.tenant = 'org:r1';
SET workflow_ext.actor = 'user:r1';
SELECT test_workflow('R1', 3, false) AS wf \gset
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (test_stage(:wf, 2), 'flag', 'eq', 'true', 'flagged');
SELECT job_id FROM assign_workflow(910, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (1, '{"flag": true}');
SELECT candidate_id FROM add_candidate(1, 910);
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(1, 910);
RESET ROLE;
CREATE TABLE r1_seen (message text);
GRANT INSERT ON r1_seen TO wf_r1_app;
CREATE FUNCTION r1_seen() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO public.r1_seen VALUES (NEW.message); RETURN NEW; END $$;
CREATE TRIGGER r1_seen BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION r1_seen();
CREATE POLICY r1_no_flagged ON alert_event AS RESTRICTIVE FOR INSERT WITH CHECK (message <> 'flagged');
SET ROLE wf_r1_app;
-- default batch size: the repeat is left out, the change goes through
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id = 1$$);
-- batching off: the same change proposes the repeat, the owner's policy refuses it
SET workflow_ext.history_batch_size = 1;
SELECT test_error($$UPDATE candidate_profile SET attributes = attributes || '{"n": 2}' WHERE candidate_id = 1$$);
-- (without the policy: the owner's trigger sees the repeat)
RESET ROLE;
DROP POLICY r1_no_flagged ON alert_event;
SET ROLE wf_r1_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 3}' WHERE candidate_id = 1;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT message, count(*) AS proposed FROM r1_seen GROUP BY message;   -- 1 (batch size 1 only); 0 expected if the claim held
DROP TRIGGER r1_seen ON alert_event;
DROP FUNCTION r1_seen();
DROP TABLE r1_seen;
RESET workflow_ext.tenant;
RESET workflow_ext.actor;
