-- 03 (held): after a 23505 of the plain INSERT (caught in a savepoint / PL/pgSQL block), the next
-- statements in the same transaction and session: buffer, guard announcement, visits.
RESET ROLE;
-- an event made by hand (guard off) for the visits job 9004's next move will begin: the plain INSERT
-- of that move fails with 23505 (documented); what it leaves behind is the question.
SELECT id AS scored FROM alert WHERE stage_id = :s2 ORDER BY id LIMIT 1 \gset
SELECT last_value AS last_transition FROM stage_transition_id_seq \gset
SET session_replication_role = replica;
INSERT INTO alert_event (id, tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message)
SELECT nextval('alert_event_id_seq'), 'org:a', :scored, 9004, c, :wf, :s2, :last_transition + k, 'entry', 'warning', 'made by hand'
  FROM generate_series(1, 30) k, generate_series(1, 10) c WHERE k NOT BETWEEN 11 AND 20;
RESET session_replication_role;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
BEGIN;
SAVEPOINT a;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9004;
ROLLBACK TO SAVEPOINT a;
-- next bulk statement in the same transaction
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
-- a hand insert must still be refused by the guard (no leftover announcement)
SELECT test_error($$INSERT INTO alert_event (alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity, message)
  SELECT alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id, 'facts', severity, 'forged' FROM alert_event WHERE job_id = 9002 LIMIT 1$$) AS forged;
-- in a PL/pgSQL block
DO $$ BEGIN
  BEGIN
    EXECUTE format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9004', test_stage((SELECT workflow_id FROM job_workflow WHERE job_id = 9004), 2));
  EXCEPTION WHEN unique_violation THEN RAISE NOTICE 'caught %', SQLERRM;
  END;
  EXECUTE format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9003', test_stage((SELECT workflow_id FROM job_workflow WHERE job_id = 9003), 2));
END $$;
COMMIT;
-- reference row by row for job 9001
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9004) j, att_summary(j) s;
SELECT job_id, count(*) AS open_visits_in_s2 FROM stage_visit_row WHERE stage_id = :s2 AND left_at IS NULL GROUP BY 1 ORDER BY 1;
SELECT job_id, count(*) AS at_s2 FROM candidate_stage WHERE stage_id = :s2 GROUP BY 1 ORDER BY 1;
