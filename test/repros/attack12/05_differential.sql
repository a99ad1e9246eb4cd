-- attack12 probe: one script run in two fresh databases, one with
-- workflow_ext.history_batch_size = 1 (row by row: ALTER DATABASE ... SET),
-- one with the default (set-wise); the outputs (events with their ids,
-- wake-ups, errors, sequence positions) must be the same.  Driver:
--   createdb d_set; createdb d_row; psql -d d_row -c 'ALTER DATABASE d_row SET workflow_ext.history_batch_size = 1'
--   for d in d_set d_row; do psql -X -d $d -f test/repros/attack12/05_differential.sql 2>&1 | sed 's/PID [0-9]*/PID/' > /tmp/$d.out; done
--   diff /tmp/d_set.out /tmp/d_row.out
\set ON_ERROR_STOP 1
\i test/repros/attack12/00_fixture.sql
\set ON_ERROR_STOP 0
-- a second tenant with the same candidate ids; a mismatch alert in Screen too
SET ROLE app;
SET workflow_ext.tenant = 'org:b'; SET workflow_ext.actor = 'user:bob';
INSERT INTO workflow (name) VALUES ('B');
INSERT INTO workflow_stage (workflow_id, name, position, kind) VALUES (2,'B1',1,'normal'),(2,'B2',2,'normal');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (6, 'flag', 'eq', 'true', 'B flagged');
INSERT INTO alert (stage_id, field_name, operator, value, fires_on, message) VALUES (6, 'n', 'exists', NULL, 'mismatch', 'B no n');
SELECT assign_workflow(200, 2) IS NOT NULL;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"flag": false, "n": 0}' FROM generate_series(1, 6) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 200, g FROM generate_series(1, 6) g;
UPDATE candidate_stage SET stage_id = 6 WHERE job_id = 200 AND candidate_id <= 4;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
INSERT INTO alert (stage_id, field_name, operator, value, fires_on, message) VALUES (2, 'n', 'exists', NULL, 'mismatch', 'no n');
RESET ROLE;
CREATE VIEW ev AS SELECT id, tenant, job_id, candidate_id, message, cause, transition_id FROM alert_event ORDER BY id;
GRANT SELECT ON ev TO app;
LISTEN workflow_events;
SET ROLE app;
\echo '== 1. app, one tenant: some fire, some not'
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', candidate_id % 2 = 1) WHERE candidate_id BETWEEN 1 AND 6;
SELECT * FROM ev;
\echo '== 2. again: repeats, and a new one'
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', true) WHERE candidate_id BETWEEN 1 AND 6;
SELECT * FROM ev WHERE id > 0 ORDER BY id;
\echo '== 3. owner, two tenants, same candidate ids'
RESET ROLE;
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', true, 'x', 1) WHERE candidate_id BETWEEN 1 AND 6;
UPDATE candidate_profile SET attributes = jsonb_build_object('flag', candidate_id % 3 = 0) WHERE candidate_id BETWEEN 1 AND 6 AND tenant = 'org:b';
SELECT * FROM ev;
SET ROLE app;
\echo '== 4. writable CTE: delete and insert the same candidate (the same visit twice)'
WITH d AS (DELETE FROM candidate_profile WHERE candidate_id IN (1, 2) RETURNING candidate_id)
INSERT INTO candidate_profile (candidate_id, attributes) SELECT candidate_id, '{"flag": true}' FROM d;
SELECT * FROM ev;
WITH a AS (UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id = 3 RETURNING 1)
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (3, '{"flag": true}') ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
WITH a AS (UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id = 4 RETURNING 1)
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (7, '{"flag": true}'), (4, '{"flag": true}') ON CONFLICT (tenant, candidate_id) DO NOTHING;
SELECT * FROM ev;
\echo '== 5. INSERT ON CONFLICT DO UPDATE'
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('n', g) FROM generate_series(1, 8) g
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(1, 8) g
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SELECT * FROM ev;
\echo '== 6. UPDATE FROM with duplicates'
UPDATE candidate_profile p SET attributes = jsonb_build_object('flag', v.f) FROM (VALUES (3, true), (3, false), (4, true), (5, false), (5, true)) v(c, f) WHERE p.candidate_id = v.c;
SELECT * FROM ev;
\echo '== 7. savepoint rolled back mid-transaction, then more'
BEGIN;
UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id BETWEEN 1 AND 6;
SAVEPOINT s;
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id BETWEEN 1 AND 6;
ROLLBACK TO s;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 1}' WHERE candidate_id BETWEEN 1 AND 6;
COMMIT;
SELECT * FROM ev;
\echo '== 8. REPEATABLE READ and SERIALIZABLE'
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id BETWEEN 1 AND 6;
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id BETWEEN 1 AND 6;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 2}' WHERE candidate_id BETWEEN 1 AND 6;
COMMIT;
SELECT * FROM ev;
\echo '== 9. an owner policy hides flagged events from the writer'
RESET ROLE;
CREATE POLICY hide_flagged ON alert_event AS RESTRICTIVE FOR SELECT USING (message <> 'flagged');
SET ROLE app;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 3}' WHERE candidate_id BETWEEN 1 AND 6;
RESET ROLE;
DROP POLICY hide_flagged ON alert_event;
SET ROLE app;
SELECT * FROM ev;
\echo '== 10. a candidate with many jobs, small batch sizes'
RESET ROLE;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:ann';
SELECT count(*) FROM generate_series(102, 106) j, assign_workflow(j, 1);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(102, 106) j, generate_series(1, 3) g;
UPDATE candidate_stage SET stage_id = 2 WHERE job_id BETWEEN 102 AND 106;
SET ROLE app;
SELECT set_config('workflow_ext.history_batch_size', CASE current_setting('workflow_ext.history_batch_size') WHEN '1' THEN '1' ELSE '2' END, false);
UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id BETWEEN 1 AND 6;
UPDATE candidate_profile SET attributes = '{"flag": true}' WHERE candidate_id BETWEEN 1 AND 6;
SELECT set_config('workflow_ext.history_batch_size', CASE current_setting('workflow_ext.history_batch_size') WHEN '1' THEN '1' ELSE '3' END, false);
UPDATE candidate_profile SET attributes = '{"flag": false}' WHERE candidate_id BETWEEN 1 AND 6;
UPDATE candidate_profile SET attributes = '{"flag": true, "n": 5}' WHERE candidate_id BETWEEN 1 AND 6;
RESET workflow_ext.history_batch_size;
SELECT * FROM ev;
SET ROLE app;
\echo '== 11. the same visit changed twice in one statement, its alert firing both times (new visits)'
UPDATE candidate_profile SET attributes = '{"flag": false, "n": 9}' WHERE candidate_id IN (3, 4);
UPDATE candidate_stage SET stage_id = 3 WHERE candidate_id IN (3, 4) AND job_id IN (100, 101);
UPDATE candidate_stage SET stage_id = 2 WHERE candidate_id IN (3, 4) AND job_id IN (100, 101);
WITH a AS (UPDATE candidate_profile SET attributes = '{}' WHERE candidate_id IN (3, 4) RETURNING 1)
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (4, '{"flag": true}'), (3, '{"flag": true}'), (5, '{"flag": true}')
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SELECT * FROM ev WHERE candidate_id IN (3, 4, 5) ORDER BY id DESC LIMIT 10;
RESET ROLE;
SELECT last_value FROM alert_event_id_seq;
SELECT last_value FROM stage_transition_id_seq;
