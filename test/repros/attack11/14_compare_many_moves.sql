-- attack11 14: thousands of moves in one session and one transaction, indexes changed in the middle (local invalidations), main vs attack11
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN; GRANT workflow_app TO app;
SET ROLE app;
SET workflow_ext.tenant = 'org:a'; SET workflow_ext.actor = 'user:x';
SELECT test_workflow('W', 6) AS wf \gset
SELECT test_stage(:wf,1) s1, test_stage(:wf,2) s2, test_stage(:wf,3) s3 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
 (:s2, 'score', '{"all":[{"field":"score","op":"gte","value":2},{"field":"budget","op":"exists","source":"job"}]}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'score', 'gte', '7', 'high'), (:s3, 'score', 'gte', '8', 'h3');
SELECT count(*) FROM generate_series(10, 12) j, assign_workflow(j, :wf);
INSERT INTO job_profile (job_id, attributes) VALUES (10, '{"budget": 1}'), (12, '{"budget": 1}');
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, jsonb_build_object('score', g % 10) FROM generate_series(1, 3000) g WHERE g % 13 <> 0;
SELECT count(*) FROM generate_series(10, 12) j, generate_series(1, 3000) g, add_candidate(g, j);
RESET ROLE;
CREATE FUNCTION churn(i int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF i % 500 = 0 THEN EXECUTE format('CREATE INDEX churn_%s ON candidate_profile (candidate_id)', i); END IF;
  IF i % 700 = 0 THEN EXECUTE 'REINDEX TABLE candidate_profile'; END IF;
  IF i % 900 = 0 THEN UPDATE candidate_profile SET attributes = attributes || '{"score": 9}' WHERE candidate_id BETWEEN i AND i + 50; END IF;
END $$;
GRANT EXECUTE ON FUNCTION churn(int) TO app;
\echo == bulk UPDATE job 10 (3000 rows)
SET ROLE app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 10;
\echo == move_candidates job 12 (3000)
SELECT outcome, sqlstate, count(*) FROM move_candidates(12, (SELECT array_agg(g ORDER BY g) FROM generate_series(1, 3000) g), :s2, 'mc') GROUP BY 1, 2 ORDER BY 1, 2;
RESET ROLE;
\echo == row by row job 11 in one transaction, with DDL churn (as superuser) between moves
BEGIN;
SELECT count(*) FROM (SELECT churn(g), (move_to_next_stage(g, 11)).warnings FROM generate_series(1, 3000) g) x;
COMMIT;
\echo == facts trigger: all profiles updated, then bulk to s3
UPDATE candidate_profile SET attributes = attributes || '{"x": 1}';
SET ROLE app;
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id IN (10, 11);
RESET ROLE;
SELECT count(*), md5(string_agg(format('%s %s %s %s %s %s %s %s', id, job_id, candidate_id, from_stage_id - :s1, to_stage_id - :s1, reason, alerts_raised, warnings), '|' ORDER BY id)) FROM stage_transition;
SELECT count(*), md5(string_agg(format('%s %s %s %s %s %s %s %s', id, alert_id, job_id, candidate_id, transition_id, cause, message, facts), '|' ORDER BY id)) FROM alert_event;
SELECT job_id, stage_id - :s1 s, count(*) FROM candidate_stage GROUP BY 1, 2 ORDER BY 1, 2;
