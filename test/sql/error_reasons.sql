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

\echo '== 6. DETAIL members: the ids the message names, one JSON spelling; HINTs that can succeed'
RESET ROLE;
-- The error a statement raises: its SQLSTATE, DETAIL (as jsonb), whether the
-- DETAIL's text is spelled as the C ones are ("reason": ..., no space before
-- the colon) and its HINT.
CREATE FUNCTION test_shape(sql text, OUT state text, OUT detail jsonb,
                           OUT one_spelling boolean, OUT hint text)
LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    EXECUTE sql;
    state := 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    state := SQLSTATE;
    detail := d::jsonb;
    one_spelling := d LIKE '{"%' AND d LIKE '%"reason": "%' AND d NOT LIKE '%" :%';
END $$;
GRANT EXECUTE ON FUNCTION test_shape(text) TO wf_err_app;
SET ROLE wf_err_app;
BEGIN;
SET LOCAL workflow_ext.tenant = 'org:err';
SET LOCAL workflow_ext.actor = 'user:eve';
-- job 8802 on the same workflow; job 8803 on a workflow whose last stage hires
SELECT test_workflow('Hires', 2) AS wfh \gset
SELECT test_stage(:wfh, 1) AS h1 \gset
SELECT job_id FROM assign_workflow(8802, :wf);
SELECT job_id FROM assign_workflow(8803, :wfh);
SELECT candidate_id FROM add_candidate(5, 8803);
SELECT to_stage_id IS NOT NULL AS hired FROM move_to_next_stage(5, 8803);
SELECT status FROM reject_candidate(3, 8801, 'not now');
-- candidate 2 in job 8802 too, for a transfer into a job it is in
SELECT candidate_id FROM add_candidate(2, 8802);
-- candidate 6 in the last stage of job 8801
SELECT candidate_id FROM add_candidate(6, 8801);
SELECT to_stage_id = :s3 AS in_s3 FROM move_to_stage(6, 8801, :s3);
-- A sample of reasons raised live: the members README "Errors" lists for
-- each must be in the DETAIL (missing lists those that are not), and every
-- DETAIL is spelled one way.
CREATE TEMP TABLE shapes AS
SELECT t.label, s.state, s.detail ->> 'reason' AS reason,
       ARRAY(SELECT unnest(t.members) EXCEPT SELECT jsonb_object_keys(s.detail)) AS missing,
       s.one_spelling, s.detail
  FROM (VALUES
    ('remove, no such candidate', 'SELECT remove_candidate(999, 8801)', '{candidate_id,job_id}'::text[]),
    ('remove, no such job', 'SELECT remove_candidate(1, 99999)', '{job_id}'),
    ('remove, NULL candidate', 'SELECT remove_candidate(NULL, 8801)', '{argument}'),
    ('transfer, no such candidate', 'SELECT transfer_candidate(999, 8801, 8802)', '{candidate_id,job_id}'),
    ('transfer into a job it is in', 'SELECT transfer_candidate(2, 8801, 8802)', '{candidate_id,job_id}'),
    ('move, no such candidate', 'SELECT move_to_next_stage(99999, 8801)', '{candidate_id,job_id}'),
    ('move, not active', 'SELECT move_to_next_stage(3, 8801)', '{candidate_id,job_id,status}'),
    ('move, last stage', 'SELECT move_to_next_stage(6, 8801)', '{candidate_id,job_id,stage_id}'),
    ('move, same stage', format('SELECT move_to_stage(1, 8801, %s)', :s1), '{candidate_id,job_id,stage_id}'),
    ('move, stale expected', format('SELECT move_to_next_stage(1, 8801, %s)', :s2), '{candidate_id,job_id,stage_id,expected_stage_id}'),
    ('move, stage of another workflow', format('SELECT move_to_stage(1, 8801, %s)', :h1), '{stage_id,workflow_id,job_id}'),
    ('bulk move, stage of another workflow', format('SELECT move_candidates(8801, ARRAY[1]::bigint[], %s)', :h1), '{stage_id,workflow_id,job_id}'),
    ('move, NULL stage', 'SELECT move_to_stage(1, 8801, NULL)', '{argument}'),
    ('reject twice', 'SELECT reject_candidate(3, 8801)', '{candidate_id,job_id,status}'),
    ('reopen, hired', 'SELECT reopen_candidate(5, 8803)', '{candidate_id,job_id,status}'),
    ('UPDATE to hired', 'UPDATE candidate_stage SET status = ''hired'' WHERE job_id = 8801 AND candidate_id = 1', '{candidate_id,job_id}'),
    ('UPDATE of the job', 'UPDATE candidate_stage SET job_id = 8809 WHERE job_id = 8801 AND candidate_id = 1', '{candidate_id,job_id}'),
    ('UPDATE, old transition_id', 'UPDATE candidate_stage SET transition_id = transition_id - 1 WHERE job_id = 8801 AND candidate_id = 1', '{candidate_id,job_id,transition_id,current_transition_id}'),
    ('add, already in job', 'SELECT add_candidate(1, 8801)', '{candidate_id,job_id}'),
    ('add, no such job', 'SELECT add_candidate(1, 99999)', '{job_id}'),
    ('assign, job with candidates', format('SELECT assign_workflow(8801, %s)', :wf2), '{job_id}'),
    ('rule of a stage without', format('SELECT get_stage_rule(%s)', :s3), '{stage_id}'),
    ('stage not found', 'SELECT get_stage_alerts(0)', '{stage_id}'),
    ('share, no such workflow', 'SELECT share_workflow(0, ''user:bob'')', '{workflow_id}'),
    ('share with the owner', format('SELECT share_workflow(%s, ''user:eve'')', :wf), '{workflow_id}'),
    ('reorder, not the stages', format('SELECT reorder_stages(%s, ARRAY[%s]::bigint[])', :wf, :s1), '{workflow_id}'),
    ('acknowledge, no such event', 'SELECT acknowledge_alert(0)', '{alert_event_id}')
  ) AS t(label, sql, members),
  LATERAL test_shape(t.sql) s;
SELECT label, state, reason, missing, one_spelling FROM shapes ORDER BY label;
-- the members hold the ids named (not just the keys)
SELECT label, detail - 'reason' AS members FROM shapes
 WHERE label IN ('remove, no such candidate', 'remove, no such job', 'remove, NULL candidate',
                 'transfer, no such candidate', 'transfer into a job it is in', 'move, not active',
                 'add, already in job', 'reopen, hired')
 ORDER BY label;
SELECT (detail ->> 'stage_id')::bigint = :h1 AS names_the_stage,
       (detail ->> 'workflow_id')::bigint = :wf AS names_the_jobs_workflow,
       (detail ->> 'job_id')::bigint = 8801 AS names_the_job
  FROM shapes WHERE label LIKE '%stage of another workflow' ORDER BY label;
DROP TABLE shapes;
-- HINTs name an action that can succeed in that state.
-- a rejected candidate: transfer says reopen_candidate() first, which works
SELECT state, detail ->> 'status' AS status, hint FROM test_shape('SELECT transfer_candidate(3, 8801, 8802)');
SELECT status FROM reopen_candidate(3, 8801);
SELECT count(*) AS transferred FROM transfer_candidate(3, 8801, 8802);
-- a transferred one is final: the transfer and the reopen say so, and the
-- way back the HINT gives (remove_candidate(), then add_candidate()) works
SELECT state, detail ->> 'status' AS status, hint FROM test_shape('SELECT transfer_candidate(3, 8801, 8803)');
SELECT state, detail ->> 'reason' AS reason, hint FROM test_shape('SELECT reopen_candidate(3, 8801)');
SELECT count(*) AS removed FROM remove_candidate(3, 8801);
SELECT status FROM add_candidate(3, 8801);
-- a hired one is final: the transfer does not send to reopen_candidate(),
-- which refuses it and says why; add_candidate() into the other job works
SELECT state, detail ->> 'status' AS status, hint FROM test_shape('SELECT transfer_candidate(5, 8803, 8802)');
SELECT hint ~ 'reopen_candidate' AS sends_to_reopen FROM test_shape('SELECT transfer_candidate(5, 8803, 8802)');
SELECT state, detail ->> 'reason' AS reason, hint FROM test_shape('SELECT reopen_candidate(5, 8803)');
SELECT status FROM add_candidate(5, 8802);
-- a new candidate cannot be moved before entering: an archived first stage
-- or workflow sends to unarchiving, which works
SELECT id = :h1 AS archived FROM archive_stage(:h1);
SELECT state, detail ->> 'reason' AS reason, (detail ->> 'stage_id')::bigint = :h1 AS names_the_stage, hint
  FROM test_shape('SELECT add_candidate(7, 8803)');
SELECT id = :h1 AS unarchived FROM unarchive_stage(:h1);
SELECT id = :wfh AS archived FROM archive_workflow(:wfh);
SELECT state, detail ->> 'reason' AS reason, (detail ->> 'workflow_id')::bigint = :wfh AS names_the_workflow, hint
  FROM test_shape('SELECT add_candidate(7, 8803)');
SELECT id = :wfh AS unarchived FROM unarchive_workflow(:wfh);
SELECT status FROM add_candidate(7, 8803);
ROLLBACK;

\echo '== 7. No PL/pgSQL function of the extension raises an exception without a DETAIL'
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
-- and every literal DETAIL is spelled as the C ones are: "reason": "..."
SELECT fn, left(stmt, 80) AS stmt FROM extension_raises
 WHERE stmt ~* $re$DETAIL\s*=\s*'$re$
   AND substring(stmt from $re$DETAIL\s*=\s*'((?:[^']|'')*)'$re$) !~ '^\{"reason": "'
 ORDER BY 1;
-- a built DETAIL is built as jsonb, which prints "key": value as the C ones
-- do (json_build_object prints "key" : value)
SELECT fn, left(stmt, 80) AS stmt FROM extension_raises
 WHERE stmt ~* '\mDETAIL\s*=' AND stmt !~* $re$DETAIL\s*=\s*('|jsonb_build_object\()$re$
 ORDER BY 1;
-- (the two checks above flag a json_build_object DETAIL and a literal spelled "reason" : ...)
SELECT $src$RAISE EXCEPTION 'x' USING DETAIL = json_build_object('reason', 'x')::text;$src$
           !~* $re$DETAIL\s*=\s*('|jsonb_build_object\()$re$ AS flags_json_build_object,
       substring($src$RAISE EXCEPTION 'x' USING DETAIL = '{"reason" : "x"}';$src$
                 from $re$DETAIL\s*=\s*'((?:[^']|'')*)'$re$) !~ '^\{"reason": "' AS flags_spaced_literal;

DROP VIEW extension_raises;
DROP FUNCTION test_reason(text), test_detail(text), test_shape(text);
REVOKE workflow_app FROM wf_err_app;
