-- 01: an owner's AFTER INSERT trigger on stage_transition that changes the moved candidate's
-- facts (candidate_profile.attributes).  The facts trigger raises the visit's firing alerts
-- (cause 'facts') for the visit the move has just begun, BEFORE the move writes its entry events.
-- main, single move (move_to_stage, history_batch_size = 1): the entry events are proposed with
-- ON CONFLICT DO NOTHING and skipped; the move succeeds.
-- This branch: the entry events are inserted without ON CONFLICT -> 23505, the move fails.
-- arbiters_decide_nothing() only looks at alert_event's triggers/rules/indexes, not at
-- stage_transition's (nor candidate_stage's AFTER triggers) that can write events first.
RESET ROLE;
CREATE FUNCTION att_touch_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.job_id IN (9001, 9002, 9003) AND NEW.from_stage_id IS NOT NULL THEN
    UPDATE public.candidate_profile SET attributes = attributes || jsonb_build_object('moved_at', NEW.id)
     WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER att_touch_facts AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION att_touch_facts();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(1, 9003, %s)', :s2)) AS move_function;
SELECT * FROM att_pair(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1', :s2));
RESET ROLE;
SELECT job_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002, 9003) GROUP BY 1, 2 ORDER BY 1, 2;
SELECT job_id, count(*) AS moves FROM stage_transition WHERE job_id IN (9001, 9002, 9003) AND from_stage_id IS NOT NULL GROUP BY 1 ORDER BY 1;
