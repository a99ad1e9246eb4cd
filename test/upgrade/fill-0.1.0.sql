-- Fills every table of a workflow_ext 0.1.0 database through the 0.1.0 API,
-- as an application would: workflows, shares, stages (one with an SLA), rules
-- with their generated alerts, hand-made alerts, pipeline rows in every status
-- (active, hired, rejected, withdrawn, reopened), history, alert events of all
-- three causes (entry, facts, sla), an acknowledged event, and a custom facts
-- source set with set_candidate_source.  Run by updatecheck.py, which then
-- updates the extension and checks that every row is still there.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
SET workflow_ext.actor = 'user:ann';

INSERT INTO workflow (name, description) VALUES
    ('Backend engineer', 'Upgrade test: the full pipeline'),
    ('Designer', 'Upgrade test: facts from a table of our own'),
    ('Unused', 'Upgrade test: never assigned');
INSERT INTO workflow_stage (workflow_id, name, position, kind, config, sla)
SELECT w.id, s.name, s.position, s.kind, s.config::jsonb, s.sla::interval
  FROM workflow w
  JOIN (VALUES ('Backend engineer', 'Applied', 1, 'normal', '{"form": "short"}', NULL),
               ('Backend engineer', 'Phone screen', 2, 'normal', '{}', '1 millisecond'),
               ('Backend engineer', 'Onsite', 3, 'normal', '{"rooms": 2}', NULL),
               ('Backend engineer', 'Hired', 4, 'hired', '{}', NULL),
               ('Designer', 'Applied', 1, 'normal', '{}', NULL),
               ('Designer', 'Portfolio review', 2, 'normal', '{}', NULL),
               ('Designer', 'Hired', 3, 'hired', '{}', NULL),
               ('Unused', 'Only stage', 1, 'normal', '{}', '2 days')) s(wname, name, position, kind, config, sla)
    ON s.wname = w.name;
SELECT share_workflow(id, 'user:ben', true) FROM workflow WHERE name = 'Backend engineer' \g /dev/null
SELECT share_workflow(id, 'user:cy') FROM workflow WHERE name IN ('Backend engineer', 'Designer') \g /dev/null

CREATE TEMP VIEW st AS
SELECT w.name AS workflow, s.name AS stage, s.id FROM workflow_stage s JOIN workflow w ON w.id = s.workflow_id;

-- Rules (their leaves become alerts) and hand-made alerts.
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'Experienced and local',
       '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
                 {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}'
  FROM st WHERE workflow = 'Backend engineer' AND stage = 'Phone screen';
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT id, 'Has a portfolio', '{"field": "portfolio_url", "op": "exists"}', 'warn'
  FROM st WHERE workflow = 'Backend engineer' AND stage = 'Onsite';
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT id, 'Senior, not from an agency',
       '{"all": [{"field": "years", "op": ">=", "value": 5}, {"not": {"field": "source", "op": "eq", "value": "agency"}}]}', 'warn'
  FROM st WHERE workflow = 'Designer' AND stage = 'Portfolio review';
UPDATE alert SET message = 'Edited message', severity = 'critical'
 WHERE rule_id IS NOT NULL AND field_name = 'location';
INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
SELECT id, 'salary_expectation', '>', '120000', 'Salary expectation above band', 'critical'
  FROM st WHERE workflow = 'Backend engineer' AND stage = 'Onsite';
INSERT INTO alert (stage_id, field_name, operator, value, ignore_case, message, severity)
SELECT id, 'source', 'eq', '"Agency"', true, 'Came through an agency', 'info'
  FROM st WHERE workflow = 'Backend engineer' AND stage = 'Applied';
INSERT INTO alert (stage_id, field_name, operator, value, message)
SELECT id, 'salary', 'between', '[50000, 70000.5]', 'Salary in the junior band'
  FROM st WHERE workflow = 'Designer' AND stage = 'Applied';

SELECT job_id FROM assign_workflow(1234, (SELECT id FROM workflow WHERE name = 'Backend engineer')) \g /dev/null
SELECT job_id FROM assign_workflow(1300, (SELECT id FROM workflow WHERE name = 'Backend engineer')) \g /dev/null
SELECT job_id FROM assign_workflow(5678, (SELECT id FROM workflow WHERE name = 'Designer')) \g /dev/null

-- Candidate facts from candidate_profile.
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (456, '{"years_experience": 5, "location": "berlin", "salary_expectation": 130000, "portfolio_url": "https://example.org/456"}'),
    (789, '{"years_experience": 1, "location": "Paris"}'),
    (101, '{"years_experience": 4, "location": "Remote", "source": "agency"}'),
    (102, '{"years_experience": 7, "location": "Berlin"}'),
    (103, '{"years_experience": 3, "location": "Remote", "salary_expectation": 90000}'),
    (104, '{"years_experience": 10, "location": "Berlin", "tags": ["go", "sql"], "address": {"city": "Berlin"}}');

SELECT (add_candidate(c, 1234)).id FROM unnest(ARRAY[456, 789, 101, 102, 103]) c \g /dev/null
SELECT id FROM add_candidate(104, 1300) \g /dev/null
-- passes the rule
SELECT transition_id FROM move_to_next_stage(456, 1234) \g /dev/null
-- warn rule, salary alert
SELECT transition_id FROM move_to_next_stage(456, 1234) \g /dev/null
-- hired
SELECT transition_id FROM move_to_next_stage(456, 1234) \g /dev/null
-- rejected
SELECT id FROM reject_candidate(789, 1234, 'Not enough experience') \g /dev/null
-- withdrawn
SELECT id FROM withdraw_candidate(101, 1234, 'Took another offer') \g /dev/null
SELECT id FROM withdraw_candidate(102, 1234) \g /dev/null
-- reopened, active
SELECT id FROM reopen_candidate(102, 1234) \g /dev/null
SET workflow_ext.reason = 'moved by the ORM';
UPDATE candidate_stage SET stage_id = (SELECT id FROM st WHERE workflow = 'Backend engineer' AND stage = 'Phone screen')
 WHERE job_id = 1234 AND candidate_id = 103;                                           -- ORM-style move
RESET workflow_ext.reason;
SELECT transition_id FROM move_to_next_stage(104, 1300) \g /dev/null
-- A facts change re-evaluates the alerts of the stage the candidate stands in.
UPDATE candidate_profile SET attributes = attributes || '{"salary_expectation": 150000}' WHERE candidate_id = 103;
-- onsite: warn + salary
SELECT transition_id FROM move_to_next_stage(103, 1234) \g /dev/null
-- The SLA sweep: 104 has been in a 1 ms stage for longer than that.
SELECT pg_sleep(0.01) \g /dev/null
SELECT raise_overdue_alerts() \g /dev/null
SELECT id FROM acknowledge_alert((SELECT min(id) FROM alert_event)) \g /dev/null

-- Facts from a table of our own: every later facts lookup reads it.
CREATE TABLE public.hr_candidate (
    id                 bigint PRIMARY KEY,
    name               text NOT NULL,
    years              integer,
    source             text,
    salary             numeric(12, 2),
    years_experience   integer,
    location           text
);
INSERT INTO public.hr_candidate (id, name, years, source, salary) VALUES
    (201, 'Dana', 6, 'referral', 65000.50),
    (202, 'Eli', 2, 'agency', 48000),
    (203, 'Fay', 9, 'agency', 72000.25);
SELECT set_candidate_source('public.hr_candidate'::regclass, 'id') \g /dev/null
SELECT (add_candidate(c, 5678)).id FROM unnest(ARRAY[201, 202, 203]) c \g /dev/null
SELECT transition_id FROM move_to_next_stage(201, 5678) \g /dev/null
-- warn: agency
SELECT transition_id FROM move_to_next_stage(203, 5678) \g /dev/null
UPDATE public.hr_candidate SET salary = 69999.99 WHERE id = 202;                      -- facts: junior band
