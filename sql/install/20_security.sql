-- Row-level security: an actor sees the workflows it owns or that are shared
-- with it, and everything that hangs off them; it edits those it owns or may
-- edit.  The helper functions are SECURITY DEFINER so that the policies of
-- workflow and workflow_share do not recurse into each other.

-- The workflows shared with the actor (all, or only those it may edit).
CREATE FUNCTION shared_workflow_ids(for_edit boolean DEFAULT false) RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT s.workflow_id FROM @extschema@.workflow_share s
         WHERE s.grantee = @extschema@.current_actor() AND (s.can_edit OR NOT for_edit)
    $$;
COMMENT ON FUNCTION shared_workflow_ids(boolean) IS
    'Ids of the workflows shared with the current actor (with for_edit: only with can_edit).';

CREATE FUNCTION visible_workflow_ids() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT w.id FROM @extschema@.workflow w WHERE w.owner = @extschema@.current_actor()
        UNION ALL
        SELECT s.workflow_id FROM @extschema@.workflow_share s
         WHERE s.grantee = @extschema@.current_actor()
    $$;
COMMENT ON FUNCTION visible_workflow_ids() IS
    'Ids of the workflows the current actor owns or that are shared with it (used by the RLS policies).';

CREATE FUNCTION editable_workflow_ids() RETURNS SETOF bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT w.id FROM @extschema@.workflow w WHERE w.owner = @extschema@.current_actor()
        UNION ALL
        SELECT s.workflow_id FROM @extschema@.workflow_share s
         WHERE s.grantee = @extschema@.current_actor() AND s.can_edit
    $$;
COMMENT ON FUNCTION editable_workflow_ids() IS
    'Ids of the workflows the current actor owns or may edit through a share with can_edit.';

-- The workflow policies test the row's own owner, so that INSERT ... RETURNING
-- (which must pass the SELECT policy) sees the row it has just created.
ALTER TABLE workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_read ON workflow FOR SELECT
    USING (owner = @extschema@.current_actor()
           OR id IN (SELECT @extschema@.shared_workflow_ids()));
CREATE POLICY workflow_create ON workflow FOR INSERT
    WITH CHECK (owner = @extschema@.current_actor());
CREATE POLICY workflow_edit ON workflow FOR UPDATE
    USING (owner = @extschema@.current_actor()
           OR id IN (SELECT @extschema@.shared_workflow_ids(true)))
    WITH CHECK (owner = @extschema@.current_actor()
                OR id IN (SELECT @extschema@.shared_workflow_ids(true)));
CREATE POLICY workflow_delete ON workflow FOR DELETE
    USING (owner = @extschema@.current_actor());

ALTER TABLE workflow_share ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_share_read ON workflow_share FOR SELECT
    USING (grantee = @extschema@.current_actor()
           OR workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                               WHERE w.owner = @extschema@.current_actor()));
CREATE POLICY workflow_share_manage ON workflow_share FOR ALL
    USING (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                            WHERE w.owner = @extschema@.current_actor()))
    WITH CHECK (workflow_id IN (SELECT w.id FROM @extschema@.workflow w
                                 WHERE w.owner = @extschema@.current_actor()));

ALTER TABLE workflow_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY workflow_stage_read ON workflow_stage FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY workflow_stage_edit ON workflow_stage FOR ALL
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

ALTER TABLE stage_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_rule_read ON stage_rule FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY stage_rule_edit ON stage_rule FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())));

ALTER TABLE alert ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_read ON alert FOR SELECT
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s));
CREATE POLICY alert_edit ON alert FOR ALL
    USING (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                         WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())))
    WITH CHECK (stage_id IN (SELECT s.id FROM @extschema@.workflow_stage s
                              WHERE s.workflow_id IN (SELECT @extschema@.editable_workflow_ids())));

-- Using a workflow (assigning jobs, moving candidates) needs only visibility.
ALTER TABLE job_workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_workflow_use ON job_workflow FOR ALL
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

ALTER TABLE candidate_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_stage_use ON candidate_stage FOR ALL
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

ALTER TABLE stage_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_transition_read ON stage_transition FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

ALTER TABLE alert_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_event_read ON alert_event FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

-- A profile is the owner's, and readable by whoever sees the candidate in a pipeline.
ALTER TABLE candidate_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_profile_use ON candidate_profile FOR ALL
    USING (owner = @extschema@.current_actor()
           OR EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                       WHERE cs.candidate_id = candidate_profile.candidate_id))
    WITH CHECK (owner = @extschema@.current_actor()
                OR EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                            WHERE cs.candidate_id = candidate_profile.candidate_id));

ALTER TABLE facts_source ENABLE ROW LEVEL SECURITY;
CREATE POLICY facts_source_read ON facts_source FOR SELECT USING (true);

-- Privileges: RLS decides which rows; these decide which statements.  History
-- is written only by the extension's SECURITY DEFINER triggers and functions.
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
    alert, job_workflow, candidate_profile, candidate_stage TO PUBLIC;
GRANT SELECT ON stage_transition, alert_event, facts_source TO PUBLIC;
GRANT USAGE, SELECT ON SEQUENCE workflow_id_seq, workflow_share_id_seq, workflow_stage_id_seq,
    stage_rule_id_seq, alert_id_seq, job_workflow_id_seq, candidate_profile_id_seq,
    candidate_stage_id_seq TO PUBLIC;
