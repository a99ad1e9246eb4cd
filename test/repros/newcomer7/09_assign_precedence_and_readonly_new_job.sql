-- README Functions, assign_workflow: "Changing a job's assignment ... needs edit rights on the workflow
-- it follows: 42501 read_only ... when that one is shared read-only with the caller". A read-only grantee
-- reassigning a job that has candidates gets 55000 job_has_candidates instead; and any read-only
-- grantee (an interviewer with the org-wide share) may put new jobs on the workflow.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/09_assign_precedence_and_readonly_new_job.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend'), ('Intern');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(2,'Applied',1);
SELECT share_workflow(1, NULL); SELECT share_workflow(2, NULL);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT job_id FROM assign_workflow(1300, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SET workflow_ext.actor = 'user:ivy';   -- read-only grantee (org-wide share)
SELECT * FROM t.try('ivy reassigns 1300 (no candidates)', '42501', 'read_only', $$SELECT assign_workflow(1300, 2)$$);
SELECT * FROM t.try('ivy reassigns 1234 (candidates)', '42501', 'read_only', $$SELECT assign_workflow(1234, 2)$$);
SELECT * FROM t.try('ivy assigns a new job', '00000', NULL, $$SELECT assign_workflow(1900, 1)$$);
