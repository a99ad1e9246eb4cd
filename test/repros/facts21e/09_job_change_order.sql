-- Repro facts21e/09 (after setup.sql and 00_fixture.psql).  A change of a job's facts: the
-- row-by-row read (visits(), no ORDER BY) finds the job's open visits through
-- candidate_stage_standing_idx (tenant, job_id, workflow_id, stage_id) WHERE status = 'active',
-- i.e. by stage, and locks/evaluates them in that order; the set-wise read orders them
-- "ORDER BY r.ord, c.candidate_id".  docs/architecture.md claims the job's rows come "by
-- candidate" as the row trigger took them: they do not.  Event ids (and the lock order)
-- differ from history_batch_size = 1 and from main.
-- Jobs 101, 102: set-wise; jobs 103, 104: row by row.  Candidate 1 stands in stage 2, 2-4 in
-- stage 1; an alert on the job's facts in both stages.
SET workflow_ext.actor = 'user:x';
SET workflow_ext.tenant = 'org:a';
SELECT id AS wf FROM workflow WHERE name = 'W' \gset
SELECT test_stage(:wf, 2) AS s2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT id, 'hot', 'eq', 'true', 'hot in s' || position, 'job' FROM workflow_stage WHERE workflow_id = :wf AND position IN (1, 2);
SELECT count(*) FROM generate_series(101, 104) j, assign_workflow(j, :wf);
INSERT INTO job_profile (job_id, attributes) SELECT j, '{}' FROM generate_series(101, 104) j;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(101, 104) j, generate_series(1, 4) g;
UPDATE candidate_stage SET stage_id = :s2 WHERE candidate_id = 1 AND job_id BETWEEN 101 AND 104;
SET ROLE r_app;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id IN (101, 102);
SET workflow_ext.history_batch_size = 1;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id IN (103, 104);
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT CASE WHEN job_id < 103 THEN 'set-wise' ELSE 'row by row' END AS path,
       string_agg(format('job %s cand %s (%s)', job_id, candidate_id, message), ', ' ORDER BY id) AS events_in_id_order
  FROM alert_event WHERE job_id BETWEEN 101 AND 104 GROUP BY 1 ORDER BY 1;
