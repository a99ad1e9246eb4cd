-- Workflow definitions: stages, rules and alerts, their triggers, and the
-- functions of the original REST API's viewsets.

CREATE FUNCTION restoring() RETURNS boolean
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_restoring_sql';
COMMENT ON FUNCTION restoring() IS
    'True while a superuser restores a dump with COPY: rules then arrive with their alerts and pipeline rows with their history.';

-- The one change history takes after it is written: erase_candidate()
-- redacting a candidate's warnings and emptying its alert events' facts.
-- A state of the C code, set only while that function rewrites the rows
-- (not a setting anyone could set), cleared whatever happens.
CREATE FUNCTION erasing_candidate(tenant text, candidate_id bigint) RETURNS boolean
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_erasing_candidate';
COMMENT ON FUNCTION erasing_candidate(text, bigint) IS
    'True only while erase_candidate() of this backend rewrites the history of this candidate of this tenant (the immutability guards of stage_transition and alert_event let exactly that change through); false otherwise.';

-- The tenant of a row is stamped by the engine, whatever a statement says:
-- a definition belongs to its workflow's tenant (even when an agency with
-- can_edit adds a stage), a share to its workflow's, anything else to the
-- tenant acting.  It never changes afterwards.  A restore keeps what was
-- dumped.  (candidate_stage is stamped by its guard; history by the C code.)
CREATE FUNCTION stamp_tenant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'stamp_tenant() fires only on workflow_ext''s tables'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- A definition stays with its workflow's tenant: one moved under a
        -- workflow (or stage) of another tenant changes tenant too.
        -- (one branch per table: a record field is resolved when it runs)
        IF TG_TABLE_NAME IN ('workflow_stage', 'workflow_share') THEN
            IF NEW.workflow_id IS DISTINCT FROM OLD.workflow_id THEN
                NEW.tenant := (SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = NEW.workflow_id);
            END IF;
        ELSIF TG_TABLE_NAME IN ('stage_rule', 'alert') THEN
            IF NEW.stage_id IS DISTINCT FROM OLD.stage_id THEN
                NEW.tenant := (SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = NEW.stage_id);
            END IF;
        END IF;
        IF NEW.tenant IS DISTINCT FROM OLD.tenant THEN
            RAISE EXCEPTION 'the tenant of % % cannot change', TG_TABLE_NAME, OLD.id
                USING ERRCODE = '42501',
                      DETAIL = jsonb_build_object('reason', 'tenant_immutable', 'table', TG_TABLE_NAME, 'id', OLD.id)::text,
                      HINT = 'A row belongs to the tenant that created it.';
        END IF;
        RETURN NEW;
    END IF;
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    CASE TG_TABLE_NAME
        WHEN 'workflow_stage', 'workflow_share' THEN
            NEW.tenant := coalesce((SELECT w.tenant FROM @extschema@.workflow w WHERE w.id = NEW.workflow_id),
                                   @extschema@.current_tenant());
        WHEN 'stage_rule', 'alert' THEN
            NEW.tenant := coalesce((SELECT s.tenant FROM @extschema@.workflow_stage s WHERE s.id = NEW.stage_id),
                                   @extschema@.current_tenant());
        ELSE
            NEW.tenant := @extschema@.current_tenant();
    END CASE;
    IF TG_TABLE_NAME = 'workflow' THEN
        NEW.owner := @extschema@.current_actor();
    ELSIF TG_TABLE_NAME = 'job_workflow' THEN
        NEW.assigned_by := @extschema@.current_actor();
        NEW.assigned_at := now();
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION stamp_tenant() IS
    'BEFORE INSERT OR UPDATE trigger on the definition and job tables (the facts tables have stamp_facts_row()): stamps tenant (the workflow''s for definitions and shares, else the current tenant), workflow.owner and job_workflow.assigned_by/at on insert; refuses a change of tenant (42501). A restore keeps the dumped values.';
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'rejection_reason']
    LOOP
        EXECUTE format('CREATE TRIGGER stamp_tenant BEFORE INSERT OR UPDATE ON @extschema@.%I
                        FOR EACH ROW EXECUTE FUNCTION @extschema@.stamp_tenant()', t);
    END LOOP;
END $$;

-- The facts tables are written in bulk (imports, syncs from an ATS): their
-- stamp, the same rules plus updated_at, is C (src/pg/facts_row_stamp.c).
CREATE FUNCTION stamp_facts_row() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_stamp_facts_row';
COMMENT ON FUNCTION stamp_facts_row() IS
    'Triggers on candidate_profile and job_profile. BEFORE INSERT OR UPDATE (stamp_tenant): stamps the current tenant on insert (a restore keeps the dumped one), refuses a change of tenant on update (42501 tenant_immutable). BEFORE UPDATE with the argument ''updated_at'' (candidate_profile_touch, job_profile_touch): sets updated_at to the transaction''s time.';
CREATE TRIGGER stamp_tenant BEFORE INSERT OR UPDATE ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION stamp_facts_row();
CREATE TRIGGER stamp_tenant BEFORE INSERT OR UPDATE ON job_profile
    FOR EACH ROW EXECUTE FUNCTION stamp_facts_row();
CREATE TRIGGER candidate_profile_touch BEFORE UPDATE ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION stamp_facts_row('updated_at');
CREATE TRIGGER job_profile_touch BEFORE UPDATE ON job_profile
    FOR EACH ROW EXECUTE FUNCTION stamp_facts_row('updated_at');

CREATE FUNCTION touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME = 'job_workflow' THEN
        -- reassigning stamps who and when
        NEW.assigned_by := @extschema@.current_actor();
        NEW.assigned_at := now();
        RETURN NEW;
    END IF;
    NEW.updated_at := now();
    -- The owner changes only through transfer_workflow_ownership(), which
    -- announces it first (owner_transfer.c).
    IF TG_TABLE_NAME = 'workflow' THEN
        IF NEW.owner IS DISTINCT FROM OLD.owner
           AND NOT @extschema@.owner_transfer_announced(OLD.id) THEN
            RAISE EXCEPTION 'the owner of workflow % cannot be changed', OLD.id
                USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'owner_by_function', 'workflow_id', OLD.id)::text,
                      HINT = 'Call transfer_workflow_ownership(workflow_id, new_owner).';
        END IF;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION touch_updated_at() IS 'Trigger: keeps updated_at current, a workflow''s owner fixed (transfer_workflow_ownership() changes it), and stamps who reassigned a job (job_workflow.assigned_by/at).';
CREATE TRIGGER workflow_touch BEFORE UPDATE ON workflow
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER stage_rule_touch BEFORE UPDATE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER job_workflow_touch BEFORE UPDATE ON job_workflow
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION stage_rule_validate() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_stage_rule_validate';
COMMENT ON FUNCTION stage_rule_validate() IS 'Trigger: rejects a rule whose condition is malformed (22023, JSON path in DETAIL).';
CREATE TRIGGER stage_rule_validate BEFORE INSERT OR UPDATE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION stage_rule_validate();

CREATE FUNCTION alert_validate() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_alert_validate';
COMMENT ON FUNCTION alert_validate() IS 'Trigger: validates an alert''s field_name, operator and value as one condition leaf (22023), stores the operator in canonical form and fills a default message.';
CREATE TRIGGER alert_validate BEFORE INSERT OR UPDATE ON alert
    FOR EACH ROW EXECUTE FUNCTION alert_validate();

-- A stage's on_enter is what the feed hands the application on every entry:
-- a JSON object, bounded like everything the feed copies.
CREATE FUNCTION workflow_stage_validate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'workflow_stage' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'workflow_stage_validate() fires only on workflow_stage'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF NEW.on_enter IS NOT NULL
       AND (jsonb_typeof(NEW.on_enter) <> 'object' OR octet_length(NEW.on_enter::text) > 65536) THEN
        RAISE EXCEPTION 'on_enter of stage "%" must be a JSON object of at most 64 KB', NEW.name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = jsonb_build_object('reason', 'invalid_on_enter',
                                             'type', jsonb_typeof(NEW.on_enter),
                                             'bytes', octet_length(NEW.on_enter::text))::text,
                  HINT = 'Give NULL for no actions, or an object such as {"email_template": "phone-screen-invite"}.';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION workflow_stage_validate() IS 'Trigger: a stage''s on_enter is NULL or a JSON object of at most 64 KB (22023, reason invalid_on_enter).';
CREATE TRIGGER workflow_stage_validate BEFORE INSERT OR UPDATE OF on_enter ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION workflow_stage_validate();
REVOKE EXECUTE ON FUNCTION workflow_stage_validate() FROM PUBLIC;

-- One alert per leaf of the rule, kept in step with the rule: ids of leaves
-- that stay (same JSON path) are kept, so an edit does not re-fire them.
CREATE FUNCTION stage_rule_sync_alerts() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- A rule restored from a dump (a superuser's COPY): its alerts arrive
    -- with it, under their own ids.
    IF TG_OP = 'INSERT' AND @extschema@.restoring() THEN
        RETURN NULL;
    END IF;
    DELETE FROM @extschema@.alert a
     WHERE a.rule_id = NEW.id
       AND a.rule_path NOT IN (SELECT l->>'path'
                                 FROM jsonb_array_elements(@extschema@.condition_leaves(NEW.condition)) l);
    INSERT INTO @extschema@.alert AS a
           (stage_id, rule_id, rule_path, field_name, source, operator, value, ignore_case, fires_on,
            message, severity)
    SELECT NEW.stage_id, NEW.id, l->>'path', l->>'field', coalesce(l->>'source', 'candidate'),
           l->>'op', l->'value',
           (l->>'ignore_case')::boolean,
           CASE WHEN (l->>'negated')::boolean THEN 'match' ELSE 'mismatch' END,
           format('rule "%s" failed: %s%s %s%s', NEW.name,
                  CASE WHEN (l->>'negated')::boolean THEN 'not ' ELSE '' END,
                  l->>'field', l->>'op',
                  -- a long operand is named, not copied (bounded messages: DESIGN section 6)
                  coalesce(' ' || CASE WHEN l->'value' IS NULL THEN NULL
                                       WHEN octet_length((l->'value')::text) <= 1024 THEN (l->'value')::text
                                       WHEN jsonb_typeof(l->'value') = 'array'
                                       THEN format('[%s values]', jsonb_array_length(l->'value'))
                                       ELSE format('(a value of %s bytes)', octet_length((l->'value')::text))
                                  END, '')),
           CASE NEW.on_fail WHEN 'block' THEN 'critical' ELSE 'warning' END
      FROM jsonb_array_elements(@extschema@.condition_leaves(NEW.condition)) l
    ON CONFLICT (rule_id, rule_path) DO UPDATE
       SET field_name = EXCLUDED.field_name, source = EXCLUDED.source, operator = EXCLUDED.operator,
           value = EXCLUDED.value, ignore_case = EXCLUDED.ignore_case,
           fires_on = EXCLUDED.fires_on
     WHERE (a.field_name, a.source, a.operator, a.value, a.ignore_case, a.fires_on)
           IS DISTINCT FROM (EXCLUDED.field_name, EXCLUDED.source, EXCLUDED.operator, EXCLUDED.value,
                             EXCLUDED.ignore_case, EXCLUDED.fires_on);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION stage_rule_sync_alerts() IS 'Trigger: regenerates a rule''s alerts (one per leaf, fires_on mismatch, or match under a "not").';
CREATE TRIGGER stage_rule_sync_alerts AFTER INSERT OR UPDATE OF condition, name, stage_id ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION stage_rule_sync_alerts();

CREATE FUNCTION invalidate_caches() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invalidate_caches';
COMMENT ON FUNCTION invalidate_caches() IS 'Statement trigger: tells every backend (at commit) that what it cached from this table (compiled stages, rules and alerts; the facts query) is stale.';
CREATE TRIGGER workflow_stage_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_stage
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER stage_rule_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON stage_rule
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER alert_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON alert
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
-- A share across tenants changes what the workflow's history records (stage cache).
CREATE TRIGGER workflow_share_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_share
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
-- Archiving a workflow closes it to new entrants (stage cache: workflow_archived).
CREATE TRIGGER workflow_invalidate AFTER UPDATE OF archived_at ON workflow
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();

CREATE FUNCTION stage_transition_immutable() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- erase_candidate() redacting the warnings, and nothing else of the row
    IF @extschema@.erasing_candidate(OLD.tenant, OLD.candidate_id)
       AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) 'warnings'::text)
           OPERATOR(pg_catalog.=) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) 'warnings'::text) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'stage_transition % is history and cannot be updated', OLD.id
        USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'history_immutable', 'transition_id', OLD.id)::text;
END $$;
COMMENT ON FUNCTION stage_transition_immutable() IS 'Trigger: history rows are never updated (55000 history_immutable), but for erase_candidate() redacting the warnings of the candidate it erases (erasing_candidate()).';
CREATE TRIGGER stage_transition_immutable BEFORE UPDATE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION stage_transition_immutable();

-- Visibility helper for the functions: P0002 when the actor cannot see the workflow.
CREATE FUNCTION visible_workflow(workflow_id bigint, for_edit boolean DEFAULT false)
    RETURNS @extschema@.workflow
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow;
BEGIN
    PERFORM @extschema@.current_tenant();
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'workflow_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "workflow_id"}';
    END IF;
    -- Spelled out, not left to RLS: the same answer for a role that bypasses
    -- it, and inside transfer_workflow_ownership (SECURITY DEFINER).
    SELECT * INTO w FROM @extschema@.workflow x
     WHERE x.id = $1 AND x.id = ANY (@extschema@.visible_workflow_array());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % not found', $1
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'workflow_not_found', 'workflow_id', $1)::text;
    END IF;
    IF for_edit AND NOT (w.id = ANY (@extschema@.editable_workflow_array())) THEN
        RAISE EXCEPTION 'workflow % is shared read-only with the current actor', $1
            USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'read_only', 'workflow_id', $1)::text;
    END IF;
    RETURN w;
END $$;
COMMENT ON FUNCTION visible_workflow(bigint, boolean) IS
    'The workflow row if the actor sees it (P0002 otherwise) and, with for_edit, may edit it (42501 otherwise); 22023 (null_argument) for a NULL workflow_id, the argument of every function that calls it.';
REVOKE EXECUTE ON FUNCTION visible_workflow(bigint, boolean) FROM PUBLIC;   -- (runs as the owner)

CREATE FUNCTION get_stage_rule(stage_id bigint) RETURNS @extschema@.stage_rule
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r @extschema@.stage_rule;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'stage_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "stage_id"}';
    END IF;
    SELECT * INTO r FROM @extschema@.stage_rule x WHERE x.stage_id = $1;
    IF FOUND THEN
        RETURN r;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'stage_not_found', 'stage_id', $1)::text;
    END IF;
    RAISE EXCEPTION 'stage % has no rule', $1
        USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'rule_not_found', 'stage_id', $1)::text;
END $$;
COMMENT ON FUNCTION get_stage_rule(bigint) IS
    'The rule of a stage (the REST API''s GET stage/<id>/rule/). P0002 when the stage is not found or has no rule; 22023 (null_argument) for a NULL stage_id.';

CREATE FUNCTION get_stage_alerts(stage_id bigint) RETURNS SETOF @extschema@.alert
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'stage_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "stage_id"}';
    END IF;
    RETURN QUERY SELECT * FROM @extschema@.alert a WHERE a.stage_id = $1 ORDER BY a.id;
    IF FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'stage_not_found', 'stage_id', $1)::text;
    END IF;
    RAISE EXCEPTION 'stage % has no alerts', $1
        USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'alerts_not_found', 'stage_id', $1)::text;
END $$;
COMMENT ON FUNCTION get_stage_alerts(bigint) IS
    'The alerts of a stage (the REST API''s GET stage/<id>/alert/). P0002 when the stage is not found or has none; 22023 (null_argument) for a NULL stage_id.';

-- Who may share, unshare and transfer a workflow: its owner, or an
-- administrator of the workflow's tenant (42501 otherwise).
CREATE FUNCTION manageable_workflow(workflow_id bigint, what text)
    RETURNS @extschema@.workflow
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1);
BEGIN
    IF w.owner = @extschema@.current_actor() AND w.tenant = @extschema@.current_tenant() THEN
        RETURN w;
    END IF;
    IF w.tenant = @extschema@.current_tenant() AND @extschema@.is_tenant_admin() THEN
        RETURN w;
    END IF;
    RAISE EXCEPTION 'only the owner of workflow % or an administrator of its tenant can %', $1, what
        USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'not_owner', 'workflow_id', $1)::text;
END $$;
COMMENT ON FUNCTION manageable_workflow(bigint, text) IS
    'The workflow, when the current actor owns it or administers its tenant; P0002 when not visible, 42501 otherwise (what names the action in the message).';

-- The tenant a grantee named without one acts for: the current tenant, or,
-- where no tenant is set (each actor its own tenant), the grantee itself.
CREATE FUNCTION default_grantee_tenant(grantee text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT CASE WHEN @extschema@.current_tenant() = @extschema@.current_actor() AND $1 IS NOT NULL
                    THEN $1 ELSE @extschema@.current_tenant() END
    $$;
COMMENT ON FUNCTION default_grantee_tenant(text) IS
    'The tenant of a grantee named without one: the current tenant; where no tenant is set (each actor its own), the grantee itself, as in 0.2.0.';

CREATE FUNCTION share_workflow(workflow_id bigint, grantee text, can_edit boolean DEFAULT false,
                               grantee_tenant text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'share it');
    t text := CASE WHEN $4 IS NULL OR @extschema@.blank_identity($4)
                   THEN @extschema@.default_grantee_tenant($2) ELSE $4 END;
BEGIN
    IF $2 IS NOT NULL AND @extschema@.blank_identity($2) THEN
        RAISE EXCEPTION 'grantee must name an actor, or be NULL for every actor of the tenant'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_grantee"}';
    END IF;
    IF $2 = w.owner AND t = w.tenant THEN
        RAISE EXCEPTION 'workflow % is owned by %; there is nothing to share', $1, $2
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'share_with_owner', 'workflow_id', $1)::text;
    END IF;
    INSERT INTO @extschema@.workflow_share AS s (workflow_id, grantee_tenant, grantee, can_edit)
    VALUES ($1, t, $2, coalesce($3, false))
    ON CONFLICT ON CONSTRAINT workflow_share_workflow_grantee_key
    DO UPDATE SET can_edit = EXCLUDED.can_edit;
END $$;
COMMENT ON FUNCTION share_workflow(bigint, text, boolean, text) IS
    'Shares a workflow with an actor (grantee), or with every actor of a tenant (grantee NULL); grantee_tenant NULL means the current tenant (where no tenant is set, the grantee''s own: each actor is its own tenant), another names an organization working on it (an agency: it sees the definitions and runs its own jobs'' pipelines on them, never the owner''s candidates or facts). can_edit lets the grantees change the definition. Owner or tenant administrator only (42501).';

CREATE FUNCTION unshare_workflow(workflow_id bigint, grantee text, grantee_tenant text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'unshare it');
    t text := CASE WHEN $3 IS NULL OR @extschema@.blank_identity($3)
                   THEN @extschema@.default_grantee_tenant($2) ELSE $3 END;
BEGIN
    DELETE FROM @extschema@.workflow_share s
     WHERE s.workflow_id = $1 AND s.grantee_tenant = t AND s.grantee IS NOT DISTINCT FROM $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % is not shared with %', $1,
            CASE WHEN $2 IS NULL THEN 'tenant ' || t WHEN $2 = t THEN $2 ELSE $2 || ' of tenant ' || t END
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'share_not_found', 'workflow_id', $1)::text;
    END IF;
END $$;
COMMENT ON FUNCTION unshare_workflow(bigint, text, text) IS
    'Removes a share (grantee NULL: the share with the whole grantee_tenant, NULL meaning the workflow''s tenant). Owner or tenant administrator only (42501); P0002 when there is no such share.';

-- A share across tenants is an offer until its grantee answers it: a
-- pending or declined share gives nothing (the visibility functions read
-- accepted shares only).  Stamped here on every write path, whoever writes:
-- a share is accepted when made only within the workflow's own tenant (a
-- colleague's); only its grantee -- for a share with a whole tenant, an
-- administrator of that tenant -- accepts, declines or leaves it, at the
-- engine's time; a share given to someone else (an UPDATE of its grantee)
-- is a new offer.  A tenant has at most share_offer_limit() pending offers
-- to one grantee, so that nobody's list of offers can be flooded.
CREATE FUNCTION share_offer_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT 100';
COMMENT ON FUNCTION share_offer_limit() IS
    'How many pending offers (shares across tenants not yet accepted or declined) one tenant may have out to one grantee: 100. One more is refused with 54000 too_many_offers.';

CREATE FUNCTION workflow_share_answer() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    offers integer;
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' OR TG_TABLE_NAME <> 'workflow_share' THEN
        RAISE EXCEPTION 'workflow_share_answer() fires only on workflow_ext''s workflow_share'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.workflow_id = OLD.workflow_id AND NEW.grantee_tenant = OLD.grantee_tenant
       AND NEW.grantee IS NOT DISTINCT FROM OLD.grantee THEN
        -- The same share: its answer is its grantee's alone.
        IF NEW.accepted_at IS DISTINCT FROM OLD.accepted_at OR NEW.declined_at IS DISTINCT FROM OLD.declined_at THEN
            -- (coalesce: a share with the whole tenant has no grantee, and a
            -- NULL here would let the sharer's write through silently)
            IF NOT coalesce(NEW.grantee_tenant = @extschema@.current_tenant()
                            AND (NEW.grantee = @extschema@.current_actor()
                                 OR (NEW.grantee IS NULL AND @extschema@.is_tenant_admin())), false) THEN
                RAISE EXCEPTION 'only the grantee of the share of workflow % can accept, decline or leave it',
                                NEW.workflow_id
                    USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'not_grantee', 'workflow_id', NEW.workflow_id)::text;
            END IF;
            NEW.accepted_at := CASE WHEN NEW.accepted_at IS NOT NULL THEN coalesce(OLD.accepted_at, now()) END;
            NEW.declined_at := CASE WHEN NEW.declined_at IS NOT NULL THEN coalesce(OLD.declined_at, now()) END;
        END IF;
        NEW.created_at := OLD.created_at;   -- when it was offered: the engine's clock
        RETURN NEW;
    END IF;
    -- A new share, or one given to someone else: offered now.
    NEW.created_at := now();
    NEW.declined_at := NULL;
    IF NEW.grantee_tenant = NEW.tenant THEN
        NEW.accepted_at := now();
        RETURN NEW;
    END IF;
    NEW.accepted_at := NULL;
    -- (this share itself, being shared again, is not one more)
    IF NEW.grantee IS NULL THEN
        SELECT count(*) INTO offers
          FROM (SELECT 1 FROM @extschema@.workflow_share s
                 WHERE s.grantee_tenant = NEW.grantee_tenant AND s.grantee IS NULL AND s.tenant = NEW.tenant
                   AND s.accepted_at IS NULL AND s.declined_at IS NULL
                   AND s.workflow_id <> NEW.workflow_id AND s.id <> NEW.id
                 LIMIT @extschema@.share_offer_limit()) x;
    ELSE
        SELECT count(*) INTO offers
          FROM (SELECT 1 FROM @extschema@.workflow_share s
                 WHERE s.grantee_tenant = NEW.grantee_tenant AND s.grantee = NEW.grantee AND s.tenant = NEW.tenant
                   AND s.accepted_at IS NULL AND s.declined_at IS NULL
                   AND s.workflow_id <> NEW.workflow_id AND s.id <> NEW.id
                 LIMIT @extschema@.share_offer_limit()) x;
    END IF;
    IF offers >= @extschema@.share_offer_limit() THEN
        RAISE EXCEPTION 'tenant % has % pending offers to %; workflow % cannot be offered too',
                        NEW.tenant, offers,
                        CASE WHEN NEW.grantee IS NULL THEN 'tenant ' || NEW.grantee_tenant
                             WHEN NEW.grantee = NEW.grantee_tenant THEN NEW.grantee
                             ELSE NEW.grantee || ' of tenant ' || NEW.grantee_tenant END,
                        NEW.workflow_id
            USING ERRCODE = '54000',
                  DETAIL = jsonb_build_object('reason', 'too_many_offers', 'workflow_id', NEW.workflow_id,
                                             'limit', @extschema@.share_offer_limit())::text,
                  HINT = 'The grantee accepts or declines offers (pending_shares()); withdraw some with unshare_workflow().';
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION workflow_share_answer() IS
    'BEFORE INSERT OR UPDATE trigger on workflow_share: a share across tenants starts as an offer (accepted_at NULL), one within the workflow''s tenant accepted; only the grantee (a tenant administrator for a share with the whole tenant) changes accepted_at or declined_at (42501 not_grantee), stamped now(); created_at (when it was offered) is stamped too; 54000 too_many_offers past share_offer_limit() pending offers from one tenant to one grantee. A restore keeps the dumped values.';
CREATE TRIGGER workflow_share_answer BEFORE INSERT OR UPDATE ON workflow_share
    FOR EACH ROW EXECUTE FUNCTION workflow_share_answer();

-- The grantee's answer to a share of workflow_id: its own share, or, with
-- for_tenant, the share with its whole tenant (an administrator of it only).
-- Called by accept_share(), decline_share(), leave_share() only.
CREATE FUNCTION answer_share(workflow_id bigint, for_tenant boolean, answer text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s @extschema@.workflow_share;
    who text;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'workflow_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "workflow_id"}';
    END IF;
    IF coalesce(for_tenant, false) AND NOT @extschema@.is_tenant_admin() THEN
        RAISE EXCEPTION 'only an administrator of tenant % can answer a share with the whole tenant',
                        @extschema@.current_tenant()
            USING ERRCODE = '42501',
                  DETAIL = jsonb_build_object('reason', 'not_tenant_admin', 'tenant', @extschema@.current_tenant())::text;
    END IF;
    who := CASE WHEN coalesce(for_tenant, false) THEN 'tenant ' || @extschema@.current_tenant()
                ELSE @extschema@.current_actor() END;
    SELECT * INTO s FROM @extschema@.workflow_share x
     WHERE x.workflow_id = $1 AND x.grantee_tenant = @extschema@.current_tenant()
       AND CASE WHEN coalesce(for_tenant, false) THEN x.grantee IS NULL
                ELSE x.grantee = @extschema@.current_actor() END
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % is not shared with %', $1, who
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'no_share', 'workflow_id', $1)::text;
    END IF;
    IF answer = 'accept' THEN
        IF s.accepted_at IS NULL THEN
            UPDATE @extschema@.workflow_share x SET accepted_at = now(), declined_at = NULL WHERE x.id = s.id;
        END IF;
    ELSIF answer = 'decline' THEN
        IF s.accepted_at IS NOT NULL THEN
            RAISE EXCEPTION 'the share of workflow % with % is accepted; it cannot be declined', $1, who
                USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'share_accepted', 'workflow_id', $1)::text,
                      HINT = 'leave_share() gives up an accepted share.';
        END IF;
        IF s.declined_at IS NULL THEN
            UPDATE @extschema@.workflow_share x SET declined_at = now() WHERE x.id = s.id;
        END IF;
    ELSIF answer = 'leave' THEN
        IF s.accepted_at IS NULL THEN
            RAISE EXCEPTION 'the share of workflow % with % is not accepted; there is nothing to leave', $1, who
                USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'share_not_accepted', 'workflow_id', $1)::text,
                      HINT = 'decline_share() declines an offer.';
        END IF;
        UPDATE @extschema@.workflow_share x SET accepted_at = NULL, declined_at = now() WHERE x.id = s.id;
    ELSE
        RAISE EXCEPTION 'unknown answer to a share: %', answer USING ERRCODE = '22023',
            DETAIL = '{"reason": "invalid_answer"}';
    END IF;
END $$;
COMMENT ON FUNCTION answer_share(bigint, boolean, text) IS
    'Internal: the current actor''s answer (accept, decline, leave) to its share of a workflow, or with for_tenant to the share with its whole tenant (tenant administrator only). Called by accept_share, decline_share and leave_share; not granted to PUBLIC.';
REVOKE EXECUTE ON FUNCTION answer_share(bigint, boolean, text) FROM PUBLIC;

CREATE FUNCTION accept_share(workflow_id bigint, for_tenant boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.answer_share($1, $2, 'accept');
END $$;
COMMENT ON FUNCTION accept_share(bigint, boolean) IS
    'Accepts the share of a workflow with the current actor (an offer, or one it declined or left): from now on it sees the workflow and what hangs off it as the share says. for_tenant: the share with the whole current tenant (tenant administrator only, 42501 not_tenant_admin). P0002 no_share when there is no such share; accepting an accepted share changes nothing.';

CREATE FUNCTION decline_share(workflow_id bigint, for_tenant boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.answer_share($1, $2, 'decline');
END $$;
COMMENT ON FUNCTION decline_share(bigint, boolean) IS
    'Declines an offer of a workflow to the current actor (for_tenant: to the whole current tenant, tenant administrator only): it leaves pending_shares() and stays declined when shared again, until the grantee accepts it. P0002 no_share; 55000 share_accepted for an accepted share (leave_share).';

CREATE FUNCTION leave_share(workflow_id bigint, for_tenant boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.answer_share($1, $2, 'leave');
END $$;
COMMENT ON FUNCTION leave_share(bigint, boolean) IS
    'Gives up an accepted share of a workflow with the current actor (for_tenant: with the whole current tenant, tenant administrator only): the workflow and what hangs off it are no longer seen; the share stays declined until the grantee accepts it again. P0002 no_share; 55000 share_not_accepted when it is not accepted.';

CREATE FUNCTION pending_shares()
    RETURNS TABLE (workflow_id bigint, workflow_name text, tenant text, owner text,
                   grantee_tenant text, grantee text, can_edit boolean, offered_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
       SELECT s.workflow_id, w.name, w.tenant, w.owner, s.grantee_tenant, s.grantee, s.can_edit, s.created_at
         FROM @extschema@.workflow_share s
         JOIN @extschema@.workflow w ON w.id = s.workflow_id
        WHERE s.grantee_tenant = @extschema@.current_tenant()
          AND (s.grantee = @extschema@.current_actor() OR (s.grantee IS NULL AND @extschema@.is_tenant_admin()))
          AND s.accepted_at IS NULL AND s.declined_at IS NULL
        ORDER BY s.created_at, s.id;
END $$;
COMMENT ON FUNCTION pending_shares() IS
    'The offers waiting for the current actor''s answer: shares of other tenants'' workflows with it (and, for a tenant administrator, with its whole tenant) neither accepted nor declined, oldest first, with the workflow''s name, tenant and owner (nothing else of it shows before acceptance). At most share_offer_limit() per sharing tenant.';
-- These run as the tables' owner for whatever actor the session names: the
-- application role's alone (README: Privileges), like the policy helpers.
REVOKE EXECUTE ON FUNCTION accept_share(bigint, boolean), decline_share(bigint, boolean),
    leave_share(bigint, boolean), pending_shares() FROM PUBLIC;

-- The owner column is otherwise immutable (touch_updated_at): the change is
-- announced to the trigger first.  Runs as the tables' owner, to call that
-- announcement and to update a workflow the caller may only administer.
CREATE FUNCTION begin_owner_transfer(workflow_id bigint) RETURNS void
    LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_begin_owner_transfer';
COMMENT ON FUNCTION begin_owner_transfer(bigint) IS
    'Internal: announces, for the current transaction, the one owner change of that workflow touch_updated_at will let through (called by transfer_workflow_ownership only; not granted to PUBLIC).';
CREATE FUNCTION owner_transfer_announced(workflow_id bigint) RETURNS boolean
    LANGUAGE C STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_owner_transfer_announced';
COMMENT ON FUNCTION owner_transfer_announced(bigint) IS
    'Internal: true, once, when this transaction announced the transfer of that workflow (begin_owner_transfer).';
REVOKE EXECUTE ON FUNCTION begin_owner_transfer(bigint) FROM PUBLIC;

CREATE FUNCTION transfer_workflow_ownership(workflow_id bigint, new_owner text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.manageable_workflow($1, 'transfer it');
BEGIN
    IF $2 IS NULL OR @extschema@.blank_identity($2) THEN
        RAISE EXCEPTION 'new_owner must name an actor'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_owner"}';
    END IF;
    IF $2 = w.owner THEN
        RETURN;
    END IF;
    PERFORM @extschema@.begin_owner_transfer(w.id);
    UPDATE @extschema@.workflow x SET owner = $2 WHERE x.id = w.id;
    -- A share with the new owner is now ownership.
    DELETE FROM @extschema@.workflow_share s
     WHERE s.workflow_id = w.id AND s.grantee_tenant = w.tenant AND s.grantee = $2;
END $$;
COMMENT ON FUNCTION transfer_workflow_ownership(bigint, text) IS
    'Makes another actor of the workflow''s tenant its owner (an owner leaving the company). The owner or an administrator of the tenant only (42501); P0002 when the workflow is not visible.';
REVOKE EXECUTE ON FUNCTION transfer_workflow_ownership(bigint, text) FROM PUBLIC;

CREATE FUNCTION assign_workflow(job_id bigint, workflow_id bigint)
    RETURNS @extschema@.job_workflow
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    jw @extschema@.job_workflow;
    w @extschema@.workflow;
    detail text;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "job_id"}';
    END IF;
    w := @extschema@.visible_workflow($2);  -- (22023 for a NULL workflow_id, P0002 when not visible)
    -- Rights before state: the job's current assignment, as the caller sees
    -- it: changing it (even stamping it again) needs edit rights on the
    -- workflow it is on (the policy job_workflow_reassign), said here with a
    -- reason rather than by the policy's bare 42501, and before whether the
    -- target is archived or the job has candidates.  A new job needs only to
    -- see the workflow it is put on (a read-only grantee, an agency, runs its
    -- own jobs on a workflow shared with it).
    SELECT * INTO jw FROM @extschema@.job_workflow j
     WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1;
    IF FOUND AND NOT (jw.workflow_id = ANY (@extschema@.editable_workflow_array())) THEN
        RAISE EXCEPTION 'job % follows workflow %, shared read-only with the current actor: reassigning it needs edit rights', $1, jw.workflow_id
            USING ERRCODE = '42501',
                  DETAIL = jsonb_build_object('reason', 'read_only', 'workflow_id', jw.workflow_id, 'job_id', $1)::text,
                  HINT = 'The workflow''s owner, a grantee with can_edit or a tenant administrator reassigns its jobs.';
    END IF;
    IF w.archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'workflow % is archived; job % cannot be assigned to it', $2, $1
            USING ERRCODE = '55000',
                  DETAIL = jsonb_build_object('reason', 'workflow_archived', 'workflow_id', $2, 'job_id', $1)::text,
                  HINT = 'Unarchive it with unarchive_workflow(), or assign another workflow.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.tenant = @extschema@.current_tenant() AND c.job_id = $1
                  AND c.workflow_id <> $2) THEN
        RAISE EXCEPTION 'job % has candidates in its current workflow; it cannot be reassigned', $1
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'job_has_candidates', 'job_id', $1)::text;
    END IF;
    BEGIN
        INSERT INTO @extschema@.job_workflow AS x (job_id, workflow_id) VALUES ($1, $2)
        ON CONFLICT ON CONSTRAINT job_workflow_job_id_key DO UPDATE
           SET workflow_id = EXCLUDED.workflow_id
        RETURNING * INTO jw;
    EXCEPTION WHEN insufficient_privilege THEN
        -- Only the policy's own refusal (it has no DETAIL) is translated: the
        -- job is the tenant's, on a workflow the caller does not see.
        GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
        IF coalesce(detail, '') <> '' OR jw.id IS NOT NULL THEN
            RAISE;
        END IF;
        RAISE EXCEPTION 'job % follows a workflow the current actor may not edit: reassigning it needs edit rights', $1
            USING ERRCODE = '42501',
                  DETAIL = jsonb_build_object('reason', 'not_editable', 'job_id', $1)::text,
                  HINT = 'The owner of the job''s workflow, a grantee with can_edit or a tenant administrator reassigns it.';
    END;
    RETURN jw;
END $$;
COMMENT ON FUNCTION assign_workflow(bigint, bigint) IS
    'Assigns a visible workflow to a job (or reassigns it while the job has no candidates). Returns the job_workflow row. Changing a job''s assignment needs edit rights on the workflow it follows: 42501 read_only (a workflow shared read-only; workflow_id, job_id), not_editable (one the caller does not see; job_id). 55000 (workflow_archived) for an archived workflow, (job_has_candidates) for a job with candidates in another workflow; 22023 (null_argument) for a NULL job_id; P0002 for a workflow the caller cannot see.';

CREATE FUNCTION clone_workflow(workflow_id bigint, name text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src @extschema@.workflow := @extschema@.visible_workflow($1);
    new_id bigint;
BEGIN
    IF $2 IS NULL THEN
        RAISE EXCEPTION 'name must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "name"}';
    END IF;
    -- The name workflow's CHECK constraint asks for, said before the INSERT
    -- runs into it (a bare 23514 without a reason: newcomer8 #2).
    IF btrim($2) = '' OR length($2) > 200 THEN
        RAISE EXCEPTION 'the name of a copy of workflow % must be 1 to 200 characters and not blank', $1
            USING ERRCODE = '22023',
                  DETAIL = jsonb_build_object('reason', 'invalid_name', 'workflow_id', $1, 'length', length($2))::text;
    END IF;
    INSERT INTO @extschema@.workflow (name, description)
    VALUES ($2, src.description) RETURNING id INTO new_id;

    -- Stages map onto their copies by position, which is unique per workflow.
    INSERT INTO @extschema@.workflow_stage (workflow_id, name, position, kind, config, sla,
                                            auto_advance, on_enter)
    SELECT new_id, s.name, s.position, s.kind, s.config, s.sla, s.auto_advance, s.on_enter
      FROM @extschema@.workflow_stage s WHERE s.workflow_id = $1;

    INSERT INTO @extschema@.stage_rule (stage_id, name, condition, on_fail)
    SELECT n.id, r.name, r.condition, r.on_fail
      FROM @extschema@.stage_rule r
      JOIN @extschema@.workflow_stage o ON o.id = r.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position;

    -- Rule alerts were regenerated by the rule trigger; carry over their edited
    -- messages and severities, then copy the hand-made alerts.
    UPDATE @extschema@.alert a
       SET message = src_alert.message, severity = src_alert.severity
      FROM @extschema@.alert src_alert
      JOIN @extschema@.workflow_stage o ON o.id = src_alert.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position
     WHERE src_alert.rule_id IS NOT NULL AND a.stage_id = n.id
       AND a.rule_path = src_alert.rule_path;
    INSERT INTO @extschema@.alert (stage_id, field_name, source, operator, value, ignore_case, fires_on,
                                   message, severity)
    SELECT n.id, a.field_name, a.source, a.operator, a.value, a.ignore_case, a.fires_on, a.message,
           a.severity
      FROM @extschema@.alert a
      JOIN @extschema@.workflow_stage o ON o.id = a.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position
     WHERE a.rule_id IS NULL
     ORDER BY a.id;
    RETURN new_id;
END $$;
COMMENT ON FUNCTION clone_workflow(bigint, text) IS
    'Copies a visible workflow (stages, rules, alerts) into a new one owned by the actor; returns its id. 22023 (null_argument) for a NULL name, 22023 (invalid_name) for a blank one or one over 200 characters.';

CREATE FUNCTION reorder_stages(workflow_id bigint, stage_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    PERFORM @extschema@.visible_workflow($1, true);
    IF $2 IS NULL THEN
        RAISE EXCEPTION 'stage_ids must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "stage_ids"}';
    END IF;
    SELECT count(*) INTO n FROM @extschema@.workflow_stage s WHERE s.workflow_id = $1;
    IF cardinality($2) <> n
       OR (SELECT count(DISTINCT x) FROM unnest($2) x) <> n
       OR EXISTS (SELECT 1 FROM unnest($2) x
                   WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s
                                                   WHERE s.id = x AND s.workflow_id = $1)) THEN
        RAISE EXCEPTION 'stage_ids must list each of the % stages of workflow % exactly once', n, $1
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'invalid_stage_order', 'workflow_id', $1)::text;
    END IF;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key DEFERRED;
    UPDATE @extschema@.workflow_stage s SET position = o.ord
      FROM unnest($2) WITH ORDINALITY AS o(id, ord)
     WHERE s.id = o.id AND s.position <> o.ord;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key IMMEDIATE;
END $$;
COMMENT ON FUNCTION reorder_stages(bigint, bigint[]) IS
    'Gives the stages of a workflow the positions 1..n in the order listed (22023 invalid_stage_order unless the list is exactly its stages; null_argument for a NULL workflow_id or stage_ids).';

-- Archiving: retire a workflow or a stage that history names instead of
-- deleting it.  No new entrants (the candidate_stage guard refuses a move into
-- an archived stage, and a new candidate or job on an archived workflow, with
-- 55000); history, the candidates standing there and their moves out stay.
-- Editors only (visible_workflow(..., true)), as for the definition itself.
CREATE FUNCTION archive_workflow(workflow_id bigint) RETURNS @extschema@.workflow
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1, true);
BEGIN
    IF w.archived_at IS NOT NULL THEN
        RETURN w;               -- archived already: keeps when
    END IF;
    UPDATE @extschema@.workflow x SET archived_at = now() WHERE x.id = w.id RETURNING * INTO w;
    RETURN w;
END $$;
COMMENT ON FUNCTION archive_workflow(bigint) IS
    'Retires a workflow: no job may be assigned to it and no candidate may enter it (55000, workflow_archived); its history, its jobs and the candidates already in it stay, and they may still move. Editors only (42501 read_only; P0002 when not visible). Returns the workflow row; archiving again keeps the first archived_at.';

CREATE FUNCTION unarchive_workflow(workflow_id bigint) RETURNS @extschema@.workflow
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1, true);
BEGIN
    IF w.archived_at IS NULL THEN
        RETURN w;
    END IF;
    UPDATE @extschema@.workflow x SET archived_at = NULL WHERE x.id = w.id RETURNING * INTO w;
    RETURN w;
END $$;
COMMENT ON FUNCTION unarchive_workflow(bigint) IS
    'Puts an archived workflow back in use (archived_at NULL). Editors only (42501; P0002 when not visible). Returns the workflow row.';

-- The stage as the caller sees it, and its workflow editable (P0002, 42501).
CREATE FUNCTION editable_stage(stage_id bigint) RETURNS @extschema@.workflow_stage
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s @extschema@.workflow_stage;
BEGIN
    PERFORM @extschema@.current_tenant();
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'stage_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "stage_id"}';
    END IF;
    SELECT * INTO s FROM @extschema@.workflow_stage x
     WHERE x.id = $1 AND x.workflow_id = ANY (@extschema@.visible_workflow_array());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stage % not found', $1
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'stage_not_found', 'stage_id', $1)::text;
    END IF;
    PERFORM @extschema@.visible_workflow(s.workflow_id, true);
    RETURN s;
END $$;
COMMENT ON FUNCTION editable_stage(bigint) IS
    'The stage row if the actor sees it (P0002 otherwise) and may edit its workflow (42501 otherwise); 22023 (null_argument) for a NULL stage_id.';

CREATE FUNCTION archive_stage(stage_id bigint) RETURNS @extschema@.workflow_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s @extschema@.workflow_stage := @extschema@.editable_stage($1);
BEGIN
    IF s.archived_at IS NOT NULL THEN
        RETURN s;
    END IF;
    UPDATE @extschema@.workflow_stage x SET archived_at = now() WHERE x.id = s.id RETURNING * INTO s;
    RETURN s;
END $$;
COMMENT ON FUNCTION archive_stage(bigint) IS
    'Retires a stage: no candidate may enter it (55000, stage_archived: a move into it, move_to_next_stage() from the stage before it, a new candidate when it is the first stage, a plain UPDATE); it keeps its position, so it is never skipped silently. Candidates standing in it stay and may leave it. Editors only (42501; P0002 when not visible). Returns the stage row; archiving again keeps the first archived_at.';

CREATE FUNCTION unarchive_stage(stage_id bigint) RETURNS @extschema@.workflow_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s @extschema@.workflow_stage := @extschema@.editable_stage($1);
BEGIN
    IF s.archived_at IS NULL THEN
        RETURN s;
    END IF;
    UPDATE @extschema@.workflow_stage x SET archived_at = NULL WHERE x.id = s.id RETURNING * INTO s;
    RETURN s;
END $$;
COMMENT ON FUNCTION unarchive_stage(bigint) IS
    'Puts an archived stage back in use (archived_at NULL). Editors only (42501; P0002 when not visible). Returns the stage row.';

-- A stage or workflow that history names cannot be deleted (the foreign keys
-- of stage_transition would refuse it anyway): say so, and what to do.  Runs
-- as the tables' owner, so that history the deleting actor does not see (a
-- pipeline of another tenant the workflow is shared with) counts too; what it
-- tells is only that some exists.
CREATE FUNCTION history_keeps_definitions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' OR TG_TABLE_NAME NOT IN ('workflow', 'workflow_stage') THEN
        RAISE EXCEPTION 'history_keeps_definitions() fires only on workflow and workflow_stage'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF TG_TABLE_NAME = 'workflow' THEN
        IF EXISTS (SELECT 1 FROM @extschema@.stage_transition t WHERE t.workflow_id = OLD.id) THEN
            RAISE EXCEPTION 'workflow % has history and cannot be deleted', OLD.id
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = jsonb_build_object('reason', 'workflow_in_history', 'workflow_id', OLD.id)::text,
                      HINT = format('Retire it instead: archive it with archive_workflow(%s).', OLD.id);
        END IF;
    ELSIF EXISTS (SELECT 1 FROM @extschema@.stage_transition t WHERE t.to_stage_id = OLD.id)
          OR EXISTS (SELECT 1 FROM @extschema@.stage_transition t WHERE t.from_stage_id = OLD.id) THEN
        RAISE EXCEPTION 'stage % of workflow % has history and cannot be deleted', OLD.id, OLD.workflow_id
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = jsonb_build_object('reason', 'stage_in_history', 'stage_id', OLD.id,
                                             'workflow_id', OLD.workflow_id)::text,
                  HINT = format('Retire it instead: archive it with archive_stage(%s).', OLD.id);
    END IF;
    RETURN OLD;
END $$;
COMMENT ON FUNCTION history_keeps_definitions() IS
    'BEFORE DELETE trigger on workflow and workflow_stage: one that history (stage_transition) names is not deleted (23503, workflow_in_history / stage_in_history) and the HINT says to archive it.';
CREATE TRIGGER workflow_keeps_history BEFORE DELETE ON workflow
    FOR EACH ROW EXECUTE FUNCTION history_keeps_definitions();
CREATE TRIGGER workflow_stage_keeps_history BEFORE DELETE ON workflow_stage
    FOR EACH ROW EXECUTE FUNCTION history_keeps_definitions();

-- A job's assignment is what its pipeline rows stand on (the foreign key
-- candidate_stage_job_workflow_fk): a job with candidates is neither
-- unassigned nor moved to another workflow, by assign_workflow() or a plain
-- DELETE or UPDATE of job_workflow; refused with the extension's 55000
-- job_has_candidates (the reason assign_workflow() gives) rather than the
-- key's bare 23503.  Runs as the caller: the policy let it change the row, so
-- it sees the pipeline rows of the job (they follow the same workflow).
CREATE FUNCTION job_workflow_keeps_candidates() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> '@extschema@' OR TG_TABLE_NAME <> 'job_workflow' THEN
        RAISE EXCEPTION 'job_workflow_keeps_candidates() fires only on job_workflow'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.workflow_id IS NOT DISTINCT FROM OLD.workflow_id
       AND NEW.job_id IS NOT DISTINCT FROM OLD.job_id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.tenant = OLD.tenant AND c.job_id = OLD.job_id) THEN
        RAISE EXCEPTION 'job % has candidates in workflow %; it cannot be %', OLD.job_id, OLD.workflow_id,
                        CASE TG_OP WHEN 'DELETE' THEN 'unassigned' ELSE 'reassigned' END
            USING ERRCODE = '55000',
                  DETAIL = jsonb_build_object('reason', 'job_has_candidates', 'job_id', OLD.job_id,
                                              'workflow_id', OLD.workflow_id)::text,
                  HINT = 'Take its candidates out first (remove_candidate() or transfer_candidate()); its history stays.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION job_workflow_keeps_candidates() IS
    'BEFORE UPDATE OR DELETE trigger on job_workflow: a job with candidates is neither unassigned nor reassigned to another workflow (55000 job_has_candidates, job_id and workflow_id), whatever the statement.';
CREATE TRIGGER job_workflow_keeps_candidates BEFORE UPDATE OF workflow_id, job_id OR DELETE ON job_workflow
    FOR EACH ROW EXECUTE FUNCTION job_workflow_keeps_candidates();

-- Trigger functions are attached by the extension only: nobody else may
-- attach them to a table of their own (CREATE TRIGGER needs EXECUTE).
REVOKE EXECUTE ON FUNCTION stamp_tenant(), stamp_facts_row(), touch_updated_at(), stage_rule_validate(), alert_validate(),
    stage_rule_sync_alerts(), invalidate_caches(), stage_transition_immutable(),
    history_keeps_definitions(), workflow_share_answer(), job_workflow_keeps_candidates()
    FROM PUBLIC;
