-- workflow_ext_proxy: the front of a scale-out layout (docs/scale-out.md).
--
-- Every call is routed by PL/Proxy to the shards of the cluster named
-- 'workflow_shards' (a SQL/MED server of the plproxy foreign data wrapper,
-- partitions p0 .. pN-1, N a power of two): candidate calls RUN ON
-- hashint8(candidate_id), definition reads RUN ON ANY (every shard has the
-- definitions), job-wide counts RUN ON ALL.  On the shard each call is
-- workflow_ext's shard_call(actor, operation, args), which applies the actor
-- for that call only and returns an error as data; the front raises it again
-- with the shard's SQLSTATE, message, DETAIL and HINT, so a blocked move keeps
-- PL/Proxy's pooled connection.  The shards' extension schema must be on the
-- search_path of the role the user mapping connects as.
\echo Use "CREATE EXTENSION workflow_ext_proxy" to load this file. \quit

-- Typed results: the shapes of workflow_ext's rows (README: Tables), column
-- for column (0.3.0: the tenant on every row, a pipeline row's application
-- facts, an alert's fact source).
CREATE TYPE move_result AS (
    job_id bigint, candidate_id bigint, from_stage_id bigint, to_stage_id bigint,
    to_stage_name text, transition_id bigint, alerts_raised integer, warnings jsonb);
COMMENT ON TYPE move_result IS 'What move_to_next_stage() and move_to_stage() return (workflow_ext''s move_result).';
CREATE TYPE candidate_stage AS (
    id bigint, tenant text, job_id bigint, candidate_id bigint, workflow_id bigint, stage_id bigint,
    status text, entered_at timestamptz, transition_id bigint, visit_transition_id bigint,
    added_by text, attributes jsonb);
COMMENT ON TYPE candidate_stage IS 'A pipeline row as the shard returns it (workflow_ext''s candidate_stage).';
CREATE TYPE stage_rule AS (
    id bigint, tenant text, stage_id bigint, name text, condition jsonb, on_fail text,
    created_at timestamptz, updated_at timestamptz);
COMMENT ON TYPE stage_rule IS 'A stage''s rule (workflow_ext''s stage_rule).';
CREATE TYPE alert AS (
    id bigint, tenant text, stage_id bigint, rule_id bigint, rule_path text, field_name text, operator text,
    value jsonb, ignore_case boolean, fires_on text, message text, severity text, source text);
COMMENT ON TYPE alert IS 'An alert definition (workflow_ext''s alert).';
CREATE TYPE alert_event AS (
    id bigint, tenant text, alert_id bigint, job_id bigint, candidate_id bigint, workflow_id bigint,
    stage_id bigint, transition_id bigint, cause text, severity text, message text,
    raised_at timestamptz, facts jsonb, acknowledged_at timestamptz, acknowledged_by text,
    xact_id xid8);
COMMENT ON TYPE alert_event IS 'An alert that fired (workflow_ext''s alert_event).';

-- ------------------------------------------------------------- routing
CREATE FUNCTION route_candidate(candidate_id bigint, actor text, operation text, args jsonb,
                                OUT error_sqlstate text, OUT error_message text,
                                OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON hashint8(candidate_id);
    SELECT error_sqlstate, error_message, error_detail, error_hint, result FROM shard_call(actor, operation, args);
$$;
COMMENT ON FUNCTION route_candidate(bigint, text, text, jsonb) IS
    'PL/Proxy: runs shard_call(actor, operation, args) on the shard of hashint8(candidate_id).';

CREATE FUNCTION route_any(actor text, operation text, args jsonb,
                          OUT error_sqlstate text, OUT error_message text,
                          OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON ANY;
    SELECT error_sqlstate, error_message, error_detail, error_hint, result FROM shard_call(actor, operation, args);
$$;
COMMENT ON FUNCTION route_any(text, text, jsonb) IS
    'PL/Proxy: runs shard_call(actor, operation, args) on any one shard (definitions are on every shard).';

CREATE FUNCTION route_all(actor text, operation text, args jsonb,
                          OUT error_sqlstate text, OUT error_message text,
                          OUT error_detail text, OUT error_hint text, OUT result jsonb)
    RETURNS SETOF record
    LANGUAGE plproxy AS $$
    CLUSTER 'workflow_shards';
    RUN ON ALL;
    SELECT error_sqlstate, error_message, error_detail, error_hint, result FROM shard_call(actor, operation, args);
$$;
COMMENT ON FUNCTION route_all(text, text, jsonb) IS
    'PL/Proxy: runs shard_call(actor, operation, args) on every shard, one row per shard.';

-- A shard's error, raised again unchanged: SQLSTATE, message, DETAIL, HINT.
CREATE FUNCTION raise_shard_error(sqlstate text, message text, detail text, hint text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF sqlstate IS NULL THEN
        RETURN;
    ELSIF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END $$;
COMMENT ON FUNCTION raise_shard_error(text, text, text, text) IS
    'Raises the error a shard returned as data, with its SQLSTATE, message, DETAIL and HINT; does nothing when sqlstate is NULL.';

CREATE FUNCTION call_candidate(candidate_id bigint, actor text, operation text, args jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM @extschema@.route_candidate(candidate_id, coalesce(nullif(actor, ''), nullif(current_setting('workflow_ext.actor', true), ''), current_user::text), operation, args);
    IF r.error_sqlstate IS NOT NULL THEN
        PERFORM @extschema@.raise_shard_error(r.error_sqlstate, r.error_message, r.error_detail, r.error_hint);
    END IF;
    RETURN r.result;
END $$;
COMMENT ON FUNCTION call_candidate(bigint, text, text, jsonb) IS
    'One operation on the candidate''s shard: its result, or its error raised again.';

CREATE FUNCTION call_any(actor text, operation text, args jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM @extschema@.route_any(coalesce(nullif(actor, ''), nullif(current_setting('workflow_ext.actor', true), ''), current_user::text), operation, args);
    IF r.error_sqlstate IS NOT NULL THEN
        PERFORM @extschema@.raise_shard_error(r.error_sqlstate, r.error_message, r.error_detail, r.error_hint);
    END IF;
    RETURN r.result;
END $$;
COMMENT ON FUNCTION call_any(text, text, jsonb) IS
    'One definition read on any shard: its result, or its error raised again.';

CREATE FUNCTION call_all(actor text, operation text, args jsonb) RETURNS SETOF jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
    results jsonb[] := '{}';
BEGIN
    FOR r IN SELECT * FROM @extschema@.route_all(coalesce(nullif(actor, ''), nullif(current_setting('workflow_ext.actor', true), ''), current_user::text), operation, args) LOOP
        IF r.error_sqlstate IS NOT NULL THEN
            PERFORM @extschema@.raise_shard_error(r.error_sqlstate, r.error_message, r.error_detail, r.error_hint);
        END IF;
        results := results || r.result;
    END LOOP;
    RETURN QUERY SELECT unnest(results);
END $$;
COMMENT ON FUNCTION call_all(text, text, jsonb) IS
    'One operation on every shard: each shard''s result, or the first error raised again.';

-- ------------------------------------------------------------- the API
-- Same names, argument order and defaults as workflow_ext's, plus the actor
-- last: the argument, else the front's workflow_ext.actor, else the front
-- session's role (as workflow_ext itself defaults).  PL/pgSQL, whose plans are
-- kept across calls (a SQL function is planned at every call); the shard's
-- answer is converted once (a (f()).* would call the shard once per column).
CREATE FUNCTION add_candidate(candidate_id bigint, job_id bigint, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.candidate_stage,
            @extschema@.call_candidate($1, $3, 'add_candidate',
                                       jsonb_build_object('candidate_id', $1, 'job_id', $2)));
END $$;
COMMENT ON FUNCTION add_candidate(bigint, bigint, text) IS
    'workflow_ext''s add_candidate on the candidate''s shard, as actor.';

CREATE FUNCTION move_to_next_stage(candidate_id bigint, job_id bigint,
                                   expected_stage_id bigint DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.move_result,
            @extschema@.call_candidate($1, $4, 'move_to_next_stage',
                jsonb_build_object('candidate_id', $1, 'job_id', $2, 'expected_stage_id', $3)));
END $$;
COMMENT ON FUNCTION move_to_next_stage(bigint, bigint, bigint, text) IS
    'workflow_ext''s move_to_next_stage on the candidate''s shard, as actor; a shard''s error arrives unchanged.';

CREATE FUNCTION move_to_stage(candidate_id bigint, job_id bigint, stage_id bigint,
                              reason text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.move_result,
            @extschema@.call_candidate($1, $5, 'move_to_stage',
                jsonb_build_object('candidate_id', $1, 'job_id', $2, 'stage_id', $3, 'reason', $4)));
END $$;
COMMENT ON FUNCTION move_to_stage(bigint, bigint, bigint, text, text) IS
    'workflow_ext''s move_to_stage on the candidate''s shard, as actor.';

CREATE FUNCTION reject_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL,
                                 reason_code text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.candidate_stage,
            @extschema@.call_candidate($1, $5, 'reject_candidate',
                jsonb_build_object('candidate_id', $1, 'job_id', $2, 'reason', $3, 'reason_code', $4)));
END $$;
COMMENT ON FUNCTION reject_candidate(bigint, bigint, text, text, text) IS
    'workflow_ext''s reject_candidate (reason, reason_code) on the candidate''s shard, as actor (the last argument, as in every front function).';

CREATE FUNCTION withdraw_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL,
                                   reason_code text DEFAULT NULL, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.candidate_stage,
            @extschema@.call_candidate($1, $5, 'withdraw_candidate',
                jsonb_build_object('candidate_id', $1, 'job_id', $2, 'reason', $3, 'reason_code', $4)));
END $$;
COMMENT ON FUNCTION withdraw_candidate(bigint, bigint, text, text, text) IS
    'workflow_ext''s withdraw_candidate (reason, reason_code) on the candidate''s shard, as actor (the last argument, as in every front function).';

CREATE FUNCTION reopen_candidate(candidate_id bigint, job_id bigint, actor text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.candidate_stage,
            @extschema@.call_candidate($1, $3, 'reopen_candidate',
                jsonb_build_object('candidate_id', $1, 'job_id', $2)));
END $$;
COMMENT ON FUNCTION reopen_candidate(bigint, bigint, text) IS
    'workflow_ext''s reopen_candidate on the candidate''s shard, as actor.';

CREATE FUNCTION candidate_facts(candidate_id bigint, actor text DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN @extschema@.call_candidate($1, $2, 'candidate_facts', jsonb_build_object('candidate_id', $1));
END $$;
COMMENT ON FUNCTION candidate_facts(bigint, text) IS
    'workflow_ext''s candidate_facts on the candidate''s shard, as actor.';

CREATE FUNCTION acknowledge_alert(candidate_id bigint, alert_event_id bigint, actor text DEFAULT NULL)
    RETURNS @extschema@.alert_event
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.alert_event,
            @extschema@.call_candidate($1, $3, 'acknowledge_alert',
                jsonb_build_object('candidate_id', $1, 'alert_event_id', $2)));
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint, bigint, text) IS
    'workflow_ext''s acknowledge_alert on the candidate''s shard, as actor (routed by the candidate; P0002 when the event is not that candidate''s).';

CREATE FUNCTION get_stage_rule(stage_id bigint, actor text DEFAULT NULL)
    RETURNS @extschema@.stage_rule
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN jsonb_populate_record(NULL::@extschema@.stage_rule,
            @extschema@.call_any($2, 'get_stage_rule', jsonb_build_object('stage_id', $1)));
END $$;
COMMENT ON FUNCTION get_stage_rule(bigint, text) IS
    'workflow_ext''s get_stage_rule on any shard, as actor.';

CREATE FUNCTION get_stage_alerts(stage_id bigint, actor text DEFAULT NULL)
    RETURNS SETOF @extschema@.alert
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT a.* FROM jsonb_populate_recordset(NULL::@extschema@.alert,
            @extschema@.call_any($2, 'get_stage_alerts', jsonb_build_object('stage_id', $1))) a
$$;
COMMENT ON FUNCTION get_stage_alerts(bigint, text) IS
    'workflow_ext''s get_stage_alerts on any shard, as actor.';

CREATE FUNCTION job_stage_counts(job_id bigint, actor text DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, status text, candidates bigint)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT s.stage_id, s.status, sum(s.candidates)::bigint
      FROM @extschema@.call_all($2, 'stage_counts', jsonb_build_object('job_id', $1)) r,
           jsonb_to_recordset(r) AS s(stage_id bigint, status text, candidates bigint)
     GROUP BY s.stage_id, s.status
     ORDER BY s.stage_id, s.status
$$;
COMMENT ON FUNCTION job_stage_counts(bigint, text) IS
    'Candidates per stage and status of a job, summed over every shard (RUN ON ALL); each shard counts what the actor sees.';

CREATE FUNCTION screening_counts(job_id bigint, condition jsonb, actor text DEFAULT NULL)
    RETURNS TABLE (candidates bigint, matching bigint)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT sum((r->>'candidates')::bigint)::bigint, sum((r->>'matching')::bigint)::bigint
      FROM @extschema@.call_all($3, 'screening_counts',
                                jsonb_build_object('job_id', $1, 'condition', $2)) r
$$;
COMMENT ON FUNCTION screening_counts(bigint, jsonb, text) IS
    'Active candidates of a job, and how many of them condition_matches(condition, their facts), summed over every shard (RUN ON ALL).';
