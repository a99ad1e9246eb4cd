-- attack9 02: an owner's BEFORE INSERT trigger on alert_event that skips (RETURN NULL)
-- an event: move_candidates' detail.alerts_raised counts it on attack9 (2), main counts
-- the events written (0). The README's Bulk moves section names only "an owner's own
-- unique index" as a skip that still counts. history_batch_size = 1 gives main's 0.
-- Run after test/sql/setup.sql, as superuser.
\set VERBOSITY terse
CREATE ROLE app9 LOGIN; GRANT workflow_app TO app9;
CREATE FUNCTION skip_odd_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id % 2 = 1 THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip_odd BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION skip_odd_events();
SET ROLE app9;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 3) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
 (:s2, 'score', 'gte', '0', 'a1'), (:s2, 'score', 'gte', '1', 'a2');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 4) g;
SELECT count(*) FROM generate_series(1, 4) g, add_candidate(g, 10);
LISTEN workflow_events;
BEGIN;
SELECT candidate_id, outcome, detail FROM move_candidates(10, ARRAY[1, 2]::bigint[]);
-- main: 1 -> alerts_raised 0, 2 -> 2; attack9: 1 -> 2, 2 -> 2 (NOTIFY: 0 and 2 after fix 01)
ROLLBACK;
SET workflow_ext.history_batch_size = 1;   -- the row-at-a-time path: 0 and 2, as main
SELECT candidate_id, outcome, detail FROM move_candidates(10, ARRAY[1, 2]::bigint[]);
SELECT candidate_id, count(*) FROM alert_event GROUP BY 1 ORDER BY 1;
