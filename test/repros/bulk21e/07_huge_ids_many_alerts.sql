-- 07 (held?): ids near bigint max and 1,000 alerts on one stage: bulk vs row by row.
RESET ROLE;
SELECT setval('stage_transition_id_seq', 9223372036854700000), setval('alert_event_id_seq', 9223372036854000000),
       setval('alert_id_seq', 9223372036800000000);
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT :s3, 'score', 'gte', '0', 'many ' || g, 'candidate' FROM generate_series(1, 1000) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO att_app;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 3) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 2) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 3) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SELECT * FROM att_diff();
RESET ROLE;
SELECT max(id) > 9223372036854000000 AS huge_event_ids, count(*) FROM alert_event;
