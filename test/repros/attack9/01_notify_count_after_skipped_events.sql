-- attack9 01: move_candidates' NOTIFY payloads say "alert_events": 0 for moves whose
-- events WERE written, as soon as any event of the batch is skipped (owner's unique
-- index -> ON CONFLICT DO NOTHING, or an owner's BEFORE INSERT trigger returning NULL).
-- main: each move's payload counts its events written (2 for the first candidate).
-- Run after test/sql/setup.sql, as superuser; the moves run as an app role.
\set VERBOSITY terse
CREATE ROLE app9 LOGIN; GRANT workflow_app TO app9;
-- the owner's own unique index: one event per alert per job
CREATE UNIQUE INDEX owner_one_event_per_job ON alert_event (job_id, alert_id);
SET ROLE app9;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 3) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
 (:s2, 'score', 'gte', '0', 'a1'), (:s2, 'score', 'gte', '1', 'a2');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
 SELECT g, '{"score": 5}' FROM generate_series(1, 3) g;
SELECT count(*) FROM generate_series(1, 3) g, add_candidate(g, 10);
LISTEN workflow_events;
SELECT candidate_id, outcome, detail FROM move_candidates(10, ARRAY[1, 2, 3]::bigint[]);
SELECT candidate_id, count(*) AS events_written FROM alert_event WHERE job_id = 10 GROUP BY 1 ORDER BY 1;
-- expected (main): NOTIFY of candidate 1's move {"alert_events": 2}, the others 0.
-- branch attack9: all three {"alert_events": 0} (written_events() reads the events back
-- with read_only SPI, whose snapshot does not see the INSERT just made).
-- The same with a plain bulk UPDATE (pre-existing there):
RESET ROLE; DELETE FROM alert_event; SET ROLE app9;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
UPDATE candidate_stage SET stage_id = test_stage(:wf, 1) WHERE job_id = 10;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10;
SELECT candidate_id, count(*) AS events_written FROM alert_event WHERE job_id = 10 GROUP BY 1 ORDER BY 1;
