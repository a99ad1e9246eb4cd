-- Fixture: client org:c shares workflow W read-only with agency org:a (whole tenant),
-- can_edit with user:ed of org:a; third tenant org:t has nothing.
\set VERBOSITY verbose
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS workflow_ext;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='workflow_app') THEN CREATE ROLE workflow_app NOLOGIN; END IF; END $$;
\set app_grants `sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md`
:app_grants
DROP ROLE IF EXISTS app;
CREATE ROLE app LOGIN;
GRANT workflow_app TO app;
RESET client_min_messages;
SET ROLE app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:c'; SET LOCAL workflow_ext.actor = 'user:carl';
INSERT INTO workflow (name) VALUES ('W') ;
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 's'||i, i FROM workflow, generate_series(1,3) i WHERE name='W';
INSERT INTO workflow (name) VALUES ('P');
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 'p1', 1 FROM workflow WHERE name='P';
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
  SELECT s.id, 'budget', '{"field": "salary", "op": "lte", "value": 150000}', 'block' FROM workflow_stage s JOIN workflow w ON w.id=s.workflow_id WHERE w.name='W' AND s.position=2;
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
  SELECT s.id, 'warnme', '{"field": "salary", "op": "lte", "value": 10}', 'warn' FROM workflow_stage s JOIN workflow w ON w.id=s.workflow_id WHERE w.name='W' AND s.position=3;
SELECT (SELECT id FROM workflow WHERE name='W') AS w \gset
SELECT job_id FROM assign_workflow(10, (SELECT id FROM workflow WHERE name='W'));
SELECT job_id FROM assign_workflow(11, (SELECT id FROM workflow WHERE name='W'));
SELECT job_id FROM assign_workflow(99, (SELECT id FROM workflow WHERE name='P'));
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (777, '{"salary": 200000, "ssn": "secret-777"}'), (5, '{"salary": 100000}'), (6, '{"salary": 90000}');
SELECT candidate_id FROM add_candidate(777, 99);
SELECT candidate_id FROM add_candidate(5, 10);
SELECT candidate_id FROM add_candidate(6, 10);
SELECT share_workflow((SELECT id FROM workflow WHERE name='W'), NULL, false, 'org:a');
SELECT share_workflow((SELECT id FROM workflow WHERE name='W'), 'user:ed', true, 'org:a');
SET LOCAL workflow_ext.tenant = 'org:a'; SET LOCAL workflow_ext.actor = 'user:boss'; SET LOCAL workflow_ext.tenant_admin = on;
SELECT accept_share(:w, true);
SET LOCAL workflow_ext.tenant_admin = off; SET LOCAL workflow_ext.actor = 'user:ed';
SELECT accept_share(:w);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (5, '{"salary": 1, "name":"agency5"}'), (777, '{"salary": 1}'), (888, '{"salary": 1}');
SELECT job_id FROM assign_workflow(500, (SELECT id FROM workflow WHERE name='W'));
SELECT candidate_id FROM add_candidate(888, 500);
COMMIT;
RESET ROLE;
SELECT id, name, tenant FROM workflow ORDER BY id;
SELECT tenant, job_id, candidate_id, stage_id, status FROM candidate_stage ORDER BY 1,2,3;
