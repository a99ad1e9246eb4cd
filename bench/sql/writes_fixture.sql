-- The writes-floor fixture, applied after move_data.sql: every move writes the
-- same rows whatever the engine.  Stages 2..10 keep their 5-leaf rule, now
-- 'warn' (every candidate passes it, so its 5 generated mismatch alerts never
-- fire), and get three hand-made alerts every candidate fires.  A move is
-- then exactly: 1 pipeline update, 1 history row, 3 alert events with a
-- facts snapshot.  wfloor.* and seed.* are copies of the pipeline tables
-- (same columns, checks, defaults and indexes; no triggers, no foreign keys)
-- for the hand-written statement and the seed architecture.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET workflow_ext.actor = 'bench';
UPDATE stage_rule SET on_fail = 'warn';
DELETE FROM alert WHERE rule_id IS NULL;
INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
SELECT s.id, a.f, a.o, a.v::jsonb, a.m, 'warning'
  FROM workflow_stage s,
       (VALUES ('years_experience', 'gte', '0', 'experience on file'),
               ('skills', 'contains', '"sql"', 'knows sql'),
               ('email', 'ends_with', '"@example.com"', 'example.com address')) a(f, o, v, m)
 WHERE s.workflow_id = 1 AND s.position > 1;

DROP SCHEMA IF EXISTS wfloor CASCADE;
DROP SCHEMA IF EXISTS seed CASCADE;
CREATE SCHEMA wfloor;
CREATE SCHEMA seed;
CREATE TABLE wfloor.candidate_stage (LIKE public.candidate_stage INCLUDING ALL);
CREATE TABLE wfloor.stage_transition (LIKE public.stage_transition INCLUDING ALL);
CREATE TABLE wfloor.alert_event (LIKE public.alert_event INCLUDING ALL);
CREATE TABLE seed.candidate_stage (LIKE public.candidate_stage INCLUDING ALL);
CREATE TABLE seed.stage_transition (LIKE public.stage_transition INCLUDING ALL);
CREATE TABLE seed.alert_event (LIKE public.alert_event INCLUDING ALL);
INSERT INTO wfloor.candidate_stage SELECT * FROM candidate_stage;
INSERT INTO seed.candidate_stage SELECT * FROM candidate_stage;
VACUUM ANALYZE;

-- The same copies with the extension's foreign keys (for the bulk move: what
-- declarative integrity alone costs, row by row, in PostgreSQL's RI triggers).
DROP SCHEMA IF EXISTS wfloorfk CASCADE;
CREATE SCHEMA wfloorfk;
CREATE TABLE wfloorfk.stage_transition (LIKE public.stage_transition INCLUDING ALL,
    FOREIGN KEY (from_stage_id) REFERENCES public.workflow_stage (id),
    FOREIGN KEY (to_stage_id) REFERENCES public.workflow_stage (id));
CREATE TABLE wfloorfk.candidate_stage (LIKE public.candidate_stage INCLUDING ALL,
    FOREIGN KEY (tenant, job_id, workflow_id) REFERENCES public.job_workflow (tenant, job_id, workflow_id),
    FOREIGN KEY (workflow_id, stage_id) REFERENCES public.workflow_stage (workflow_id, id),
    FOREIGN KEY (transition_id) REFERENCES wfloorfk.stage_transition (id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (visit_transition_id) REFERENCES wfloorfk.stage_transition (id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE wfloorfk.alert_event (LIKE public.alert_event INCLUDING ALL,
    FOREIGN KEY (alert_id) REFERENCES public.alert (id) ON DELETE SET NULL);
INSERT INTO wfloorfk.candidate_stage SELECT * FROM candidate_stage;
VACUUM ANALYZE wfloorfk.candidate_stage;

-- The extension's ids have no default (its triggers draw them); the copies,
-- which have no such triggers, draw from sequences of their own by default
-- (the benchmark's application role, like any, has no right on the
-- extension's sequences: ids are the engine's).
DO $$
DECLARE
    s text;
    t text;
BEGIN
    FOREACH s IN ARRAY ARRAY['wfloor', 'seed', 'wfloorfk'] LOOP
        FOREACH t IN ARRAY ARRAY['candidate_stage', 'stage_transition', 'alert_event'] LOOP
            EXECUTE format('CREATE SEQUENCE %I.%I', s, t || '_id_seq');
            EXECUTE format('SELECT setval(%L, (SELECT last_value FROM %s))', s || '.' || t || '_id_seq',
                           'public.' || t || '_id_seq');
            EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN id SET DEFAULT nextval(%L)', s, t,
                           s || '.' || t || '_id_seq');
        END LOOP;
    END LOOP;
END $$;
