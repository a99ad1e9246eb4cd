-- A hiring team adds a stage between two stages of a workflow in use (an "Assessment" after Applied).
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/13_insert_stage_mid_workflow.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2),(1,'Onsite',3);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT count(*) FROM unnest(ARRAY[1,2,3]) c, add_candidate(c, 1234);
SELECT to_stage_name FROM move_to_next_stage(2, 1234);
BEGIN;
UPDATE workflow_stage SET position = position + 1 WHERE workflow_id = 1 AND position >= 2;
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1, 'Assessment', 2);
COMMIT;
SELECT id, name, position FROM workflow_stage WHERE workflow_id = 1 ORDER BY position;
SELECT to_stage_name FROM move_to_next_stage(1, 1234);     -- Assessment
SELECT position, stage_name, entered, current, advanced FROM pipeline_funnel(1234);
-- or with reorder_stages()
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1, 'Reference check', 5);
SELECT reorder_stages(1, ARRAY[1, 4, 2, 5, 3]);
SELECT id, name, position FROM workflow_stage WHERE workflow_id = 1 ORDER BY position;
SELECT stage_name, position, advanced FROM pipeline_funnel(1234);
SELECT candidate_id, stage_id, outcome, advanced FROM stage_visit ORDER BY transition_id;
