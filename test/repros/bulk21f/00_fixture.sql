-- Fixture for the bulk21f repros: run after test/sql/setup.sql (extension + helpers), as the superuser.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS att_app;
RESET client_min_messages;
\ir ../../sql/include/app_grants.psql
CREATE ROLE att_app;
GRANT workflow_app TO att_app;
SET workflow_ext.tenant = 'org:a';
SET workflow_ext.actor = 'user:x';
SELECT test_workflow('Att', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
-- stage 2: two alerts that fire on entry for everyone
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:s2, 'score', 'gte', '0', 'scored', 'candidate'),
  (:s2, 'score', 'gte', '0', 'scored too', 'candidate');
SELECT count(*) FROM generate_series(9001, 9004) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 10) g
  ON CONFLICT DO NOTHING;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(9001, 9004) j, generate_series(1, 10) g;
-- summary of one job's events
CREATE FUNCTION att_summary(jid bigint) RETURNS TABLE (transitions bigint, events bigint, causes text) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM stage_transition WHERE job_id = jid), (SELECT count(*) FROM alert_event WHERE job_id = jid),
       (SELECT string_agg(cause || ':' || n, ',' ORDER BY cause) FROM (SELECT cause, count(*) n FROM alert_event WHERE job_id = jid GROUP BY cause) c) $$;
-- att_pair(template): runs format(template, 9001) row by row (history_batch_size = 1) and
-- format(template, 9002) bulk, as the caller; returns both outcomes.
CREATE FUNCTION att_pair(template text, OUT row_by_row text, OUT bulk text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('workflow_ext.history_batch_size', '1', true);
  row_by_row := test_error(replace(template, '$J', '9001'));
  PERFORM set_config('workflow_ext.history_batch_size', '1000', true);
  bulk := test_error(replace(template, '$J', '9002'));
END $$;
-- a job's events, ids as ranks per candidate (to compare 9001 with 9002)
CREATE FUNCTION att_events(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, message text, cause text,
    stage_pos int, transition_rank bigint, reason text) LANGUAGE sql AS $$
WITH t AS (SELECT t.id, t.reason, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id) AS rank FROM public.stage_transition t WHERE t.job_id = jid)
SELECT e.candidate_id, rank() OVER (PARTITION BY e.candidate_id ORDER BY e.id), e.message, e.cause,
       (SELECT position FROM public.workflow_stage s WHERE s.id = e.stage_id), t.rank, t.reason
  FROM public.alert_event e LEFT JOIN t ON t.id = e.transition_id WHERE e.job_id = jid $$;
CREATE FUNCTION att_history(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, from_pos int, to_pos int,
    reason text, alerts_raised int) LANGUAGE sql AS $$
SELECT t.candidate_id, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id),
       (SELECT position FROM public.workflow_stage s WHERE s.id = t.from_stage_id), (SELECT position FROM public.workflow_stage s WHERE s.id = t.to_stage_id),
       t.reason, t.alerts_raised FROM public.stage_transition t WHERE t.job_id = jid $$;
CREATE FUNCTION att_diff(OUT events_diff bigint, OUT history_diff bigint, OUT events_9001 bigint, OUT events_9002 bigint) LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM ((SELECT * FROM att_events(9001) EXCEPT ALL SELECT * FROM att_events(9002))
          UNION ALL (SELECT * FROM att_events(9002) EXCEPT ALL SELECT * FROM att_events(9001))) d),
       (SELECT count(*) FROM ((SELECT * FROM att_history(9001) EXCEPT ALL SELECT * FROM att_history(9002))
          UNION ALL (SELECT * FROM att_history(9002) EXCEPT ALL SELECT * FROM att_history(9001))) d),
       (SELECT count(*) FROM alert_event WHERE job_id = 9001), (SELECT count(*) FROM alert_event WHERE job_id = 9002) $$;
