-- The kept verdict within one transaction, savepoints, PL/pgSQL loop, prepared statement
-- (the superuser moves and does the DDL in between). An owner's unique index
-- "one event per alert and candidate" makes a re-entry's events repeats: ON CONFLICT skips
-- them; a stale plain INSERT would fail 23505.
UPDATE candidate_profile SET attributes = '{"level": 3}';
DELETE FROM alert_event;
CREATE FUNCTION step(c bigint, j bigint, st bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN test_error(format('SELECT move_to_stage(%s, %s, %s)', c, j, st)); END $$;
BEGIN;
SELECT step(1, 100, :s2), step(1, 100, :s1);
CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, alert_id) WHERE job_id = 100;
SELECT 'a same xact' AS c, step(1, 100, :s2), step(1, 100, :s1);
SAVEPOINT a;
DROP INDEX one_per_alert;
SELECT step(1, 100, :s2), step(1, 100, :s1);
ROLLBACK TO a;
SELECT 'b after rollback to' AS c, step(1, 100, :s2), step(1, 100, :s1);
ROLLBACK;
PREPARE mv(bigint, bigint, bigint) AS SELECT move_to_stage($1, $2, $3);
BEGIN;
EXECUTE mv(2, 100, :s2);
EXECUTE mv(2, 100, :s1);
SAVEPOINT b;
SELECT step(2, 100, :s2), step(2, 100, :s1);
ROLLBACK TO b;
CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, alert_id) WHERE job_id = 100;
SELECT 'd prepared' AS c, test_error('EXECUTE mv(2, 100, ' || :s2 || ')'), test_error('EXECUTE mv(2, 100, ' || :s1 || ')');
ROLLBACK;
DO $$
DECLARE s1 bigint := test_stage((SELECT workflow_id FROM job_workflow WHERE job_id = 100), 1);
        s2 bigint := test_stage((SELECT workflow_id FROM job_workflow WHERE job_id = 100), 2);
BEGIN
  PERFORM move_to_stage(3, 100, s2); PERFORM move_to_stage(3, 100, s1);   -- verdict kept: plain
  CREATE UNIQUE INDEX one_per_alert ON alert_event (tenant, candidate_id, alert_id) WHERE candidate_id = 4;
  FOR i IN 1..3 LOOP
    PERFORM move_to_stage(4, 100, s2); PERFORM move_to_stage(4, 100, s1);
  END LOOP;
  RAISE NOTICE 'loop: no error';
EXCEPTION WHEN unique_violation THEN RAISE NOTICE 'loop: 23505 %', SQLERRM;
END $$;
SELECT candidate_id, count(*), count(DISTINCT alert_id) FROM alert_event GROUP BY 1 ORDER BY 1;
