-- The README's tour and the sections continuing from it, exactly as written.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/00_tour.sql'
CREATE EXTENSION workflow_ext;
CREATE ROLE app LOGIN;
\i examples/app-grants.sql
GRANT workflow_app TO app;
SET ROLE app;
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET workflow_ext.actor = 'user:recruiter-ann';

INSERT INTO workflow (name) VALUES ('Backend engineer');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES
  (1, 'Applied', 1, 'normal'), (1, 'Phone screen', 2, 'normal'),
  (1, 'Onsite', 3, 'normal'),  (1, 'Hired', 4, 'hired');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (2, 'Experienced and local',
  '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
            {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
VALUES (3, 'Has a portfolio', '{"field": "portfolio_url", "op": "exists"}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message)
VALUES (3, 'salary_expectation', '>', '120000', 'Salary expectation above band');

SELECT * FROM assign_workflow(1234, 1);
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (456, '{"years_experience": 5, "location": "berlin", "salary_expectation": 130000}'),
       (789, '{"years_experience": 1, "location": "Paris"}');
SELECT * FROM add_candidate(456, 1234);
SELECT * FROM add_candidate(789, 1234);

SELECT * FROM move_to_next_stage(456, 1234);
SELECT * FROM move_to_next_stage(789, 1234);
SELECT evaluate_condition(condition, candidate_facts(789)) FROM stage_rule WHERE id = 1;

UPDATE candidate_stage SET stage_id = 3 WHERE job_id = 1234 AND candidate_id = 456;
SELECT message, severity, cause FROM alert_event;

SELECT * FROM stage_transition ORDER BY id;
SELECT * FROM workflow_events_since(NULL, 100);
LISTEN workflow_events;
SELECT * FROM move_to_next_stage(456, 1234);

-- Moves: auto_advance example
  BEGIN;
  UPDATE workflow_stage SET auto_advance = true WHERE id = 1;
  UPDATE candidate_profile SET attributes = '{"years_experience": 4, "location": "Remote"}'
   WHERE candidate_id = 789;
  SELECT stage_id FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 789;
  SELECT actor, reason FROM stage_transition ORDER BY id DESC LIMIT 1;
  ROLLBACK;

-- Transferring and removing
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (457, '{"years_experience": 4, "location": "Remote"}'),
       (460, '{"years_experience": 4, "location": "Remote"}');
SELECT count(*) FROM unnest(ARRAY[457, 458, 459, 460]) AS c, add_candidate(c, 1234);
SELECT job_id, workflow_id FROM assign_workflow(1300, 1);
SELECT job_id, stage_id, status FROM transfer_candidate(457, 1234, 1300, reason => 'better fit');
SELECT job_id, stage_id, status FROM transfer_candidate(460, 1234, 1300, to_stage_id => 2);
SELECT job_id, to_status, related_job_id, reason FROM stage_transition
 WHERE candidate_id = 457 ORDER BY id;
SELECT remove_candidate(458, 1234, 'duplicate profile');
BEGIN;
SET LOCAL workflow_ext.reason = 'GDPR erasure';
DELETE FROM candidate_stage WHERE job_id = 1234 AND candidate_id = 459;
COMMIT;

-- Rejection and withdrawal reasons
INSERT INTO rejection_reason (code, label, kind) VALUES
  ('skills', 'Missing skills', 'rejected'),
  ('salary', 'Salary expectations', 'rejected'),
  ('salary', 'Accepted another offer', 'withdrawn');
UPDATE workflow SET requires_reason_code = true WHERE id = 1;
SELECT count(*) FROM unnest(ARRAY[470, 471, 472]) AS c, add_candidate(c, 1234);
SELECT status FROM reject_candidate(470, 1234, 'not enough Go', 'skills');
SELECT status FROM withdraw_candidate(471, 1234, reason_code => 'salary');
BEGIN;
SET LOCAL workflow_ext.reason_code = 'skills';
UPDATE candidate_stage SET status = 'rejected' WHERE job_id = 1234 AND candidate_id = 472;
COMMIT;
SELECT status FROM reject_candidate(460, 1300, 'no code');
UPDATE rejection_reason SET active = false WHERE code = 'skills';
SELECT status FROM reject_candidate(460, 1300, 'no Go', 'skills');

-- Bulk moves
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (480, '{"years_experience": 6, "location": "Remote"}');
SELECT candidate_id FROM add_candidate(480, 1234);
SELECT candidate_id, outcome, sqlstate, detail
  FROM move_candidates(1234, ARRAY[480, 789, 470, 999], NULL, 'phone screens done');

-- Archiving
SELECT id, name, archived_at IS NOT NULL AS archived FROM archive_stage(2);
SELECT * FROM move_to_next_stage(789, 1234);
SELECT to_stage_id, warnings <> '[]' AS warned FROM move_to_stage(789, 1234, 3);
DELETE FROM workflow_stage WHERE id = 2;
SELECT id, archived_at IS NOT NULL AS archived FROM archive_workflow(1);
SELECT * FROM add_candidate(490, 1234);
SELECT id, archived_at FROM unarchive_workflow(1);
SELECT id, archived_at FROM unarchive_stage(2);

-- Reports
SELECT position, stage_name, entered, current, advanced, rejected, withdrawn, hired, conversion
  FROM pipeline_funnel(1234);
SELECT stage_name, median_time_in_stage, p90_time_in_stage FROM pipeline_funnel(1234)
 WHERE position = 1;
SELECT stage_name, entered FROM pipeline_funnel(1234, since => '2030-01-01', until => '2030-04-01');
SELECT * FROM stage_visit ORDER BY candidate_id, transition_id;
