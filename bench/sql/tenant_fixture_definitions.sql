-- Stages, rules and alerts of workflow :wf (tenant_fixture.sql): 6 normal
-- stages; each a blocking rule of 3 leaves every candidate passes and 2
-- hand-made alerts (years_experience >= 0 fires for everyone, visa_required
-- for a tenth).  The same statements in 0.2.0 and 0.3.0.
INSERT INTO workflow_stage (workflow_id, name, position)
SELECT :wf, 'stage ' || i, i FROM generate_series(1, 6) i ORDER BY i;
INSERT INTO stage_rule (stage_id, name, condition)
SELECT s.id, 'rule ' || s.position,
       '{"all": [{"field": "years_experience", "op": "gte", "value": 0},
                 {"field": "location", "op": "in", "value": ["Berlin", "Remote", "Paris", "Lisbon", "Warsaw"]},
                 {"field": "email", "op": "matches", "value": "^[a-z0-9.]+@example\\.com$"}]}'
  FROM workflow_stage s WHERE s.workflow_id = :wf ORDER BY s.position;
INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
SELECT s.id, a.f, a.o, a.v::jsonb, a.m, a.sev
  FROM workflow_stage s,
       (VALUES ('years_experience', 'gte', '0', 'entered the stage', 'info'),
               ('visa_required', 'eq', 'true', 'needs a visa', 'warning')) a(f, o, v, m, sev)
 WHERE s.workflow_id = :wf ORDER BY s.position, a.f;
