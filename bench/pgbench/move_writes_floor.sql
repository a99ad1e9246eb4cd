\set c random(1, :candidates)
\set j 1 + :c % :jobs
-- The writes of one move and nothing else: 1 pipeline update, 1 history row,
-- 3 alert events with the facts snapshot, in one statement, no checks.  Ids
-- are the tenant's (the keys lead with it): the row is looked up in the
-- session's tenant ('bench'), as the extension does.
WITH t AS (
  INSERT INTO wfloor.stage_transition (tenant, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id,
                                       from_status, to_status, actor, alerts_raised)
  SELECT tenant, job_id, candidate_id, workflow_id, stage_id, stage_id + 1, status, status, 'bench', 3
    FROM wfloor.candidate_stage
   WHERE tenant = 'bench' AND job_id = :j AND candidate_id = :c
  RETURNING id, tenant, job_id, candidate_id, workflow_id, to_stage_id
), m AS (
  UPDATE wfloor.candidate_stage s
     SET stage_id = t.to_stage_id, entered_at = now(), transition_id = t.id, visit_transition_id = t.id
    FROM t WHERE s.tenant = t.tenant AND s.job_id = t.job_id AND s.candidate_id = t.candidate_id
  RETURNING s.tenant, s.job_id, s.candidate_id, s.workflow_id, s.stage_id, s.transition_id
)
INSERT INTO wfloor.alert_event (tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id,
                                cause, severity, message, facts)
SELECT m.tenant, a, m.job_id, m.candidate_id, m.workflow_id, m.stage_id, m.transition_id,
       'entry', 'warning', 'always', p.attributes
  FROM m JOIN candidate_profile p ON p.tenant = m.tenant AND p.candidate_id = m.candidate_id,
       generate_series(1, 3) a;
