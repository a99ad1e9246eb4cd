-- 03 (held, output identical to main 83b2b7e): feed positions (generation = xact_id >> 48) of history rows and events around
-- feed_advance() in savepoints rolled back/released, exception blocks, a PL/pgSQL loop, at
-- history_batch_size 1 and 1000.  Compare the output with main's: must be identical.
RESET ROLE;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT feed_generation() AS g0 \gset
CREATE TABLE att_g0 AS SELECT feed_generation() AS g0;
CREATE FUNCTION att_gen(x xid8) RETURNS bigint LANGUAGE sql AS $$ SELECT div(x::text::numeric, 281474976710656)::bigint - (SELECT g0 FROM att_g0) $$;
CREATE FUNCTION att_adv() RETURNS bigint LANGUAGE sql AS $$ SELECT feed_advance(((feed_generation() + 1) * 281474976710656::numeric)::text::xid8) $$;
SET workflow_ext.history_batch_size = 1;
BEGIN;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001 AND candidate_id = 1;
SAVEPOINT s;
SELECT att_adv() IS NOT NULL AS adv1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001 AND candidate_id = 2;
ROLLBACK TO s;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001 AND candidate_id = 3;
SAVEPOINT t;
SELECT att_adv() IS NOT NULL AS adv2;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001 AND candidate_id = 4;
RELEASE t;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9001 AND candidate_id = 5;
COMMIT;
BEGIN;
DO $$
DECLARE s2 bigint := (SELECT stage_id FROM candidate_stage WHERE job_id = 9001 AND candidate_id = 1);
BEGIN
  FOR i IN 6..10 LOOP
    BEGIN
      IF i = 7 THEN PERFORM att_adv(); END IF;
      UPDATE candidate_stage SET stage_id = s2 WHERE job_id = 9001 AND candidate_id = i;
      IF i = 7 THEN RAISE EXCEPTION 'undo'; END IF;
      IF i = 8 THEN PERFORM att_adv(); END IF;
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    UPDATE candidate_stage SET stage_id = s2 WHERE job_id = 9003 AND candidate_id = i;
  END LOOP;
END $$;
COMMIT;
RESET workflow_ext.history_batch_size;
BEGIN;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002 AND candidate_id <= 3;
SAVEPOINT u;
SELECT att_adv() IS NOT NULL AS adv3;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002 AND candidate_id BETWEEN 4 AND 6;
ROLLBACK TO u;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002 AND candidate_id BETWEEN 7 AND 8;
COMMIT;
SELECT job_id, candidate_id, att_gen(xact_id) AS gen FROM stage_transition WHERE from_stage_id IS NOT NULL ORDER BY id;
SELECT job_id, candidate_id, count(*), min(att_gen(xact_id)), max(att_gen(xact_id)) FROM alert_event GROUP BY 1, 2 ORDER BY 1, 2;
SELECT feed_generation() - :g0 AS advanced;
