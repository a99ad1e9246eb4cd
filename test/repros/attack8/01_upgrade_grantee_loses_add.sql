-- 0.2.0 -> 0.3.0: an editing grantee that in 0.2.0 assigned its own job (8000) to the
-- owner's workflow and added candidates to it (and to the owner's job 1234) can no longer
-- add a candidate to either after the update, since fix6 (42501 other_tenant_job).
-- DESIGN.md section 5: "Upgrading from 0.2.0 keeps every row and changes no actor's access
-- ... 0.2.0 shares keep giving what they gave"; README Upgrading: "every actor keeps its
-- workflows, shares and pipelines", "(the grantee still works it through the share ...)".
-- Run as a superuser on an empty database (tenant unset, as after the update).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION workflow_ext VERSION '0.2.0';
RESET client_min_messages;
SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend engineer');
INSERT INTO workflow_stage (workflow_id, name, position) SELECT id, 's' || i, i FROM workflow, generate_series(1, 2) i;
SELECT share_workflow(id, 'user:ben', true) FROM workflow;
SELECT job_id FROM assign_workflow(1234, (SELECT id FROM workflow));
SET workflow_ext.actor = 'user:ben';
SELECT job_id FROM assign_workflow(8000, (SELECT id FROM workflow));   -- ben's own job, 0.2.0
SELECT candidate_id FROM add_candidate(8001, 8000);                    -- 0.2.0: fine
SELECT candidate_id FROM add_candidate(555, 1234);                     -- 0.2.0: fine
RESET workflow_ext.actor;
ALTER EXTENSION workflow_ext UPDATE TO '0.3.0';
SET workflow_ext.actor = 'user:ben';
SELECT job_id, tenant, assigned_by FROM job_workflow ORDER BY job_id;
-- after the update, ben still moves in both jobs ...
SELECT to_stage_name FROM move_to_next_stage(8001, 8000);
-- ... but can no longer add a candidate to the job he ran in 0.2.0, nor to ann's job:
SELECT candidate_id FROM add_candidate(8002, 8000);   -- expected (contract): a row; actual: 42501 other_tenant_job
SELECT candidate_id FROM add_candidate(556, 1234);    -- expected (contract): a row; actual: 42501 other_tenant_job
-- Following the HINT ("run a job of your own on the shared workflow (assign_workflow())")
-- with the same job id makes a new, empty job 8000 of ben's tenant that shadows the one he
-- ran in 0.2.0: his functions now resolve 8000 to the new job, and 8001 is "not in job 8000".
SELECT job_id, tenant FROM assign_workflow(8000, (SELECT id FROM workflow));
SELECT to_stage_name FROM move_to_stage(8001, 8000, (SELECT id FROM workflow_stage WHERE position = 1));
