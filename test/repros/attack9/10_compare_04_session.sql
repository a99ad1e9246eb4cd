\set VERBOSITY terse
CREATE ROLE app LOGIN; GRANT workflow_app TO app; GRANT CREATE ON SCHEMA public TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3, test_stage(:wf,4) s4 \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = :s3;
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s4, 'score', '{"field":"score","op":"gte","value":3}');
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'sc', '{"field":"score","op":"gte","value":1}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '0', 'a1'), (:s3, 'score', 'gte', '0', 'b1'), (:s4, 'score', 'gte', '0', 'c1');
SELECT job_id FROM assign_workflow(10, :wf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('score', g % 6) FROM generate_series(1, 1000) g;
SELECT count(*) FROM generate_series(1, 1000) g, add_candidate(g, 10);
LISTEN workflow_events;
CREATE TABLE req (ids bigint[]);
CREATE TABLE res (k text, candidate_id bigint, outcome text, sqlstate text, transition_id bigint, detail jsonb);
CREATE FUNCTION req_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO res SELECT 'trg', candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, NEW.ids, NULL, 'trg'); RETURN NEW; END $$;
CREATE TRIGGER req_t AFTER INSERT ON req FOR EACH ROW EXECUTE FUNCTION req_trg();
\echo == trigger calling move_candidates, two rows in one INSERT
INSERT INTO req SELECT array_agg(g) FROM generate_series(1, 300) g UNION ALL SELECT array_agg(g) FROM generate_series(200, 500) g;
\echo == writable CTE: plain UPDATE and move_candidates in one statement
WITH u AS (UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10 AND candidate_id BETWEEN 501 AND 560 AND candidate_id % 6 <> 0 RETURNING candidate_id),
 m AS (INSERT INTO res SELECT 'cte', candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(540, 700) g), :s3, 'cte') RETURNING 1)
SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM m);
\echo == cursor, prepared, savepoints
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM move_candidates(10, (SELECT array_agg(g) FROM generate_series(700, 800) g), NULL, 'cur');
FETCH 3 FROM c;
SAVEPOINT a;
INSERT INTO res SELECT 'sp', candidate_id, outcome, sqlstate, transition_id, detail FROM move_candidates(10, ARRAY[801,802,803]::bigint[], NULL, 'sp');
ROLLBACK TO a;
FETCH ALL FROM c;
CLOSE c;
PREPARE p(bigint[]) AS SELECT * FROM move_candidates(10, $1, NULL, 'prep');
CREATE TEMP TABLE pr AS EXECUTE p('{810,811,812,810}');
COMMIT;
SELECT k, outcome, sqlstate, count(*), sum((detail->>'alerts_raised')::int) FROM res GROUP BY 1,2,3 ORDER BY 1,2,3;
SELECT * FROM pr;
\o /tmp/attack9/dump4_:DBX.txt
SELECT * FROM res ORDER BY k, candidate_id, transition_id;
SELECT id, candidate_id, from_stage_id, to_stage_id, alerts_raised, warnings, reason, actor FROM stage_transition ORDER BY id;
SELECT id, candidate_id, transition_id, stage_id, cause, message, facts FROM alert_event ORDER BY id;
SELECT id, tenant, job_id, candidate_id, stage_id, left_at IS NULL, ended_by_transition_id, next_stage_id, next_status, folded FROM stage_visit_row ORDER BY id;
\o
