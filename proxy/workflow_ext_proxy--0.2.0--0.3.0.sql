-- workflow_ext_proxy 0.2.0 -> 0.3.0: the typed results follow workflow_ext
-- 0.3.0's rows column for column (the tenant on every row, a pipeline row's
-- application facts, an alert's fact source).  A composite type takes new
-- attributes only at its end, so the four types are made again in the new
-- order, and the functions returning them with them (same bodies); what was
-- granted or revoked on those functions (EXECUTE for the application role,
-- docs/scale-out.md) is carried over.  move_result is unchanged.
\echo Use "ALTER EXTENSION workflow_ext_proxy UPDATE TO '0.3.0'" to load this file. \quit

-- The functions' privileges, kept for the end of the script (transaction-local).
SELECT set_config('workflow_ext_proxy.update_acl', coalesce(jsonb_agg(jsonb_build_object(
           'function', p.oid::regprocedure::text, 'acl', p.proacl::text[]))::text, '[]'), true)
  FROM pg_proc p
 WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proacl IS NOT NULL
   AND p.proname IN ('add_candidate', 'reject_candidate', 'withdraw_candidate', 'reopen_candidate', 'acknowledge_alert', 'get_stage_rule', 'get_stage_alerts');

DROP FUNCTION @extschema@.add_candidate(bigint, bigint, text),
              @extschema@.reject_candidate(bigint, bigint, text, text),
              @extschema@.withdraw_candidate(bigint, bigint, text, text),
              @extschema@.reopen_candidate(bigint, bigint, text),
              @extschema@.acknowledge_alert(bigint, bigint, text),
              @extschema@.get_stage_rule(bigint, text),
              @extschema@.get_stage_alerts(bigint, text);
DROP TYPE @extschema@.candidate_stage, @extschema@.stage_rule, @extschema@.alert, @extschema@.alert_event;

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

-- The privileges as they were: PUBLIC's EXECUTE taken away where it had been,
-- every grant made again.
DO $$
DECLARE
    f jsonb;
    g record;
BEGIN
    -- (reject and withdraw take reason_code before actor in 0.3.0, as workflow_ext's do)
    FOR f IN SELECT jsonb_set(x, '{function}', to_jsonb(regexp_replace(x->>'function',
                        '_candidate\(bigint,bigint,text,text\)$', '_candidate(bigint,bigint,text,text,text)')))
               FROM jsonb_array_elements(current_setting('workflow_ext_proxy.update_acl')::jsonb) x LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f->>'function');
        FOR g IN SELECT a.grantee, a.is_grantable
                   FROM jsonb_array_elements_text(f->'acl') x(item),
                        aclexplode(ARRAY[x.item::aclitem]) a
                  WHERE a.privilege_type = 'EXECUTE' LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s%s', f->>'function',
                           CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END,
                           CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
    END LOOP;
END $$;
