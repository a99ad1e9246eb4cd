-- attack11 12: SERIALIZABLE write skew through the facts read (the probe's predicate locks), main vs attack11.
-- T1 (here) moves candidate 1 (reads its profile); T2 (dblink) reads candidate 1's pipeline row and updates its profile.
-- expected both builds: one of the two fails with 40001 (rw-conflict cycle)
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dblink;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}', 'warn');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 200) g;
SELECT count(*) FROM generate_series(1, 200) g, add_candidate(g, 10);
RESET ROLE;
ANALYZE;
\getenv h PGHOST
\getenv p PGPORT
SELECT dblink_connect('t2', 'host=' || :'h' || ' port=' || :'p' || ' dbname=t user=app');
SELECT dblink_exec('t2', $$SET workflow_ext.tenant = 'org:a'$$);
SELECT dblink_exec('t2', $$SET workflow_ext.actor = 'user:y'$$);
\echo == case 1: candidate 1 (profile exists)
-- (T1 runs as postgres: dblink calls need a superuser caller here; the facts are read as the tables' owner either way)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM candidate_stage WHERE job_id = 10 AND candidate_id = 199;  -- snapshot taken
SELECT dblink_exec('t2', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT * FROM dblink('t2', 'SELECT stage_id FROM candidate_stage WHERE job_id = 10 AND candidate_id = 1') AS r(s bigint);
SELECT (move_to_next_stage(1, 10)).warnings;
SELECT dblink_exec('t2', $$UPDATE candidate_profile SET attributes = '{"score": 0}' WHERE candidate_id = 1$$);
SELECT dblink_exec('t2', 'COMMIT');
COMMIT;
\echo == case 2: candidate 150 (no profile: the probe finds nothing; T2 inserts it)
RESET ROLE; DELETE FROM candidate_profile WHERE candidate_id = 150;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM candidate_stage WHERE job_id = 10 AND candidate_id = 199;
SELECT dblink_exec('t2', 'BEGIN ISOLATION LEVEL SERIALIZABLE');
SELECT * FROM dblink('t2', 'SELECT stage_id FROM candidate_stage WHERE job_id = 10 AND candidate_id = 150') AS r(s bigint);
SELECT (move_to_next_stage(150, 10)).warnings;
SELECT dblink_exec('t2', $$INSERT INTO candidate_profile (candidate_id, attributes) VALUES (150, '{"score": 0}')$$);
SELECT dblink_exec('t2', 'COMMIT');
COMMIT;
RESET ROLE;
SELECT candidate_id, to_stage_id - :s1 t, actor FROM stage_transition WHERE candidate_id IN (1, 150) ORDER BY id;
SELECT candidate_id, attributes FROM candidate_profile WHERE candidate_id IN (1, 150) ORDER BY 1;
