-- Repro facts21e/12 (after setup.sql and 00_fixture.psql).  An owner's AFTER trigger on
-- candidate_profile moves the candidate on from inside an exception block (committed).
-- The documented "a query inside an exception block runs before the pending facts are
-- evaluated" has this consequence: the change is evaluated in the stage the candidate was
-- moved to, and the alerts of the stage it stood in when its facts changed never fire.
-- history_batch_size = 1 and main: 'has level' for candidates 3, 4 (stage 1), then the moves.
-- set-wise: no event for 1, 2.
SET workflow_ext.actor = 'user:x';
SET workflow_ext.tenant = 'org:a';
CREATE FUNCTION zz_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM public.move_to_next_stage(NEW.candidate_id, 100);
  EXCEPTION WHEN lock_not_available THEN NULL;
  END;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_move AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION zz_move();
SET ROLE r_app;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (3, 4);
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT candidate_id, s.position AS stage FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id WHERE c.job_id = 100 ORDER BY 1;
SELECT candidate_id, message, cause FROM alert_event WHERE job_id = 100 ORDER BY id;
