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
    -- Every table's ids (0.3.0: the definitions too, since in the tenant
    -- layout each shard writes its tenants' definitions and move_tenant
    -- copies rows with their ids from one shard to another).
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'rejection_reason',
                             'stage_transition', 'candidate_stage', 'alert_event'] LOOP
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
    'Gives this shard (number 0 .. count - 1) its own ids for every table of the extension: number + 1 + k * count, above every id already used, so that rows keep their ids when a tenant moves to another shard. Run on each shard after CREATE EXTENSION and again after a restore (docs/scale-out.md).';
REVOKE EXECUTE ON FUNCTION configure_shard(integer, integer) FROM PUBLIC;

-- The shard side of the front: one call with the tenant and the actor
-- applied for that call only, the answer or the error returned as data.
-- PL/Proxy drops its pooled connection on every remote error; a business
-- error (a blocked move) is therefore caught here and raised again by the
-- front with the same SQLSTATE, message, DETAIL and HINT.  The frequent
-- calls have their own branch (a plan kept per branch); every other function
-- of the API is called by name (shard_dispatch), the listings, facts writes
-- and definition writes the front offers have a branch each.
CREATE FUNCTION shard_call(tenant text, actor text, operation text, args jsonb,
                           OUT error_sqlstate text, OUT error_message text,
                           OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET workflow_ext.tenant_admin = off
    AS $$
#variable_conflict use_column
DECLARE
    cid bigint := (args->>'candidate_id')::bigint;
    jid bigint := (args->>'job_id')::bigint;
BEGIN
    BEGIN
        -- Local to this function: its SET clauses revert them on return.
        PERFORM set_config('workflow_ext.actor', coalesce(actor, ''), true);
        IF tenant IS NOT NULL THEN
            PERFORM set_config('workflow_ext.tenant', tenant, true);
        END IF;
        IF args ? '$tenant_admin' THEN
            PERFORM set_config('workflow_ext.tenant_admin', args->>'$tenant_admin', true);
        END IF;
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
            IF jid IS NULL THEN
                result := @extschema@.candidate_facts(cid);
            ELSE
                result := @extschema@.candidate_facts(cid, jid);
            END IF;
        WHEN 'acknowledge_alert' THEN
            SELECT to_jsonb(e) INTO result
              FROM @extschema@.acknowledge_alert((args->>'alert_event_id')::bigint) e;
            -- (0.2.0's front routed by the candidate and named it)
            IF cid IS NOT NULL AND (result->>'candidate_id')::bigint IS DISTINCT FROM cid THEN
                RAISE EXCEPTION 'alert event % of candidate % not found', args->>'alert_event_id', cid
                    USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'alert_event_not_found', 'alert_event_id',
                                                         (args->>'alert_event_id')::bigint, 'candidate_id', cid)::text;
            END IF;
        WHEN 'get_stage_rule' THEN
            SELECT to_jsonb(r) INTO result FROM @extschema@.get_stage_rule((args->>'stage_id')::bigint) r;
        WHEN 'get_stage_alerts' THEN
            SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id), '[]') INTO result
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
            -- (another tenant's job: its candidates' facts are that tenant's, as for candidate_facts(c, j))
            IF (SELECT j.t <> @extschema@.current_tenant() FROM (SELECT @extschema@.job_tenant(jid) AS t) j) THEN
                RAISE EXCEPTION 'the facts of the candidates in job % are another organization''s', jid
                    USING ERRCODE = '42501',
                          DETAIL = jsonb_build_object('reason', 'other_tenant_facts', 'job_id', jid)::text,
                          HINT = format('Job %s is shared with you by its organization, whose facts its rules read: a share never opens them.', jid);
            END IF;
            SELECT jsonb_build_array(jsonb_build_object('candidates', count(*),
                                      'matching', count(*) FILTER (WHERE @extschema@.condition_matches(
                                          args->'condition', @extschema@.candidate_facts(c.candidate_id)))))
              INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid)) AND c.status = 'active';
        -- Listings (row-level security decides what the actor sees).
        WHEN 'job_candidates' THEN
            SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.stage_id, c.candidate_id), '[]') INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.job_id = jid AND c.tenant = (SELECT @extschema@.job_tenant(jid))
               AND (args->>'status' IS NULL OR c.status = args->>'status');
        WHEN 'stage_candidates' THEN
            SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.job_id, c.candidate_id), '[]') INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.stage_id = (args->>'stage_id')::bigint
               AND (args->>'status' IS NULL OR c.status = args->>'status');
        -- A job id names the job job_tenant() resolves (the caller's own
        -- tenant's first, seen or not), as for job_candidates: never another
        -- tenant's job of the same id mixed in.
        WHEN 'candidate_history' THEN
            SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') INTO result
              FROM @extschema@.stage_transition t
             WHERE t.candidate_id = cid
               AND (jid IS NULL OR (t.job_id = jid AND t.tenant = (SELECT @extschema@.job_tenant(jid))));
        WHEN 'alert_events' THEN
            SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.id), '[]') INTO result
              FROM @extschema@.alert_event e
             WHERE e.job_id = jid AND e.tenant = (SELECT @extschema@.job_tenant(jid))
               AND (cid IS NULL OR e.candidate_id = cid)
               AND (NOT coalesce((args->>'unacknowledged')::boolean, false) OR e.acknowledged_at IS NULL);
        -- Facts writes: the current tenant's row (stamped by the triggers).
        WHEN 'set_candidate_facts' THEN
            INSERT INTO @extschema@.candidate_profile AS p (candidate_id, attributes)
                 VALUES (cid, args->'facts')
            ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes
            RETURNING p.attributes INTO result;
        WHEN 'set_job_facts' THEN
            INSERT INTO @extschema@.job_profile AS p (job_id, attributes)
                 VALUES (jid, args->'facts')
            ON CONFLICT (tenant, job_id) DO UPDATE SET attributes = EXCLUDED.attributes
            RETURNING p.attributes INTO result;
        WHEN 'definition_write', 'definitions' THEN
            result := @extschema@.shard_definition(operation, args);
        ELSE
            result := @extschema@.shard_dispatch(operation, args);
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT,
                                error_detail = PG_EXCEPTION_DETAIL, error_hint = PG_EXCEPTION_HINT;
        error_detail := nullif(error_detail, '');
        error_hint := nullif(error_hint, '');
        result := NULL;
    END;
END $$;
COMMENT ON FUNCTION shard_call(text, text, text, jsonb) IS
    'The shard side of workflow_ext_proxy: runs one operation of the API (a function of the extension by name, arguments by name in args; or job_candidates, stage_candidates, candidate_history, alert_events, set_candidate_facts, set_job_facts, definition_write, definitions, stage_counts, screening_counts) in tenant (NULL: the session''s) as actor, for this call only (the trust rules of workflow_ext.actor and workflow_ext.tenant apply), and returns the result as JSON or the error as data (error_sqlstate, error_message, error_detail, error_hint), so PL/Proxy keeps its connection.';

-- 0.2.0's front (routing by candidate) calls this form; kept so that the
-- shards can be updated before the front.
CREATE FUNCTION shard_call(actor text, operation text, args jsonb,
                           OUT error_sqlstate text, OUT error_message text,
                           OUT error_detail text, OUT error_hint text, OUT result jsonb)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM @extschema@.shard_call(NULL::text, actor, operation, args)
$$;
COMMENT ON FUNCTION shard_call(text, text, jsonb) IS
    'Deprecated (workflow_ext_proxy 0.2.0): shard_call(NULL, actor, operation, args), the session''s tenant.';

-- The API functions the front reaches by name: every function of the
-- README's API that reads or writes a tenant's data, and the condition
-- helpers.  Nothing else (no administration, no helper of the policies).
CREATE FUNCTION shard_dispatch(operation text, args jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    f record;
    call text;
    keys text[];
    result jsonb;
BEGIN
    IF operation IS NULL OR operation NOT IN (
            'move_candidates', 'transfer_candidate', 'remove_candidate', 'assign_workflow',
            'share_workflow', 'unshare_workflow', 'pending_shares', 'accept_share', 'decline_share',
            'leave_share', 'transfer_workflow_ownership', 'archive_workflow', 'unarchive_workflow',
            'archive_stage', 'unarchive_stage', 'pipeline_funnel', 'clone_workflow', 'reorder_stages',
            'evaluate_condition', 'condition_matches', 'validate_condition', 'condition_leaves',
            'raise_overdue_alerts', 'workflow_events_since', 'job_tenant', 'current_actor',
            'current_tenant', 'is_tenant_admin') THEN
        RAISE EXCEPTION 'shard_call has no operation "%"', operation
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'unknown_operation', 'operation', operation)::text;
    END IF;
    SELECT coalesce(array_agg(k), '{}') INTO keys FROM jsonb_object_keys(args) k WHERE k NOT LIKE '$%';
    -- The overload whose input arguments are the names given, every one
    -- without a default among them.
    SELECT p.oid, p.proname, p.proretset, t.typtype, t.oid = 'void'::regtype AS is_void,
           (SELECT coalesce(string_agg(format('%I => %s', a.name,
                        CASE WHEN a.typ::regtype::text LIKE '%[]'
                             THEN format('(SELECT array_agg(e)::%s FROM jsonb_array_elements_text($1->%L) e)', a.typ::regtype, a.name)
                             ELSE format('($1->>%L)::%s', a.name, a.typ::regtype) END), ', ' ORDER BY a.n), '')
              FROM unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) WITH ORDINALITY AS a(name, typ, n)
             WHERE a.name = ANY (keys)) AS arglist
      INTO f
      FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype
     WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proname = operation
       AND keys <@ coalesce(p.proargnames[1:p.pronargs], '{}')
       AND coalesce(p.proargnames[1:p.pronargs - p.pronargdefaults], '{}') <@ keys
     ORDER BY p.pronargs
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function %(%) not found', operation, array_to_string(keys, ', ')
            USING ERRCODE = '42883', DETAIL = jsonb_build_object('reason', 'unknown_operation', 'operation', operation)::text;
    END IF;
    call := format('@extschema@.%I(%s)', f.proname, f.arglist);
    IF f.is_void THEN
        EXECUTE 'SELECT ' || call USING args;
        result := 'null';
    ELSIF f.proretset OR f.typtype = 'c' THEN
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]'') FROM %s r', call) INTO result USING args;
    ELSE
        EXECUTE format('SELECT to_jsonb(%s)', call) INTO result USING args;
    END IF;
    RETURN result;
END $$;
COMMENT ON FUNCTION shard_dispatch(text, jsonb) IS
    'shard_call''s path to the API functions by name: the overload whose argument names are the keys of args (keys starting with $ are shard_call''s), called with the caller''s rights; a set or a row as a JSON array of rows, a scalar as JSON, void as null. Only the API functions of the README''s front list (22023 unknown_operation for any other name).';

-- Definition writes and reads through the front: one table of the
-- definitions, a row as JSON, the caller's rights and row-level security.
CREATE FUNCTION shard_definition(operation text, args jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    tbl text := args->>'table_name';
    action text := coalesce(args->>'action', 'list');
    r jsonb := coalesce(args->'row', '{}');
    cols text;
    result jsonb;
BEGIN
    IF tbl IS NULL OR tbl NOT IN ('workflow', 'workflow_stage', 'stage_rule', 'alert', 'job_workflow',
                                  'rejection_reason', 'workflow_share') THEN
        RAISE EXCEPTION 'table "%" is not a definition table', tbl
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'not_a_definition_table', 'table', tbl)::text,
                  HINT = 'workflow, workflow_stage, stage_rule, alert, job_workflow, rejection_reason or workflow_share.';
    END IF;
    IF operation = 'definitions' THEN
        -- Every row the actor sees whose columns equal the filter's values.
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), ''[]'') FROM @extschema@.%I t WHERE to_jsonb(t) @> $1', tbl)
           INTO result USING r;
        RETURN result;
    END IF;
    IF action NOT IN ('insert', 'update', 'delete') THEN
        RAISE EXCEPTION 'definition_write has no action "%"', action
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'unknown_action', 'action', action)::text;
    END IF;
    IF action <> 'insert' AND args->>'id' IS NULL THEN
        RAISE EXCEPTION 'definition_write % on % needs the row''s id', action, tbl
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'id_required', 'table', tbl)::text;
    END IF;
    -- The columns given, each an existing column of the table.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a
     WHERE a.attrelid = format('@extschema@.%I', tbl)::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND r ? a.attname::text;
    IF (SELECT count(*) FROM jsonb_object_keys(r)) <> (SELECT count(*) FROM pg_attribute a
            WHERE a.attrelid = format('@extschema@.%I', tbl)::regclass AND a.attnum > 0 AND NOT a.attisdropped
              AND r ? a.attname::text) THEN
        RAISE EXCEPTION 'a % row has no column %', tbl,
              (SELECT string_agg(k, ', ') FROM jsonb_object_keys(r) k WHERE NOT EXISTS (
                   SELECT FROM pg_attribute a WHERE a.attrelid = format('@extschema@.%I', tbl)::regclass
                      AND a.attnum > 0 AND NOT a.attisdropped AND a.attname::text = k))
            USING ERRCODE = '42703', DETAIL = jsonb_build_object('reason', 'unknown_column', 'table', tbl)::text;
    END IF;
    IF action = 'insert' THEN
        EXECUTE format('INSERT INTO @extschema@.%1$I AS t (%2$s) SELECT %2$s FROM jsonb_populate_record(NULL::@extschema@.%1$I, $1) RETURNING to_jsonb(t)', tbl, cols)
           INTO result USING r;
    ELSIF action = 'update' THEN
        IF cols IS NULL THEN
            RAISE EXCEPTION 'definition_write update on % names no column', tbl
                USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'no_column', 'table', tbl)::text;
        END IF;
        EXECUTE format('UPDATE @extschema@.%1$I AS t SET (%2$s) = (SELECT %2$s FROM jsonb_populate_record(NULL::@extschema@.%1$I, $1)) WHERE t.id = $2 RETURNING to_jsonb(t)', tbl, cols)
           INTO result USING r, (args->>'id')::bigint;
    ELSE
        EXECUTE format('DELETE FROM @extschema@.%I AS t WHERE t.id = $1 RETURNING to_jsonb(t)', tbl)
           INTO result USING (args->>'id')::bigint;
    END IF;
    IF result IS NULL THEN
        -- A row the actor sees but may not change (a workflow shared
        -- read-only, its stages, rules, alerts, jobs and shares): 42501
        -- read_only, as the functions answer (visible_workflow(id, true));
        -- a row it does not see: P0002 not_found.
        EXECUTE format('SELECT to_jsonb(t) FROM @extschema@.%I t WHERE t.id = $1', tbl)
           INTO result USING (args->>'id')::bigint;
        IF result IS NOT NULL THEN
            RAISE EXCEPTION '% % is read-only for the current actor', tbl, args->>'id'
                USING ERRCODE = '42501',
                      DETAIL = jsonb_build_object('reason', 'read_only', 'table', tbl, 'id', (args->>'id')::bigint,
                                                  'workflow_id', CASE WHEN tbl = 'workflow' THEN (result->>'id')::bigint
                                                                      WHEN tbl IN ('stage_rule', 'alert') THEN
                                                                          (SELECT s.workflow_id FROM @extschema@.workflow_stage s
                                                                            WHERE s.id = (result->>'stage_id')::bigint)
                                                                      ELSE (result->>'workflow_id')::bigint END)::text,
                      HINT = 'Changing a definition needs edit rights on its workflow (deleting a workflow or changing its shares: ownership or administration).';
        END IF;
        RAISE EXCEPTION '% % not found', tbl, args->>'id'
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'not_found', 'table', tbl, 'id', (args->>'id')::bigint)::text;
    END IF;
    RETURN result;
END $$;
COMMENT ON FUNCTION shard_definition(text, jsonb) IS
    'shard_call''s definition branch: definitions (the rows of a definition table the actor sees that contain args.row) and definition_write (insert, update or delete one row of workflow, workflow_stage, stage_rule, alert, job_workflow, rejection_reason or workflow_share, given as JSON; the table''s triggers and row-level security apply); the row written as JSON. An update or delete of a row the actor sees but may not change: 42501 read_only (table, id, the workflow_id of the row''s workflow); of a row it does not see: P0002 not_found (table, id).';

-- Moving a tenant (the front's move_tenant): its rows, every table, in
-- dependency order; superuser only (not granted: the front's operator
-- mapping connects as a shard superuser).
CREATE FUNCTION shard_tenant_tables() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT ARRAY['workflow', 'workflow_stage', 'stage_rule', 'alert', 'workflow_share', 'job_workflow',
                 'rejection_reason', 'candidate_profile', 'job_profile', 'stage_transition',
                 'candidate_stage', 'alert_event']
$$;
COMMENT ON FUNCTION shard_tenant_tables() IS
    'The tables holding a tenant''s rows, in dependency order (move_tenant copies them in this order and deletes them in the reverse).';

CREATE FUNCTION shard_tenant_counts(tenant text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET row_security = off
    AS $$
DECLARE
    t text;
    n bigint;
    result jsonb := '{}';
BEGIN
    FOREACH t IN ARRAY @extschema@.shard_tenant_tables() LOOP
        EXECUTE format('SELECT count(*) FROM @extschema@.%I WHERE tenant = $1', t) INTO n USING tenant;
        result := result || jsonb_build_object(t, n);
    END LOOP;
    RETURN result;
END $$;
COMMENT ON FUNCTION shard_tenant_counts(text) IS
    'Superuser only: the number of the tenant''s rows in each table on this shard (move_tenant''s verification).';
REVOKE EXECUTE ON FUNCTION shard_tenant_counts(text) FROM PUBLIC;

CREATE FUNCTION shard_tenant_export(tenant text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET row_security = off
    AS $$
DECLARE
    t text;
    rows jsonb;
    result jsonb := '{}';
BEGIN
    -- Shares across tenants: both tenants must move together (the front's
    -- rule: a share across tenants only between tenants on one shard).
    IF EXISTS (SELECT FROM @extschema@.workflow_share s
                WHERE (s.tenant = $1 AND s.grantee_tenant <> $1)
                   OR (s.grantee_tenant = $1 AND s.tenant <> $1)) THEN
        RAISE EXCEPTION 'tenant % has workflow shares with other tenants: it cannot move alone', tenant
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'cross_tenant_shares', 'tenant', tenant)::text,
                  HINT = 'Remove the shares across tenants (unshare_workflow, leave_share) before moving it; docs/scale-out.md, Shares across tenants.';
    END IF;
    FOREACH t IN ARRAY @extschema@.shard_tenant_tables() LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.id), ''[]'') FROM @extschema@.%I r WHERE r.tenant = $1', t)
           INTO rows USING tenant;
        result := result || jsonb_build_object(t, rows);
    END LOOP;
    RETURN result;
END $$;
COMMENT ON FUNCTION shard_tenant_export(text) IS
    'Superuser only: every row of the tenant on this shard, table by table (shard_tenant_tables()), as JSON with its ids; 55000 cross_tenant_shares when it shares workflows with another tenant.';
REVOKE EXECUTE ON FUNCTION shard_tenant_export(text) FROM PUBLIC;

CREATE FUNCTION shard_tenant_import(tenant text, data jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET row_security = off
    SET session_replication_role = replica
    AS $$
DECLARE
    t text;
    top bigint;
    inc bigint;
    lv bigint;
    top_position numeric;
BEGIN
    -- Replica mode: the rows are written as they were (ids, stamps,
    -- history), no trigger of the engine runs; the caches of this shard's
    -- sessions are invalidated by the apply triggers.
    IF EXISTS (SELECT FROM jsonb_each(@extschema@.shard_tenant_counts(tenant)) c WHERE c.value <> '0') THEN
        RAISE EXCEPTION 'tenant % already has rows on this shard', tenant
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'tenant_not_empty', 'tenant', tenant)::text,
                  HINT = 'move_tenant deletes a partial copy before copying again; delete the tenant here with shard_tenant_delete().';
    END IF;
    FOREACH t IN ARRAY @extschema@.shard_tenant_tables() LOOP
        IF jsonb_typeof(data->t) IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'the copy of tenant % has no table %', tenant, t
                USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'incomplete_copy', 'table', t)::text;
        END IF;
        IF (SELECT bool_or(r->>'tenant' IS DISTINCT FROM tenant) FROM jsonb_array_elements(data->t) r) THEN
            RAISE EXCEPTION 'the copy of tenant % holds rows of another tenant in %', tenant, t
                USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'foreign_rows', 'table', t)::text;
        END IF;
        EXECUTE format('INSERT INTO @extschema@.%1$I SELECT * FROM jsonb_populate_recordset(NULL::@extschema@.%1$I, $1)', t)
          USING data->t;
        -- Ids stay in time order across the move: this shard's next id of
        -- the table (its own residue, configure_shard) above every id copied.
        SELECT max((r->>'id')::bigint) INTO top FROM jsonb_array_elements(data->t) r;
        SELECT s.increment_by, coalesce(s.last_value, s.start_value) INTO inc, lv
          FROM pg_sequences s WHERE s.schemaname = '@extschema@' AND s.sequencename = t || '_id_seq';
        IF top IS NOT NULL AND top >= lv THEN
            PERFORM setval(format('@extschema@.%I', t || '_id_seq'),
                           top + ((lv - top) % inc + inc) % inc + CASE WHEN ((lv - top) % inc + inc) % inc = 0 THEN inc ELSE 0 END,
                           false);
        END IF;
    END LOOP;
    -- The event feed: the rows keep their positions (a consumer's cursor
    -- from the source resumes here exactly after what it read), and every
    -- position this shard gives from now on sorts after them (feed_advance).
    SELECT max((r->>'xact_id')::numeric) INTO top_position
      FROM (SELECT jsonb_array_elements(data->'stage_transition') UNION ALL
            SELECT jsonb_array_elements(data->'alert_event')) x(r);
    IF top_position IS NOT NULL THEN
        PERFORM @extschema@.feed_advance(top_position::text::xid8);
    END IF;
    RETURN @extschema@.shard_tenant_counts(tenant);
END $$;
COMMENT ON FUNCTION shard_tenant_import(text, jsonb) IS
    'Superuser only: writes a tenant''s rows exported by shard_tenant_export() on another shard, with their ids, in dependency order and replica mode (no trigger of the engine runs; a restore), in one transaction; 55000 tenant_not_empty when the tenant has rows here already. Returns the counts written.';
REVOKE EXECUTE ON FUNCTION shard_tenant_import(text, jsonb) FROM PUBLIC;

CREATE FUNCTION shard_tenant_delete(tenant text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET row_security = off
    SET session_replication_role = replica
    AS $$
DECLARE
    t text;
    before jsonb := @extschema@.shard_tenant_counts(tenant);
BEGIN
    FOR t IN SELECT x FROM unnest(@extschema@.shard_tenant_tables()) WITH ORDINALITY AS u(x, n) ORDER BY n DESC LOOP
        EXECUTE format('DELETE FROM @extschema@.%I WHERE tenant = $1', t) USING tenant;
    END LOOP;
    RETURN before;
END $$;
COMMENT ON FUNCTION shard_tenant_delete(text) IS
    'Superuser only: deletes every row of the tenant on this shard, in reverse dependency order and replica mode (no history of the deletion: the tenant lives on elsewhere); returns the counts deleted.';
REVOKE EXECUTE ON FUNCTION shard_tenant_delete(text) FROM PUBLIC;

-- Health, for the front's shard_health(): what this shard is.
CREATE FUNCTION shard_status(OUT version text, OUT node_role text, OUT tenants bigint,
                             OUT replication_lag interval)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'workflow_ext'),
           @extschema@.node_role(),
           (SELECT count(*) FROM (SELECT tenant FROM @extschema@.workflow UNION
                                  SELECT tenant FROM @extschema@.candidate_stage UNION
                                  SELECT tenant FROM @extschema@.candidate_profile) t),
           -- a node still subscribed to 0.2.0's primary: how far behind
           (SELECT max(now() - coalesce(s.latest_end_time, s.last_msg_receipt_time, '-infinity'))
              FROM pg_stat_subscription s JOIN pg_subscription p ON p.oid = s.subid
             WHERE p.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()))
$$;
COMMENT ON FUNCTION shard_status() IS
    'What the front''s shard_health() reports of this node: the extension''s version, node_role(), how many tenants have rows here (over every tenant: EXECUTE is not granted to PUBLIC; grant it to the role the front connects as), and the lag of a definitions subscription (0.2.0''s replicated layout; NULL when none).';
REVOKE EXECUTE ON FUNCTION shard_status() FROM PUBLIC;
