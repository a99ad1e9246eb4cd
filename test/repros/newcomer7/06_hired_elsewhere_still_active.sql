-- A candidate applying to several jobs: hired in one, still active (and movable, even hireable) in the others.
-- Nothing in the README says what a hire does to the candidate's other applications.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/06_hired_elsewhere_still_active.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (1,'Applied',1,'normal'),(1,'Offer',2,'normal'),(1,'Hired',3,'hired');
SELECT job_id FROM assign_workflow(1234, 1);
SELECT job_id FROM assign_workflow(1300, 1);
SELECT job_id, stage_id FROM add_candidate(456, 1234);
SELECT job_id, stage_id FROM add_candidate(456, 1300);
SELECT to_stage_name FROM move_to_next_stage(456, 1234);     -- Offer in 1234
SELECT to_stage_name FROM move_to_next_stage(456, 1234);     -- hired in 1234
SELECT job_id, status FROM candidate_stage WHERE candidate_id = 456 ORDER BY job_id;   -- 1300: still active
SELECT to_stage_name FROM move_to_next_stage(456, 1300);     -- Offer in 1300: allowed
SELECT to_stage_name FROM move_to_next_stage(456, 1300);     -- hired a second time, in 1300: allowed
SELECT job_id, status FROM candidate_stage WHERE candidate_id = 456 ORDER BY job_id;
