-- README Errors: 22023 null_argument is "a NULL id, stage or status where one is required";
-- move_candidates(NULL, ...) is 22023. The single moves answer a NULL job_id with P0002 job_not_found.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/08_null_job_id.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Backend');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(456, 1234);
SELECT * FROM t.try('move_candidates NULL job', '22023', 'null_argument', $$SELECT * FROM move_candidates(NULL, ARRAY[456])$$);
SELECT * FROM t.try('move_to_next_stage NULL job', '22023', 'null_argument', $$SELECT move_to_next_stage(456, NULL)$$);
SELECT * FROM t.try('move_to_stage NULL stage', '22023', 'null_argument', $$SELECT move_to_stage(456, 1234, NULL)$$);
SELECT * FROM t.try('reject NULL job', '22023', 'null_argument', $$SELECT reject_candidate(456, NULL)$$);
SELECT * FROM t.try('add_candidate NULL job', '22023', 'null_argument', $$SELECT add_candidate(456, NULL)$$);
SELECT * FROM t.try('add_candidate NULL candidate', '22023', 'null_argument', $$SELECT add_candidate(NULL, 1234)$$);
SELECT * FROM t.try('assign_workflow NULL job', '22023', 'null_argument', $$SELECT assign_workflow(NULL, 1)$$);
SELECT * FROM t.try('pipeline_funnel NULL', '22023', 'funnel_scope_missing', $$SELECT * FROM pipeline_funnel(NULL)$$);
