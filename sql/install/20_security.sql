-- Row-level security.  Every row is a tenant's (an organization's): no
-- policy lets anything of one tenant reach another's actors except a
-- workflow shared across tenants, whose definitions open to the grantees
-- once they accept the share (a pending offer gives nothing: the checks
-- below read accepted shares only, through workflow_share_accepted_idx,
-- whose size the grantees decide).
-- Within a tenant, the original REST API's rules: an actor sees the
-- workflows it created or that are shared with it (or with its whole
-- tenant), and everything that hangs off them; it edits those it owns or may
-- edit; the tenant's administrators (workflow_ext.tenant_admin) see and edit
-- all of the tenant's.  Candidate and job facts are the tenant's, the same
-- for every actor of it.  The policies' checks read workflow and
-- workflow_share below SQL (policy_cache.c), so that the policies of the two
-- tables do not recurse into each other.

-- What the policies call: which workflows the actor sees (those of its
-- tenant it owns, all of them for the tenant's administrators, and those an
-- accepted share names it or its whole tenant for), which it may edit (the
-- same, shares with can_edit only), and whose pipelines a share from another
-- tenant opens to it.  Computed in C by direct index probes of workflow and
-- workflow_share (nothing a user can define runs) and kept while nothing they
-- depend on can change: the tenant, the actor, the tenant_admin claim, the
-- statement's snapshot and this transaction's own writes to the two tables
-- (policy_cache.c).  Not set-returning and not SECURITY DEFINER: x = ANY (visible_workflow_array())
-- is one call per scan where x is an index column (an index condition, so
-- other tenants' rows are never read) and a cached answer per row otherwise.
CREATE FUNCTION visible_workflow_array() RETURNS bigint[]
    LANGUAGE C STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'wf_visible_workflow_array';
COMMENT ON FUNCTION visible_workflow_array() IS
    'Ids of the workflows the current actor owns, administers (tenant_admin) or that are shared with it or its tenant and accepted, as one sorted array computed once per statement snapshot (used by the RLS policies).';
CREATE FUNCTION editable_workflow_array() RETURNS bigint[]
    LANGUAGE C STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'wf_editable_workflow_array';
COMMENT ON FUNCTION editable_workflow_array() IS
    'Ids of the workflows the current actor owns, administers (tenant_admin) or may edit through an accepted share with can_edit, as one sorted array computed once per statement snapshot (used by the RLS policies).';
CREATE FUNCTION shared_workflow_array(for_edit boolean DEFAULT false) RETURNS bigint[]
    LANGUAGE C STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'wf_shared_workflow_array';
COMMENT ON FUNCTION shared_workflow_array(boolean) IS
    'Ids of the workflows shared with the current actor or with its whole tenant, accepted shares only (with for_edit: only with can_edit), as one sorted array computed once per statement snapshot (used by the RLS policies).';
CREATE FUNCTION shared_pipeline(workflow_id bigint, tenant text, for_edit boolean DEFAULT false) RETURNS boolean
    LANGUAGE C STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'wf_shared_pipeline';
COMMENT ON FUNCTION shared_pipeline(bigint, text, boolean) IS
    'True when tenant is another tenant than the current one, owns workflow workflow_id and shares it with the current actor or tenant (an accepted share; with for_edit: with can_edit): that tenant''s pipelines (rows, history, events) open to the caller. A lookup in the answers computed once per statement snapshot (used by the RLS policies).';
CREATE FUNCTION own_pipeline(workflow_id bigint, tenant text, for_edit boolean DEFAULT false) RETURNS boolean
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'wf_own_pipeline';
COMMENT ON FUNCTION own_pipeline(bigint, text, boolean) IS
    'True when tenant is the current tenant and workflow_id = ANY (visible_workflow_array()) (with for_edit: editable_workflow_array()): a binary search of the answer kept per statement snapshot, for the policies of the pipeline tables, which test it row by row.';
CREATE FUNCTION policy_cache_written() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_policy_cache_written';
COMMENT ON FUNCTION policy_cache_written() IS
    'Statement trigger (BEFORE and AFTER) on workflow and workflow_share: the transaction changes what the policies read, so the policy answers are kept per command from then on (each statement sees the changes of the ones before it; a volatile function a writing statement calls sees the rows it has written so far).';
-- BEFORE as well as AFTER: a volatile function the writing statement calls
-- (RETURNING, a row trigger) runs at a newer command id and sees the rows
-- written so far; from the statement's start the answers are kept per command.
CREATE TRIGGER workflow_policy_cache_before BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow
    FOR EACH STATEMENT EXECUTE FUNCTION policy_cache_written();
CREATE TRIGGER workflow_share_policy_cache_before BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_share
    FOR EACH STATEMENT EXECUTE FUNCTION policy_cache_written();
CREATE TRIGGER workflow_policy_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow
    FOR EACH STATEMENT EXECUTE FUNCTION policy_cache_written();
CREATE TRIGGER workflow_share_policy_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_share
    FOR EACH STATEMENT EXECUTE FUNCTION policy_cache_written();

-- The workflow policies test the row's own columns, so that INSERT ...
-- RETURNING (which must pass the SELECT policy) sees the row it has just created.
ALTER TABLE workflow ENABLE ROW LEVEL SECURITY;
-- The helpers are read as one array (x = ANY (shared_workflow_array())),
-- not as a hashed subplan (x IN (SELECT f())): the array is an index condition,
-- so where the other arm is one too (workflow: the tenant's own condition)
-- the plan is a BitmapOr of two index scans and other tenants' rows are
-- never read or filtered: their number makes no tenant's list slower and
-- shows in no EXPLAIN of it.
CREATE POLICY workflow_read ON workflow FOR SELECT
    USING ((tenant = @extschema@.current_tenant()
            AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
           OR id = ANY (@extschema@.shared_workflow_array()));
CREATE POLICY workflow_create ON workflow FOR INSERT
    WITH CHECK (tenant = @extschema@.current_tenant() AND owner = @extschema@.current_actor());
CREATE POLICY workflow_edit ON workflow FOR UPDATE
    USING ((tenant = @extschema@.current_tenant()
            AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
           OR id = ANY (@extschema@.shared_workflow_array(true)))
    WITH CHECK ((tenant = @extschema@.current_tenant()
                 AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()))
                OR id = ANY (@extschema@.shared_workflow_array(true)));
CREATE POLICY workflow_delete ON workflow FOR DELETE
    USING (tenant = @extschema@.current_tenant()
           AND (owner = @extschema@.current_actor() OR @extschema@.is_tenant_admin()));

-- A share is seen by its grantees and managed by the workflow's owner and
-- the owner's tenant's administrators.
ALTER TABLE workflow_share ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_share_read ON workflow_share FOR SELECT
    USING ((grantee_tenant = @extschema@.current_tenant()
            AND (grantee IS NULL OR grantee = @extschema@.current_actor()))
           OR workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                               WHERE w.tenant = @extschema@.current_tenant()
                                 AND (w.owner = @extschema@.current_actor()
                                      OR @extschema@.is_tenant_admin())));
CREATE POLICY workflow_share_manage ON workflow_share FOR ALL
    USING (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                            WHERE w.tenant = @extschema@.current_tenant()
                              AND (w.owner = @extschema@.current_actor()
                                   OR @extschema@.is_tenant_admin())))
    WITH CHECK (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                                 WHERE w.tenant = @extschema@.current_tenant()
                                   AND (w.owner = @extschema@.current_actor()
                                        OR @extschema@.is_tenant_admin())));

ALTER TABLE workflow_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_stage_read ON workflow_stage FOR SELECT
    USING (workflow_id = ANY (@extschema@.visible_workflow_array()));
CREATE POLICY workflow_stage_edit ON workflow_stage FOR ALL
    USING (workflow_id = ANY (@extschema@.editable_workflow_array()))
    WITH CHECK (workflow_id = ANY (@extschema@.editable_workflow_array()));

ALTER TABLE stage_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_rule_read ON stage_rule FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY stage_rule_edit ON stage_rule FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id = ANY (@extschema@.editable_workflow_array())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id = ANY (@extschema@.editable_workflow_array())));

ALTER TABLE alert ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_read ON alert FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY alert_edit ON alert FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id = ANY (@extschema@.editable_workflow_array())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id = ANY (@extschema@.editable_workflow_array())));

-- Jobs and pipelines belong to their tenant, and open with their workflow:
-- to the tenant's actors who see it, and to the actors of another tenant the
-- owning tenant shares it with (an agency working on the tenant's jobs: rows,
-- history and events, never the tenant's candidate facts -- a workflow
-- shared across tenants records no fact values, pipeline_record.c).  A job is assigned in
-- one's own tenant.  Using a workflow (assigning a job to it, moving
-- candidates) needs only visibility; changing or removing a job's
-- assignment, or removing a candidate from a pipeline, needs edit rights on
-- the workflow they are in.
-- Their policies test own_pipeline(workflow_id, tenant), not workflow_id =
-- ANY (visible_workflow_array()): no index condition either way (the other
-- arm, shared_pipeline(), is none), and row by row a binary search, where
-- "= ANY" compares with every element (a tenant administrator's thousands).
-- Another tenant's workflow shared with the caller (shared_pipeline()) opens
-- only the owning tenant's pipelines; the grantee's own pipelines on that
-- workflow stay the grantee's.
ALTER TABLE job_workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (tenant = @extschema@.current_tenant()
                AND @extschema@.own_pipeline(workflow_id, tenant));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (tenant = @extschema@.current_tenant()
           AND @extschema@.own_pipeline(workflow_id, tenant, true))
    WITH CHECK (tenant = @extschema@.current_tenant()
                AND @extschema@.own_pipeline(workflow_id, tenant));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (tenant = @extschema@.current_tenant()
           AND @extschema@.own_pipeline(workflow_id, tenant, true));

ALTER TABLE candidate_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_stage_read ON candidate_stage FOR SELECT
    USING ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));
-- Only the job's own tenant enters candidates into its jobs: a share opens
-- another tenant's pipelines to moves, never to new candidates (candidate ids
-- are the job's tenant's; the guard trigger refuses first, 42501
-- other_tenant_job, and this policy holds whatever trigger runs).
CREATE POLICY candidate_stage_add ON candidate_stage FOR INSERT
    WITH CHECK (tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant));
CREATE POLICY candidate_stage_move ON candidate_stage FOR UPDATE
    USING ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant))
    WITH CHECK ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));
CREATE POLICY candidate_stage_remove ON candidate_stage FOR DELETE
    USING ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant, true))
           OR @extschema@.shared_pipeline(workflow_id, tenant, true));

-- History: read with the pipeline; written only through the extension's code
-- (history_write_guard), as the caller, for a pipeline the caller sees.  A
-- row that records fact values (written before its workflow was shared with
-- another tenant) stays its tenant's: another tenant's grantees see only
-- rows without them.  So does a transfer's row that names a job the other
-- tenant does not see (related_job_id: a job on a workflow the share does
-- not open; written before the share -- a workflow shared across tenants
-- records only a job on the same workflow, pipeline_record.c); the job is
-- looked up in job_workflow under the caller's own policies.
ALTER TABLE stage_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_transition_read ON stage_transition FOR SELECT
    USING (((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant))
           AND (tenant = @extschema@.current_tenant()
                OR (NOT warnings @? 'lax $.**.actual'
                    AND (related_job_id IS NULL
                         OR EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                                     WHERE j.tenant = stage_transition.tenant
                                       AND j.job_id = stage_transition.related_job_id)))));
CREATE POLICY stage_transition_record ON stage_transition FOR INSERT
    WITH CHECK ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));

-- Stage visit rows: the history of the caller's own tenant on a workflow the
-- caller sees (stage_transition_read's first branch; each visit is derived
-- from two history rows of the pipeline, all of which that branch shows).
-- Another tenant's pipelines opened by a share are read through
-- stage_transition, whose policy may hide some of their rows.  The tenant is
-- compared with one value per statement (an init plan), not a call per row.
ALTER TABLE stage_visit_row ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_visit_row_read ON stage_visit_row FOR SELECT
    USING (tenant = (SELECT @extschema@.current_tenant())
           AND workflow_id = ANY (@extschema@.visible_workflow_array()));
-- Their summaries (compact_stage_visits): the same rows' rule.
ALTER TABLE stage_visit_summary ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_visit_summary_read ON stage_visit_summary FOR SELECT
    USING (tenant = (SELECT @extschema@.current_tenant())
           AND workflow_id = ANY (@extschema@.visible_workflow_array()));

ALTER TABLE alert_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_event_read ON alert_event FOR SELECT
    USING (((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant))
           AND (tenant = @extschema@.current_tenant() OR facts = '{}'::jsonb));
CREATE POLICY alert_event_record ON alert_event FOR INSERT
    WITH CHECK ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));
CREATE POLICY alert_event_acknowledge ON alert_event FOR UPDATE
    USING (((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant))
           AND (tenant = @extschema@.current_tenant() OR facts = '{}'::jsonb))
    WITH CHECK ((tenant = @extschema@.current_tenant() AND @extschema@.own_pipeline(workflow_id, tenant))
           OR @extschema@.shared_pipeline(workflow_id, tenant));

-- Which tenant's job an id names for the caller: its own tenant's, else the
-- one job of that id among the pipelines shared with it from other tenants.
-- Ids are the application's within a tenant, so an agency working for two
-- clients that both use the id must be told which (21000).
CREATE FUNCTION job_tenant(job_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- The caller's own tenant's job, seen or not, is never another tenant's:
    -- a share nobody asked for cannot take over the tenant's ids.
    IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                    WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1
                      AND j.workflow_id = ANY (@extschema@.visible_workflow_array())) THEN
            RETURN @extschema@.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(j.tenant ORDER BY j.tenant) INTO found
      FROM @extschema@.job_workflow j
     WHERE j.job_id = $1
       AND @extschema@.shared_pipeline(j.workflow_id, j.tenant);
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'job % is a job of more than one tenant sharing its workflow with you', $1
        USING ERRCODE = '21000', DETAIL = jsonb_build_object('reason', 'ambiguous_job', 'job_id', $1)::text,
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
-- The same for a pipeline row: the caller's own tenant's (job, candidate),
-- else the one such row shared with it from another tenant.
CREATE FUNCTION pipeline_tenant(job_id bigint, candidate_id bigint) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found text[];
BEGIN
    -- As job_tenant(): a job id of the caller's own tenant is its own.
    IF EXISTS (SELECT 1 FROM @extschema@.job_workflow j
                WHERE j.tenant = @extschema@.current_tenant() AND j.job_id = $1) THEN
        IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                    WHERE c.tenant = @extschema@.current_tenant() AND c.job_id = $1 AND c.candidate_id = $2
                      AND c.workflow_id = ANY (@extschema@.visible_workflow_array())) THEN
            RETURN @extschema@.current_tenant();
        END IF;
        RETURN NULL;
    END IF;
    SELECT array_agg(c.tenant ORDER BY c.tenant) INTO found
      FROM @extschema@.candidate_stage c
     WHERE c.job_id = $1 AND c.candidate_id = $2
       AND @extschema@.shared_pipeline(c.workflow_id, c.tenant);
    IF found IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(found) = 1 THEN
        RETURN found[1];
    END IF;
    RAISE EXCEPTION 'candidate % is in job % of more than one tenant sharing its workflow with you', $2, $1
        USING ERRCODE = '21000', DETAIL = jsonb_build_object('reason', 'ambiguous_job', 'candidate_id', $2, 'job_id', $1)::text,
              HINT = 'Name the row with its tenant in a plain statement: UPDATE candidate_stage ... WHERE job_id = ... AND candidate_id = ... AND tenant = ...';
END $$;
COMMENT ON FUNCTION pipeline_tenant(bigint, bigint) IS
    'The tenant whose pipeline row (job_id, candidate_id) the caller means: its own tenant''s, else the one visible row shared from another tenant; NULL when none; 21000 when two other tenants'' shared rows match.';

COMMENT ON FUNCTION job_tenant(bigint) IS
    'The tenant whose job job_id names for the caller: the current tenant''s job, else the one visible job of that id shared from another tenant; NULL when none; 21000 when two other tenants'' shared jobs have that id.';

-- Facts are the tenant's: every actor of it reads and writes them, the same
-- for all (a rule gives the same answer whoever moves the candidate).
ALTER TABLE candidate_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_profile_tenant ON candidate_profile FOR ALL
    USING (tenant = @extschema@.current_tenant())
    WITH CHECK (tenant = @extschema@.current_tenant());

ALTER TABLE job_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_profile_tenant ON job_profile FOR ALL
    USING (tenant = @extschema@.current_tenant())
    WITH CHECK (tenant = @extschema@.current_tenant());

-- The catalogue of rejection and withdrawal reasons is the tenant's, like
-- its facts: every actor of it reads it and adds codes.
ALTER TABLE rejection_reason ENABLE ROW LEVEL SECURITY;
CREATE POLICY rejection_reason_tenant ON rejection_reason FOR ALL
    USING (tenant = @extschema@.current_tenant())
    WITH CHECK (tenant = @extschema@.current_tenant());

ALTER TABLE facts_source ENABLE ROW LEVEL SECURITY;
CREATE POLICY facts_source_read ON facts_source FOR SELECT USING (true);

-- Privileges: the extension grants nothing to PUBLIC on its tables, views and
-- sequences (README: Privileges gives the one grant set of the application
-- role).  The policies' checks read the tables whatever the caller's rights
-- (job_tenant() and pipeline_tenant() run as the owner) and answer for any
-- actor or tenant a caller names: only the application role may call them
-- (the policies call them as the querying role).
REVOKE EXECUTE ON FUNCTION job_tenant(bigint), pipeline_tenant(bigint, bigint),
    visible_workflow_array(), editable_workflow_array(), shared_workflow_array(boolean),
    shared_pipeline(bigint, text, boolean), own_pipeline(bigint, text, boolean), policy_cache_written() FROM PUBLIC;
-- (A no-op in a fresh install; the update from 0.2.0, which granted them to
-- PUBLIC, withdraws them here.)
REVOKE ALL ON TABLE workflow, workflow_share, workflow_stage, stage_rule, alert, job_workflow,
    candidate_profile, job_profile, rejection_reason, candidate_stage, stage_transition, alert_event, facts_source,
    stage_visit_row, stage_visit_summary FROM PUBLIC;
REVOKE ALL ON SEQUENCE workflow_id_seq, workflow_share_id_seq, workflow_stage_id_seq, stage_rule_id_seq,
    alert_id_seq, job_workflow_id_seq, candidate_profile_id_seq, job_profile_id_seq, rejection_reason_id_seq, candidate_stage_id_seq,
    stage_transition_id_seq, alert_event_id_seq FROM PUBLIC;
