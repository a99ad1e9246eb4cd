-- Entry events without ON CONFLICT assume a new visit's id is named by no event.
-- The owner emptying the history with TRUNCATE ... RESTART IDENTITY (alert_event has no
-- foreign key to stage_transition, and TRUNCATE fires no history_keeps_alert_events)
-- leaves old events naming the ids the next visits take again.  With ON CONFLICT
-- (an owner's BEFORE INSERT trigger on alert_event forces it) the add commits (the
-- entry event skipped); without it the add fails 23505.
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id IN (1, 2);
SELECT * FROM ev;
SELECT id, candidate_id FROM stage_transition ORDER BY id;
TRUNCATE stage_transition, candidate_stage RESTART IDENTITY CASCADE;
SET ROLE att_app;
-- a)  the plain path: 23505
SELECT test_error($$INSERT INTO candidate_stage (job_id, candidate_id) VALUES (100, 1)$$);
-- b)  the same with ON CONFLICT (owner's no-op BEFORE INSERT trigger on alert_event)
RESET ROLE;
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER noop BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION noop();
SELECT setval(pg_get_serial_sequence('stage_transition', 'id'), 1, false);  -- (a) took id 1
SET ROLE att_app;
SELECT test_error($$INSERT INTO candidate_stage (job_id, candidate_id) VALUES (100, 1)$$);
SELECT * FROM ev;
