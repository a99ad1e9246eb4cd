-- The row-level security of workflow_ext 0.3.0 before the policies' C check
-- (policy_cache.c): every policy read x = ANY (ARRAY(SELECT f())) or
-- (workflow_id, tenant) IN (SELECT * FROM shared_pipelines()) of the
-- SECURITY DEFINER set-returning PL/pgSQL helpers, and job_tenant(),
-- pipeline_tenant() and visible_workflow() called them too.  Loaded over an
-- installed extension (schema public) by bench/policy_ab.py to measure a move
-- before and after in the same run; bench/sql/policies_current.sql (made by
-- the same script from sql/install) puts the current ones back.  The helpers
-- themselves are gone from the extension (0.3.0 drops them): this file
-- creates them, as they were, after dropping the policies.
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT polname, polrelid::regclass AS rel FROM pg_policy
              WHERE polrelid::regclass::text IN ('workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                                                 'job_workflow', 'candidate_stage', 'stage_transition', 'alert_event',
                                                 'candidate_profile', 'job_profile', 'rejection_reason', 'facts_source')
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.rel);
    END LOOP;
END $$;
CREATE OR REPLACE FUNCTION public.shared_workflow_ids(for_edit boolean DEFAULT false) RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
       SELECT s.workflow_id FROM public.workflow_share s
        WHERE s.grantee_tenant = public.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = public.current_actor())
          AND s.accepted_at IS NOT NULL
          AND (s.can_edit OR NOT for_edit);
END $$;
CREATE OR REPLACE FUNCTION public.visible_workflow_ids() RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
       SELECT w.id FROM public.workflow w
        WHERE w.tenant = public.current_tenant()
          AND (w.owner = public.current_actor() OR public.is_tenant_admin())
       UNION ALL
       SELECT s.workflow_id FROM public.workflow_share s
        WHERE s.grantee_tenant = public.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = public.current_actor())
          AND s.accepted_at IS NOT NULL;
END $$;
CREATE OR REPLACE FUNCTION public.editable_workflow_ids() RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
       SELECT w.id FROM public.workflow w
        WHERE w.tenant = public.current_tenant()
          AND (w.owner = public.current_actor() OR public.is_tenant_admin())
       UNION ALL
       SELECT s.workflow_id FROM public.workflow_share s
        WHERE s.grantee_tenant = public.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = public.current_actor())
          AND s.accepted_at IS NOT NULL AND s.can_edit;
END $$;
CREATE OR REPLACE FUNCTION public.shared_pipelines(for_edit boolean DEFAULT false)
    RETURNS TABLE (workflow_id bigint, tenant text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
       SELECT w.id, w.tenant FROM public.workflow_share s
         JOIN public.workflow w ON w.id = s.workflow_id
        WHERE s.grantee_tenant = public.current_tenant()
          AND (s.grantee IS NULL OR s.grantee = public.current_actor())
          AND s.accepted_at IS NOT NULL
          AND w.tenant <> public.current_tenant()
          AND (s.can_edit OR NOT for_edit);
END $$;
CREATE POLICY workflow_read ON workflow FOR SELECT
    USING ((tenant = public.current_tenant()
            AND (owner = public.current_actor() OR public.is_tenant_admin()))
           OR id = ANY (ARRAY(SELECT public.shared_workflow_ids())));
CREATE POLICY workflow_create ON workflow FOR INSERT
    WITH CHECK (tenant = public.current_tenant() AND owner = public.current_actor());
CREATE POLICY workflow_edit ON workflow FOR UPDATE
    USING ((tenant = public.current_tenant()
            AND (owner = public.current_actor() OR public.is_tenant_admin()))
           OR id = ANY (ARRAY(SELECT public.shared_workflow_ids(true))))
    WITH CHECK ((tenant = public.current_tenant()
                 AND (owner = public.current_actor() OR public.is_tenant_admin()))
                OR id = ANY (ARRAY(SELECT public.shared_workflow_ids(true))));
CREATE POLICY workflow_delete ON workflow FOR DELETE
    USING (tenant = public.current_tenant()
           AND (owner = public.current_actor() OR public.is_tenant_admin()));

CREATE POLICY workflow_share_read ON workflow_share FOR SELECT
    USING ((grantee_tenant = public.current_tenant()
            AND (grantee IS NULL OR grantee = public.current_actor()))
           OR workflow_id IN (SELECT w.id FROM public.workflow w
                               WHERE w.tenant = public.current_tenant()
                                 AND (w.owner = public.current_actor()
                                      OR public.is_tenant_admin())));
CREATE POLICY workflow_share_manage ON workflow_share FOR ALL
    USING (workflow_id IN (SELECT w.id FROM public.workflow w
                            WHERE w.tenant = public.current_tenant()
                              AND (w.owner = public.current_actor()
                                   OR public.is_tenant_admin())))
    WITH CHECK (workflow_id IN (SELECT w.id FROM public.workflow w
                                 WHERE w.tenant = public.current_tenant()
                                   AND (w.owner = public.current_actor()
                                        OR public.is_tenant_admin())));

CREATE POLICY workflow_stage_read ON workflow_stage FOR SELECT
    USING (workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())));
CREATE POLICY workflow_stage_edit ON workflow_stage FOR ALL
    USING (workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids())))
    WITH CHECK (workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids())));

CREATE POLICY stage_rule_read ON stage_rule FOR SELECT
    USING (stage_id IN (SELECT s.id FROM public.workflow_stage s));
CREATE POLICY stage_rule_edit ON stage_rule FOR ALL
    USING (stage_id IN (SELECT s.id FROM public.workflow_stage s
                         WHERE s.workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids()))))
    WITH CHECK (stage_id IN (SELECT s.id FROM public.workflow_stage s
                              WHERE s.workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids()))));

CREATE POLICY alert_read ON alert FOR SELECT
    USING (stage_id IN (SELECT s.id FROM public.workflow_stage s));
CREATE POLICY alert_edit ON alert FOR ALL
    USING (stage_id IN (SELECT s.id FROM public.workflow_stage s
                         WHERE s.workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids()))))
    WITH CHECK (stage_id IN (SELECT s.id FROM public.workflow_stage s
                              WHERE s.workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids()))));

CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (tenant = public.current_tenant()
                AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (tenant = public.current_tenant()
           AND workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids())))
    WITH CHECK (tenant = public.current_tenant()
                AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (tenant = public.current_tenant()
           AND workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids())));

CREATE POLICY candidate_stage_read ON candidate_stage FOR SELECT
    USING ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));
CREATE POLICY candidate_stage_add ON candidate_stage FOR INSERT
    WITH CHECK ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));
CREATE POLICY candidate_stage_move ON candidate_stage FOR UPDATE
    USING ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()))
    WITH CHECK ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));
CREATE POLICY candidate_stage_remove ON candidate_stage FOR DELETE
    USING ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.editable_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines(true)));

CREATE POLICY stage_transition_read ON stage_transition FOR SELECT
    USING (((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()))
           AND (tenant = public.current_tenant() OR NOT warnings @? 'lax $.**.actual'));
CREATE POLICY stage_transition_record ON stage_transition FOR INSERT
    WITH CHECK ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));

CREATE POLICY alert_event_read ON alert_event FOR SELECT
    USING (((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()))
           AND (tenant = public.current_tenant() OR facts = '{}'::jsonb));
CREATE POLICY alert_event_record ON alert_event FOR INSERT
    WITH CHECK ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));
CREATE POLICY alert_event_acknowledge ON alert_event FOR UPDATE
    USING (((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()))
           AND (tenant = public.current_tenant() OR facts = '{}'::jsonb))
    WITH CHECK ((tenant = public.current_tenant() AND workflow_id = ANY (ARRAY(SELECT public.visible_workflow_ids())))
           OR (workflow_id, tenant) IN (SELECT * FROM public.shared_pipelines()));

CREATE POLICY candidate_profile_tenant ON candidate_profile FOR ALL
    USING (tenant = public.current_tenant())
    WITH CHECK (tenant = public.current_tenant());

CREATE POLICY job_profile_tenant ON job_profile FOR ALL
    USING (tenant = public.current_tenant())
    WITH CHECK (tenant = public.current_tenant());

CREATE POLICY rejection_reason_tenant ON rejection_reason FOR ALL
    USING (tenant = public.current_tenant())
    WITH CHECK (tenant = public.current_tenant());

CREATE POLICY facts_source_read ON facts_source FOR SELECT USING (true);

CREATE OR REPLACE FUNCTION job_tenant(job_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- The caller's own tenant's job, seen or not, is never another tenant's:
    -- a share nobody asked for cannot take over the tenant's ids.
    IF EXISTS (SELECT 1 FROM public.job_workflow j
                WHERE j.tenant = public.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM public.job_workflow j
                    WHERE j.tenant = public.current_tenant() AND j.job_id = $1
                      AND j.workflow_id IN (SELECT public.visible_workflow_ids())) THEN
            RETURN public.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(j.tenant ORDER BY j.tenant) INTO found
      FROM public.job_workflow j
     WHERE j.job_id = $1
       AND (j.workflow_id, j.tenant) IN (SELECT * FROM public.shared_pipelines());
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'job % is a job of more than one tenant sharing its workflow with you', $1
        USING ERRCODE = '21000', DETAIL = '{"reason": "ambiguous_job"}',
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
CREATE OR REPLACE FUNCTION pipeline_tenant(job_id bigint, candidate_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- As job_tenant(): a job id of the caller's own tenant is its own.
    IF EXISTS (SELECT 1 FROM public.job_workflow j
                WHERE j.tenant = public.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM public.candidate_stage c
                    WHERE c.tenant = public.current_tenant() AND c.job_id = $1 AND c.candidate_id = $2
                      AND c.workflow_id IN (SELECT public.visible_workflow_ids())) THEN
            RETURN public.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(c.tenant ORDER BY c.tenant) INTO found
      FROM public.candidate_stage c
     WHERE c.job_id = $1 AND c.candidate_id = $2
       AND (c.workflow_id, c.tenant) IN (SELECT * FROM public.shared_pipelines());
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'candidate % is in job % of more than one tenant sharing its workflow with you', $2, $1
        USING ERRCODE = '21000', DETAIL = '{"reason": "ambiguous_job"}',
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
CREATE OR REPLACE FUNCTION visible_workflow(workflow_id bigint, for_edit boolean DEFAULT false)
    RETURNS public.workflow
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w public.workflow;
BEGIN
    PERFORM public.current_tenant();
    -- Spelled out, not left to RLS: the same answer for a role that bypasses
    -- it, and inside transfer_workflow_ownership (SECURITY DEFINER).
    SELECT * INTO w FROM public.workflow x
     WHERE x.id = $1 AND x.id IN (SELECT public.visible_workflow_ids());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % not found', $1
            USING ERRCODE = 'P0002', DETAIL = json_build_object('reason', 'workflow_not_found', 'workflow_id', $1)::text;
    END IF;
    IF for_edit AND w.id NOT IN (SELECT public.editable_workflow_ids()) THEN
        RAISE EXCEPTION 'workflow % is shared read-only with the current actor', $1
            USING ERRCODE = '42501', DETAIL = '{"reason": "read_only"}';
    END IF;
    RETURN w;
END $$;
