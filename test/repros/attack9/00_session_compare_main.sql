\set ON_ERROR_STOP 0
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
-- owner's objects on alert_event (superuser)
CREATE FUNCTION skip_odd_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id % 2 = 1 AND current_setting('t.skip', true) = 'on' THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip_odd BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION skip_odd_events();
CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id = 5 AND current_setting('t.refuse', true) = 'on' THEN
 RAISE EXCEPTION 'no event for 5' USING ERRCODE = '55000', DETAIL = '{"reason":"owner_refuses"}'; END IF; RETURN NEW; END $$;
CREATE TRIGGER refuse_ev BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION refuse_events();
CREATE FUNCTION refuse_hist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id = 6 AND current_setting('t.refuseh', true) = 'on' THEN
 RAISE EXCEPTION 'no history for 6' USING ERRCODE = '55000', DETAIL = '{"reason":"owner_refuses_h"}'; END IF; RETURN NEW; END $$;
CREATE TRIGGER refuse_h BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION refuse_hist();
CREATE TABLE notes(ch text, payload text);
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 5) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3, test_stage(:wf,4) s4 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'score', '{"field":"score","op":"gte","value":2}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
 (:s2, 'score', 'gte', '0', 'a1'), (:s2, 'score', 'gte', '1', 'a2'), (:s3, 'score', 'gte', '0', 'b1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
 SELECT g, jsonb_build_object('score', CASE WHEN g = 4 THEN 1 ELSE 5 END) FROM generate_series(1, 40) g;
SELECT count(*) FROM generate_series(1, 40) g, add_candidate(g, 10);
RESET ROLE;
GRANT SELECT ON notes TO app;
SET ROLE app;

\echo == A: BEFORE INSERT skip on alert_event (odd candidates), with blocked 4
LISTEN workflow_events;
BEGIN;
SET LOCAL t.skip = 'on';
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[1,2,3,4,5,6]::bigint[], NULL, 'A');
SELECT candidate_id, to_stage_id - :s1 AS d, alerts_raised, warnings FROM stage_transition WHERE job_id=10 AND reason='A' ORDER BY id;
SELECT candidate_id, count(*) FROM alert_event WHERE job_id=10 GROUP BY 1 ORDER BY 1;
COMMIT;

\echo == B: owner refuses event for 5 (55000) 
BEGIN;
SET LOCAL t.refuse = 'on';
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[5,6,7,8]::bigint[], NULL, 'B');
SELECT candidate_id, to_stage_id - :s1 AS d, alerts_raised FROM stage_transition WHERE job_id=10 AND reason='B' ORDER BY id;
ROLLBACK;
\echo == C: owner refuses history for 6
BEGIN;
SET LOCAL t.refuseh = 'on';
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[7,6,8]::bigint[], NULL, 'C');
SELECT candidate_id, to_stage_id - :s1 AS d FROM stage_transition WHERE job_id=10 AND reason='C' ORDER BY id;
ROLLBACK;
\echo == D: duplicates, batch size 2, and savepoint rollback
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 2;
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[9,10,9,11,12,13,9]::bigint[], NULL, 'D');
SAVEPOINT s;
SELECT candidate_id, outcome, detail FROM move_candidates(10, ARRAY[14,15,16]::bigint[], NULL, 'D2');
ROLLBACK TO s;
SELECT candidate_id, outcome, detail FROM move_candidates(10, ARRAY[14,17]::bigint[], NULL, 'D3');
SELECT candidate_id, to_stage_id - :s1 AS d, alerts_raised, reason FROM stage_transition WHERE job_id=10 AND reason LIKE 'D%' ORDER BY id;
SELECT candidate_id, count(*) FROM alert_event WHERE job_id=10 AND candidate_id BETWEEN 9 AND 17 GROUP BY 1 ORDER BY 1;
COMMIT;
\echo == E: PL/pgSQL loop, writable CTE
BEGIN;
DO $$ DECLARE r record; BEGIN
 FOR i IN 18..21 LOOP
  FOR r IN SELECT * FROM move_candidates(10, ARRAY[i, i+10]::bigint[], NULL, 'E') LOOP
   RAISE WARNING 'loop % % %', r.candidate_id, r.outcome, r.detail; END LOOP; END LOOP; END $$;
WITH m AS (SELECT * FROM move_candidates(10, ARRAY[22,23]::bigint[], NULL, 'E2')),
 u AS (UPDATE candidate_stage SET stage_id = :s3 WHERE job_id=10 AND candidate_id = 24 RETURNING candidate_id)
SELECT (SELECT json_agg(m ORDER BY candidate_id) FROM m), (SELECT count(*) FROM u);
SELECT candidate_id, to_stage_id - :s1 AS d, alerts_raised, reason FROM stage_transition WHERE job_id=10 AND reason LIKE 'E%' ORDER BY id;
COMMIT;
\echo == F: stage visits and event list
SELECT candidate_id, stage_id - :s1 d FROM stage_visit_row WHERE job_id=10 ORDER BY 1,2 LIMIT 200;
SELECT id, candidate_id, transition_id, cause, message, facts FROM alert_event WHERE job_id = 10 ORDER BY id;
SELECT id, candidate_id, from_stage_id - :s1, to_stage_id - :s1, alerts_raised, warnings, reason FROM stage_transition WHERE job_id=10 ORDER BY id;
