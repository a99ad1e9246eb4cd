-- Fills every table of a workflow_ext 0.2.0 database through the 0.2.0 API,
-- as an application would: the same rows as fill-0.1.0.sql (so exercise.sql
-- runs on both), and what 0.2.0 changes for the update to 0.3.0 (see
-- exercise-0.2.0.sql): a role that acts without workflow_ext.actor (0.2.0
-- records its name: owner, profile owner), a share with a role by its name, a
-- workflow shared with an actor that no other check names, a candidate that
-- an editing grantee brought into the owner's job, and a job of the grantee's
-- own on the owner's workflow.  Run by
-- updatecheck.py, which then updates the extension and checks that every row
-- is still there (expect-0.2.0.sql: the role names become role:<oid>).
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

-- 0.2.0: an editing grantee (user:ben) brings a candidate into ann's job;
-- ann has a profile of that candidate, which speaks there only from 0.3.0 on.
-- ben also runs a job of his own on ann's workflow.
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (555, '{"years_experience": 9, "location": "Berlin"}');
SET workflow_ext.actor = 'user:ben';
SELECT id FROM add_candidate(555, 1234) \g /dev/null
SELECT job_id FROM assign_workflow(8000, (SELECT id FROM workflow WHERE name = 'Backend engineer')) \g /dev/null
SELECT id FROM add_candidate(8001, 8000) \g /dev/null
SET workflow_ext.actor = 'user:ann';

-- 0.2.0: roles acting as themselves are their names.  ann shares with a role
-- by its name; a role owns a workflow, a job, a profile and a pipeline row,
-- and shares its workflow with user:dee.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wf_upgrade_owner') THEN
        CREATE ROLE wf_upgrade_owner;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wf_upgrade_grantee') THEN
        CREATE ROLE wf_upgrade_grantee;
    END IF;
END $$;
SELECT share_workflow(id, 'wf_upgrade_grantee') FROM workflow WHERE name = 'Backend engineer' \g /dev/null
SET ROLE wf_upgrade_owner;
RESET workflow_ext.actor;
INSERT INTO workflow (name, description) VALUES ('Role workflow', 'Upgrade test: owned by a role under its name');
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT w.id, s.name, s.position FROM workflow w, (VALUES ('First', 1), ('Second', 2), ('Third', 3)) s(name, position)
 WHERE w.name = 'Role workflow';
SELECT share_workflow(id, 'user:dee') FROM workflow WHERE name = 'Role workflow' \g /dev/null
SELECT job_id FROM assign_workflow(7000, (SELECT id FROM workflow WHERE name = 'Role workflow')) \g /dev/null
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (7001, '{"years_experience": 2, "location": "Oslo"}');
SELECT id FROM add_candidate(7001, 7000) \g /dev/null
RESET ROLE;
SET workflow_ext.actor = 'user:ann';

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
