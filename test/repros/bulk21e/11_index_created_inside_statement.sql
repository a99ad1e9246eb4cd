-- 11 (held?): an owner's unique index on alert_event created inside the bulk statement (BEFORE ROW
-- trigger on candidate_stage, first row), that the later rows' entry events hit: the later buffers
-- must keep ON CONFLICT DO NOTHING (skip), not fail.  history_batch_size = 3 (several buffers).
RESET ROLE;
CREATE FUNCTION att_ddl() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF NEW.candidate_id <> 10 AND NEW.stage_id IS DISTINCT FROM OLD.stage_id
     AND coalesce(current_setting('att.done', true), '') = '' AND NEW.job_id = 9002 THEN
    PERFORM set_config('att.done', 'y', true);
    EXECUTE 'CREATE UNIQUE INDEX att_once_ever ON public.alert_event (tenant, job_id, candidate_id, alert_id) WHERE job_id = 9002 AND candidate_id = 10';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER att_ddl BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION att_ddl();
GRANT SELECT ON ALL TABLES IN SCHEMA public TO att_app;
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SET workflow_ext.history_batch_size = 3;
SET att.done = 'y';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 9002;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 9002;
RESET att.done;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS back;
RESET ROLE;
SELECT j, s.* FROM generate_series(9002, 9002) j, att_summary(j) s;
SELECT count(*) AS cand10_events FROM alert_event WHERE job_id = 9002 AND candidate_id = 10;
