-- README Organizations, "Across tenants": "an id two clients both use is 21000". For the moves the
-- job id is resolved together with the candidate: an agency naming job 1234 that two clients use
-- moves whichever client has that candidate in its job 1234, without 21000.
-- Run: /work/tools/pgsandbox newcomer7 bash -c 'make -s -j2 install && psql -a -f test/repros/newcomer7/10_agency_job_id_resolution.sql'
\i test/repros/newcomer7/_setup.psql
SET workflow_ext.tenant = 'org:acme'; SET workflow_ext.actor = 'user:ann';
INSERT INTO workflow (name) VALUES ('Acme');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (1,'Applied',1),(1,'Screen',2);
SELECT job_id FROM assign_workflow(1234, 1);
SELECT stage_id FROM add_candidate(111, 1234);
SELECT share_workflow(1, 'user:agent-7', false, 'org:agency');
SET workflow_ext.tenant = 'org:globex'; SET workflow_ext.actor = 'user:gina';
INSERT INTO workflow (name) VALUES ('Globex');
INSERT INTO workflow_stage (workflow_id, name, position) VALUES (2,'New',1),(2,'Interview',2);
SELECT job_id FROM assign_workflow(1234, 2);
SELECT stage_id FROM add_candidate(222, 1234);
SELECT share_workflow(2, 'user:agent-7', false, 'org:agency');
SET workflow_ext.tenant = 'org:agency'; SET workflow_ext.actor = 'user:agent-7';
SELECT accept_share(1); SELECT accept_share(2);
SELECT * FROM t.try('job_tenant(1234)', '21000', 'ambiguous_job', $$SELECT job_tenant(1234)$$);
SELECT * FROM t.try('pipeline_funnel(1234)', '21000', 'ambiguous_job', $$SELECT * FROM pipeline_funnel(1234)$$);
SELECT * FROM t.try('move_candidates(1234, ...)', '21000', 'ambiguous_job', $$SELECT * FROM move_candidates(1234, ARRAY[111])$$);
SELECT * FROM t.try('move_to_next_stage(111, 1234)', '21000', 'ambiguous_job', $$SELECT move_to_next_stage(111, 1234)$$);
SELECT tenant, job_id, candidate_id, stage_id FROM candidate_stage ORDER BY tenant;
