-- 12 (held?): statement_timeout during a big bulk write, then the next statements; COPY into
-- candidate_stage (entries of new visits) vs row by row; a prepared bulk UPDATE executed again
-- after an owner's unique index appeared.
RESET ROLE;
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT :s3, 'score', 'gte', '0', 'many ' || g, 'candidate' FROM generate_series(1, 2000) g;
INSERT INTO alert (stage_id, field_name, operator, value, message, source, fires_on) VALUES (:s1, 'score', 'exists', NULL, 'no score', 'candidate', 'mismatch');
GRANT SELECT ON ALL TABLES IN SCHEMA public TO att_app;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET statement_timeout = '30ms';
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s3)) AS timed_out;
RESET statement_timeout;
SELECT test_error($$INSERT INTO alert_event (alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message)
  VALUES (1, 9002, 1, 1, 1, 1, 'entry', 'info', 'forged')$$) AS forged_after_timeout;
SELECT * FROM att_pair($$UPDATE candidate_stage SET stage_id = (SELECT test_stage(workflow_id, 3) FROM job_workflow WHERE job_id = $J) WHERE job_id = $J$$);
SELECT * FROM att_diff();
\echo '-- COPY (as the owner: COPY FROM is refused under RLS) and a multi-row INSERT: new candidates'
RESET ROLE;
SET workflow_ext.history_batch_size = 1;
COPY candidate_stage (job_id, candidate_id) FROM STDIN;
9001	11
9001	12
9001	13
\.
RESET workflow_ext.history_batch_size;
COPY candidate_stage (job_id, candidate_id) FROM STDIN;
9002	11
9002	12
9002	13
\.
SET ROLE att_app;
SELECT * FROM att_pair($$INSERT INTO candidate_stage (job_id, candidate_id) SELECT $J, g FROM generate_series(14, 30) g$$);
SELECT * FROM att_diff();
\echo '-- prepared bulk UPDATE, index added between executions'
PREPARE mv(bigint, bigint) AS UPDATE candidate_stage SET stage_id = $2 WHERE job_id = $1 AND candidate_id <= 10;
EXECUTE mv(9003, :s2);
EXECUTE mv(9003, :s3);
RESET ROLE;
CREATE UNIQUE INDEX att_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE job_id = 9003;
SET ROLE att_app;
SELECT test_error(format('EXECUTE mv(9003, %s)', :s2)) AS prepared_back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9003) j, att_summary(j) s;
