\set VERBOSITY terse
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id % 50 = 7 THEN
 RAISE EXCEPTION 'no event for %', NEW.candidate_id USING ERRCODE = '55000', DETAIL = '{"reason":"owner_refuses"}'; END IF; RETURN NEW; END $$;
CREATE TRIGGER refuse_ev BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION refuse_events();
CREATE FUNCTION skip_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.candidate_id % 3 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip_ev BEFORE INSERT ON alert_event FOR EACH ROW EXECUTE FUNCTION skip_events();
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3, test_stage(:wf,4) s4 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'sc', '{"field":"score","op":"gte","value":1}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '0', 'a1'), (:s3, 'score', 'gte', '0', 'b1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('score', g % 11) FROM generate_series(1, 1200) g;
SELECT count(*) FROM generate_series(1, 1200) g, add_candidate(g, 10);
LISTEN workflow_events;
CREATE TEMP TABLE res (k text, i bigint, candidate_id bigint, outcome text, sqlstate text, transition_id bigint, detail jsonb);
SET workflow_ext.history_batch_size = 2;
INSERT INTO res SELECT 'b2', i, candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(1, 300) g), NULL, 'b2') WITH ORDINALITY m(candidate_id, outcome, sqlstate, f, t, transition_id, detail, i);
SET workflow_ext.history_batch_size = 3;
INSERT INTO res SELECT 'b3', i, candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(301, 600) g), NULL, 'b3') WITH ORDINALITY m(candidate_id, outcome, sqlstate, f, t, transition_id, detail, i);
RESET workflow_ext.history_batch_size;
INSERT INTO res SELECT 'bd', i, candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(601, 1200) g), NULL, 'bd') WITH ORDINALITY m(candidate_id, outcome, sqlstate, f, t, transition_id, detail, i);
SET workflow_ext.history_batch_size = 1;
INSERT INTO res SELECT 'b1', i, candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(1, 300) g), NULL, 'b1') WITH ORDINALITY m(candidate_id, outcome, sqlstate, f, t, transition_id, detail, i);
SELECT k, outcome, sqlstate, count(*), sum((detail->>'alerts_raised')::int) FROM res GROUP BY 1,2,3 ORDER BY 1,2,3;
\o /tmp/attack9/dump5_:DBX.txt
SELECT * FROM res ORDER BY k, i;
SELECT id, candidate_id, from_stage_id, to_stage_id, alerts_raised, warnings, reason, actor FROM stage_transition ORDER BY id;
SELECT id, candidate_id, transition_id, stage_id, cause, message, facts FROM alert_event ORDER BY id;
SELECT id, tenant, job_id, candidate_id, stage_id, left_at IS NULL, ended_by_transition_id, next_stage_id, next_status, folded FROM stage_visit_row ORDER BY id;
\o
