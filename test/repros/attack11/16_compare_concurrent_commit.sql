-- attack11 16: another session commits a profile change in the middle of a bulk move (a trigger of the
-- user's calls dblink for candidate 5, changing candidate 6's and 7's profiles, job 11's job facts);
-- the rows after it read the latest snapshot; main vs attack11, READ COMMITTED and REPEATABLE READ
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dblink;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
 (:s2, 'score', '{"all":[{"field":"score","op":"gte","value":2},{"field":"budget","op":"exists","source":"job"}]}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '7', 'high');
SELECT count(*) FROM generate_series(10, 11) j, assign_workflow(j, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"budget": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 1}' FROM generate_series(1, 10) g;
SELECT count(*) FROM generate_series(10, 11) j, generate_series(1, 10) g, add_candidate(g, j);
\getenv h PGHOST
\getenv p PGPORT
SELECT dblink_connect('t2', 'host=' || :'h' || ' port=' || :'p' || ' dbname=t');
SELECT dblink_exec('t2', $$SET workflow_ext.tenant = 'org:a'$$);
SELECT dblink_exec('t2', $$SET workflow_ext.actor = 'user:y'$$);
CREATE FUNCTION mid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.candidate_id = 5 AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
    PERFORM dblink_exec('t2', format($q$UPDATE candidate_profile SET attributes = '{"score": %s}' WHERE candidate_id IN (6, 7)$q$, 7 + NEW.job_id));
    PERFORM dblink_exec('t2', $q$INSERT INTO job_profile (job_id, attributes) VALUES (11, '{"budget": 2}') ON CONFLICT DO NOTHING$q$);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER mid BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION mid();
\echo == READ COMMITTED, job 10 bulk
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id IN (SELECT g FROM generate_series(1, 10) g ORDER BY g);
\echo == REPEATABLE READ, job 11 bulk
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 11;
COMMIT;
SELECT id, job_id, candidate_id, alerts_raised, left(warnings::text, 60) w FROM stage_transition ORDER BY id;
SELECT id, job_id, candidate_id, transition_id, message, facts FROM alert_event ORDER BY id;
