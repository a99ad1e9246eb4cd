-- Data of the move, scale and facts-update scenarios.  psql variables:
--   :candidates  candidates in the pipeline     :jobs  jobs (one workflow)
-- One 10-stage workflow; stages 2..10 each have a 5-leaf rule every candidate
-- passes (so moves never fail) and 3 hand-made alerts (plus the 5 alerts the
-- rule generates).  The floor and the PL/pgSQL peer get the same pipeline.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET workflow_ext.actor = 'bench';
TRUNCATE workflow, job_workflow, candidate_profile, stage_transition, alert_event, candidate_stage RESTART IDENTITY CASCADE;
TRUNCATE peer.candidate_stage, peer.stage_transition, peer.alert_event;
-- The writes-floor fixture (writes_fixture.sql) is the move scenario's alone.
DROP SCHEMA IF EXISTS wfloor CASCADE;
DROP SCHEMA IF EXISTS seed CASCADE;
DROP SCHEMA IF EXISTS wfloorfk CASCADE;
INSERT INTO workflow (name) VALUES ('bench');
INSERT INTO workflow_stage (workflow_id, name, position, kind)
SELECT 1, 'stage ' || i, i, 'normal' FROM generate_series(1, 10) i;
INSERT INTO stage_rule (stage_id, name, condition, on_fail)
SELECT s.id, 'rule ' || s.position,
       '{"all": [{"field": "years_experience", "op": "gte", "value": 0},
                 {"field": "location", "op": "in", "value": ["Berlin", "Remote", "Paris", "Lisbon", "Warsaw"]},
                 {"field": "skills", "op": "contains", "value": "sql"},
                 {"field": "email", "op": "matches", "value": "^[a-z0-9.]+@example\\.com$"},
                 {"field": "applied_on", "op": "between", "value": ["2020-01-01", "2030-12-31"]}]}', 'block'
  FROM workflow_stage s WHERE s.workflow_id = 1 AND s.position > 1;
INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
SELECT s.id, a.f, a.o, a.v::jsonb, a.m, 'warning'
  FROM workflow_stage s,
       (VALUES ('salary_expectation', 'gt', '150000', 'salary above band'),
               ('notice_period_days', 'gt', '90', 'long notice period'),
               ('visa_required', 'eq', 'true', 'needs a visa')) a(f, o, v, m)
 WHERE s.workflow_id = 1 AND s.position > 1;
INSERT INTO job_workflow (job_id, workflow_id) SELECT j, 1 FROM generate_series(1, :jobs) j;
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT c, jsonb_build_object(
         'years_experience', c % 15,
         'location', (ARRAY['Berlin', 'Remote', 'Paris', 'Lisbon', 'Warsaw'])[1 + c % 5],
         'skills', jsonb_build_array('sql', (ARRAY['go', 'rust', 'python', 'java'])[1 + c % 4]),
         'email', 'candidate' || c || '@example.com',
         'applied_on', (date '2024-01-01' + (c % 365))::text,
         'salary_expectation', 40000 + (c * 37) % 140000,
         'notice_period_days', (c * 7) % 120,
         'visa_required', c % 10 = 0)
  FROM generate_series(1, :candidates) c;
-- The pipeline, loaded without the triggers (bulk load, like a restore).
SET session_replication_role = replica;
-- (ids are the engine's: with its triggers off, the load draws them itself)
INSERT INTO candidate_stage (id, job_id, candidate_id, workflow_id, stage_id, status)
SELECT nextval('candidate_stage_id_seq'), 1 + c % :jobs, c, 1,
       (SELECT id FROM workflow_stage WHERE workflow_id = 1 AND position = 1), 'active'
  FROM generate_series(1, :candidates) c;
RESET session_replication_role;

DROP TABLE IF EXISTS floor_stage, floor_transition;
CREATE TABLE floor_stage (job_id bigint, candidate_id bigint, stage_id bigint, entered_at timestamptz,
                          PRIMARY KEY (job_id, candidate_id));
CREATE TABLE floor_transition (id bigserial PRIMARY KEY, job_id bigint, candidate_id bigint,
                               from_stage_id bigint, to_stage_id bigint, moved_at timestamptz DEFAULT now());
INSERT INTO floor_stage SELECT job_id, candidate_id, stage_id, now() FROM candidate_stage;
INSERT INTO peer.candidate_stage SELECT * FROM candidate_stage;
VACUUM ANALYZE;
