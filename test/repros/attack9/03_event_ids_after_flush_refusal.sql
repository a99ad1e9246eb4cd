-- attack9 03: a refusal raised while a batch's buffered alert events are written (an owner's
-- BEFORE INSERT trigger on alert_event raising 55000 for one candidate) rolls the batch
-- back after EVERY row of the batch drew its event ids (buffered); on main the refusal came
-- in that candidate's row trigger, before the later rows drew theirs. Result rows, history
-- and events are the same, but the committed events of later moves get other ids than on
-- main (see the end).
-- Run after test/sql/setup.sql, as superuser.
\set VERBOSITY terse
CREATE ROLE app9 LOGIN; GRANT workflow_app TO app9;
CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id = 2 THEN
 RAISE EXCEPTION 'no event for 2' USING ERRCODE = '55000', DETAIL = '{"reason": "owner_refuses"}'; END IF; RETURN NEW; END $$;
CREATE TRIGGER refuse_ev BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION refuse_events();
SET ROLE app9;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 3) AS wf \gset
SELECT test_stage(:wf, 2) AS s2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '0', 'a1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{"score": 5}' FROM generate_series(1, 4) g;
SELECT count(*) FROM generate_series(1, 4) g, add_candidate(g, 10);
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[1, 2, 3, 4]::bigint[]);
SELECT id, candidate_id, transition_id FROM alert_event ORDER BY id;
-- main: ids 3, 5, 6 (candidates 1, 3, 4); attack9: ids 5, 7, 8.
