-- A hiring team of one company on workflow_ext 0.3.0 (README: Organizations
-- and teams): a recruiter, a coordinator, a hiring manager and an
-- administrator, each named by the application per request, all in the
-- organization org:acme.  Run in a fresh database:
--   createdb team && psql -X -v ON_ERROR_STOP=1 -d team -f examples/team.sql
\set VERBOSITY verbose
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS workflow_ext;
-- An application role: row-level security applies to it (not to a superuser).
SET client_min_messages = warning;   -- no NOTICE when the role does not exist yet
DROP ROLE IF EXISTS team_app;
RESET client_min_messages;
CREATE ROLE team_app;
-- the grant set of the README (Privileges): the extension grants PUBLIC nothing
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
      alert, job_workflow, candidate_profile, job_profile, rejection_reason, candidate_stage TO team_app;
GRANT SELECT, INSERT ON stage_transition, alert_event TO team_app;
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO team_app;
GRANT SELECT ON facts_source, workflow_with_stages, stage_with_rules, stage_visit, stage_visit_row, stage_visit_summary TO team_app;
GRANT EXECUTE ON FUNCTION visible_workflow_array(), editable_workflow_array(), shared_workflow_array(boolean), shared_pipeline(bigint, text, boolean), own_pipeline(bigint, text, boolean), job_tenant(bigint), pipeline_tenant(bigint, bigint),
        visible_workflow(bigint, boolean), accept_share(bigint, boolean), decline_share(bigint, boolean),
        leave_share(bigint, boolean), pending_shares(), transfer_workflow_ownership(bigint, text) TO team_app;
SET ROLE team_app;

\echo '-- the recruiter builds the process and shares it with the whole company'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend') RETURNING id AS wf \gset
INSERT INTO workflow_stage (workflow_id, name, position)
VALUES (:wf, 'Applied', 1), (:wf, 'Screen', 2), (:wf, 'Onsite', 3);
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'experienced, within budget',
       '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
                 {"field": "expected_salary", "op": "lte", "value": {"field": "budget", "source": "job"}}]}'
  FROM workflow_stage WHERE workflow_id = :wf AND position = 2;
INSERT INTO stage_rule (stage_id, name, condition)
SELECT id, 'two scorecards', '{"field": "scorecards", "op": "gte", "value": 2, "source": "application"}'
  FROM workflow_stage WHERE workflow_id = :wf AND position = 3;
SELECT share_workflow(:wf, NULL);          -- every actor of org:acme
SELECT job_id, tenant, assigned_by FROM assign_workflow(1234, :wf);
COMMIT;

\echo '-- the coordinator imports the candidate and the job''s budget'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:cole';
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (456, '{"years_experience": 5, "expected_salary": 90000}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 100000}');
SELECT candidate_id, status, added_by FROM add_candidate(456, 1234);
COMMIT;

\echo '-- the hiring manager moves the candidate: the same facts, the same answer, his name in history'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_facts(456, 1234);
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
\echo '-- the onsite needs two scorecards for this application (expect 23514):'
SAVEPOINT s;
\set ON_ERROR_STOP 0
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
\set ON_ERROR_STOP 1
ROLLBACK TO SAVEPOINT s;
UPDATE candidate_stage SET attributes = '{"scorecards": 2}' WHERE job_id = 1234 AND candidate_id = 456;
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
COMMIT;

\echo '-- another company uses the same ids, and sees none of it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT count(*) AS globex_sees_workflows FROM workflow;
SELECT candidate_facts(456) AS globex_reads;
COMMIT;

\echo '-- ann leaves the company: the administrator hands her workflows over'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT transfer_workflow_ownership(id, 'user:hank') FROM workflow WHERE owner = 'user:ann';
SELECT name, owner FROM workflow;
SELECT actor, from_stage_id, to_stage_id FROM stage_transition ORDER BY id;
COMMIT;
RESET ROLE;
