-- A five-minute tour of workflow_ext (run by ./demo.sh on a throwaway cluster),
-- as an application role under row-level security, like the README's tour.
-- Run as a superuser in a fresh database:  psql -X -f examples/demo.sql
\set ON_ERROR_STOP on
\pset footer off
-- Errors show their SQLSTATE (23514 for a blocked move), without the CONTEXT
-- of the move function's own UPDATE.
\set VERBOSITY verbose
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS workflow_ext;

-- As the README's tour does: a superuser sees every tenant's rows (row-level
-- security does not apply to it), so the tour acts as an ordinary login role,
-- app, a member of the group role workflow_app that holds the README's
-- application grant set (examples/app-grants.sql).  Roles are cluster-wide:
-- made once, reused when the script runs again in another database.
\set QUIET on
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN
        CREATE ROLE app LOGIN;
    END IF;
END $$;
RESET client_min_messages;
\ir app-grants.sql
SET client_min_messages = warning;
GRANT workflow_app TO app;
RESET client_min_messages;
SET ROLE app;
\set QUIET off
\echo '== As the application role app (a member of workflow_app, which holds the grant set of examples/app-grants.sql): row-level security applies'

SET workflow_ext.actor = 'user:recruiter-ann';

\echo '== A workflow of four stages, the last one hires'
INSERT INTO workflow (name, description) VALUES ('Backend engineer', 'Screen, interview, offer');
INSERT INTO workflow_stage (workflow_id, name, position, kind, sla)
SELECT w.id, s.name, s.pos, s.kind, s.sla::interval
  FROM workflow w,
       (VALUES ('Applied', 1, 'normal', NULL), ('Phone screen', 2, 'normal', '3 days'),
               ('Onsite', 3, 'normal', NULL), ('Hired', 4, 'hired', NULL)) AS s(name, pos, kind, sla)
 WHERE w.name = 'Backend engineer';
SELECT id, name, jsonb_path_query_array(stages, '$[*].name') AS stages FROM workflow_with_stages;

\echo '== Rules: the phone screen needs 3+ years and Berlin/remote; onsite warns without a portfolio'
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'Experienced and local',
       '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
                 {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}'
  FROM workflow_stage WHERE name = 'Phone screen';
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT id, 'Has a portfolio', '{"field": "portfolio_url", "op": "exists"}', 'warn'
  FROM workflow_stage WHERE name = 'Onsite';
INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
SELECT id, 'salary_expectation', '>', '120000', 'Salary expectation above band', 'warning'
  FROM workflow_stage WHERE name = 'Onsite';
SELECT name, rule_name, on_fail, jsonb_array_length(alerts) AS alerts FROM stage_with_rules ORDER BY position;

\echo '== Job 1234 uses the workflow; candidates 456 and 789 apply'
SELECT job_id, workflow_id FROM assign_workflow(1234, (SELECT id FROM workflow WHERE name = 'Backend engineer'));
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
  (456, '{"years_experience": 5, "location": "berlin", "salary_expectation": 130000}'),
  (789, '{"years_experience": 1, "location": "Paris"}');
SELECT candidate_id, stage_id, status FROM add_candidate(456, 1234);
SELECT candidate_id, stage_id, status FROM add_candidate(789, 1234);

\echo '== Moves: 456 passes the rule; 789 is blocked with the failed leaves (expect ERROR 23514)'
SELECT * FROM move_to_next_stage(456, 1234);
\set ON_ERROR_STOP off
SELECT * FROM move_to_next_stage(789, 1234);
\set ON_ERROR_STOP on

\echo '== Why 789 fails, leaf by leaf'
SELECT jsonb_pretty(evaluate_condition(condition, candidate_facts(789)))
  FROM stage_rule WHERE name = 'Experienced and local';

\echo '== An ORM-style plain UPDATE is a move too: onsite warns (no portfolio) and the salary alert fires'
UPDATE candidate_stage SET stage_id = (SELECT id FROM workflow_stage WHERE name = 'Onsite')
 WHERE job_id = 1234 AND candidate_id = 456;
SELECT message, severity, cause FROM alert_event ORDER BY id;

\echo '== Facts change: 456 adds a portfolio, then the offer'
UPDATE candidate_profile SET attributes = attributes || '{"portfolio_url": "https://ann.dev"}' WHERE candidate_id = 456;
SELECT to_stage_name, alerts_raised FROM move_to_next_stage(456, 1234);
SELECT candidate_id, status FROM candidate_stage ORDER BY candidate_id;

\echo '== 789 is rejected with a reason'
SELECT status FROM reject_candidate(789, 1234, 'not enough experience');

\echo '== The history'
SELECT t.candidate_id, fs.name AS from_stage, ts.name AS to_stage, t.from_status, t.to_status,
       t.actor, t.reason, t.alerts_raised, jsonb_array_length(t.warnings) AS warnings
  FROM stage_transition t
  LEFT JOIN workflow_stage fs ON fs.id = t.from_stage_id
  JOIN workflow_stage ts ON ts.id = t.to_stage_id
 ORDER BY t.id;

\echo '== Events: a listener (LISTEN workflow_events) is woken on commit; a new candidate, 999, applies'
LISTEN workflow_events;
BEGIN;
SELECT candidate_id FROM add_candidate(999, 1234);
COMMIT;
RESET ROLE;
