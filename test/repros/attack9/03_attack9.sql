\set VERBOSITY terse
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
CREATE FUNCTION app_note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 5) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '0', 'a1'), (:s3, 'score', 'gte', '0', 'b1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('score', g % 6) FROM generate_series(1, 3000) g;
SELECT count(*) FROM generate_series(1, 3000) g, add_candidate(g, 10);
LISTEN workflow_events;
\echo == RR with concurrent moves
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM candidate_stage;
\! psql -X -q -d t -c "SET ROLE app" -c "SET workflow_ext.tenant = 'org:a'" -c "SET workflow_ext.actor = 'user:x'" -c "SELECT count(*) FROM move_candidates(10, ARRAY[1,2,3,4,5]::bigint[], NULL, 'conc')"
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[1,2,3,4,5,6,7]::bigint[], NULL, 'E');
COMMIT;
\echo == SERIALIZABLE
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM candidate_stage;
\! psql -X -q -d t -c "SET ROLE app" -c "SET workflow_ext.tenant = 'org:a'" -c "SET workflow_ext.actor = 'user:x'" -c "SELECT count(*) FROM move_candidates(10, ARRAY[11,12]::bigint[], NULL, 'conc2')"
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(10, ARRAY[10,11,12,13]::bigint[], NULL, 'S');
COMMIT;
\echo == 3000 candidates
SELECT outcome, count(*), sum((detail->>'alerts_raised')::int) FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(100, 3000) g), NULL, 'K') GROUP BY 1;
\echo == app trigger turns batches off
RESET ROLE;
CREATE TRIGGER app_t AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION app_note();
SET ROLE app;
SELECT outcome, count(*), sum((detail->>'alerts_raised')::int) FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(100, 400) g), NULL, 'L') GROUP BY 1;
SELECT md5(string_agg(concat_ws(',', id, candidate_id, from_stage_id, to_stage_id, alerts_raised, warnings, reason, actor), ';' ORDER BY id)) hist, count(*) FROM stage_transition;
SELECT md5(string_agg(concat_ws(',', id, candidate_id, transition_id, stage_id, cause, message, facts), ';' ORDER BY id)) ev, count(*) FROM alert_event;
SELECT md5(string_agg(r::text, ';' ORDER BY r::text)) visits FROM stage_visit_row r;
\o /tmp/attack9/dump_attack9.txt
SELECT id, candidate_id, from_stage_id, to_stage_id, alerts_raised, warnings, reason, actor FROM stage_transition ORDER BY id;
SELECT id, candidate_id, transition_id, stage_id, cause, message, facts FROM alert_event ORDER BY id;
\o
