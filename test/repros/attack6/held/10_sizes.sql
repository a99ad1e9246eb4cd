-- many candidates, several jobs each, various history_batch_size: events and their id order against size 1
SELECT count(*) > 0 FROM generate_series(102, 104) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(5, 3000) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 102 + (g % 3), g FROM generate_series(1, 3000) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 103 + (g % 2), g FROM generate_series(1, 3000, 7) g ON CONFLICT DO NOTHING;
ANALYZE candidate_stage;
CREATE FUNCTION sig() RETURNS text LANGUAGE sql AS $$
  SELECT count(*) || ':' || md5(string_agg(format('%s/%s/%s/%s', job_id, candidate_id, message, cause), ' ' ORDER BY id)) FROM alert_event $$;
SET ROLE att_app;
\pset format unaligned
\pset tuples_only on
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 1, sig();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 2;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 2, sig();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 3;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 3, sig();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 7;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 7, sig();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1000;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 1000, sig();
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 100000;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', candidate_id % 3) WHERE candidate_id % 5 <> 0;
UPDATE candidate_profile SET attributes = jsonb_build_object('level', 2) WHERE candidate_id % 2 = 0;
SELECT 100000, sig();
ROLLBACK;
