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

-- Is the workflow, one the current actor sees, owned by this actor (not
-- necessarily the current one)?  Used by the profile policy: a profile opens
-- only through its owner's own workflows, since anyone may share a workflow of
-- theirs with anyone.  Says nothing of workflows the caller cannot see.
CREATE FUNCTION workflow_owned_by(workflow_id bigint, actor text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT EXISTS (SELECT 1 FROM @extschema@.workflow w
                        WHERE w.id = $1 AND w.owner = $2
                          AND w.id IN (SELECT @extschema@.visible_workflow_ids()))
    $$;
COMMENT ON FUNCTION workflow_owned_by(bigint, text) IS
    'True when the workflow is owned by the actor named and the current actor sees it (used by the candidate_profile policy; answers nothing about workflows the caller cannot see).';

-- The profile a rule sees for a candidate in a pipeline: the one its
-- workflow's owner owns (src/pg/facts_source.c).  SECURITY DEFINER so that
-- it also answers while the candidate enters the workflow (the profile
-- policy opens a profile through a pipeline row); only for a workflow the
-- caller sees, and only what the policy would open once the row exists.
CREATE FUNCTION pipeline_profile_attributes(candidate_id bigint, workflow_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- plpgsql, not sql: its plan is kept across calls (one per move).  The
    -- visibility test is visible_workflow_ids() spelled out for one workflow:
    -- that SQL function, not inlinable, was parsed and planned on every call.
    -- The profile speaks in this workflow only where its owner put the
    -- candidate (or is putting them now: no row yet): a candidate id brought
    -- in by a grantee has no facts, whoever moves or sweeps it, so its
    -- history and alert events never copy the owner's profile.
    RETURN (SELECT p.attributes
              FROM @extschema@.candidate_profile p
              JOIN @extschema@.workflow w ON w.owner = p.owner
             WHERE p.candidate_id = $1 AND w.id = $2
               AND (w.owner = @extschema@.current_actor()
                    OR EXISTS (SELECT 1 FROM @extschema@.workflow_share s
                                WHERE s.workflow_id = w.id AND s.grantee = @extschema@.current_actor())
                    OR (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r
                         WHERE r.rolname = @extschema@.invoking_role()))
               AND (EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                             WHERE cs.candidate_id = $1 AND cs.workflow_id = w.id
                               AND cs.added_by = w.owner)
                    OR (w.owner = @extschema@.current_actor()
                        AND NOT EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                                         WHERE cs.candidate_id = $1 AND cs.workflow_id = w.id))));
END $$;
COMMENT ON FUNCTION pipeline_profile_attributes(bigint, bigint) IS
    'The attributes of the candidate''s profile owned by the workflow''s owner, if the current actor sees the workflow (or the role bypasses row-level security) and the owner put the candidate into that workflow (or is adding them now); NULL otherwise. The facts rules and alerts see in that pipeline.';

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

-- Using a workflow (assigning a job to it, moving candidates) needs only
-- visibility; changing or removing a job's assignment, or removing a
-- candidate from a pipeline, needs edit rights on the workflow they are in.
ALTER TABLE job_workflow ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

ALTER TABLE candidate_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_stage_read ON candidate_stage FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_add ON candidate_stage FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_move ON candidate_stage FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_remove ON candidate_stage FOR DELETE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

-- History: read with the workflow; written only through the extension's code
-- (history_write_guard), as the caller, for a workflow the caller sees.
ALTER TABLE stage_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY stage_transition_read ON stage_transition FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY stage_transition_record ON stage_transition FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

ALTER TABLE alert_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_event_read ON alert_event FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY alert_event_record ON alert_event FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY alert_event_acknowledge ON alert_event FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));

-- A profile belongs to its owner, who alone changes it.  Others read it only
-- through a workflow of the profile's owner that they see and that holds the
-- candidate because the owner put them there (the owner's team): putting a
-- candidate id into one's own pipeline, into a pipeline shared with one, or
-- sharing one's own workflow with the owner, opens nothing.
ALTER TABLE candidate_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY candidate_profile_read ON candidate_profile FOR SELECT
    USING (owner = @extschema@.current_actor()
           OR EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                       WHERE cs.candidate_id = candidate_profile.candidate_id
                         AND cs.added_by = candidate_profile.owner
                         AND @extschema@.workflow_owned_by(cs.workflow_id, candidate_profile.owner)));
CREATE POLICY candidate_profile_create ON candidate_profile FOR INSERT
    WITH CHECK (owner = @extschema@.current_actor());
CREATE POLICY candidate_profile_change ON candidate_profile FOR UPDATE
    USING (owner = @extschema@.current_actor())
    WITH CHECK (owner = @extschema@.current_actor());
CREATE POLICY candidate_profile_remove ON candidate_profile FOR DELETE
    USING (owner = @extschema@.current_actor());

ALTER TABLE facts_source ENABLE ROW LEVEL SECURITY;
CREATE POLICY facts_source_read ON facts_source FOR SELECT USING (true);

-- Privileges: RLS decides which rows; these decide which statements.  The
-- pipeline runs with the caller's rights, so history is insertable, but only
-- the extension's code gets a row past history_write_guard.  Never granted:
-- TRIGGER, TRUNCATE, REFERENCES (README: Security).
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow, workflow_share, workflow_stage, stage_rule,
    alert, job_workflow, candidate_profile, candidate_stage TO PUBLIC;
GRANT SELECT, INSERT ON stage_transition, alert_event TO PUBLIC;
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO PUBLIC;
GRANT SELECT ON facts_source TO PUBLIC;
-- USAGE only: SELECT on a sequence would show every tenant's count.
GRANT USAGE ON SEQUENCE workflow_id_seq, workflow_share_id_seq, workflow_stage_id_seq,
    stage_rule_id_seq, alert_id_seq, job_workflow_id_seq, candidate_profile_id_seq,
    candidate_stage_id_seq TO PUBLIC;
