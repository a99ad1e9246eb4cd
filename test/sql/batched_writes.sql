-- A statement's history rows and alert events written set-wise (issue 21:
-- src/pg/batched_writes.c): a bulk UPDATE of candidate_stage writes what a
-- row-at-a-time write did, row for row (the same ids in the same order, the
-- same history, alert events, stage visits and feed events); a savepoint
-- rolled back inside the statement, a trigger of the application's moving
-- candidates from inside it, and a row failing mid-statement behave as
-- before.  The reference is the same statement with
-- workflow_ext.history_batch_size = 1 (every change written at once, as
-- before batching).
-- Everything runs as wf_bw_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_bw_app;
RESET client_min_messages;
CREATE ROLE wf_bw_app;
GRANT workflow_app TO wf_bw_app;   -- the README's grant set (test/sql/include/app_grants.psql)
-- What a job's bulk move wrote, its ids replaced by ranks (read by the superuser:
-- stage_visit_row is the extension's own).
CREATE FUNCTION bw_history(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, from_stage_id bigint,
    to_stage_id bigint, from_status text, to_status text, actor text, reason text, alerts_raised int,
    warnings jsonb, on_enter jsonb, tenant text) LANGUAGE sql AS $$
SELECT t.candidate_id, rank() OVER (ORDER BY t.id), t.from_stage_id, t.to_stage_id, t.from_status, t.to_status,
       t.actor, t.reason, t.alerts_raised, t.warnings, t.on_enter, t.tenant
  FROM stage_transition t WHERE t.job_id = jid $$;
CREATE FUNCTION bw_events(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint, alert_id bigint,
    stage_id bigint, transition_rank bigint, cause text, severity text, message text, facts jsonb, tenant text)
LANGUAGE sql AS $$
WITH t AS (SELECT t.id, rank() OVER (ORDER BY t.id) AS rank FROM stage_transition t WHERE t.job_id = jid)
SELECT e.candidate_id, rank() OVER (ORDER BY e.id), e.alert_id, e.stage_id, t.rank,
       e.cause, e.severity, e.message, e.facts, e.tenant
  FROM alert_event e LEFT JOIN t ON t.id = e.transition_id WHERE e.job_id = jid $$;
-- A job's stage visit rows in full, ids as ranks of the candidate's history
-- in the job (the visit's first row, the row that ended it), times checked
-- against those rows.
CREATE FUNCTION bw_visits(jid bigint) RETURNS TABLE (candidate_id bigint, stage_id bigint, rank bigint,
    ended_rank bigint, open boolean, next_stage_id bigint, next_status text, entered_ok boolean,
    left_ok boolean, time_ok boolean, folded boolean) LANGUAGE sql AS $$
WITH t AS (SELECT t.id, t.moved_at, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id) AS rank
             FROM stage_transition t WHERE t.job_id = jid)
SELECT v.candidate_id, v.stage_id, b.rank, e.rank, v.left_at IS NULL, v.next_stage_id, v.next_status,
       v.entered_at = b.moved_at, v.left_at IS NOT DISTINCT FROM e.moved_at,
       v.time_in_stage IS NOT DISTINCT FROM v.left_at - v.entered_at, v.folded
  FROM stage_visit_row v LEFT JOIN t b ON b.id = v.id LEFT JOIN t e ON e.id = v.ended_by_transition_id
 WHERE v.job_id = jid $$;
-- Two jobs' history and visits compared candidate by candidate (the rows of
-- a statement on several jobs arrive in the order of the heap, which differs
-- between jobs: ranks within the candidate's history).
CREATE FUNCTION bw_history_by_candidate(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint,
    from_stage_id bigint, to_stage_id bigint, from_status text, to_status text, reason text,
    alerts_raised int) LANGUAGE sql AS $$
SELECT t.candidate_id, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id), t.from_stage_id, t.to_stage_id,
       t.from_status, t.to_status, t.reason, t.alerts_raised
  FROM stage_transition t WHERE t.job_id = jid $$;
CREATE FUNCTION bw_visit_differences(a bigint, b bigint) RETURNS TABLE (what text, differences bigint) LANGUAGE sql AS $$
SELECT 'history', (SELECT count(*) FROM ((SELECT * FROM bw_history_by_candidate(a) EXCEPT ALL SELECT * FROM bw_history_by_candidate(b))
                     UNION ALL (SELECT * FROM bw_history_by_candidate(b) EXCEPT ALL SELECT * FROM bw_history_by_candidate(a))) d)
UNION ALL
SELECT 'stage visits', (SELECT count(*) FROM ((SELECT * FROM bw_visits(a) EXCEPT ALL SELECT * FROM bw_visits(b))
                          UNION ALL (SELECT * FROM bw_visits(b) EXCEPT ALL SELECT * FROM bw_visits(a))) d) $$;
-- Visit rows that the stage_visit view (derived from the history) does not
-- show the same way, both ways.
CREATE FUNCTION bw_visits_underived(jid bigint) RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM (
  (SELECT v.id, v.candidate_id, v.stage_id, v.entered_at, v.left_at, v.ended_by_transition_id, v.time_in_stage
     FROM stage_visit_row v WHERE v.job_id = jid
   EXCEPT ALL
   SELECT s.transition_id, s.candidate_id, s.stage_id, s.entered_at, s.left_at, s.ended_by_transition_id, s.time_in_stage
     FROM stage_visit s WHERE s.job_id = jid)
  UNION ALL
  (SELECT s.transition_id, s.candidate_id, s.stage_id, s.entered_at, s.left_at, s.ended_by_transition_id, s.time_in_stage
     FROM stage_visit s WHERE s.job_id = jid
   EXCEPT ALL
   SELECT v.id, v.candidate_id, v.stage_id, v.entered_at, v.left_at, v.ended_by_transition_id, v.time_in_stage
     FROM stage_visit_row v WHERE v.job_id = jid)) d $$;
-- Two jobs' writes compared: rows of one missing from the other, both ways.
CREATE FUNCTION bw_differences(a bigint, b bigint) RETURNS TABLE (what text, differences bigint) LANGUAGE sql AS $$
SELECT 'history', (SELECT count(*) FROM ((SELECT * FROM bw_history(a) EXCEPT ALL SELECT * FROM bw_history(b))
                                  UNION ALL (SELECT * FROM bw_history(b) EXCEPT ALL SELECT * FROM bw_history(a))) d)
UNION ALL
SELECT 'alert events', (SELECT count(*) FROM ((SELECT * FROM bw_events(a) EXCEPT ALL SELECT * FROM bw_events(b))
                                  UNION ALL (SELECT * FROM bw_events(b) EXCEPT ALL SELECT * FROM bw_events(a))) d)
UNION ALL
SELECT 'stage visits', (SELECT count(*) FROM ((SELECT * FROM bw_visits(a) EXCEPT ALL SELECT * FROM bw_visits(b))
                                  UNION ALL (SELECT * FROM bw_visits(b) EXCEPT ALL SELECT * FROM bw_visits(a))) d) $$;
SET workflow_ext.tenant = 'org:bw';
SET workflow_ext.actor = 'user:ann';
SET ROLE wf_bw_app;

-- (VACUUM FULL: the free space earlier files left in candidate_stage, which autovacuum may or may
-- not have recorded by now, would place the fixture's rows out of their order in the heap, and
-- jobs 7200 and 7202 would be visited in different orders: their history ranks differed once)
RESET ROLE;
VACUUM FULL candidate_stage;
SET ROLE wf_bw_app;
\echo '== 1. Fixture: 4 stages; stage 2 warns (a rule every candidate fails) and has 3 alerts every candidate fires; jobs 7200-7203, 3,000 candidates each in stage 1'
BEGIN;
SELECT test_workflow('Batched', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (:s2, 'references', '{"field": "references", "op": "gte", "value": 1}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (:s2, 'score', 'gte', '0', 'scored'),
  (:s2, 'city', 'exists', NULL, 'has a city'),
  (:s2, 'score', 'lt', '1000000', 'score below a million');
SELECT count(*) AS jobs FROM generate_series(7200, 7203) j, assign_workflow(j, :wf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', g, 'city', 'c' || g % 7, 'references', 0)
  FROM generate_series(1, 3000) g;
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT j, g FROM generate_series(7200, 7203) j, generate_series(1, 3000) g;
COMMIT;
SELECT count(*) AS entries FROM stage_transition WHERE job_id BETWEEN 7200 AND 7203;

\echo '== 2. One UPDATE of 3,000 rows (3 buffers written mid-statement and one at its end) writes what row-at-a-time writes did'
BEGIN;
SET LOCAL workflow_ext.reason = 'bulk screen';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7200 AND stage_id = :s1;
COMMIT;
-- the reference: the same statement, each change written at once
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
SET LOCAL workflow_ext.reason = 'bulk screen';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7201 AND stage_id = :s1;
COMMIT;
RESET ROLE;
-- (4 alerts each: the 3 alerts and the warning rule's own)
SELECT job_id, count(*) AS history_rows, count(*) FILTER (WHERE to_stage_id = :s2 AND alerts_raised = 4
         AND reason = 'bulk screen' AND jsonb_array_length(warnings) = 1) AS moves_with_4_alerts
  FROM stage_transition WHERE job_id IN (7200, 7201) GROUP BY job_id ORDER BY job_id;
SELECT job_id, count(*) AS alert_events, count(DISTINCT transition_id) AS visits,
       count(*) FILTER (WHERE facts ->> 'score' = candidate_id::text) AS with_facts
  FROM alert_event WHERE job_id IN (7200, 7201) GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_differences(7200, 7201);
-- the feed carries each move and its events, as for the reference
SET ROLE wf_bw_app;
SELECT (f.event ->> 'job_id')::bigint AS job_id, f.event ->> 'kind' AS kind, count(*)
  FROM workflow_events_since(NULL, 100000) f
 WHERE (f.event ->> 'job_id')::bigint IN (7200, 7201)
 GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== 3. A trigger of the application''s moves candidates from inside the statement, one of them in a savepoint it rolls back'
RESET ROLE;
-- for every 500th candidate of job 7202 moved to stage 2, candidate + 1 of job 7203 moves too
-- (a nested UPDATE, its own statement); for every 1,000th, that move is undone by a savepoint
CREATE FUNCTION bw_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id = 7202 AND NEW.stage_id IS DISTINCT FROM OLD.stage_id AND NEW.candidate_id % 500 = 0 THEN
        BEGIN
            UPDATE candidate_stage SET stage_id = NEW.stage_id WHERE job_id = 7203 AND candidate_id = NEW.candidate_id + 1;
            IF NEW.candidate_id % 1000 = 0 THEN
                RAISE EXCEPTION 'undone' USING ERRCODE = 'WFBW1';
            END IF;
        EXCEPTION WHEN SQLSTATE 'WFBW1' THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bw_follow AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bw_follow();
SET ROLE wf_bw_app;
BEGIN;
SET LOCAL workflow_ext.reason = 'bulk screen';
UPDATE candidate_stage SET stage_id = :s2 WHERE job_id = 7202 AND stage_id = :s1;
COMMIT;
SELECT job_id, count(*) FILTER (WHERE to_stage_id = :s2) AS moves, count(*) FILTER (WHERE to_stage_id = :s2 AND alerts_raised = 4) AS with_alerts,
       string_agg(candidate_id::text, ',' ORDER BY candidate_id) FILTER (WHERE job_id = 7203 AND to_stage_id = :s2) AS followers
  FROM stage_transition WHERE job_id IN (7202, 7203) GROUP BY job_id ORDER BY job_id;
SELECT job_id, count(*) AS alert_events FROM alert_event WHERE job_id IN (7202, 7203) GROUP BY job_id ORDER BY job_id;
SELECT job_id, stage_id = :s2 AS in_s2, count(*) FROM candidate_stage WHERE job_id IN (7202, 7203)
 GROUP BY 1, 2 ORDER BY 1, 2;
RESET ROLE;
-- job 7202 wrote what job 7200 wrote
SELECT * FROM bw_differences(7200, 7202);
DROP TRIGGER bw_follow ON candidate_stage;

\echo '== 4. A row failing mid-statement leaves nothing: a trigger of the application''s refuses one history row'
CREATE FUNCTION bw_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id = 1500 AND NEW.job_id = 7203 THEN
        RAISE EXCEPTION 'candidate % may not move', NEW.candidate_id USING ERRCODE = 'WFBW2',
            DETAIL = '{"reason": "refused"}';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bw_refuse BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_refuse();
SET ROLE wf_bw_app;
SELECT count(*) AS history_before FROM stage_transition WHERE job_id = 7203 \gset
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7203 AND stage_id = %s', :s2, :s1));
SELECT count(*) - :history_before AS history_added, (SELECT count(*) FROM alert_event WHERE job_id = 7203) AS alert_events,
       (SELECT count(*) FROM candidate_stage WHERE job_id = 7203 AND stage_id = :s2) AS in_s2
  FROM stage_transition WHERE job_id = 7203;
-- the same error as a single row's move
SELECT test_error('UPDATE candidate_stage SET stage_id = ' || :s2 || ' WHERE job_id = 7203 AND candidate_id = 1500');
-- a rule that blocks one row mid-statement: the whole statement is refused
RESET ROLE;
DROP TRIGGER bw_refuse ON stage_transition;
SET ROLE wf_bw_app;
UPDATE candidate_profile SET attributes = attributes || '{"blocked": true}' WHERE candidate_id = 2000;
RESET ROLE;
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (:s3, 'not blocked', '{"field": "blocked", "op": "not_exists"}');
SET ROLE wf_bw_app;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7200', :s3));
SELECT count(*) AS moved_to_s3 FROM stage_transition WHERE job_id = 7200 AND to_stage_id = :s3;
-- the others move; the statement's buffer of the failed statement is gone
UPDATE candidate_stage SET stage_id = :s3 WHERE job_id = 7200 AND candidate_id <> 2000;
SELECT count(*) AS moved_to_s3 FROM stage_transition WHERE job_id = 7200 AND to_stage_id = :s3;

\echo '== 5. Inserts: one INSERT of many rows (entries), and INSERT ... ON CONFLICT DO UPDATE (an entry and a move in one statement)'
SELECT count(*) AS jobs FROM assign_workflow(7204, :wf);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 7204, g FROM generate_series(1, 1500) g;
SELECT count(*) AS entries, count(DISTINCT id) AS distinct_ids FROM stage_transition WHERE job_id = 7204;
INSERT INTO candidate_stage (job_id, candidate_id, stage_id) VALUES (7204, 1, :s2), (7204, 1501, :s1)
ON CONFLICT (tenant, job_id, candidate_id) DO UPDATE SET stage_id = EXCLUDED.stage_id;
SELECT candidate_id, from_stage_id = :s1 AS from_s1, to_stage_id = :s2 AS to_s2, alerts_raised
  FROM stage_transition WHERE job_id = 7204 AND candidate_id IN (1, 1501) ORDER BY id;
SELECT count(*) AS alert_events FROM alert_event WHERE job_id = 7204;

\echo '== 6. Facts changed by one statement: the alerts they raise again are written set-wise, repeats skipped by ON CONFLICT, as row by row'
RESET ROLE;
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (:s2, 'level', 'exists', NULL, 'has a level');
SET ROLE wf_bw_app;
-- candidates 1-1,500 in one statement (buffered); 1,501-3,000 each change written at once
UPDATE candidate_profile SET attributes = attributes || '{"level": 1}' WHERE candidate_id <= 1500;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"level": 1}' WHERE candidate_id > 1500;
RESET workflow_ext.history_batch_size;
-- one event per visit in stage 2 (jobs 7201, 7202: every candidate; 7203: 501, 1501, 2501), none repeated
SELECT candidate_id <= 1500 AS buffered, job_id, count(*) AS facts_events, count(DISTINCT transition_id) AS visits,
       bool_and(message = 'has a level' AND facts ->> 'level' = '1') AS the_new_alert
  FROM alert_event WHERE cause = 'facts' AND job_id BETWEEN 7200 AND 7203 GROUP BY 1, 2 ORDER BY 1, 2;
-- again: every event a repeat, nothing written
UPDATE candidate_profile SET attributes = attributes || '{"level": 2}' WHERE candidate_id <= 3000;
SELECT count(*) AS facts_events FROM alert_event WHERE cause = 'facts' AND job_id BETWEEN 7200 AND 7203;

\echo '== 7. COPY into candidate_stage writes each change at once (no query''s ExecutorFinish fires its triggers)'
RESET ROLE;
COPY candidate_stage (tenant, job_id, candidate_id) FROM stdin;
org:bw	7204	3001
org:bw	7204	3002
\.
SELECT count(*) AS entries FROM stage_transition WHERE job_id = 7204 AND candidate_id > 3000;
\echo '== 8. Stage visits written set-wise (one UPDATE and one INSERT per history INSERT) are the row-at-a-time ones: auto_advance chains, one candidate in many jobs, statuses, reopen'
-- stage 2 advances by itself into stage 3 when the score is even: a candidate
-- enters and leaves stages twice in one statement; jobs 7210 and 7212 move in
-- one statement (the same candidates in two jobs), 7211 and 7213 are the
-- reference, row at a time
RESET ROLE;
BEGIN;
SELECT test_workflow('Visits', 4) AS vwf \gset
SELECT test_stage(:vwf, 1) AS v1, test_stage(:vwf, 2) AS v2, test_stage(:vwf, 3) AS v3, test_stage(:vwf, 4) AS v4 \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = :v2;
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (:v3, 'even score', '{"field": "parity", "op": "eq", "value": 0}');
SELECT count(*) AS jobs FROM generate_series(7210, 7213) j, assign_workflow(j, :vwf);
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('parity', candidate_id % 2)
 WHERE candidate_id <= 1500;
COMMIT;
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7210, 7212, 2) j, generate_series(1, 1500) g;
SET workflow_ext.history_batch_size = 1;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7211, 7213, 2) j, generate_series(1, 1500) g;
RESET workflow_ext.history_batch_size;
-- into stage 2: the even ones go on to stage 3 by themselves
UPDATE candidate_stage SET stage_id = :v2 WHERE job_id IN (7210, 7212);
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :v2 WHERE job_id IN (7211, 7213);
RESET workflow_ext.history_batch_size;
-- statuses: a third rejected (closes the visit, begins none), then reopened (begins one)
UPDATE candidate_stage SET status = 'rejected' WHERE job_id IN (7210, 7212) AND candidate_id % 3 = 0;
UPDATE candidate_stage SET status = 'active' WHERE job_id IN (7210, 7212) AND candidate_id % 6 = 0;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET status = 'rejected' WHERE job_id IN (7211, 7213) AND candidate_id % 3 = 0;
UPDATE candidate_stage SET status = 'active' WHERE job_id IN (7211, 7213) AND candidate_id % 6 = 0;
RESET workflow_ext.history_batch_size;
-- back to stage 1 and on to stage 2 again: a second visit of each stage
UPDATE candidate_stage SET stage_id = :v1 WHERE job_id IN (7210, 7212) AND status = 'active';
UPDATE candidate_stage SET stage_id = :v2 WHERE job_id IN (7210, 7212) AND status = 'active';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :v1 WHERE job_id IN (7211, 7213) AND status = 'active';
UPDATE candidate_stage SET stage_id = :v2 WHERE job_id IN (7211, 7213) AND status = 'active';
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT job_id, count(*) AS visits, count(*) FILTER (WHERE left_at IS NULL) AS open,
       count(*) FILTER (WHERE stage_id = :v3) AS in_stage_3, count(DISTINCT candidate_id) AS candidates,
       max(n) AS most_visits_of_a_candidate
  FROM (SELECT v.*, count(*) OVER (PARTITION BY v.candidate_id) AS n FROM stage_visit_row v
         WHERE v.job_id BETWEEN 7210 AND 7213) v
 GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_visit_differences(7210, 7211);
SELECT * FROM bw_visit_differences(7212, 7213);
SELECT j AS job_id, bw_visits_underived(j) AS not_as_derived FROM generate_series(7210, 7213) j;

\echo '== 9. Folded visits, a savepoint rolled back inside the statement, a failing row: visits as row by row'
SELECT compact_stage_visits(j) > 0 AS folded FROM generate_series(7210, 7213) j;
-- a trigger of the application's moves candidate + 1 of the other job of the pair too, in a
-- savepoint it rolls back for every 10th
CREATE FUNCTION bw_follow_visits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IN (7210, 7211) AND NEW.stage_id IS DISTINCT FROM OLD.stage_id AND NEW.candidate_id % 5 = 0 THEN
        BEGIN
            UPDATE candidate_stage SET stage_id = NEW.stage_id
             WHERE job_id = NEW.job_id + 2 AND candidate_id = NEW.candidate_id + 1 AND status = 'active';
            IF NEW.candidate_id % 10 = 0 THEN
                RAISE EXCEPTION 'undone' USING ERRCODE = 'WFBW1';
            END IF;
        EXCEPTION WHEN SQLSTATE 'WFBW1' THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bw_follow_visits AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bw_follow_visits();
-- and an AFTER trigger of the owner's on the history sees each row's visit already written (as row by row)
CREATE TABLE bw_seen (transition_id bigint, job_id bigint, visit_written boolean);
CREATE FUNCTION bw_sees_visit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO bw_seen VALUES (NEW.id, NEW.job_id, EXISTS (SELECT FROM stage_visit_row v WHERE v.id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER bw_sees_visit AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_sees_visit();
SET ROLE wf_bw_app;
UPDATE candidate_stage SET stage_id = :v4 WHERE job_id = 7210 AND status = 'active';
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :v4 WHERE job_id = 7211 AND status = 'active';
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER bw_follow_visits ON candidate_stage;
DROP TRIGGER bw_sees_visit ON stage_transition;
SELECT job_id, count(*) AS history_rows, count(*) FILTER (WHERE visit_written) AS visit_seen_by_after_trigger
  FROM bw_seen GROUP BY job_id ORDER BY job_id;
SELECT job_id, count(*) FILTER (WHERE stage_id = :v4) AS visits_of_stage_4, count(*) FILTER (WHERE folded) AS folded
  FROM stage_visit_row WHERE job_id BETWEEN 7210 AND 7213 GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_visit_differences(7210, 7211);
SELECT * FROM bw_visit_differences(7212, 7213);
SELECT j AS job_id, bw_visits_underived(j) AS not_as_derived FROM generate_series(7210, 7213) j;
-- a row refused mid-statement: no visit written or closed
CREATE TRIGGER bw_refuse BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_refuse();
UPDATE candidate_stage SET status = 'withdrawn' WHERE job_id = 7213 AND candidate_id = 1499;
SELECT count(*) AS visits, count(*) FILTER (WHERE left_at IS NULL) AS open FROM stage_visit_row WHERE job_id = 7213 \gset before_
CREATE OR REPLACE FUNCTION bw_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id = 1000 AND NEW.job_id = 7213 THEN
        RAISE EXCEPTION 'candidate % may not move', NEW.candidate_id USING ERRCODE = 'WFBW2',
            DETAIL = '{"reason": "refused"}';
    END IF;
    RETURN NEW;
END $$;
SET ROLE wf_bw_app;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7213 AND status = %L', :v1, 'active'));
RESET ROLE;
SELECT count(*) - :before_visits AS visits_added, count(*) FILTER (WHERE left_at IS NULL) - :before_open AS open_added
  FROM stage_visit_row WHERE job_id = 7213;
DROP TRIGGER bw_refuse ON stage_transition;

\echo '== 10. A history row a trigger of the owner''s skips after the guard admitted it: the statement fails, no visit is written'
CREATE FUNCTION bw_skip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id = 7212 AND NEW.candidate_id % 100 = 7 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
-- (named to fire after stage_transition_write_guard)
CREATE TRIGGER zz_bw_skip BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_skip();
SET ROLE wf_bw_app;
SELECT count(*) AS history_before FROM stage_transition WHERE job_id = 7212 \gset
UPDATE candidate_stage SET stage_id = :v4 WHERE job_id = 7212 AND status = 'active';
RESET ROLE;
DROP TRIGGER zz_bw_skip ON stage_transition;
SELECT count(*) - :history_before AS history_added FROM stage_transition WHERE job_id = 7212;
SELECT bw_visits_underived(7212) AS not_as_derived,
       (SELECT count(*) FROM stage_visit_row v WHERE v.job_id = 7212
           AND NOT EXISTS (SELECT FROM stage_transition t WHERE t.id = v.id)) AS visits_without_history;

\echo '== 11. History INSERTs of many rows nested in one: each with its own visits, as row by row'
-- A trigger of the owner's on the history moves many candidates of another job
-- (7216 for 7214, 7217 for 7215): a BEFORE trigger while the outer history
-- INSERT runs (its own multi-row history INSERT inside), an AFTER trigger
-- after its rows' visits are written, once in a savepoint it rolls back.
-- Job 7214 written set-wise, 7215 row by row: the same visits.
RESET ROLE;
SELECT count(*) AS jobs FROM generate_series(7214, 7217) j, assign_workflow(j, :vwf);
SELECT format($f$CREATE FUNCTION bw_nested_before() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $b$
BEGIN
    IF NEW.job_id IN (7214, 7215) AND NEW.candidate_id = 11 AND NEW.to_stage_id = %1$s THEN
        UPDATE candidate_stage SET stage_id = %2$s WHERE job_id = NEW.job_id + 2 AND candidate_id <= 300;
    END IF;
    RETURN NEW;
END $b$$f$, :v4, :v2) \gexec
SELECT format($f$CREATE FUNCTION bw_nested_after() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $b$
BEGIN
    IF NEW.job_id IN (7214, 7215) AND NEW.candidate_id = 21 AND NEW.to_stage_id = %1$s THEN
        BEGIN
            UPDATE candidate_stage SET stage_id = %1$s WHERE job_id = NEW.job_id + 2 AND candidate_id BETWEEN 301 AND 600;
            RAISE EXCEPTION 'undone' USING ERRCODE = 'WFBW1';
        EXCEPTION WHEN SQLSTATE 'WFBW1' THEN
            NULL;
        END;
        UPDATE candidate_stage SET stage_id = %1$s WHERE job_id = NEW.job_id + 2 AND candidate_id BETWEEN 601 AND 900;
    END IF;
    RETURN NULL;
END $b$$f$, :v4) \gexec
CREATE TRIGGER bw_nested_before BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_nested_before();
CREATE TRIGGER bw_nested_after AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_nested_after();
TRUNCATE bw_seen;
CREATE TRIGGER bw_sees_visit AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_sees_visit();
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7214, 7216, 2) j, generate_series(1, 900) g;
UPDATE candidate_stage SET stage_id = :v4 WHERE job_id = 7214;
SET workflow_ext.history_batch_size = 1;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7215, 7217, 2) j, generate_series(1, 900) g;
UPDATE candidate_stage SET stage_id = :v4 WHERE job_id = 7215;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER bw_nested_before ON stage_transition;
DROP TRIGGER bw_nested_after ON stage_transition;
DROP TRIGGER bw_sees_visit ON stage_transition;
SELECT job_id, count(*) AS history_rows, count(*) FILTER (WHERE visit_written) AS visit_seen_by_after_trigger
  FROM bw_seen GROUP BY job_id ORDER BY job_id;
SELECT job_id, count(*) AS visits, count(*) FILTER (WHERE left_at IS NULL) AS open,
       count(*) FILTER (WHERE stage_id = :v2) AS of_stage_2, count(*) FILTER (WHERE stage_id = :v3) AS of_stage_3,
       count(*) FILTER (WHERE stage_id = :v4) AS of_stage_4
  FROM stage_visit_row WHERE job_id BETWEEN 7214 AND 7217 GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_visit_differences(7214, 7215);
SELECT * FROM bw_visit_differences(7216, 7217);
SELECT j AS job_id, bw_visits_underived(j) AS not_as_derived FROM generate_series(7214, 7217) j;

\echo '== 12. Changes of facts recorded per statement and evaluated set-wise at its end (one locking read per run of changes), as row by row'
-- Candidates 30001-30300 in jobs 7230 and 7232 are changed by statements of
-- many rows (set-wise), 40001-40300 in jobs 7231 and 7233 by the same
-- statements with history_batch_size = 1 (each change evaluated at once in
-- its row trigger, as before).  Stage 2 has alerts on candidate and job
-- facts and advances by itself into stage 3 when "go" is true; stage 3 has
-- an alert of its own.  The same candidate ids in tenant org:bw2 (job 7234)
-- are someone else's.  An AFTER trigger of the owner's on candidate_profile
-- runs a query in a savepoint it rolls back for every 50th candidate, and
-- changes the profile of the next candidate for every 100th.
RESET ROLE;
SET workflow_ext.tenant = 'org:bw2';
SELECT test_workflow('Facts elsewhere', 2) AS xwf \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (test_stage(:xwf, 1), 'level', 'exists', NULL, 'elsewhere');
SELECT count(*) AS jobs FROM assign_workflow(7234, :xwf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(30001, 30010) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 7234, g FROM generate_series(30001, 30010) g;
SET workflow_ext.tenant = 'org:bw';
BEGIN;
SELECT test_workflow('Facts', 4) AS fwf \gset
SELECT test_stage(:fwf, 1) AS f1, test_stage(:fwf, 2) AS f2, test_stage(:fwf, 3) AS f3 \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = :f2;
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:f3, 'go', '{"field": "go", "op": "eq", "value": true}');
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:f2, 'level', 'exists', NULL, 'has a level', 'candidate'),
  (:f2, 'level', 'gte', '2', 'level two', 'candidate'),
  (:f2, 'hot', 'eq', 'true', 'hot job', 'job'),
  (:f3, 'level', 'gte', '3', 'level three', 'candidate');
SELECT count(*) AS jobs FROM generate_series(7230, 7233) j, assign_workflow(j, :fwf);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT b + g, jsonb_build_object('score', g) FROM generate_series(1, 300) g, (VALUES (30000), (40000)) v(b);
INSERT INTO candidate_stage (job_id, candidate_id, stage_id)
SELECT j, j % 2 * 10000 + 30000 + g, :f2 FROM generate_series(7230, 7233) j, generate_series(1, 300) g;
INSERT INTO job_profile (job_id, attributes) SELECT j, '{}' FROM generate_series(7230, 7233) j;
COMMIT;
-- each candidate's events and history, its id taken modulo 10,000, ranked per candidate and job pair
-- (without the owner's 'nudged' fact: whether a candidate's own row trigger fires before or after
-- the nudge of its neighbour follows the heap order of the UPDATE, which differs between the jobs)
CREATE FUNCTION bw_facts_trace(jobs bigint[]) RETURNS TABLE (what text, candidate bigint, job bigint, rank bigint,
    stage integer, detail text, cause text, facts jsonb) LANGUAGE sql AS $$
SELECT 'event', e.candidate_id % 10000, e.job_id - jobs[1], rank() OVER (PARTITION BY e.candidate_id, e.job_id ORDER BY e.id),
       s.position, e.message, e.cause, e.facts - 'score' - 'id' - 'nudged'
  FROM alert_event e JOIN workflow_stage s ON s.id = e.stage_id WHERE e.job_id = ANY (jobs)
UNION ALL
SELECT 'move', t.candidate_id % 10000, t.job_id - jobs[1], rank() OVER (PARTITION BY t.candidate_id, t.job_id ORDER BY t.id),
       s.position, t.reason, t.actor, NULL
  FROM stage_transition t JOIN workflow_stage s ON s.id = t.to_stage_id WHERE t.job_id = ANY (jobs) $$;
CREATE FUNCTION bw_facts_differences() RETURNS bigint LANGUAGE sql AS $$
SELECT count(*) FROM ((SELECT * FROM bw_facts_trace(ARRAY[7230, 7232]::bigint[]) EXCEPT ALL SELECT * FROM bw_facts_trace(ARRAY[7231, 7233]::bigint[]))
                      UNION ALL (SELECT * FROM bw_facts_trace(ARRAY[7231, 7233]::bigint[]) EXCEPT ALL SELECT * FROM bw_facts_trace(ARRAY[7230, 7232]::bigint[]))) d $$;
CREATE FUNCTION bw_facts_probe() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
    IF NEW.candidate_id BETWEEN 30001 AND 40300 AND NEW.candidate_id % 50 = 0 THEN
        BEGIN
            PERFORM count(*) FROM candidate_stage WHERE candidate_id = NEW.candidate_id;
            RAISE EXCEPTION 'undone' USING ERRCODE = 'WFBW1';
        EXCEPTION WHEN SQLSTATE 'WFBW1' THEN
            NULL;
        END;
    END IF;
    IF NEW.candidate_id BETWEEN 30001 AND 40300 AND NEW.candidate_id % 100 = 0 THEN
        UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('nudged', NEW.attributes -> 'level')
         WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_facts_probe AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_facts_probe();
SET ROLE wf_bw_app;
-- a level for everyone
UPDATE candidate_profile SET attributes = attributes || '{"level": 1}' WHERE candidate_id BETWEEN 30001 AND 30300;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"level": 1}' WHERE candidate_id BETWEEN 40001 AND 40300;
RESET workflow_ext.history_batch_size;
-- level 2, and "go" for every third: they advance into stage 3 in the middle of the statement
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('level', 2, 'go', candidate_id % 10000 % 3 = 0)
 WHERE candidate_id BETWEEN 30001 AND 30300;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || jsonb_build_object('level', 2, 'go', candidate_id % 10000 % 3 = 0)
 WHERE candidate_id BETWEEN 40001 AND 40300;
RESET workflow_ext.history_batch_size;
-- INSERT ... ON CONFLICT DO UPDATE: level 3 for two existing profiles, a new one (no pipeline)
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (30003, '{"level": 3, "go": true}'), (30004, '{"level": 3}'), (30999, '{"level": 3}')
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
SET workflow_ext.history_batch_size = 1;
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (40003, '{"level": 3, "go": true}'), (40004, '{"level": 3}'), (40999, '{"level": 3}')
ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes;
RESET workflow_ext.history_batch_size;
-- a writable CTE changing a job's facts and candidates' facts in one statement
WITH j AS (UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id = 7230 RETURNING job_id)
UPDATE candidate_profile SET attributes = attributes || '{"level": 4}' WHERE candidate_id BETWEEN 30010 AND 30020;
SET workflow_ext.history_batch_size = 1;
WITH j AS (UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id = 7231 RETURNING job_id)
UPDATE candidate_profile SET attributes = attributes || '{"level": 4}' WHERE candidate_id BETWEEN 40010 AND 40020;
RESET workflow_ext.history_batch_size;
-- a savepoint rolled back between statements: its changes' events are gone
BEGIN;
SAVEPOINT a;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id = 7232;
ROLLBACK TO SAVEPOINT a;
UPDATE job_profile SET attributes = '{"hot": true, "again": 1}' WHERE job_id IN (7232, 7233);
COMMIT;
RESET ROLE;
SELECT job_id, cause, count(*) AS events, count(DISTINCT transition_id) AS visits,
       string_agg(DISTINCT message, ', ' ORDER BY message) AS messages
  FROM alert_event WHERE job_id BETWEEN 7230 AND 7234 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT job_id, count(*) FILTER (WHERE reason = 'auto_advance') AS advanced,
       count(*) FILTER (WHERE stage_id = :f3) AS in_stage_3
  FROM candidate_stage c LEFT JOIN LATERAL (SELECT t.reason FROM stage_transition t
       WHERE t.id = c.visit_transition_id) t ON true
 WHERE job_id BETWEEN 7230 AND 7233 GROUP BY 1 ORDER BY 1;
SELECT bw_facts_differences() AS differences;
-- only repeats: none buffered set-wise, but each takes its event id as row by row did
SELECT last_value AS seq0 FROM alert_event_id_seq \gset
SET ROLE wf_bw_app;
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id BETWEEN 30001 AND 30300;
RESET ROLE;
SELECT last_value AS seq1 FROM alert_event_id_seq \gset
SET ROLE wf_bw_app;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"n": 1}' WHERE candidate_id BETWEEN 40001 AND 40300;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT last_value AS seq2 FROM alert_event_id_seq \gset
SELECT :seq1 - :seq0 AS ids_taken_set_wise, :seq2 - :seq1 AS ids_taken_row_by_row,
       (SELECT count(*) FROM alert_event WHERE id > :seq0) AS events_written;
-- objects of the writer's on its search_path are never used by the facts trigger's queries
CREATE SCHEMA bw_evil;
CREATE FUNCTION bw_evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bw_evil.unnest ran'; END $$;
CREATE FUNCTION bw_evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bw_evil.= ran'; END $$;
CREATE OPERATOR bw_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = bw_evil.text_eq);
GRANT USAGE ON SCHEMA bw_evil TO PUBLIC;
SET ROLE wf_bw_app;
SET search_path = bw_evil, public, pg_catalog;
UPDATE candidate_profile SET attributes = attributes || '{"level": 5}' WHERE candidate_id BETWEEN 30001 AND 30300;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = attributes || '{"level": 5}' WHERE candidate_id BETWEEN 40001 AND 40300;
RESET workflow_ext.history_batch_size;
RESET search_path;
RESET ROLE;
DROP SCHEMA bw_evil CASCADE;
SELECT bw_facts_differences() AS differences;

\echo '== 13. A facts source table: the same key twice in one statement, a row of no tenant, an auto-advance between them'
CREATE TABLE bw_src (id bigint, org text, level integer, go boolean);
SELECT set_candidate_source('bw_src', 'id', 'org');
GRANT SELECT, INSERT, UPDATE ON bw_src TO wf_bw_app;
SET ROLE wf_bw_app;
INSERT INTO bw_src VALUES (30101, 'org:bw', 5, false), (30102, NULL, 5, true), (30101, 'org:bw', 5, true), (30103, 'org:bw', 5, true);
SET workflow_ext.history_batch_size = 1;
INSERT INTO bw_src VALUES (40101, 'org:bw', 5, false), (40102, NULL, 5, true), (40101, 'org:bw', 5, true), (40103, 'org:bw', 5, true);
RESET workflow_ext.history_batch_size;
-- the same key updated twice (two rows) in one statement
UPDATE bw_src SET level = level + 1, go = true WHERE id IN (30101, 30102);
SET workflow_ext.history_batch_size = 1;
UPDATE bw_src SET level = level + 1, go = true WHERE id IN (40101, 40102);
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT c.candidate_id, c.job_id, s.position AS stage FROM candidate_stage c JOIN workflow_stage s ON s.id = c.stage_id
 WHERE c.candidate_id IN (30101, 30102, 30103, 40101, 40102, 40103) AND c.job_id BETWEEN 7230 AND 7233 ORDER BY 1, 2;
SELECT bw_facts_differences() AS differences;
DELETE FROM facts_source;
DROP TRIGGER workflow_ext_facts_changed ON bw_src;
DROP TRIGGER zz_bw_facts_probe ON candidate_profile;
\echo '== 14. Entry events of the visits a statement begins are written without ON CONFLICT; a statement that also raises events again by facts still leaves its repeats out'
-- A bulk move's events all begin visits of the statement's own history rows:
-- written by the INSERT without an arbiter (none can repeat).  A statement
-- mixing moves with facts changes of pipeline rows that stay (their alerts
-- raised again: the visit's earlier events are repeats) must take the
-- statement that leaves repeats out, or it fails on the unique index (23505).
-- Job 7220 set-wise, 7221 row by row (history_batch_size = 1): the same rows.
RESET ROLE;
BEGIN;
SELECT test_workflow('Entries', 4) AS ewf \gset
SELECT test_stage(:ewf, 1) AS e1, test_stage(:ewf, 2) AS e2, test_stage(:ewf, 3) AS e3 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message, source) VALUES
  (:e2, 'score', 'gte', '0', 'scored', 'candidate'),
  (:e2, 'flag', 'exists', NULL, 'flagged', 'application'),
  (:e3, 'score', 'gte', '0', 'scored again', 'candidate');
SELECT count(*) AS jobs FROM generate_series(7220, 7221) j, assign_workflow(j, :ewf);
COMMIT;
CREATE FUNCTION bw_events_by_candidate(jid bigint) RETURNS TABLE (candidate_id bigint, rank bigint,
    alert_id bigint, stage_id bigint, transition_rank bigint, cause text, message text, facts jsonb)
LANGUAGE sql AS $$
WITH t AS (SELECT t.id, rank() OVER (PARTITION BY t.candidate_id ORDER BY t.id) AS rank
             FROM stage_transition t WHERE t.job_id = jid)
SELECT e.candidate_id, rank() OVER (PARTITION BY e.candidate_id ORDER BY e.id), e.alert_id, e.stage_id, t.rank,
       e.cause, e.message, e.facts
  FROM alert_event e LEFT JOIN t ON t.id = e.transition_id WHERE e.job_id = jid $$;
CREATE FUNCTION bw_entry_differences(a bigint, b bigint) RETURNS TABLE (what text, differences bigint) LANGUAGE sql AS $$
SELECT * FROM bw_visit_differences(a, b)
UNION ALL
SELECT 'alert events', (SELECT count(*) FROM ((SELECT * FROM bw_events_by_candidate(a) EXCEPT ALL SELECT * FROM bw_events_by_candidate(b))
                          UNION ALL (SELECT * FROM bw_events_by_candidate(b) EXCEPT ALL SELECT * FROM bw_events_by_candidate(a))) d) $$;
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7220, 7221) j, generate_series(1, 1200) g;
-- every candidate into stage 2: 1,200 visits, 1 event each ('scored'; no flag yet)
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7220;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7221;
RESET workflow_ext.history_batch_size;
-- one statement: the even candidates move on to stage 3 (entries), the odd ones stay and get a flag
-- (their visit's 'scored' raised again, a repeat, and 'flagged', new), the two kinds interleaved
UPDATE candidate_stage SET stage_id = CASE WHEN candidate_id % 2 = 0 THEN :e3 ELSE stage_id END,
       attributes = CASE WHEN candidate_id % 2 = 0 THEN attributes ELSE attributes || '{"flag": 1}' END
 WHERE job_id = 7220;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = CASE WHEN candidate_id % 2 = 0 THEN :e3 ELSE stage_id END,
       attributes = CASE WHEN candidate_id % 2 = 0 THEN attributes ELSE attributes || '{"flag": 1}' END
 WHERE job_id = 7221;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT job_id, count(*) AS events, count(*) FILTER (WHERE cause = 'entry' AND message = 'scored') AS entered_2,
       count(*) FILTER (WHERE cause = 'entry' AND message = 'scored again') AS entered_3,
       count(*) FILTER (WHERE cause = 'facts' AND message = 'flagged') AS flagged,
       count(*) FILTER (WHERE cause = 'facts' AND message <> 'flagged') AS repeats,
       count(DISTINCT (candidate_id, transition_id, alert_id)) AS distinct_per_visit
  FROM alert_event WHERE job_id IN (7220, 7221) GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_entry_differences(7220, 7221);
-- A unique index of the owner's that an entry event can hit (one 'scored' event per candidate and
-- alert in a job, ever) is an arbiter as before: moving back into stage 2 skips the event, fails nothing.
CREATE UNIQUE INDEX bw_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE job_id IN (7220, 7221);
SET ROLE wf_bw_app;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7220 AND candidate_id % 2 = 0;
RESET ROLE;
DROP INDEX bw_once_ever;
SELECT count(*) FILTER (WHERE t.to_stage_id = :e2) AS entries_into_2,
       (SELECT count(*) FROM alert_event e WHERE e.job_id = 7220 AND e.cause = 'entry' AND e.stage_id = :e2) AS entry_events_in_2
  FROM stage_transition t WHERE t.job_id = 7220;
-- With the engine's indexes only, the entry events are not proposed to ON CONFLICT: an event made
-- by hand (the owner, the guard off) for the visits the next move will begin is a duplicate that
-- fails the move (23505), not one that silently takes the place of the move's own event.
SELECT id AS scored_again FROM alert WHERE stage_id = :e3 \gset
SELECT last_value AS last_transition FROM stage_transition_id_seq \gset
SET session_replication_role = replica;
INSERT INTO alert_event (id, tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id,
                         cause, severity, message)
SELECT nextval('alert_event_id_seq'), 'org:bw', :scored_again, 7220, 1, :ewf, :e3, :last_transition + k, 'entry', 'warning', 'made by hand'
  FROM generate_series(1, 2) k;
RESET session_replication_role;
SET ROLE wf_bw_app;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7220 AND candidate_id IN (1, 3)', :e3));
RESET ROLE;
DELETE FROM alert_event WHERE message = 'made by hand';

\echo '== 15. Set-wise only where nothing but the extension''s code runs between a change and its evaluation (the attacks of facts21e): as row by row'
-- Job 7250's candidates 50001-50006 are changed by statements that could go set-wise, job
-- 7251's 50011-50016 by the same statements with history_batch_size = 1 (at once, as
-- before issue 21); each trace names a candidate by its last digit.  An AFTER trigger of
-- the owner's on candidate_profile (zz_: it fires after the facts trigger) switches the
-- tenant, switches the actor, or moves the candidate from an exception block: then every
-- change of the statement is evaluated at once, in its row trigger.  No stage of the
-- schema advances by itself meanwhile (one that does makes every change evaluated at once).
RESET ROLE;
CREATE TABLE bw_advancing AS SELECT id FROM workflow_stage WHERE auto_advance;
UPDATE workflow_stage SET auto_advance = false WHERE id IN (SELECT id FROM bw_advancing);
SELECT tgname FROM pg_trigger WHERE tgrelid IN ('candidate_profile'::regclass, 'job_profile'::regclass) AND NOT tgisinternal ORDER BY 1;
SET workflow_ext.tenant = 'org:bw15';
SET workflow_ext.actor = 'user:bw15';
SELECT test_workflow('Later facts', 3) AS lwf \gset
SELECT test_stage(:lwf, 1) AS l1, test_stage(:lwf, 2) AS l2 \gset
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (:l1, 'level', 'exists', NULL, 'has level'), (:l1, 'level', 'gte', '2', 'level two'), (:l1, 'level', 'gte', '3', 'level three');
INSERT INTO alert (stage_id, field_name, operator, value, message, source)
SELECT id, 'hot', 'eq', 'true', 'hot in s' || position, 'job' FROM workflow_stage WHERE id IN (:l1, :l2);
SELECT count(*) AS jobs FROM generate_series(7250, 7255) j, assign_workflow(j, :lwf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(50001, 50024) g;
INSERT INTO job_profile (job_id, attributes) SELECT j, '{}' FROM generate_series(7250, 7255) j;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 7250, g FROM generate_series(50001, 50006) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 7251, g FROM generate_series(50011, 50016) g;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7252, 7255) j, generate_series(50021, 50024) g;
UPDATE candidate_stage SET stage_id = :l2 WHERE candidate_id = 50021 AND job_id BETWEEN 7252 AND 7255;
CREATE FUNCTION bw_later_trace(jobs bigint[]) RETURNS TABLE (events text, moves text) LANGUAGE sql AS $$
SELECT (SELECT string_agg(format('%s/%s %s (%s)', e.job_id - jobs[1], e.candidate_id % 10, e.message, e.cause), ', ' ORDER BY e.id)
          FROM alert_event e WHERE e.job_id = ANY (jobs)),
       (SELECT string_agg(format('%s/%s to %s (%s)', t.job_id - jobs[1], t.candidate_id % 10, s.position, t.reason), ', ' ORDER BY t.id)
          FROM stage_transition t JOIN workflow_stage s ON s.id = t.to_stage_id
         WHERE t.job_id = ANY (jobs) AND t.from_stage_id IS NOT NULL) $$;
CREATE FUNCTION bw_later_differences() RETURNS TABLE (path text, events text, moves text) LANGUAGE sql AS $$
SELECT 'set-wise', * FROM bw_later_trace(ARRAY[7250]::bigint[])
UNION ALL SELECT 'row by row', * FROM bw_later_trace(ARRAY[7251]::bigint[]) $$;
SET ROLE wf_bw_app;
-- nothing of anyone else's on the statement's tables: set-wise (a level for everyone)
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id BETWEEN 50001 AND 50006;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 1}' WHERE candidate_id BETWEEN 50011 AND 50016;
RESET workflow_ext.history_batch_size;
-- and with objects of the writer's named like built-ins first on its search_path (the facts
-- trigger has no SET clause of its own: its set-wise read pins search_path itself): never run
-- (jobs 7258 and 7259, candidates of their own)
RESET ROLE;
SELECT count(*) AS jobs FROM generate_series(7258, 7259) j, assign_workflow(j, :lwf);
INSERT INTO candidate_profile (candidate_id, attributes) SELECT g, '{}' FROM generate_series(50051, 50063) g;
INSERT INTO candidate_stage (job_id, candidate_id)
SELECT 7258, g FROM generate_series(50051, 50053) g UNION ALL SELECT 7259, g FROM generate_series(50061, 50063) g;
CREATE SCHEMA bw_evil15;
CREATE FUNCTION bw_evil15.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bw_evil15.unnest ran'; END $$;
CREATE FUNCTION bw_evil15.int8_eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bw_evil15.= ran'; END $$;
CREATE OPERATOR bw_evil15.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = bw_evil15.int8_eq);
CREATE FUNCTION bw_evil15.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bw_evil15.= ran'; END $$;
CREATE OPERATOR bw_evil15.= (LEFTARG = text, RIGHTARG = text, FUNCTION = bw_evil15.text_eq);
GRANT USAGE ON SCHEMA bw_evil15 TO PUBLIC;
SET ROLE wf_bw_app;
SET search_path = bw_evil15, public, pg_catalog;
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id BETWEEN 50051 AND 50053;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id BETWEEN 50061 AND 50063;
RESET workflow_ext.history_batch_size;
RESET search_path;
RESET ROLE;
DROP SCHEMA bw_evil15 CASCADE;
SELECT 'set-wise' AS path, events FROM bw_later_trace(ARRAY[7258]::bigint[])
UNION ALL SELECT 'row by row', events FROM bw_later_trace(ARRAY[7259]::bigint[]);
SET ROLE wf_bw_app;
-- (a) the owner's trigger switches the tenant (a utility statement: no ExecutorStart) after
-- the first row: its events are written under the switched tenant and refused, as before
-- issue 21 (set-wise, the first row's change was evaluated in the other tenant, its event lost)
RESET ROLE;
CREATE FUNCTION bw_later_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id IN (50001, 50011) THEN SET LOCAL workflow_ext.tenant = 'org:bw2'; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_later AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_later_tenant();
SET ROLE wf_bw_app;
BEGIN;
SELECT test_error($$UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50001, 50002)$$) AS set_wise_statement;
COMMIT;
SET workflow_ext.tenant = 'org:bw15';
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 2;
SELECT test_error($$UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50001, 50002)$$) AS buffered_statement;
COMMIT;
SET workflow_ext.tenant = 'org:bw15';
-- (b) the owner's trigger switches the actor after the first row: the statement's actor
-- (who sees no pipeline of the workflow) evaluates the first change, the switched one the second
RESET ROLE;
DROP TRIGGER zz_bw_later ON candidate_profile;
CREATE FUNCTION bw_later_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id IN (50003, 50013) THEN SET LOCAL workflow_ext.actor = 'user:bw15'; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_later AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_later_actor();
SET ROLE wf_bw_app;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:bw15-nobody';
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50003, 50004);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:bw15-nobody';
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50013, 50014);
COMMIT;
-- (c) the owner's trigger moves the candidate on from an exception block: the change is
-- evaluated first, in the stage it stood in when its facts changed
RESET ROLE;
DROP TRIGGER zz_bw_later ON candidate_profile;
CREATE FUNCTION bw_later_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id IN (50005, 50006, 50015, 50016) THEN
        BEGIN
            PERFORM move_to_next_stage(NEW.candidate_id, CASE WHEN NEW.candidate_id < 50010 THEN 7250 ELSE 7251 END);
        EXCEPTION WHEN lock_not_available THEN NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_later AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_later_move();
SET ROLE wf_bw_app;
UPDATE candidate_profile SET attributes = '{"level": 3}' WHERE candidate_id IN (50005, 50006);
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 3}' WHERE candidate_id IN (50015, 50016);
RESET workflow_ext.history_batch_size;
-- (e) the owner's trigger takes a role that bypasses row-level security after the last row:
-- every change is evaluated with the writer's rights (actor user:bw15-nobody sees none of
-- the pipelines: no event), not the role's
RESET ROLE;
DROP TRIGGER zz_bw_later ON candidate_profile;
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_bw_bypass;
RESET client_min_messages;
CREATE ROLE wf_bw_bypass BYPASSRLS;
GRANT workflow_app TO wf_bw_bypass;
GRANT wf_bw_bypass TO wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (7250, 50007), (7250, 50008), (7251, 50017), (7251, 50018);
CREATE FUNCTION bw_later_role() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id IN (50008, 50018) THEN SET LOCAL ROLE wf_bw_bypass; END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_later AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_later_role();
SET ROLE wf_bw_app;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:bw15-nobody';
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50007, 50008);
SELECT current_user AS role_at_the_end;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:bw15-nobody';
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"level": 2}' WHERE candidate_id IN (50017, 50018);
COMMIT;
RESET ROLE;
DROP TRIGGER zz_bw_later ON candidate_profile;
REVOKE wf_bw_bypass FROM wf_bw_app;
DROP ROLE wf_bw_bypass;
SELECT * FROM bw_later_differences();
-- (f) an auto_advance stage, and the owner's trigger normalising the facts in an exception
-- block: the change is evaluated with the facts it made before the normalisation moves the
-- candidate on (as row by row: no 'not ready' raised on facts that no longer hold)
SELECT test_workflow('Later advance', 3) AS awf \gset
UPDATE workflow_stage SET auto_advance = true WHERE workflow_id = :awf AND position = 1;
INSERT INTO stage_rule (stage_id, name, condition) VALUES (test_stage(:awf, 2), 'go', '{"field": "go", "op": "eq", "value": true}');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES (test_stage(:awf, 2), 'go', 'eq', 'false', 'not ready');
SELECT count(*) AS jobs FROM generate_series(7256, 7257) j, assign_workflow(j, :awf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (50031, '{}'), (50032, '{}');
INSERT INTO candidate_stage (job_id, candidate_id) VALUES (7256, 50021), (7256, 50022), (7257, 50031), (7257, 50032);
CREATE FUNCTION bw_later_normalise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id IN (50021, 50022, 50031, 50032) AND NEW.attributes ->> 'go' = 'false' THEN
        BEGIN
            UPDATE candidate_profile SET attributes = '{"go": true}' WHERE tenant = NEW.tenant AND candidate_id = NEW.candidate_id;
        EXCEPTION WHEN lock_not_available THEN NULL;
        END;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_bw_later AFTER UPDATE ON candidate_profile FOR EACH ROW EXECUTE FUNCTION bw_later_normalise();
SET ROLE wf_bw_app;
UPDATE candidate_profile SET attributes = '{"go": false}' WHERE candidate_id IN (50021, 50022);
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_profile SET attributes = '{"go": false}' WHERE candidate_id IN (50031, 50032);
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER zz_bw_later ON candidate_profile;
SELECT 'set-wise' AS path, * FROM bw_later_trace(ARRAY[7256]::bigint[])
UNION ALL SELECT 'row by row', * FROM bw_later_trace(ARRAY[7257]::bigint[]);
UPDATE workflow_stage SET auto_advance = false WHERE workflow_id = :awf;
-- (d) a job's facts are evaluated at once, its candidates in the order of the job's index
-- (by stage), as row by row: the same events in the same id order
SET ROLE wf_bw_app;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id IN (7252, 7253);
SET workflow_ext.history_batch_size = 1;
UPDATE job_profile SET attributes = '{"hot": true}' WHERE job_id IN (7254, 7255);
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT 'set-wise' AS path, events FROM bw_later_trace(ARRAY[7252, 7253]::bigint[])
UNION ALL SELECT 'row by row', events FROM bw_later_trace(ARRAY[7254, 7255]::bigint[]);
UPDATE workflow_stage SET auto_advance = true WHERE id IN (SELECT id FROM bw_advancing);
DROP TABLE bw_advancing;
-- (section 15 left its own tenant and actor: back to the file's)
SET workflow_ext.tenant = 'org:bw';
SET workflow_ext.actor = 'user:ann';
\echo '== 16. A single move (a move function, history_batch_size = 1) writes the entry events of the visit its history row began without ON CONFLICT'
-- Job 7222 moved by one statement (set-wise), 7223 by move_to_stage() (each
-- move written at once, by the move function's own change), 7224 row by
-- row (history_batch_size = 1): the same history, visits and events.
RESET ROLE;
SELECT count(*) AS jobs FROM generate_series(7222, 7224) j, assign_workflow(j, :ewf);
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7222, 7224) j, generate_series(1, 60) g;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7222;
SELECT count(*) AS moves, sum((m).alerts_raised) AS alerts_raised
  FROM (SELECT move_to_stage(g, 7223, :e2) AS m FROM generate_series(1, 60) g) x;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7224;
RESET workflow_ext.history_batch_size;
-- on to stage 3 and back into stage 2: a new visit each time, its events again
UPDATE candidate_stage SET stage_id = :e3 WHERE job_id = 7222;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7222;
SELECT count(*) AS moves, sum((m).alerts_raised) AS alerts_raised
  FROM (SELECT move_to_stage(g, 7223, s) AS m FROM (VALUES (1, :e3), (2, :e2)) v (o, s), generate_series(1, 60) g ORDER BY o, g) x;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e3 WHERE job_id = 7224;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7224;
RESET workflow_ext.history_batch_size;
RESET ROLE;
SELECT job_id, count(*) AS events, count(*) FILTER (WHERE stage_id = :e2) AS in_2, count(*) FILTER (WHERE stage_id = :e3) AS in_3,
       count(DISTINCT (candidate_id, transition_id, alert_id)) AS distinct_per_visit
  FROM alert_event WHERE job_id BETWEEN 7222 AND 7224 GROUP BY job_id ORDER BY job_id;
SELECT * FROM bw_entry_differences(7222, 7223);
SELECT * FROM bw_entry_differences(7222, 7224);
-- An owner's unique index that an entry event can hit keeps ON CONFLICT DO NOTHING for a single
-- move too: moving back into stage 3 skips the event (the move's result counts none), fails nothing.
-- (partial: stage 3 of the two jobs, which each candidate has entered once so far)
CREATE UNIQUE INDEX bw_once_ever ON alert_event (tenant, job_id, candidate_id, alert_id) WHERE job_id IN (7223, 7224) AND stage_id = :e3;
SET ROLE wf_bw_app;
SELECT (m).alerts_raised FROM move_to_stage(1, 7223, :e3) m;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e3 WHERE job_id = 7224 AND candidate_id = 1;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP INDEX bw_once_ever;
SELECT job_id, count(*) FILTER (WHERE t.to_stage_id = :e3) AS entries_into_3,
       (SELECT count(*) FROM alert_event e WHERE e.job_id = t.job_id AND e.candidate_id = 1 AND e.stage_id = :e3) AS events_in_3
  FROM stage_transition t WHERE t.job_id IN (7223, 7224) AND t.candidate_id = 1 GROUP BY job_id ORDER BY job_id;
-- With the engine's indexes only, the single move's entry events are not proposed to ON CONFLICT:
-- an event made by hand (the owner, the guard off) for the visit the next move will begin fails
-- the move (23505), by move_to_stage() and row by row alike.
SELECT last_value AS last_transition FROM stage_transition_id_seq \gset
SET session_replication_role = replica;
INSERT INTO alert_event (id, tenant, alert_id, job_id, candidate_id, workflow_id, stage_id, transition_id,
                         cause, severity, message)
SELECT nextval('alert_event_id_seq'), 'org:bw', a.id, 7223, 2, :ewf, :e3, :last_transition + k, 'entry', 'warning', 'made by hand'
  FROM alert a CROSS JOIN generate_series(1, 2) k WHERE a.stage_id = :e3;
RESET session_replication_role;
SET ROLE wf_bw_app;
SELECT test_error(format('SELECT move_to_stage(2, 7223, %s)', :e3));
SET workflow_ext.history_batch_size = 1;
SELECT test_error(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 7223 AND candidate_id = 2', :e3));
RESET workflow_ext.history_batch_size;
RESET ROLE;
DELETE FROM alert_event WHERE message = 'made by hand';
SELECT count(*) AS events_of_candidate_2_in_3 FROM alert_event WHERE job_id = 7223 AND candidate_id = 2 AND stage_id = :e3;

\echo '== 17. A feed_advance() run by a trigger inside a bulk move: every history row written after it, in the same INSERT, carries the new generation'
-- The history guard stamps each row's feed position; the backend remembers the
-- last one given within a subtransaction, and must forget it when the
-- generation changes under the statement.  A BEFORE trigger on stage_transition
-- (named to fire before the guard) advances the feed at candidate 30's row:
-- set-wise (job 7225, one INSERT for the buffer) and row by row (7226).
RESET ROLE;
SELECT count(*) AS jobs FROM generate_series(7225, 7226) j, assign_workflow(j, :ewf);
-- (SECURITY DEFINER: feed_advance() is the owner's; the history INSERT runs with search_path pinned)
CREATE FUNCTION bw_advance_feed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
    IF NEW.job_id IN (7225, 7226) AND NEW.candidate_id = 30 AND NEW.from_stage_id IS NOT NULL THEN
        PERFORM feed_advance(((feed_generation() + 1) * 281474976710656::numeric)::text::xid8);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER a_bw_advance_feed BEFORE INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_advance_feed();
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7225, 7226) j, generate_series(1, 60) g;
RESET ROLE;
SELECT feed_generation() AS gen0 \gset
SET ROLE wf_bw_app;
BEGIN;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7225;
COMMIT;
RESET ROLE;
SELECT feed_generation() AS gen1 \gset
SET ROLE wf_bw_app;
BEGIN;
SET LOCAL workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e2 WHERE job_id = 7226;
COMMIT;
RESET ROLE;
SELECT feed_generation() AS gen2 \gset
DROP TRIGGER a_bw_advance_feed ON stage_transition;
SELECT :gen1 - :gen0 AS advanced_set_wise, :gen2 - :gen1 AS advanced_row_by_row;
-- the moves' history rows before candidate 30's in write order keep the old generation, it and
-- every later one have the new one (the generation is xact_id >> 48)
WITH t AS (SELECT t.job_id, t.id, div(t.xact_id::text::numeric, 281474976710656)::bigint AS gen,
                  t.id >= (SELECT u.id FROM stage_transition u WHERE u.job_id = t.job_id AND u.candidate_id = 30
                             AND u.from_stage_id IS NOT NULL) AS after_advance
             FROM stage_transition t WHERE t.job_id IN (7225, 7226) AND t.from_stage_id IS NOT NULL)
SELECT job_id, after_advance, count(*) AS moves,
       count(*) FILTER (WHERE gen = CASE job_id WHEN 7225 THEN :gen0 ELSE :gen1 END) AS old_generation,
       count(*) FILTER (WHERE gen = CASE job_id WHEN 7225 THEN :gen1 ELSE :gen2 END) AS new_generation
  FROM t GROUP BY 1, 2 ORDER BY 1, 2;

\echo '== 18. A trigger on stage_transition that changes the moved candidate''s facts: the visit''s alert raised by cause facts first, the entry event then skipped, not a 23505'
-- The entry events are written without ON CONFLICT only when nothing wrote an
-- alert event while the history rows were written: here the caller's AFTER
-- trigger on stage_transition updates the candidate's facts, whose trigger
-- raises the new visit's alert (cause facts) before the move's entry event.
-- Job 7227 set-wise, 7228 by move_to_stage(), 7229 row by row.
RESET ROLE;
SELECT count(*) AS jobs FROM generate_series(7227, 7229) j, assign_workflow(j, :ewf);
CREATE FUNCTION bw_touch_facts() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
BEGIN
    IF NEW.job_id BETWEEN 7227 AND 7229 AND NEW.from_stage_id IS NOT NULL THEN
        UPDATE candidate_profile SET attributes = attributes || '{"touched": 1}' WHERE candidate_id = NEW.candidate_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bw_touch_facts AFTER INSERT ON stage_transition FOR EACH ROW EXECUTE FUNCTION bw_touch_facts();
SET ROLE wf_bw_app;
INSERT INTO candidate_stage (job_id, candidate_id) SELECT j, g FROM generate_series(7227, 7229) j, generate_series(1, 20) g;
UPDATE candidate_stage SET stage_id = :e3 WHERE job_id = 7227;
SELECT count(*) AS moves, sum((m).alerts_raised) AS alerts_raised
  FROM (SELECT move_to_stage(g, 7228, :e3) AS m FROM generate_series(1, 20) g) x;
SET workflow_ext.history_batch_size = 1;
UPDATE candidate_stage SET stage_id = :e3 WHERE job_id = 7229;
RESET workflow_ext.history_batch_size;
RESET ROLE;
DROP TRIGGER bw_touch_facts ON stage_transition;
SELECT job_id, count(*) AS events, count(*) FILTER (WHERE cause = 'facts') AS by_facts, count(*) FILTER (WHERE cause = 'entry') AS entries,
       count(DISTINCT (candidate_id, transition_id, alert_id)) AS distinct_per_visit
  FROM alert_event WHERE job_id BETWEEN 7227 AND 7229 AND stage_id = :e3 GROUP BY job_id ORDER BY job_id;

RESET workflow_ext.tenant;
RESET workflow_ext.actor;
