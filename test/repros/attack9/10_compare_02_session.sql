\set VERBOSITY terse
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 5) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3, test_stage(:wf,4) s4 \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = :s2;
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s3, 'score', '{"field":"score","op":"gte","value":3}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES (:s2, 'w', '{"field":"score","op":"gte","value":9}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
 (:s2, 'score', 'gte', '0', 'a1'), (:s3, 'score', 'gte', '4', 'b1'), (:s4, 'score', 'gte', '0', 'c1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
 SELECT g, jsonb_build_object('score', g % 6) FROM generate_series(1, 600) g;
SELECT count(*) FROM generate_series(1, 600) g, add_candidate(g, 10);
LISTEN workflow_events;
\echo == batch size default, with dups and blocked
CREATE TEMP TABLE r AS SELECT 'a' k, * FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(1, 300) g) || ARRAY[5,6,7,700]::bigint[], NULL, 'A');
SET workflow_ext.history_batch_size = 1;
INSERT INTO r SELECT 'b', * FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(301, 400) g), :s2, 'B');
SET workflow_ext.history_batch_size = 2;
INSERT INTO r SELECT 'c', * FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(401, 500) g), :s2, 'C');
SET workflow_ext.history_batch_size = 3;
INSERT INTO r SELECT 'd', * FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(401, 600) g), NULL, 'D');
RESET workflow_ext.history_batch_size;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM candidate_stage;
\! psql -X -q -d t -c "SET ROLE app; SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:y'; SELECT count(*) FROM move_candidates(10, ARRAY[1,2,3,4,5,6,7,8,9,10]::bigint[], NULL, 'conc')"
INSERT INTO r SELECT 'e', * FROM move_candidates(10, ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]::bigint[], NULL, 'E');
COMMIT;
SELECT k, outcome, sqlstate, count(*), sum((detail->>'alerts_raised')::int) al, sum(jsonb_array_length(detail->'warnings')) w FROM r GROUP BY 1,2,3 ORDER BY 1,2,3;
SELECT k, candidate_id, outcome, sqlstate, detail FROM r WHERE k='e' OR candidate_id IN (5,6,7,700) ORDER BY k, candidate_id;
SELECT md5(string_agg(concat_ws(',', id, candidate_id, from_stage_id, to_stage_id, alerts_raised, warnings, reason, actor), ';' ORDER BY id)) hist, count(*) FROM stage_transition;
SELECT md5(string_agg(concat_ws(',', id, candidate_id, transition_id, stage_id, cause, message, facts), ';' ORDER BY id)) ev, count(*) FROM alert_event;
SELECT md5(string_agg(concat_ws(',', candidate_id, stage_id, entered_transition_id), ';' ORDER BY 1)) visits FROM stage_visit_row;
SELECT reason, min(id), max(id), count(*) FROM stage_transition GROUP BY 1 ORDER BY 2;
