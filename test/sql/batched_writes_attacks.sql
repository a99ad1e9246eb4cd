-- Attacks on the set-wise history writes (batched_writes.c): each compares a
-- statement buffered (workflow_ext.history_batch_size 1000) with the same
-- statement written row by row (history_batch_size = 1).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_bwa_app;
RESET client_min_messages;
CREATE ROLE wf_bwa_app;
GRANT workflow_app TO wf_bwa_app;
SET workflow_ext.tenant = 'org:bwa';
SET workflow_ext.actor = 'user:ann';

\echo '== 1. Fixture: 3 stages, stage 2 has 2 alerts every candidate fires; jobs 7300-7303, 20 candidates each in stage 1'
SET ROLE wf_bwa_app;
BEGIN;
SELECT test_workflow('Batched attacks', 3) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (:s2, 'score', 'gte', '0', 'scored'), (:s2, 'city', 'exists', NULL, 'has a city');
SELECT count(*) AS jobs FROM generate_series(7300, 7309) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', g, 'city', 'c' || g % 7) FROM generate_series(90001, 90020) g;
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(7300, 7309) j, generate_series(90001, 90020) g;
COMMIT;
RESET ROLE;
-- what a job's statements wrote, ids replaced by ranks; two jobs compared
CREATE FUNCTION bwa_history(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, from_stage_id bigint,
    to_stage_id bigint, from_status text, to_status text, reason text, alerts_raised int)
LANGUAGE sql AS $$
SELECT t.candidate_id, rank() OVER (ORDER BY t.id), t.from_stage_id, t.to_stage_id, t.from_status, t.to_status,
       t.reason, t.alerts_raised FROM stage_transition t WHERE t.job_id = jid $$;
CREATE FUNCTION bwa_visits(jid bigint) RETURNS TABLE (candidate_id bigint, stage_id bigint, open boolean,
    next_stage_id bigint, next_status text) LANGUAGE sql AS $$
SELECT v.candidate_id, v.stage_id, v.left_at IS NULL, v.next_stage_id, v.next_status
  FROM stage_visit_row v WHERE v.job_id = jid $$;
CREATE FUNCTION bwa_events(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, alert_id bigint, cause text, transition_rank bigint)
LANGUAGE sql AS $$
WITH t AS (SELECT t.id, rank() OVER (ORDER BY t.id) AS rank FROM stage_transition t WHERE t.job_id = jid)
SELECT e.candidate_id, rank() OVER (ORDER BY e.id), e.alert_id, e.cause, t.rank
  FROM alert_event e LEFT JOIN t ON t.id = e.transition_id WHERE e.job_id = jid $$;
CREATE FUNCTION bwa_differences(a bigint, b bigint) RETURNS TABLE (what text, differences bigint) LANGUAGE sql AS $$
SELECT 'history', (SELECT count(*) FROM ((SELECT * FROM bwa_history(a) EXCEPT ALL SELECT * FROM bwa_history(b))
                                  UNION ALL (SELECT * FROM bwa_history(b) EXCEPT ALL SELECT * FROM bwa_history(a))) d)
UNION ALL
SELECT 'alert events', (SELECT count(*) FROM ((SELECT * FROM bwa_events(a) EXCEPT ALL SELECT * FROM bwa_events(b))
                                  UNION ALL (SELECT * FROM bwa_events(b) EXCEPT ALL SELECT * FROM bwa_events(a))) d)
UNION ALL
SELECT 'stage visits', (SELECT count(*) FROM ((SELECT * FROM bwa_visits(a) EXCEPT ALL SELECT * FROM bwa_visits(b))
                                  UNION ALL (SELECT * FROM bwa_visits(b) EXCEPT ALL SELECT * FROM bwa_visits(a))) d) $$;

\echo '== 2. A trigger of the application''s changes the facts of each candidate moved (a nested UPDATE of candidate_profile)'
CREATE FUNCTION bwa_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7300, 7301) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('touched', NEW.job_id)
         WHERE candidate_id = NEW.candidate_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bwa_touch AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bwa_touch();
SET ROLE wf_bwa_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7300;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7301;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER zz_bwa_touch ON candidate_stage;
SELECT e.job_id, e.cause, count(*) FROM alert_event e WHERE e.job_id IN (7300, 7301) GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM bwa_differences(7300, 7301);

\echo '== 3. The same from inside a savepoint of the trigger''s, rolled back for every other candidate (the outer statement''s rows written from inside it are written again)'
CREATE FUNCTION bwa_touch_savepoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7302, 7303) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
        BEGIN
            UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('touched', NEW.job_id)
             WHERE candidate_id = NEW.candidate_id;
            IF NEW.candidate_id % 2 = 0 THEN
                RAISE EXCEPTION 'undone' USING ERRCODE = 'WFBA1';
            END IF;
        EXCEPTION WHEN SQLSTATE 'WFBA1' THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bwa_touch_savepoint AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bwa_touch_savepoint();
SET ROLE wf_bwa_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7302;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7303;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER zz_bwa_touch_savepoint ON candidate_stage;
SELECT job_id, (SELECT count(*) FROM stage_transition t WHERE t.job_id = j.job_id) AS history_rows,
       (SELECT count(*) FROM alert_event e WHERE e.job_id = j.job_id AND e.cause = 'entry') AS entry_events,
       (SELECT count(*) FROM alert_event e WHERE e.job_id = j.job_id AND e.cause = 'facts') AS facts_events
  FROM (VALUES (7302), (7303)) j (job_id) ORDER BY 1;
SELECT * FROM bwa_differences(7302, 7303);

\echo '== 4. A trigger of the application''s moving every third candidate on with move_to_next_stage()'
CREATE FUNCTION bwa_move_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7304, 7305) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id AND OLD.stage_id = current_setting('bwa.s1')::bigint
       AND NEW.candidate_id % 3 = 0 THEN
        PERFORM move_to_next_stage(NEW.candidate_id, NEW.job_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bwa_move_on AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bwa_move_on();
SET bwa.s1 = :s1;
SET ROLE wf_bwa_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7304;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7305;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER zz_bwa_move_on ON candidate_stage;
SELECT job_id, to_stage_id = :s3 AS to_s3, count(*) FROM stage_transition WHERE job_id IN (7304, 7305) GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM bwa_differences(7304, 7305);

\echo '== 5. An outer history row refused while written from inside the trigger''s savepoint, which catches the error: the statement still fails, as row by row'
CREATE FUNCTION bwa_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7306, 7307) AND NEW.candidate_id = 90004 THEN
        RAISE EXCEPTION 'candidate % may not move', NEW.candidate_id USING ERRCODE = 'WFBA2', DETAIL = '{"reason": "refused"}';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bwa_refuse BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bwa_refuse();
CREATE FUNCTION bwa_catch_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7306, 7307) AND NEW.candidate_id = 90010 THEN
        BEGIN
            UPDATE candidate_profile SET attributes = attributes || '{"touched": true}' WHERE candidate_id = NEW.candidate_id;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'caught: %', SQLERRM;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bwa_catch_all AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bwa_catch_all();
SET ROLE wf_bwa_app;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7306', :s2));
SET workflow_ext.history_batch_size = 1;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7307', :s2));
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER zz_bwa_catch_all ON candidate_stage;
DROP TRIGGER bwa_refuse ON stage_transition;
SELECT job_id, count(*) AS history_rows, count(*) FILTER (WHERE to_stage_id = :s2) AS moves
  FROM stage_transition WHERE job_id IN (7306, 7307) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS alert_events FROM alert_event WHERE job_id IN (7306, 7307);

\echo '== 6. A trigger of the application''s setting workflow_ext.history_batch_size = 1 mid-statement, and a statement trigger''s bulk move of another job'
CREATE FUNCTION bwa_set_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id = 7308 AND NEW.candidate_id = 90010 THEN
        PERFORM set_config('workflow_ext.history_batch_size', '1', true);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bwa_set_batch AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bwa_set_batch();
CREATE FUNCTION bwa_follow_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('bwa.follow', true) = 'on' THEN
        PERFORM set_config('bwa.follow', 'off', true);
        UPDATE candidate_stage SET stage_id = current_setting('bwa.s2')::bigint WHERE job_id = 7309;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bwa_follow_job AFTER UPDATE ON candidate_stage FOR EACH STATEMENT EXECUTE FUNCTION bwa_follow_job();
SET bwa.s2 = :s2;
SET ROLE wf_bwa_app;
BEGIN;
SET LOCAL bwa.follow = 'on';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7308;
SHOW workflow_ext.history_batch_size;
COMMIT;
RESET ROLE;
DROP TRIGGER zz_bwa_set_batch ON candidate_stage;
DROP TRIGGER bwa_follow_job ON candidate_stage;
-- both wrote what the row-at-a-time reference (job 7301, no trigger changing facts: entry events) wrote
SELECT * FROM bwa_differences(7308, 7301);
SELECT * FROM bwa_differences(7309, 7301);

\echo '== 7. An owner''s BEFORE INSERT trigger on stage_transition that skips one history row: the same error as row by row (the deferred foreign key, at commit)'
SET ROLE wf_bwa_app;
SELECT count(*) AS jobs FROM generate_series(7310, 7311) j, assign_workflow(j, :wf);
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(7310, 7311) j, generate_series(90001, 90020) g;
RESET ROLE;
CREATE FUNCTION bwa_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7310, 7311) AND NEW.candidate_id = 90005 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
-- (named to fire before stage_transition_write_guard)
CREATE TRIGGER a_bwa_skip BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bwa_skip();
\set VERBOSITY terse
SET ROLE wf_bwa_app;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7310;
COMMIT;
BEGIN;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7311;
COMMIT;
RESET ROLE;
\set VERBOSITY default
DROP TRIGGER a_bwa_skip ON stage_transition;
SELECT job_id, count(*) FILTER (WHERE stage_id = :s1) AS in_stage_1 FROM candidate_stage
 WHERE job_id IN (7310, 7311) GROUP BY job_id ORDER BY job_id;

\echo '== 8. An owner''s BEFORE INSERT trigger on stage_visit_row (one that would skip a visit): the visits are written as the owner, so both the set-wise and the row-by-row bulk move are refused (55000 owner_write_blocked: test owner_writes); with the trigger disabled both go through with the same visits (from the review of the set-wise visits)'
SET ROLE wf_bwa_app;
SELECT count(*) AS jobs FROM generate_series(7320, 7321) j, assign_workflow(j, :wf);
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(7320, 7321) j, generate_series(90101, 90103) g;
RESET ROLE;
CREATE FUNCTION bwa_skip_visit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7320, 7321) AND NEW.candidate_id = 90102 AND NEW.left_at IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bwa_skip_visit BEFORE INSERT ON stage_visit_row FOR EACH ROW EXECUTE FUNCTION bwa_skip_visit();
SET ROLE wf_bwa_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7320;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7321;
RESET workflow_ext.history_batch_size;
SELECT job_id, count(*) FILTER (WHERE stage_id = :s2) AS moved FROM candidate_stage
 WHERE job_id IN (7320, 7321) GROUP BY 1 ORDER BY 1;
RESET ROLE;
ALTER TABLE stage_visit_row DISABLE TRIGGER bwa_skip_visit;
SET ROLE wf_bwa_app;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7320;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7321;
RESET workflow_ext.history_batch_size;
SELECT job_id, count(*) FILTER (WHERE stage_id = :s2) AS moved FROM candidate_stage
 WHERE job_id IN (7320, 7321) GROUP BY 1 ORDER BY 1;
RESET ROLE;
DROP TRIGGER bwa_skip_visit ON stage_visit_row;
-- the same visit rows in both jobs: candidate 90102's visit of s2 missing
SELECT candidate_id, (SELECT position FROM workflow_stage s WHERE s.id = v.stage_id) AS stage, left_at IS NULL AS open,
       count(*) FILTER (WHERE job_id = 7320) AS set_wise, count(*) FILTER (WHERE job_id = 7321) AS row_by_row
  FROM stage_visit_row v WHERE job_id IN (7320, 7321) GROUP BY 1, 2, 3 ORDER BY 1, 2;
