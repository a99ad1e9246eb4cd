-- move_candidates(): many candidates of a job moved in one call, one row each,
-- every row what the single move (move_to_stage / move_to_next_stage) does or
-- raises for that candidate; a refusal never undoes or stops another move.
-- Everything runs as wf_bulk_app, an ordinary role: row-level security applies.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_bulk_app;
RESET client_min_messages;
CREATE ROLE wf_bulk_app;
GRANT workflow_app TO wf_bulk_app;   -- the README's grant set (test/sql/include/app_grants.psql)
-- What the single move does for one candidate now, undone: (sqlstate, detail),
-- sqlstate NULL when it moves.
CREATE FUNCTION bulk_single(cid bigint, jid bigint, to_stage bigint)
RETURNS TABLE(state text, detail jsonb) LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    BEGIN
        IF to_stage IS NULL THEN
            PERFORM move_to_next_stage(cid, jid);
        ELSE
            PERFORM move_to_stage(cid, jid, to_stage);
        END IF;
        RAISE EXCEPTION 'moved' USING ERRCODE = 'WFB01';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
        state := nullif(SQLSTATE, 'WFB01');
        detail := CASE WHEN state IS NULL THEN NULL ELSE d::jsonb END;
        RETURN NEXT;
    END;
END $$;
GRANT EXECUTE ON FUNCTION bulk_single(bigint, bigint, bigint) TO PUBLIC;
-- The backend's memory, all contexts (pg_backend_memory_contexts is the superuser's).
CREATE FUNCTION bulk_memory(OUT total bigint, OUT subtransaction_contexts bigint)
LANGUAGE sql SECURITY DEFINER AS $$
SELECT sum(total_bytes)::bigint, count(*) FILTER (WHERE name = 'CurTransactionContext')
  FROM pg_backend_memory_contexts $$;
GRANT EXECUTE ON FUNCTION bulk_memory() TO PUBLIC;
SET ROLE wf_bulk_app;

\echo '== 1. Fixture: acme''s job 500 (s2 blocks on score, s3 warns, s4 hires), job 501 without a hired stage; bulkrival uses the same ids'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_workflow('Bulk', 4) AS wf \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3, test_stage(:wf, 4) AS s4 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (:s2, 'score', '{"field": "score", "op": "gte", "value": 2}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (:s3, 'references', '{"field": "references", "op": "gte", "value": 1}', 'warn');
SELECT job_id FROM assign_workflow(500, :wf);
SELECT test_workflow('Bulk short', 2, false) AS wf2 \gset
SELECT job_id FROM assign_workflow(501, :wf2);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', CASE WHEN g = 2 THEN 1 ELSE 5 END, 'references', 0)
  FROM generate_series(1, 8) g;
SELECT count(*) AS added FROM generate_series(1, 8) g, add_candidate(g, 500);
SELECT candidate_id FROM add_candidate(1, 501);
SELECT candidate_id, status FROM reject_candidate(3, 500);
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrival';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT test_workflow('Globex', 3) AS gwf \gset
SELECT job_id FROM assign_workflow(500, :gwf);
SELECT job_id FROM assign_workflow(777, :gwf);
INSERT INTO candidate_profile (candidate_id, attributes) VALUES (901, '{"secret": "globex"}');
SELECT candidate_id FROM add_candidate(901, 500);
SELECT candidate_id FROM add_candidate(902, 777);
COMMIT;

\echo '== 2. Every outcome: next stage for each; each row is what the single move gives'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
-- 1 moves, 2 is blocked by s2's score, 3 is rejected, 999 and bulkrival's 901 are not in bulkco's job
CREATE TEMP TABLE expected AS
SELECT i, cid, s.state, s.detail FROM unnest(ARRAY[1, 2, 3, 999, 901]::bigint[]) WITH ORDINALITY AS u(cid, i),
       LATERAL bulk_single(cid, 500, NULL) s;
SELECT count(*) AS history_before FROM stage_transition WHERE job_id = 500 \gset
SELECT m.candidate_id, m.outcome, m.sqlstate, m.from_stage_id = :s1 AS from_s1,
       m.to_stage_id = :s2 AS to_s2, m.transition_id IS NOT NULL AS has_transition, m.detail
  FROM move_candidates(500, ARRAY[1, 2, 3, 999, 901], NULL, 'batch screen') m;
-- the same SQLSTATE and DETAIL as the single move, row by row, in input order
SELECT count(*) AS rows_matching_single_moves
  FROM (SELECT row_number() OVER () AS i, * FROM move_candidates(500, ARRAY[1, 2, 3, 999, 901])) m
  JOIN expected e USING (i)
 WHERE m.sqlstate IS NOT DISTINCT FROM e.state AND m.detail IS NOT DISTINCT FROM e.detail
   AND m.outcome <> 'moved';
ROLLBACK;

\echo '== 3. A blocked candidate undoes nothing: history, alerts and events for the moved ones only'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT max(id) AS last_transition FROM stage_transition \gset
SELECT candidate_id, outcome FROM move_candidates(500, ARRAY[1, 2, 4], NULL, 'batch screen');
SELECT candidate_id, from_stage_id = :s1 AS from_s1, to_stage_id = :s2 AS to_s2, actor, reason
  FROM stage_transition WHERE id > :last_transition ORDER BY id;
SELECT c.candidate_id, c.stage_id = :s2 AS in_s2 FROM candidate_stage c WHERE job_id = 500 AND candidate_id IN (1, 2, 4) ORDER BY 1;
-- the warn rule of s3: the move happens with its warnings and alert
SELECT candidate_id, outcome, detail -> 'alerts_raised' AS alerts, jsonb_array_length(detail -> 'warnings') AS warnings
  FROM move_candidates(500, ARRAY[1], NULL);
SELECT candidate_id, jsonb_array_length(warnings) AS warnings, alerts_raised FROM stage_transition
 WHERE id > :last_transition AND to_stage_id = :s3;
SELECT count(*) AS alert_events_of_1 FROM alert_event WHERE transition_id > :last_transition AND candidate_id = 1;
SELECT count(*) AS alert_events_of_others FROM alert_event WHERE transition_id > :last_transition AND candidate_id <> 1;
COMMIT;
-- the feed has the moves (and only them) once committed
SET workflow_ext.tenant = 'org:bulkco';
SET workflow_ext.actor = 'user:ann';
SELECT event ->> 'kind' AS kind, event ->> 'candidate_id' AS candidate_id
  FROM workflow_events_since(NULL, 1000) WHERE (event ->> 'transition_id')::bigint > :last_transition;

\echo '== 4. A target stage: stale when already there, duplicates, the hired stage, NULL ids'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
-- 1 stands in s3 already; 4 twice: the second finds it there; NULL: not found, like the single move
SELECT candidate_id, outcome, sqlstate, detail - 'stage_id' AS detail, (detail ->> 'stage_id')::bigint = :s3 AS names_s3
  FROM move_candidates(500, ARRAY[1, 4, 4, NULL, 5], :s3);
-- duplicates with next stage: the second moves on from where the first left it
SELECT candidate_id, outcome, from_stage_id = :s1 AS from_s1, to_stage_id = :s2 AS to_s2,
       to_stage_id = :s3 AS to_s3 FROM move_candidates(500, ARRAY[6, 6], NULL);
-- into the hired stage: status hired, and a hired candidate is not active any more
SELECT candidate_id, outcome, to_stage_id = :s4 AS to_s4 FROM move_candidates(500, ARRAY[1], :s4);
SELECT status FROM candidate_stage WHERE job_id = 500 AND candidate_id = 1;
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(500, ARRAY[1], NULL);
-- the last stage of a workflow without a hired stage
SELECT candidate_id, outcome FROM move_candidates(501, ARRAY[1]);
SELECT candidate_id, outcome, sqlstate, detail - 'stage_id' AS detail,
       (detail ->> 'stage_id')::bigint = test_stage(:wf2, 2) AS names_last, to_stage_id
  FROM move_candidates(501, ARRAY[1]);
-- empty array: no rows
SELECT count(*) AS empty_rows FROM move_candidates(500, '{}');
ROLLBACK;

\echo '== 5. Another tenant: its ids are not found, its job is not found, its facts never leak'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(500, ARRAY[901]);
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(500, ARRAY[999]);
SELECT test_error('SELECT * FROM move_candidates(777, ARRAY[902])');
SET LOCAL workflow_ext.tenant = 'org:bulkrival';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT count(*) AS globex_history FROM stage_transition WHERE candidate_id = 901 AND from_stage_id IS NOT NULL;
ROLLBACK;
-- an agency the workflow is shared with: a blocked row carries the redacted leaves, as its single move's DETAIL
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT share_workflow(:wf, 'user:agent', false, 'org:bulkagency');
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkagency';
SET LOCAL workflow_ext.actor = 'user:agent';
SELECT accept_share(:wf);   -- (across tenants a share is an offer until accepted)
SELECT m.outcome, m.detail, m.detail = s.detail AS as_single_move, m.detail::text LIKE '%"actual"%' AS shows_fact
  FROM move_candidates(500, ARRAY[2]) m, bulk_single(2, 500, NULL) s;
ROLLBACK;

\echo '== 6. What is not a candidate''s raises, and nothing moves'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT test_error('SELECT * FROM move_candidates(NULL, ARRAY[1])');
SELECT test_error('SELECT * FROM move_candidates(500, NULL)');
SELECT test_error('SELECT * FROM move_candidates(500, ARRAY[[1, 2], [4, 5]])');
SELECT test_error('SELECT * FROM move_candidates(404, ARRAY[1])');
SELECT regexp_replace(test_error(format('SELECT * FROM move_candidates(500, ARRAY[4], %s)', test_stage(:wf2, 2))), '\d+', 'N', 'g') AS error;
ROLLBACK;
RESET ROLE;
-- an application trigger: its 55000 refusal is that candidate's row; any other error raises
CREATE FUNCTION bulk_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.candidate_id = 7 THEN
        RAISE EXCEPTION 'candidate 7 is on hold' USING ERRCODE = '55000', DETAIL = '{"reason": "on_hold"}';
    ELSIF NEW.candidate_id = 8 THEN
        RAISE EXCEPTION 'candidate 8 breaks the trigger';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bulk_hold BEFORE UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bulk_hold();
SET ROLE wf_bulk_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SET LOCAL workflow_ext.actor = 'user:ann';
SELECT candidate_id, outcome, sqlstate, detail FROM move_candidates(500, ARRAY[7, 5]);
SELECT test_error('SELECT * FROM move_candidates(500, ARRAY[5, 8])');
ROLLBACK;
RESET ROLE;
DROP TRIGGER bulk_hold ON candidate_stage;
DROP FUNCTION bulk_hold();
-- no actor while one is required
BEGIN;
SET LOCAL workflow_ext.require_actor = on;
SET LOCAL ROLE wf_bulk_app;
SET LOCAL workflow_ext.tenant = 'org:bulkco';
SELECT test_error('SELECT * FROM move_candidates(500, ARRAY[5])');
ROLLBACK;
SET ROLE wf_bulk_app;

\echo '== 7. Memory is bounded at 100,000 ids'
-- A small fixture of 100,000 candidates; what the transaction keeps per
-- move (after-trigger queue, pending NOTIFYs, subtransaction ids) is what a
-- bulk UPDATE keeps; no candidate's subtransaction keeps its own memory.
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulk';
SET LOCAL workflow_ext.actor = 'user:bulk';
SELECT test_workflow('Big', 3, false) AS bwf \gset
SELECT job_id FROM assign_workflow(600, :bwf);
INSERT INTO candidate_stage (job_id, candidate_id) SELECT 600, g FROM generate_series(1, 100000) g;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulk';
SET LOCAL workflow_ext.actor = 'user:bulk';
SELECT total AS before FROM bulk_memory() \gset
SELECT count(*) FILTER (WHERE outcome = 'moved') AS moved,
       (SELECT total FROM bulk_memory()) - :before AS during
  FROM move_candidates(600, ARRAY(SELECT generate_series(1, 100000)::bigint), test_stage(:bwf, 2)) \gset
SELECT total - :before AS after, subtransaction_contexts FROM bulk_memory() \gset
SELECT :moved AS moved, :during < 96 * 1024 * 1024 AS during_under_96mb,
       :after < 64 * 1024 * 1024 AS kept_under_64mb, :subtransaction_contexts AS subtransaction_contexts;
ROLLBACK;

\echo '== 8. Batches: refusals inside and between batches, an id again in a later batch, every row in input order'
-- 1,201 ids in batches of up to 256: multiples of 10 are blocked by the rule
-- (found inside the batch's UPDATE), multiples of 25 were rejected (found
-- before it), 0 is in no job, 5 comes again last (it moves on from s2).
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulk';
SET LOCAL workflow_ext.actor = 'user:bulk';
INSERT INTO stage_rule (stage_id, name, condition)
VALUES (test_stage(:bwf, 2), 'score', '{"field": "score", "op": "gte", "value": 2}');
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', CASE WHEN g % 10 = 0 THEN 1 ELSE 5 END) FROM generate_series(1, 1200) g;
SELECT count(*) AS rejected FROM generate_series(25, 1200, 25) g, reject_candidate(g, 600);
SELECT max(id) AS last_transition FROM stage_transition \gset
CREATE TEMP TABLE batch_result AS
SELECT row_number() OVER () AS i, m.* FROM move_candidates(600, ARRAY(SELECT g::bigint FROM generate_series(0, 1199) g) || 5::bigint, NULL) m;
SELECT outcome, sqlstate, detail ->> 'reason' AS reason, count(*) FROM batch_result GROUP BY 1, 2, 3 ORDER BY 1, 3;
SELECT bool_and(candidate_id = CASE WHEN i = 1201 THEN 5 ELSE i - 1 END) AS input_order,
       bool_and(outcome = CASE WHEN candidate_id = 0 THEN 'not_found' WHEN candidate_id % 25 = 0 THEN 'not_active'
                               WHEN candidate_id % 10 = 0 THEN 'blocked' ELSE 'moved' END) AS outcomes_as_expected,
       bool_and(to_stage_id = test_stage(:bwf, 3)) FILTER (WHERE i = 1201) AS second_5_to_s3
  FROM batch_result;
SELECT count(*) AS history_rows, count(*) = (SELECT count(*) FROM batch_result WHERE outcome = 'moved') AS one_per_move,
       bool_and(t.id = b.transition_id) AS transitions_match
  FROM stage_transition t LEFT JOIN batch_result b ON b.transition_id = t.id
 WHERE t.id > :last_transition;
ROLLBACK;

\echo '== 9. Against one-by-one moves: random arrays over a random pipeline, with and without an application trigger'
-- The reference: move_to_stage / move_to_next_stage per id, in input order,
-- each in its own exception block.  Both runs are undone; what each gave
-- (rows, final pipeline, history, alert events) is compared.
RESET ROLE;
CREATE FUNCTION bulk_outcome(state text, detail jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN state IS NULL THEN 'moved' WHEN state = 'P0002' THEN 'not_found' WHEN state = '23514' THEN 'blocked'
            WHEN state = '40001' THEN 'stale'
            WHEN detail ->> 'reason' IN ('not_active', 'last_stage') THEN detail ->> 'reason'
            WHEN detail ->> 'reason' IN ('already_in_stage', 'stale_expected_stage') THEN 'stale'
            ELSE 'refused' END $$;
-- What a run left: the job's pipeline, its new history and alert events.
CREATE FUNCTION bulk_state(jid bigint, since bigint) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_build_object(
    'pipeline', (SELECT jsonb_agg(jsonb_build_array(candidate_id, stage_id, status) ORDER BY candidate_id)
                   FROM candidate_stage WHERE job_id = jid),
    'history', (SELECT jsonb_agg(jsonb_build_array(candidate_id, from_stage_id, to_stage_id, from_status, to_status,
                                                   reason, alerts_raised, warnings)
                                 ORDER BY candidate_id, from_stage_id, to_stage_id, to_status)
                  FROM stage_transition WHERE id > since),
    'alert_events', (SELECT count(*) FROM alert_event WHERE transition_id > since)) $$;
-- Differences between move_candidates(jid, ids, to_stage) and the one-by-one loop.
CREATE FUNCTION bulk_compare(jid bigint, ids bigint[], to_stage bigint) RETURNS TABLE (rows_differing bigint, state_differs boolean)
LANGUAGE plpgsql AS $$
DECLARE
    since bigint := (SELECT coalesce(max(id), 0) FROM stage_transition);
    bulk jsonb;
    bulk_after jsonb;
    ref jsonb := '[]';
    ref_after jsonb;
    r record;
    m move_result;
    d text;
BEGIN
    BEGIN
        SELECT jsonb_agg(jsonb_build_array(x.candidate_id, x.outcome, x.sqlstate,
                   CASE WHEN x.outcome = 'moved' THEN jsonb_build_array(x.from_stage_id, x.to_stage_id) END,
                   x.detail) ORDER BY x.n)
          INTO bulk FROM move_candidates(jid, ids, to_stage, CASE WHEN to_stage IS NOT NULL THEN 'compared' END)
               WITH ORDINALITY x(candidate_id, outcome, sqlstate, from_stage_id, to_stage_id, transition_id, detail, n);
        bulk_after := bulk_state(jid, since);
        RAISE EXCEPTION 'undo' USING ERRCODE = 'WFB02';
    EXCEPTION WHEN SQLSTATE 'WFB02' THEN NULL;
    END;
    BEGIN
        FOR r IN SELECT u.id FROM unnest(ids) WITH ORDINALITY u(id, n) ORDER BY u.n LOOP
            -- A NULL in the list is that entry's not_found row (an element, not an
            -- argument: the single move says 22023 null_argument for a NULL id).
            IF r.id IS NULL THEN
                ref := ref || jsonb_build_array(jsonb_build_array(NULL, 'not_found', 'P0002', NULL,
                           jsonb_build_object('reason', 'candidate_not_found', 'candidate_id', NULL, 'job_id', jid)));
                CONTINUE;
            END IF;
            BEGIN
                IF to_stage IS NULL THEN
                    m := move_to_next_stage(r.id, jid);   -- (no reason: none for the bulk call either)
                ELSE
                    m := move_to_stage(r.id, jid, to_stage, 'compared');
                END IF;
                ref := ref || jsonb_build_array(jsonb_build_array(r.id, 'moved', NULL,
                           jsonb_build_array(m.from_stage_id, m.to_stage_id),
                           jsonb_build_object('alerts_raised', m.alerts_raised, 'warnings', coalesce(m.warnings, '[]'))));
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
                IF SQLSTATE NOT IN ('P0002', '23514', '55000', '40001') THEN
                    RAISE;
                END IF;
                ref := ref || jsonb_build_array(jsonb_build_array(r.id, bulk_outcome(SQLSTATE, d::jsonb), SQLSTATE,
                                                                  NULL, d::jsonb));
            END;
        END LOOP;
        ref_after := bulk_state(jid, since);
        RAISE EXCEPTION 'undo' USING ERRCODE = 'WFB02';
    EXCEPTION WHEN SQLSTATE 'WFB02' THEN NULL;
    END;
    rows_differing := (SELECT count(*) FROM jsonb_array_elements(coalesce(bulk, '[]')) WITH ORDINALITY b(v, n)
                         FULL JOIN jsonb_array_elements(ref) WITH ORDINALITY f(v, n) USING (n)
                        WHERE b.v IS DISTINCT FROM f.v);
    state_differs := bulk_after IS DISTINCT FROM ref_after;
    RETURN NEXT;
END $$;
GRANT EXECUTE ON FUNCTION bulk_outcome(text, jsonb), bulk_state(bigint, bigint),
    bulk_compare(bigint, bigint[], bigint) TO PUBLIC;
SET ROLE wf_bulk_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
-- s2 blocks on score, s3 warns on references (and alerts), s4 moves on by itself to s5 when s5's rule holds, s6 hired
SELECT test_workflow('Random', 6) AS rwf \gset
UPDATE workflow_stage SET auto_advance = true WHERE id = test_stage(:rwf, 4);
INSERT INTO stage_rule (stage_id, name, condition) VALUES
  (test_stage(:rwf, 2), 'score', '{"field": "score", "op": "gte", "value": 2}'),
  (test_stage(:rwf, 5), 'ready', '{"field": "ready", "op": "eq", "value": true}');
INSERT INTO stage_rule (stage_id, name, condition, on_fail) VALUES
  (test_stage(:rwf, 3), 'references', '{"field": "references", "op": "gte", "value": 1}', 'warn');
INSERT INTO alert (stage_id, field_name, operator, value, message) VALUES
  (test_stage(:rwf, 3), 'score', 'gte', '4', 'strong');
SELECT job_id FROM assign_workflow(800, :rwf);
SELECT setseed(0.42);
INSERT INTO candidate_profile (candidate_id, attributes)
SELECT g, jsonb_build_object('score', floor(random() * 5), 'references', floor(random() * 2), 'ready', random() < 0.5)
  FROM generate_series(1, 400) g;
SELECT count(*) AS added FROM generate_series(1, 400) g, add_candidate(g, 800);
-- spread over the stages (plain UPDATEs, refusals skipped), some rejected or withdrawn
DO $$
DECLARE
    c bigint;
BEGIN
    FOR c IN 1..400 LOOP
        BEGIN
            UPDATE candidate_stage SET stage_id = test_stage(workflow_id, 1 + (c * 7919) % 6)
             WHERE job_id = 800 AND candidate_id = c;
        EXCEPTION WHEN OTHERS THEN NULL;
        END;
    END LOOP;
END $$;
SELECT count(*) > 10 AS rejected FROM candidate_stage c, reject_candidate(c.candidate_id, 800)
 WHERE c.job_id = 800 AND c.status = 'active' AND c.candidate_id % 13 = 0;
SELECT count(*) > 10 AS withdrawn FROM candidate_stage c, withdraw_candidate(c.candidate_id, 800)
 WHERE c.job_id = 800 AND c.status = 'active' AND c.candidate_id % 17 = 0;
SELECT count(DISTINCT stage_id) AS stages, count(*) FILTER (WHERE status = 'hired') > 0 AS some_hired
  FROM candidate_stage WHERE job_id = 800;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrival';
SET LOCAL workflow_ext.actor = 'user:gus';
SELECT job_id FROM assign_workflow(800, :gwf);
SELECT count(*) AS rival_added FROM generate_series(1, 50) g, add_candidate(400 + g, 800);
COMMIT;
-- 6 random arrays of 500 ids: own candidates (repeated), the rival's, none,
-- NULLs, huge ids; to the next stage or to a random stage
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
CREATE TEMP TABLE bulk_arrays AS
SELECT k, CASE WHEN k % 3 = 0 THEN NULL ELSE test_stage(:rwf, 1 + k % 6) END AS to_stage,
       ARRAY(SELECT CASE WHEN r < 0.80 THEN 1 + floor(random() * 400)::bigint
                         WHEN r < 0.88 THEN 401 + floor(random() * 50)::bigint
                         WHEN r < 0.93 THEN 1000 + floor(random() * 100)::bigint
                         WHEN r < 0.97 THEN NULL
                         ELSE 9223372036854775807 - floor(random() * 2)::bigint END
               FROM (SELECT random() AS r, g FROM generate_series(1, 500) g) x ORDER BY g) AS ids
  FROM generate_series(1, 6) k;
SELECT count(to_stage) AS arrays_with_a_target, count(*) - count(to_stage) AS arrays_to_next FROM bulk_arrays;
COMMIT;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
SELECT k, c.rows_differing, c.state_differs FROM bulk_arrays, LATERAL bulk_compare(800, ids, to_stage) c ORDER BY k;
ROLLBACK;
-- what the arrays give: every outcome
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
SELECT m.outcome, m.sqlstate, count(*) > 0 AS some FROM bulk_arrays, LATERAL move_candidates(800, ids, to_stage) m
 GROUP BY 1, 2 ORDER BY 1;
ROLLBACK;
RESET ROLE;
-- An application trigger that reads and changes other candidates: a hire
-- fills the position (the job's other active candidates are rejected).  One
-- batch UPDATE would hire everyone first and reject no one.
CREATE FUNCTION bulk_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'hired' AND OLD.status = 'active' THEN
        UPDATE public.candidate_stage SET status = 'rejected'
         WHERE job_id = NEW.job_id AND tenant = NEW.tenant AND status = 'active' AND candidate_id <> NEW.candidate_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bulk_fill AFTER UPDATE ON candidate_stage FOR EACH ROW EXECUTE FUNCTION bulk_fill();
SET ROLE wf_bulk_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
SELECT candidate_id, outcome, sqlstate FROM move_candidates(800, ARRAY[398, 399, 400, 397]::bigint[], test_stage(:rwf, 6))
 WHERE candidate_id > 396;
SELECT count(*) FILTER (WHERE status = 'hired') AS hired, count(*) FILTER (WHERE status = 'active') AS active
  FROM candidate_stage WHERE job_id = 800;
ROLLBACK;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
SELECT k, c.rows_differing, c.state_differs FROM bulk_arrays, LATERAL bulk_compare(800, ids, test_stage(:rwf, 6)) c
 WHERE k <= 2 ORDER BY k;
ROLLBACK;
RESET ROLE;
DROP TRIGGER bulk_fill ON candidate_stage;
DROP FUNCTION bulk_fill();
DROP FUNCTION bulk_compare(bigint, bigint[], bigint);
DROP FUNCTION bulk_state(bigint, bigint);
DROP FUNCTION bulk_outcome(text, jsonb);
DROP TABLE bulk_arrays;
SET ROLE wf_bulk_app;

\echo '== 10. A move undone (ROLLBACK TO SAVEPOINT, a batch run again) does not stop the redone move''s auto-advance'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:bulkrnd';
SET LOCAL workflow_ext.actor = 'user:rnd';
-- candidate 16 stands in s3 with ready = true: entering s4 (auto_advance) it moves on to s5
SELECT stage_id = test_stage(:rwf, 3) AS in_s3 FROM candidate_stage WHERE job_id = 800 AND candidate_id = 16;
SAVEPOINT first_try;
SELECT candidate_id, outcome, to_stage_id = test_stage(:rwf, 4) AS to_s4 FROM move_candidates(800, ARRAY[16]);
SELECT stage_id = test_stage(:rwf, 5) AS advanced_to_s5 FROM candidate_stage WHERE job_id = 800 AND candidate_id = 16;
ROLLBACK TO first_try;
SELECT candidate_id, outcome, to_stage_id = test_stage(:rwf, 4) AS to_s4 FROM move_candidates(800, ARRAY[16]);
SELECT stage_id = test_stage(:rwf, 5) AS advanced_to_s5_again FROM candidate_stage WHERE job_id = 800 AND candidate_id = 16;
ROLLBACK TO first_try;
SELECT (move_to_next_stage(16, 800)).to_stage_id = test_stage(:rwf, 4) AS single_to_s4;
SELECT stage_id = test_stage(:rwf, 5) AS single_advanced_to_s5 FROM candidate_stage WHERE job_id = 800 AND candidate_id = 16;
SELECT count(*) AS auto_advances FROM stage_transition WHERE job_id = 800 AND candidate_id = 16 AND reason = 'auto_advance';
ROLLBACK;
RESET ROLE;
DROP FUNCTION bulk_single(bigint, bigint, bigint);
DROP FUNCTION bulk_memory();
DROP ROLE wf_bulk_app;
