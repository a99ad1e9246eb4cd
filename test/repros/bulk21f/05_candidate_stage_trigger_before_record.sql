-- 05: same class as 01, through the pipeline table: an owner's AFTER UPDATE row trigger on
-- candidate_stage named to fire before the engine's candidate_stage_record, changing the moved
-- candidate's facts.  The facts trigger raises the new visit's firing alerts (alert_event has no
-- foreign key on transition_id) before the visit's history row and entry events are written.
RESET ROLE;
CREATE FUNCTION att_touch_facts2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.job_id IN (9001, 9002, 9003) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
    UPDATE public.candidate_profile SET attributes = attributes || '{"moved": true}'
     WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER a_att_touch_facts AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION att_touch_facts2();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_error(format('SELECT move_to_stage(1, 9003, %s)', :s2)) AS move_function;
SELECT * FROM att_pair(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = $J AND candidate_id = 1', :s2));
RESET ROLE;
SELECT job_id, cause, count(*) FROM alert_event WHERE job_id IN (9001, 9002, 9003) GROUP BY 1, 2 ORDER BY 1, 2;
