-- shard_call('screening_counts') (the scale-out front's screening_counts(job_id, condition))
-- on another tenant's job shared with the caller matches the job's candidate ids against
-- candidate_facts(candidate_id) -- the CALLER's own tenant's facts of those ids, i.e. other
-- people -- exactly what fix6 refuses for candidate_facts(candidate_id, job_id) and
-- evaluate_condition(condition, candidate_id, job_id) (42501 other_tenant_facts: "they would
-- otherwise explain the agency's own candidate of that id, another person, against a rule the
-- client's facts decide"). Expected: 42501 other_tenant_facts (or the job's tenant's facts are
-- never involved: refuse); actual: counts computed from the agency's own profiles.
-- Run as a superuser on an empty database.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS a8_app;
CREATE ROLE a8_app;
GRANT workflow_app TO a8_app;
RESET client_min_messages;
SET ROLE a8_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:client'; SET LOCAL workflow_ext.actor = 'user:carl';
INSERT INTO workflow (name) VALUES ('W') RETURNING id AS w \gset
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (:w, 's1', 1);
SELECT job_id FROM assign_workflow(10, :w);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"name": "client person #5"}');
SELECT candidate_id FROM add_candidate(5, 10);
SELECT share_workflow(:w, NULL, false, 'org:agency');
SET LOCAL workflow_ext.tenant = 'org:agency'; SET LOCAL workflow_ext.actor = 'user:boss';
SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w, true);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"name": "agency person #5"}');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:agency'; SET LOCAL workflow_ext.actor = 'user:agent';
-- refused, as fix6 intends:
SELECT (shard_call('org:agency', 'user:agent', 'candidate_facts', '{"candidate_id": 5, "job_id": 10}')).error_sqlstate AS candidate_facts_of_client_job;
-- but the screening count of the client's job 10 matches the agency's own person #5:
SELECT (shard_call('org:agency', 'user:agent', 'screening_counts',
        '{"job_id": 10, "condition": {"field": "name", "op": "eq", "value": "agency person #5"}}')).result AS agency_screens_client_job;
-- [{"matching": 1, "candidates": 1}]   (expected: 42501 other_tenant_facts)
ROLLBACK;
RESET ROLE;
