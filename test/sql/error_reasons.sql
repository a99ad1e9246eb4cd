-- Errors clients can read (DESIGN.md section 6, issue 19 item 7): every error
-- the extension raises carries a JSON DETAIL with a stable "reason"; a blocked
-- move's DETAIL lists the failed leaves under "failed"; no PL/pgSQL function
-- of the extension raises an exception without a DETAIL.  Runs as
-- wf_err_app, an ordinary role with the README's grant set.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS wf_err_app;
DROP ROLE IF EXISTS wf_err_trusted;
RESET client_min_messages;
CREATE ROLE wf_err_app;
CREATE ROLE wf_err_trusted;
GRANT workflow_app TO wf_err_app;
-- "SQLSTATE reason" of the error a statement raises; the DETAIL must be a
-- JSON object with a reason (else the function says what it got).
CREATE FUNCTION test_reason(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    d text;
    j jsonb;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    BEGIN
        j := d::jsonb;
    EXCEPTION WHEN OTHERS THEN
        RETURN SQLSTATE || ' DETAIL is not JSON: ' || coalesce(d, '<none>');
    END;
    IF jsonb_typeof(j) IS DISTINCT FROM 'object' OR NOT j ? 'reason' THEN
        RETURN SQLSTATE || ' DETAIL has no reason: ' || d;
    END IF;
    RETURN SQLSTATE || ' ' || (j ->> 'reason');
END $$;
-- The whole DETAIL, as jsonb (NULL when there is none).
CREATE FUNCTION test_detail(sql text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d::jsonb;
END $$;
GRANT EXECUTE ON FUNCTION test_reason(text), test_detail(text) TO wf_err_app;
SET ROLE wf_err_app;

\echo '== 1. Fixture: a workflow of three stages, a blocking rule on s2, job 8801 with three candidates'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:err';
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT test_workflow('Reasons', 3, false) AS wf \gset
SELECT test_workflow('Other', 2, false) AS wf2 \gset
SELECT test_stage(:wf, 1) AS s1, test_stage(:wf, 2) AS s2, test_stage(:wf, 3) AS s3 \gset
INSERT INTO stage_rule (stage_id, name, condition) VALUES (:s2, 'experienced',
    '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
              {"field": "city", "op": "eq", "value": "Lisbon"}]}');
INSERT INTO candidate_profile (candidate_id, attributes) VALUES
    (1, '{"years_experience": 5, "city": "Lisbon"}'),
    (2, '{"years_experience": 1, "city": "Porto"}'),
    (3, '{"years_experience": 4, "city": "Lisbon"}');
SELECT job_id FROM assign_workflow(8801, :wf);
SELECT count(*) AS added FROM (SELECT add_candidate(c, 8801) FROM generate_series(1, 3) c) a;
COMMIT;

\echo '== 2. The move path'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:err';
SET LOCAL workflow_ext.actor = 'user:eve';
-- a blocked move: the reason, the stage and the failed leaves under "failed"
SELECT test_reason('SELECT move_to_next_stage(2, 8801)') AS rule_blocked;
SELECT d ->> 'reason' AS reason, (d ->> 'stage_id')::bigint = :s2 AS names_the_stage,
       jsonb_typeof(d -> 'failed') AS failed_is,
       (SELECT array_agg(l ->> 'field' ORDER BY l ->> 'field') FROM jsonb_array_elements(d -> 'failed') l) AS failed_fields
  FROM test_detail('SELECT move_to_next_stage(2, 8801)') d;
-- a plain UPDATE that moves is refused the same way
SELECT test_reason(format('UPDATE candidate_stage SET stage_id = %s WHERE job_id = 8801 AND candidate_id = 2', :s2)) AS update_rule_blocked;
SELECT test_reason(format('SELECT move_to_next_stage(3, 8801, %s)', :s2)) AS stale_expected_stage;
SELECT d ->> 'expected_stage_id' = :'s2' AS names_expected, d ->> 'stage_id' = :'s1' AS names_current
  FROM test_detail(format('SELECT move_to_next_stage(3, 8801, %s)', :s2)) d;
SELECT test_reason(format('SELECT move_to_stage(3, 8801, %s)', :s1)) AS already_in_stage;
SELECT test_reason('SELECT move_to_stage(3, 8801, 0)') AS stage_not_found;
SELECT test_reason('SELECT move_to_stage(3, 8801, NULL)') AS null_argument;
SELECT test_reason('SELECT move_to_next_stage(3, 99999)') AS job_not_found;
SELECT test_reason('SELECT move_to_next_stage(99999, 8801)') AS candidate_not_found;
SELECT test_reason('SELECT add_candidate(3, 8801)') AS already_in_job;
-- candidate 1 goes to the last stage
SELECT to_stage_id = :s3 AS in_s3 FROM move_to_stage(1, 8801, :s3);
SELECT test_reason('SELECT move_to_next_stage(1, 8801)') AS last_stage;
SELECT d ->> 'stage_id' = :'s3' AS names_the_last_stage FROM test_detail('SELECT move_to_next_stage(1, 8801)') d;
-- candidate 3 is rejected
SELECT status FROM reject_candidate(3, 8801, 'not now');
SELECT test_reason('SELECT move_to_next_stage(3, 8801)') AS not_active;
SELECT d ->> 'status' AS status FROM test_detail('SELECT move_to_next_stage(3, 8801)') d;
SELECT test_reason('SELECT reject_candidate(3, 8801)') AS status_unchanged;
SELECT test_reason('UPDATE candidate_stage SET status = ''hired'' WHERE job_id = 8801 AND candidate_id = 1') AS hired_by_stage;
SELECT test_reason(format('UPDATE candidate_stage SET stage_id = %s, status = ''withdrawn'' WHERE job_id = 8801 AND candidate_id = 1', :s1)) AS stage_and_status;
SELECT test_reason('UPDATE candidate_stage SET job_id = 8802 WHERE job_id = 8801 AND candidate_id = 1') AS key_immutable;
SELECT test_reason('UPDATE candidate_stage SET transition_id = transition_id + 1000 WHERE job_id = 8801 AND candidate_id = 1') AS transition_columns;
SELECT test_reason('UPDATE candidate_stage SET transition_id = 1 WHERE job_id = 8801 AND candidate_id = 1') AS stale_transition;
ROLLBACK;

\echo '== 3. Definitions'
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:err';
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT test_reason(format('SELECT assign_workflow(8801, %s)', :wf2)) AS job_has_candidates;
SELECT id = :s2 AS archived FROM archive_stage(:s2);
SELECT test_reason(format('SELECT move_to_stage(1, 8801, %s)', :s2)) AS stage_archived;
SELECT test_reason(format('SELECT get_stage_rule(%s)', :s3)) AS rule_not_found;
SELECT test_reason('SELECT get_stage_rule(0)') AS stage_not_found;
SELECT test_reason(format('SELECT get_stage_alerts(%s)', :s3)) AS alerts_not_found;
SELECT test_reason('SELECT share_workflow(0, ''user:bob'')') AS workflow_not_found;
SELECT test_reason(format('SELECT share_workflow(%s, ''user:eve'')', :wf)) AS share_with_owner;
SELECT test_reason(format('SELECT reorder_stages(%s, ARRAY[%s]::bigint[])', :wf, :s1)) AS invalid_stage_order;
SELECT test_reason(format('SELECT acknowledge_alert(0)')) AS alert_event_not_found;
SELECT test_reason('SELECT workflow_events_since(''no cursor'')') AS invalid_cursor;
ROLLBACK;

\echo '== 4. Conditions and alerts: the reason and the JSON path'
SELECT test_reason('SELECT validate_condition(''{"all": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "nope", "value": 1}]}'')') AS invalid_condition;
SELECT test_detail('SELECT validate_condition(''{"all": [{"field": "a", "op": "eq", "value": 1}, {"field": "b", "op": "nope", "value": 1}]}'')') AS detail;
SELECT test_detail('SELECT validate_condition(NULL)') AS null_condition;
SELECT test_reason('SELECT condition_matches(''{"field": "applied_on", "op": "within_last", "value": "P30D"}'', ''{}'')') AS reference_instant_required;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:err';
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT test_detail(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, ''salary'', ''nope'', ''1'')', :s3)) ->> 'reason' AS invalid_alert,
       test_detail(format('INSERT INTO alert (stage_id, field_name, operator, value) VALUES (%s, ''salary'', ''nope'', ''1'')', :s3)) ->> 'column' AS column_named;
SELECT test_reason(format('INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, ''bad'', ''{"any": []}'')', :s3)) AS invalid_rule;
ROLLBACK;

\echo '== 5. Actors and tenants'
RESET ROLE;
SET workflow_ext.trusted_role = 'wf_err_trusted';
SET ROLE wf_err_app;
BEGIN;
SET LOCAL workflow_ext.actor = 'user:eve';
SELECT test_reason('SELECT current_actor()') AS untrusted_role;
SELECT test_detail('SELECT current_actor()') ->> 'setting' AS setting;
ROLLBACK;
RESET ROLE;
RESET workflow_ext.trusted_role;
SET ROLE wf_err_app;

\echo '== 6. No PL/pgSQL function of the extension raises an exception without a DETAIL'
RESET ROLE;
-- The statements the scan finds (string literals skipped, so a ; inside a message does not end one)
CREATE TEMP VIEW extension_raises AS
SELECT p.oid::regprocedure AS fn, m[1] AS stmt
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'workflow_ext'
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql',
  LATERAL regexp_matches(p.prosrc, $re$(RAISE\s+EXCEPTION(?:'(?:[^']|'')*'|[^;'])*;)$re$, 'gi') m;
-- the scan sees the extension's exceptions (so the check below can fail) ...
SELECT count(*) > 40 AS scans_raises, count(DISTINCT fn) > 20 AS in_functions FROM extension_raises;
-- ... and tells one without a DETAIL from one with
SELECT (regexp_match($src$BEGIN RAISE EXCEPTION 'a; b %', 1 USING ERRCODE = '22023'; END$src$,
                     $re$(RAISE\s+EXCEPTION(?:'(?:[^']|'')*'|[^;'])*;)$re$, 'i'))[1] !~* '\mDETAIL\M' AS finds_missing,
       (regexp_match($src$BEGIN RAISE EXCEPTION 'a; b' USING ERRCODE = '22023', DETAIL = '{"reason": "x"}'; END$src$,
                     $re$(RAISE\s+EXCEPTION(?:'(?:[^']|'')*'|[^;'])*;)$re$, 'i'))[1] !~* '\mDETAIL\M' AS flags_present;
-- none without one (each row here is a function to fix)
SELECT fn, left(stmt, 80) AS stmt FROM extension_raises WHERE stmt !~* '\mDETAIL\M' ORDER BY 1;
-- and every literal DETAIL is a JSON object with a reason
SELECT fn, left(stmt, 80) AS stmt FROM extension_raises
 WHERE stmt ~* $re$DETAIL\s*=\s*'$re$
   AND NOT (substring(stmt from $re$DETAIL\s*=\s*'((?:[^']|'')*)'$re$)::jsonb ? 'reason')
 ORDER BY 1;

DROP VIEW extension_raises;
DROP FUNCTION test_reason(text), test_detail(text);
REVOKE workflow_app FROM wf_err_app;
