-- 01: an owner's BEFORE INSERT trigger on alert_event that rewrites alert_id (or cause) so that two
-- entry events of one new visit collide on alert_event_once_per_visit_idx (or on the partial
-- alert_event_sla_once_idx).  Row by row (history_batch_size = 1) and on main: ON CONFLICT DO NOTHING
-- skips the second event, the move succeeds.  Bulk on this branch: 23505, the whole move fails.
RESET ROLE;
CREATE FUNCTION att_collapse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cause = 'entry' AND NEW.job_id IN (9001, 9002) THEN
    -- the owner's policy: one entry event per visit, under the stage's first alert
    NEW.alert_id := (SELECT min(id) FROM public.alert WHERE stage_id = NEW.stage_id);
  END IF;
  IF NEW.cause = 'entry' AND NEW.job_id IN (9003, 9004) THEN
    NEW.cause := 'sla';   -- the owner re-labels entry events (sla_once: one per visit)
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER att_collapse BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION att_collapse();
SET ROLE att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
\echo '-- row by row: job 9001 (alert_id collapsed), 9003 (cause relabelled)'
SET workflow_ext.history_batch_size = 1;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9001', :s2)) AS row_by_row_9001;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9003', :s2)) AS row_by_row_9003;
RESET workflow_ext.history_batch_size;
\echo '-- bulk: job 9002, 9004 (same data)'
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9002', :s2)) AS bulk_9002;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 9004', :s2)) AS bulk_9004;
RESET ROLE;
SELECT j, s.* FROM generate_series(9001, 9004) j, att_summary(j) s;
DROP TRIGGER att_collapse ON alert_event;
