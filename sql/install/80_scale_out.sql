-- Scale-out (docs/scale-out.md): the node's role, caches invalidated when
-- logical replication applies definitions, the definition write guard of
-- primaries and shards, shard id spaces, and the shard-side entry points that
-- the front (extension workflow_ext_proxy, PL/Proxy) calls.

CREATE FUNCTION node_role() RETURNS text
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_node_role_sql';
COMMENT ON FUNCTION node_role() IS
    'This database''s role in a scale-out layout, from workflow_ext.node_role: single (default), primary or shard.';

-- Logical replication applies rows in replica mode: it fires row triggers
-- enabled REPLICA or ALWAYS, never statement triggers.  The statement
-- triggers of 40_definitions.sql therefore miss replicated changes; these row
-- triggers, enabled for replica mode only (no cost on a primary or a single
-- node), invalidate the stage caches of the shard's sessions on apply.
CREATE TRIGGER workflow_stage_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE workflow_stage ENABLE REPLICA TRIGGER workflow_stage_invalidate_on_apply;
CREATE TRIGGER stage_rule_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE stage_rule ENABLE REPLICA TRIGGER stage_rule_invalidate_on_apply;
CREATE TRIGGER alert_invalidate_on_apply AFTER INSERT OR UPDATE OR DELETE ON alert
    FOR EACH ROW EXECUTE FUNCTION invalidate_caches();
ALTER TABLE alert ENABLE REPLICA TRIGGER alert_invalidate_on_apply;

-- Definitions are written on the primary only.  The guard is an ordinary
-- (ORIGIN) trigger: replication apply does not fire it, nor the validation
-- and alert generation triggers, so a shard takes the primary's rows and ids
-- as they are.
CREATE FUNCTION definition_write_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    node text := @extschema@.node_role();
    what text;
    moved boolean;
BEGIN
    IF node = 'single' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF node = 'shard' THEN
        IF @extschema@.restoring() THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RAISE EXCEPTION 'this database is a shard: % on % must be done on the primary', TG_OP, TG_TABLE_NAME
            USING ERRCODE = '25006', DETAIL = '{"reason": "shard_read_only"}',
                  HINT = 'workflow_ext.node_role is shard; definitions arrive here by logical replication. Write workflows, shares, stages, rules, alerts and job assignments on the primary.';
    END IF;
    -- A primary cannot see the shards' candidates, history and alert events:
    -- nothing they may reference is deleted or re-pointed.
    IF TG_OP = 'INSERT' OR TG_TABLE_NAME NOT IN ('workflow_stage', 'stage_rule', 'alert', 'job_workflow') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- A rule edit that drops a leaf retires that leaf's alert instead of
    -- deleting it: the alert stays (shards' events keep their alert_id) and
    -- never fires again, since a rule alert fires only for a failed leaf of
    -- the rule's current condition with its rule_path.
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'alert' THEN
        IF OLD.rule_id IS NOT NULL AND pg_trigger_depth() > 1 THEN
            RETURN NULL;
        END IF;
    END IF;
    -- One statement per table: an expression naming a column another
    -- table lacks would fail to plan.
    CASE TG_TABLE_NAME
    WHEN 'workflow_stage' THEN
        what := format('stage %s', OLD.id);
    WHEN 'stage_rule' THEN
        what := format('rule %s', OLD.id);
    WHEN 'alert' THEN
        what := format('alert %s', OLD.id);
    ELSE
        what := format('the workflow of job %s', OLD.job_id);
    END CASE;
    IF TG_OP = 'DELETE' THEN
        moved := false;
    ELSIF TG_OP = 'UPDATE' THEN
        CASE TG_TABLE_NAME
        WHEN 'workflow_stage' THEN
            moved := NEW.workflow_id <> OLD.workflow_id;
        WHEN 'job_workflow' THEN
            moved := NEW.workflow_id <> OLD.workflow_id OR NEW.job_id <> OLD.job_id;
        ELSE
            moved := NEW.stage_id <> OLD.stage_id;
        END CASE;
        IF NOT moved THEN
            RETURN NEW;
        END IF;
    ELSE
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% may be in use on a shard: it cannot be % on a primary', what,
            CASE WHEN moved THEN 'moved' ELSE 'deleted' END
        USING ERRCODE = '55000', DETAIL = '{"reason": "in_use_on_shard"}',
              HINT = 'workflow_ext.node_role is primary; pipeline rows, history and alert events on the shards may refer to it. Keep it and stop using it (a new stage, rule or workflow for new jobs); docs/scale-out.md, Integrity.';
    RETURN NEW;
END $$;
COMMENT ON FUNCTION definition_write_guard() IS
    'Trigger on the definition tables: on a shard, refuses writes other than replication apply and a superuser''s restore (25006); on a primary, refuses deleting or re-pointing stages, rules, alerts and job assignments that shards may use (55000) and keeps, retired, the alert of a leaf a rule edit removed; on a single node, does nothing.';
-- A trigger function: attached by the extension only (README: Security).
REVOKE EXECUTE ON FUNCTION definition_write_guard() FROM PUBLIC;
CREATE TRIGGER workflow_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER workflow_share_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow_share
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER workflow_stage_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER stage_rule_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER alert_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON alert
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();
CREATE TRIGGER job_workflow_definition_write_guard BEFORE INSERT OR UPDATE OR DELETE ON job_workflow
    FOR EACH ROW EXECUTE FUNCTION definition_write_guard();

-- Ids of the tables that grow with candidates, unique across shards: shard
-- k of n hands out k+1, k+1+n, k+1+2n, ...
CREATE FUNCTION configure_shard(shard_number integer, shard_count integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    t text;
    top bigint;
    next bigint;
BEGIN
    IF shard_count IS NULL OR shard_count < 1 OR shard_number IS NULL
       OR shard_number < 0 OR shard_number >= shard_count THEN
        RAISE EXCEPTION 'shard % of % is not a shard: the number must be 0 .. count - 1', shard_number, shard_count
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_shard"}';
    END IF;
    FOREACH t IN ARRAY ARRAY['candidate_stage', 'stage_transition', 'alert_event', 'candidate_profile'] LOOP
        EXECUTE format('SELECT greatest(coalesce(max(id), 0), (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %1$I.%2$I)) FROM %1$I.%3$I',
                       '@extschema@', t || '_id_seq', t)
           INTO top;
        next := top + 1;
        next := next + ((shard_number + 1 - next) % shard_count + shard_count) % shard_count;
        EXECUTE format('ALTER SEQUENCE %I.%I INCREMENT BY %s MINVALUE 1 RESTART WITH %s',
                       '@extschema@', t || '_id_seq', shard_count, next);
    END LOOP;
END $$;
COMMENT ON FUNCTION configure_shard(integer, integer) IS
    'Gives this shard (number 0 .. count - 1) its own ids for candidate_stage, stage_transition, alert_event and candidate_profile: number + 1 + k * count, above every id already used. Run on each shard after CREATE EXTENSION and again after a restore (docs/scale-out.md).';
REVOKE EXECUTE ON FUNCTION configure_shard(integer, integer) FROM PUBLIC;

-- The shard side of the front: one call with the actor applied for that call
-- only, the answer or the error returned as data.  PL/Proxy drops its pooled
-- connection on every remote error; a business error (a blocked move) is
-- therefore caught here and raised again by the front with the same
-- SQLSTATE, message, DETAIL and HINT.
CREATE FUNCTION shard_call(actor text, operation text, args jsonb,
                           OUT error_sqlstate text, OUT error_message text,
                           OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cid bigint := (args->>'candidate_id')::bigint;
    jid bigint := (args->>'job_id')::bigint;
BEGIN
    BEGIN
        -- Local to this function: its SET clause reverts it on return.
        PERFORM set_config('workflow_ext.actor', coalesce(actor, ''), true);
        CASE operation
        WHEN 'move_to_next_stage' THEN
            SELECT to_jsonb(m) INTO result
              FROM @extschema@.move_to_next_stage(cid, jid, (args->>'expected_stage_id')::bigint) m;
        WHEN 'move_to_stage' THEN
            SELECT to_jsonb(m) INTO result
              FROM @extschema@.move_to_stage(cid, jid, (args->>'stage_id')::bigint, args->>'reason') m;
        WHEN 'add_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.add_candidate(cid, jid) c;
        WHEN 'reject_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.reject_candidate(cid, jid, args->>'reason', args->>'reason_code') c;
        WHEN 'withdraw_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.withdraw_candidate(cid, jid, args->>'reason', args->>'reason_code') c;
        WHEN 'reopen_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.reopen_candidate(cid, jid) c;
        WHEN 'candidate_facts' THEN
            result := @extschema@.candidate_facts(cid);
        WHEN 'acknowledge_alert' THEN
            SELECT to_jsonb(e) INTO result
              FROM @extschema@.acknowledge_alert((args->>'alert_event_id')::bigint) e;
            IF (result->>'candidate_id')::bigint IS DISTINCT FROM cid THEN
                RAISE EXCEPTION 'alert event % of candidate % not found', args->>'alert_event_id', cid
                    USING ERRCODE = 'P0002', DETAIL = json_build_object('reason', 'alert_event_not_found', 'alert_event_id', args->>'alert_event_id')::text;
            END IF;
        WHEN 'get_stage_rule' THEN
            SELECT to_jsonb(r) INTO result FROM @extschema@.get_stage_rule((args->>'stage_id')::bigint) r;
        WHEN 'get_stage_alerts' THEN
            SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id) INTO result
              FROM @extschema@.get_stage_alerts((args->>'stage_id')::bigint) a;
        WHEN 'stage_counts' THEN
            SELECT coalesce(jsonb_agg(jsonb_build_object('stage_id', s.stage_id, 'status', s.status,
                                                         'candidates', s.n)), '[]')
              INTO result
              FROM (SELECT c.stage_id, c.status, count(*) AS n
                      FROM @extschema@.candidate_stage c
                     WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid))
                     GROUP BY c.stage_id, c.status) s;
        WHEN 'screening_counts' THEN
            SELECT jsonb_build_object('candidates', count(*),
                                      'matching', count(*) FILTER (WHERE @extschema@.condition_matches(
                                          args->'condition', @extschema@.candidate_facts(c.candidate_id))))
              INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid)) AND c.status = 'active';
        ELSE
            RAISE EXCEPTION 'shard_call has no operation "%"', operation
                USING ERRCODE = '22023', DETAIL = '{"reason": "unknown_operation"}';
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT,
                                error_detail = PG_EXCEPTION_DETAIL, error_hint = PG_EXCEPTION_HINT;
        error_detail := nullif(error_detail, '');
        error_hint := nullif(error_hint, '');
        result := NULL;
    END;
END $$;
COMMENT ON FUNCTION shard_call(text, text, jsonb) IS
    'The shard side of workflow_ext_proxy: runs one operation (move_to_next_stage, move_to_stage, add_candidate, reject_candidate, withdraw_candidate, reopen_candidate, candidate_facts, acknowledge_alert, get_stage_rule, get_stage_alerts, stage_counts, screening_counts; arguments by name in args) as actor, for this call only (the trust rules of workflow_ext.actor apply), and returns the result as JSON or the error as data (error_sqlstate, error_message, error_detail, error_hint), so PL/Proxy keeps its connection.';
