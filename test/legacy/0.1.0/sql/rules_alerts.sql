-- Rules on moves (block and warn), alert events on entry and on facts that
-- change, once per visit, a custom facts source, the SLA sweep.
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:rules';
SELECT test_workflow('Rules', 4) AS wid \gset
SELECT job_id FROM assign_workflow(7000, :wid);

INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (test_stage(:wid, 2), 'Screen', '{"all": [{"field": "years", "op": "gte", "value": 3},
                                            {"field": "city", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (test_stage(:wid, 3), 'Portfolio', '{"field": "portfolio", "op": "exists"}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message, severity) VALUES
  (test_stage(:wid, 3), 'salary', 'gt', '100000', 'salary above band', 'critical');

INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (1, '{"years": 5, "city": "berlin", "salary": 90000}'),
  (2, '{"years": 1, "city": "Paris"}');
SELECT candidate_id FROM add_candidate(1, 7000);
SELECT candidate_id FROM add_candidate(2, 7000);

-- candidate_facts reads the profile; {} for a candidate without one.
SELECT candidate_facts(1), candidate_facts(404);

-- block: 23514, DETAIL lists each failed leaf as JSON; nothing moves.
SELECT test_error('SELECT move_to_next_stage(2, 7000)');
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE candidate_id = 2', test_stage(:wid, 2)));
SELECT stage_id = test_stage(:wid, 1) AS still_first FROM candidate_stage WHERE candidate_id = 2;
SELECT count(*) AS history_rows FROM stage_transition WHERE candidate_id = 2;

-- Passing the rule moves; the blocking rule's mismatch alerts do not fire.
SELECT to_stage_name, alerts_raised, warnings FROM move_to_next_stage(1, 7000);

-- warn: the move happens, the warnings list the failed leaves, and the rule's
-- mismatch alert fires (salary is within band: that alert does not).
SELECT to_stage_name, alerts_raised, warnings->0->>'field' AS warned_field,
       warnings->0->>'reason' AS why
  FROM move_to_next_stage(1, 7000);
SELECT a.field_name, e.cause, e.severity, e.message, e.facts->>'salary' AS salary_seen
  FROM alert_event e JOIN alert a ON a.id = e.alert_id WHERE e.candidate_id = 1 ORDER BY e.id;
SELECT jsonb_array_length(warnings) AS warnings_in_history
  FROM stage_transition WHERE candidate_id = 1 ORDER BY id DESC LIMIT 1;

-- Facts change: the salary alert of the current stage fires, once per visit.
UPDATE candidate_profile SET attributes = attributes || '{"salary": 150000}' WHERE candidate_id = 1;
UPDATE candidate_profile SET attributes = attributes || '{"salary": 160000}' WHERE candidate_id = 1;
SELECT a.field_name, e.cause, e.facts->>'salary' AS salary_seen
  FROM alert_event e JOIN alert a ON a.id = e.alert_id WHERE e.candidate_id = 1 ORDER BY e.id;
-- Leaving and re-entering the stage is a new visit: the alerts fire again.
SELECT to_stage_name FROM move_to_stage(1, 7000, test_stage(:wid, 2));
SELECT to_stage_name, alerts_raised FROM move_to_stage(1, 7000, test_stage(:wid, 3));
SELECT count(*) AS events, count(DISTINCT transition_id) AS visits FROM alert_event WHERE candidate_id = 1;

-- A rejected candidate's alerts are not evaluated on a facts change.
SELECT status FROM reject_candidate(1, 7000);
SELECT count(*) AS before FROM alert_event WHERE candidate_id = 1 \gset
UPDATE candidate_profile SET attributes = attributes - 'portfolio' || '{"salary": 999999}' WHERE candidate_id = 1;
SELECT count(*) - :before AS new_events FROM alert_event WHERE candidate_id = 1;
SELECT status FROM reopen_candidate(1, 7000);

-- Rule edits are seen by the next move (cache invalidation within the session).
UPDATE stage_rule SET condition = '{"field": "years", "op": "gte", "value": 1}' WHERE stage_id = test_stage(:wid, 2);
SELECT to_stage_name FROM move_to_next_stage(2, 7000);
SELECT to_stage_name FROM move_to_stage(2, 7000, test_stage(:wid, 1));
UPDATE stage_rule SET condition = '{"field": "years", "op": "gte", "value": 10}' WHERE stage_id = test_stage(:wid, 2);
SELECT test_error(format('SELECT move_to_stage(2, 7000, %s)', test_stage(:wid, 2)));
-- ... and a rolled-back edit is forgotten, though it was compiled and used.
BEGIN;
UPDATE stage_rule SET condition = '{"field": "years", "op": "gte", "value": 0}' WHERE stage_id = test_stage(:wid, 2);
SELECT to_stage_name FROM move_to_stage(2, 7000, test_stage(:wid, 2));
ROLLBACK;
SELECT test_error(format('SELECT move_to_stage(2, 7000, %s)', test_stage(:wid, 2)));
-- Deleting the rule lets everyone in.
DELETE FROM stage_rule WHERE stage_id = test_stage(:wid, 2);
SELECT to_stage_name FROM move_to_stage(2, 7000, test_stage(:wid, 2));

-- A custom facts source: the owner's table, quoted safely.
CREATE TABLE "Candidate Data" (cand_id bigint PRIMARY KEY, years int, city text, salary int, portfolio text);
INSERT INTO "Candidate Data" VALUES (3, 7, 'Remote', 50000, NULL);
SELECT set_candidate_source('"Candidate Data"'::regclass, 'cand_id');
SELECT relation, key_column FROM facts_source;
SELECT candidate_facts(3);
SELECT candidate_id FROM add_candidate(3, 7000);
SELECT to_stage_name, alerts_raised FROM move_to_stage(3, 7000, test_stage(:wid, 3));
UPDATE "Candidate Data" SET salary = 200000 WHERE cand_id = 3;
SELECT a.field_name, e.cause FROM alert_event e JOIN alert a ON a.id = e.alert_id
 WHERE e.candidate_id = 3 ORDER BY e.id;
SELECT test_error('SELECT set_candidate_source(''"Candidate Data"''::regclass, ''city'')');
SELECT test_error('SELECT set_candidate_source(''"Candidate Data"''::regclass, ''nope'')');
SELECT test_error('SELECT set_candidate_source(''pg_class''::regclass, ''oid'')');
SELECT test_error('SELECT set_candidate_source(NULL, ''x'')');
SELECT test_error('SELECT set_candidate_source(''workflow_with_stages''::regclass, ''id'')');
-- Back to candidate_profile.
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON "Candidate Data";
SELECT candidate_facts(3);
-- A facts table dropped behind the extension's back: a clear error, not a crash.
CREATE TABLE gone_facts (cid bigint);
SELECT set_candidate_source('gone_facts'::regclass, 'cid');
DROP TABLE gone_facts;
SELECT to_stage_name FROM move_to_stage(3, 7000, test_stage(:wid, 2));   -- no rule, no alerts: no facts read
SELECT regexp_replace(test_error(format('SELECT move_to_stage(3, 7000, %s)', test_stage(:wid, 3))), '[0-9]{4,}', 'N', 'g') AS dropped_source;
DELETE FROM facts_source;
SELECT to_stage_name FROM move_to_stage(3, 7000, test_stage(:wid, 3));   -- back where the SLA test expects it

-- SLA sweep: once per visit.
UPDATE workflow_stage SET sla = '1 hour' WHERE id = test_stage(:wid, 3);
UPDATE candidate_stage SET entered_at = entered_at WHERE false;
SELECT raise_overdue_alerts() AS raised_now;
SET session_replication_role = replica;   -- age the visits without firing the triggers
UPDATE candidate_stage SET entered_at = now() - interval '2 hours' WHERE job_id = 7000;
RESET session_replication_role;
SELECT raise_overdue_alerts() AS raised_first;
SELECT raise_overdue_alerts() AS raised_again;
SELECT candidate_id, cause, severity, message FROM alert_event WHERE cause = 'sla' ORDER BY candidate_id;

-- acknowledge_alert.
SELECT id AS ev FROM alert_event WHERE cause = 'sla' ORDER BY id LIMIT 1 \gset
SELECT acknowledged_by, acknowledged_at IS NOT NULL AS acknowledged FROM acknowledge_alert(:ev);
SELECT test_error(format('SELECT acknowledge_alert(%s)', :ev));
SELECT test_error('SELECT acknowledge_alert(999999)');
