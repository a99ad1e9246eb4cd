-- A hiring team of one company on workflow_ext 0.3.0 (README: Organizations
-- and teams): a recruiter, a coordinator, a hiring manager and an
-- administrator, each named by the application per request, all in the
-- organization org:acme.  Run in a fresh database (again in another one of the
-- same cluster if you like):
--   createdb team && psql -X -v ON_ERROR_STOP=1 -d team -f examples/team.sql
\set VERBOSITY verbose
\set SHOW_CONTEXT never
CREATE EXTENSION IF NOT EXISTS workflow_ext;
-- An application role: row-level security applies to it (not to a superuser).
-- Roles are cluster-wide: team_app and the group role workflow_app are made
-- once and reused, so the script runs again in another database of the same
-- cluster (the grants, per database, are given again: GRANT is idempotent).
\set QUIET on
SET client_min_messages = warning;   -- no NOTICE for a membership granted before
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'team_app') THEN
        CREATE ROLE team_app;
    END IF;
END $$;
RESET client_min_messages;
-- the grant set of the README (Privileges), to the group role workflow_app:
-- the extension grants PUBLIC nothing
\ir app-grants.sql
SET client_min_messages = warning;
GRANT workflow_app TO team_app;
RESET client_min_messages;
SET ROLE team_app;
\set QUIET off
\echo '== As the application role team_app (a member of workflow_app, which holds the grant set of examples/app-grants.sql): row-level security applies'

\echo '== the recruiter builds the process and shares it with the whole company'
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

\echo '== the coordinator imports the candidate and the job''s budget'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:cole';
INSERT INTO candidate_profile (candidate_id, attributes)
VALUES (456, '{"years_experience": 5, "expected_salary": 90000}');
INSERT INTO job_profile (job_id, attributes) VALUES (1234, '{"budget": 100000}');
SELECT candidate_id, status, added_by FROM add_candidate(456, 1234);
COMMIT;

\echo '== the hiring manager moves the candidate: the same facts, the same answer, his name in history'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:hank';
SELECT candidate_facts(456, 1234);
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
\echo '   the onsite needs two scorecards for this application (expect 23514):'
SAVEPOINT s;
\set ON_ERROR_STOP 0
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
\set ON_ERROR_STOP 1
ROLLBACK TO SAVEPOINT s;
UPDATE candidate_stage SET attributes = attributes || '{"scorecards": 2}' WHERE job_id = 1234 AND candidate_id = 456;
SELECT to_stage_name FROM move_to_next_stage(456, 1234);
COMMIT;

\echo '== another company uses the same ids, and sees none of it'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:globex';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT count(*) AS globex_sees_workflows FROM workflow;
SELECT candidate_facts(456) AS globex_reads;
COMMIT;

\echo '== ann leaves the company: the administrator hands her workflows over'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:acme';
SET LOCAL workflow_ext.actor = 'user:ada';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT transfer_workflow_ownership(id, 'user:hank') FROM workflow WHERE owner = 'user:ann';
SELECT name, owner FROM workflow;
SELECT actor, from_stage_id, to_stage_id FROM stage_transition ORDER BY id;
COMMIT;
RESET ROLE;
