\echo Use "CREATE EXTENSION workflow_ext" to load this file. \quit
-- The actor: who is acting, as the application says (workflow_ext.actor) or
-- else the current role.  Everything else is keyed on it.

-- No SET search_path here: neither function looks up a name, and the RLS
-- policies call current_actor() per row.
CREATE FUNCTION current_actor() RETURNS text
    LANGUAGE C STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_current_actor';
COMMENT ON FUNCTION current_actor() IS
    'The acting user: workflow_ext.actor when set, else the current role. Raises 42501 when workflow_ext.require_actor is on and no actor is set.';

CREATE FUNCTION require_actor_trigger() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_require_actor_trigger';
COMMENT ON FUNCTION require_actor_trigger() IS
    'Statement trigger on every table: refuses writes with 42501 when workflow_ext.require_actor is on and no actor is set (superusers bypass RLS, so the policies alone would not).';

CREATE FUNCTION invoking_role() RETURNS name
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invoking_role';
COMMENT ON FUNCTION invoking_role() IS
    'The role that called in, unchanged inside SECURITY DEFINER functions (used for owner-only checks).';
-- Tables of the data model (README: Tables).  Every table has a single
-- bigint id; tables that grow with candidates carry candidate_id in their keys.

CREATE TABLE workflow (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description text NOT NULL DEFAULT '',
    owner       text NOT NULL DEFAULT @extschema@.current_actor() CHECK (owner <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_owner_idx ON workflow (owner);
COMMENT ON TABLE workflow IS 'A reusable hiring process: ordered stages, each with an optional rule and alerts. Visible to its owner and grantees.';
COMMENT ON COLUMN workflow.owner IS 'The actor who created the workflow (workflow_ext.actor or the role); only the owner may share or delete it.';

CREATE TABLE workflow_share (
    id          bigserial PRIMARY KEY,
    workflow_id bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    grantee     text NOT NULL CHECK (grantee <> ''),
    can_edit    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_share_workflow_grantee_key UNIQUE (workflow_id, grantee)
);
CREATE INDEX workflow_share_grantee_idx ON workflow_share (grantee);
COMMENT ON TABLE workflow_share IS 'A workflow shared with another actor; can_edit lets the grantee change its definition.';
COMMENT ON COLUMN workflow_share.grantee IS 'The actor the workflow is shared with, as workflow_ext.actor names it.';
COMMENT ON COLUMN workflow_share.can_edit IS 'When true the grantee may edit stages, rules and alerts; otherwise read and move candidates only.';

CREATE TABLE workflow_stage (
    id          bigserial PRIMARY KEY,
    workflow_id bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    position    integer NOT NULL CHECK (position >= 1),
    kind        text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'hired')),
    config      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    sla         interval CHECK (sla > interval '0'),
    CONSTRAINT workflow_stage_position_key UNIQUE (workflow_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT workflow_stage_workflow_id_id_key UNIQUE (workflow_id, id)
);
COMMENT ON TABLE workflow_stage IS 'One ordered stage of a workflow. The next stage is the one with the next higher position.';
COMMENT ON COLUMN workflow_stage.position IS 'Order within the workflow, from 1; unique per workflow (deferrable, so reorder_stages can permute).';
COMMENT ON COLUMN workflow_stage.kind IS '''hired'': entering this stage sets the candidate''s status to hired.';
COMMENT ON COLUMN workflow_stage.config IS 'Free-form stage configuration for the application (a JSON object).';
COMMENT ON COLUMN workflow_stage.sla IS 'Time a candidate may stay in this stage before raise_overdue_alerts() raises an event; NULL for none.';

CREATE TABLE stage_rule (
    id         bigserial PRIMARY KEY,
    stage_id   bigint NOT NULL UNIQUE REFERENCES workflow_stage (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    condition  jsonb NOT NULL,
    on_fail    text NOT NULL DEFAULT 'block' CHECK (on_fail IN ('block', 'warn')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stage_rule_id_stage_id_key UNIQUE (id, stage_id)
);
COMMENT ON TABLE stage_rule IS 'The validation rule of a stage (at most one), checked against a candidate''s facts on every move into the stage.';
COMMENT ON COLUMN stage_rule.condition IS 'A condition tree (README: condition language), validated on write: 22023 with the JSON path when malformed.';
COMMENT ON COLUMN stage_rule.on_fail IS '''block'': a failing move is refused with 23514; ''warn'': the move happens and the rule''s mismatch alerts fire.';

CREATE TABLE alert (
    id          bigserial PRIMARY KEY,
    stage_id    bigint NOT NULL REFERENCES workflow_stage (id) ON DELETE CASCADE,
    rule_id     bigint,
    rule_path   text,
    field_name  text NOT NULL,
    operator    text NOT NULL,
    value       jsonb,
    ignore_case boolean NOT NULL DEFAULT false,
    fires_on    text NOT NULL DEFAULT 'match' CHECK (fires_on IN ('match', 'mismatch')),
    message     text NOT NULL DEFAULT '',
    severity    text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alert_rule_fk FOREIGN KEY (rule_id, stage_id)
        REFERENCES stage_rule (id, stage_id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT alert_rule_path_key UNIQUE (rule_id, rule_path),
    CONSTRAINT alert_rule_path_check CHECK ((rule_id IS NULL) = (rule_path IS NULL))
);
CREATE INDEX alert_stage_id_idx ON alert (stage_id);
COMMENT ON TABLE alert IS 'An alert on a stage: one condition leaf (field_name, operator, value). Evaluated when a candidate enters the stage and when their facts change; fires at most once per stage visit.';
COMMENT ON COLUMN alert.rule_id IS 'Set when the alert was generated from the stage''s rule (one per leaf); such alerts follow the rule''s edits.';
COMMENT ON COLUMN alert.rule_path IS 'JSON path of the generating leaf within the rule''s condition.';
COMMENT ON COLUMN alert.operator IS 'A condition operator; aliases are stored in canonical form (>= becomes gte).';
COMMENT ON COLUMN alert.value IS 'The operand as JSON; NULL only for exists/not_exists.';
COMMENT ON COLUMN alert.fires_on IS '''match'': fires when the leaf is true; ''mismatch'': when it is false (rule-generated alerts).';

CREATE TABLE job_workflow (
    id          bigserial PRIMARY KEY,
    job_id      bigint NOT NULL UNIQUE,
    workflow_id bigint NOT NULL REFERENCES workflow (id),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    assigned_by text NOT NULL DEFAULT @extschema@.current_actor(),
    CONSTRAINT job_workflow_job_workflow_key UNIQUE (job_id, workflow_id)
);
CREATE INDEX job_workflow_workflow_id_idx ON job_workflow (workflow_id);
COMMENT ON TABLE job_workflow IS 'The workflow a job''s pipeline follows (one per job). Jobs live in the application; only their ids are here.';

CREATE TABLE candidate_profile (
    id           bigserial PRIMARY KEY,
    candidate_id bigint NOT NULL UNIQUE,
    attributes   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    owner        text NOT NULL DEFAULT @extschema@.current_actor(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE candidate_profile IS 'The default source of candidate facts: rules and alerts read attributes. See set_candidate_source() for using your own table.';
COMMENT ON COLUMN candidate_profile.attributes IS 'The candidate''s facts as a JSON object; a change re-evaluates the alerts of the stages the candidate stands in.';
COMMENT ON COLUMN candidate_profile.owner IS 'The actor who created the profile; it and anyone who sees the candidate in a pipeline may read it.';

CREATE TABLE stage_transition (
    id            bigserial PRIMARY KEY,
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    from_stage_id bigint,
    to_stage_id   bigint NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    actor         text NOT NULL,
    reason        text,
    moved_at      timestamptz NOT NULL DEFAULT now(),
    alerts_raised integer NOT NULL DEFAULT 0,
    warnings      jsonb NOT NULL DEFAULT '[]',
    xact_id       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- History keeps its stages: a stage it names cannot be deleted (23503).
    CONSTRAINT stage_transition_from_stage_fk FOREIGN KEY (from_stage_id) REFERENCES workflow_stage (id),
    CONSTRAINT stage_transition_to_stage_fk FOREIGN KEY (to_stage_id) REFERENCES workflow_stage (id)
);
CREATE INDEX stage_transition_candidate_idx ON stage_transition (candidate_id, job_id, id);
CREATE INDEX stage_transition_feed_idx ON stage_transition (xact_id, id);
COMMENT ON TABLE stage_transition IS 'History: one row per move or status change of a candidate in a job, written by the candidate_stage triggers and never updated.';
COMMENT ON COLUMN stage_transition.from_stage_id IS 'NULL when the candidate entered the pipeline; equal to to_stage_id for a status change.';
COMMENT ON COLUMN stage_transition.reason IS 'The reason given to the function, or workflow_ext.reason for a plain UPDATE.';
COMMENT ON COLUMN stage_transition.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN stage_transition.warnings IS 'The failed leaves of a ''warn'' rule at the time of the move (JSON array, empty when it passed).';

CREATE TABLE candidate_stage (
    id            bigserial PRIMARY KEY,
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    stage_id      bigint NOT NULL,
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'hired', 'rejected', 'withdrawn')),
    entered_at    timestamptz NOT NULL DEFAULT now(),
    transition_id bigint,
    visit_transition_id bigint,
    added_by      text NOT NULL DEFAULT @extschema@.current_actor(),
    CONSTRAINT candidate_stage_job_candidate_key UNIQUE (job_id, candidate_id),
    CONSTRAINT candidate_stage_job_workflow_fk FOREIGN KEY (job_id, workflow_id)
        REFERENCES job_workflow (job_id, workflow_id),
    CONSTRAINT candidate_stage_stage_fk FOREIGN KEY (workflow_id, stage_id)
        REFERENCES workflow_stage (workflow_id, id),
    CONSTRAINT candidate_stage_transition_fk FOREIGN KEY (transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT candidate_stage_visit_transition_fk FOREIGN KEY (visit_transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX candidate_stage_candidate_idx ON candidate_stage (candidate_id);
CREATE INDEX candidate_stage_stage_idx ON candidate_stage (workflow_id, stage_id);
CREATE INDEX candidate_stage_active_idx ON candidate_stage (stage_id, entered_at) WHERE status = 'active';
COMMENT ON TABLE candidate_stage IS 'Where a candidate stands in a job''s pipeline. Triggers enforce and record every change: a plain UPDATE of stage_id is a move, checked like move_to_next_stage().';
COMMENT ON COLUMN candidate_stage.workflow_id IS 'The job''s workflow (filled from job_workflow on INSERT); ties stage_id to it through a composite foreign key.';
COMMENT ON COLUMN candidate_stage.stage_id IS 'The current stage; filled with the first stage on INSERT. Updating it is a move.';
COMMENT ON COLUMN candidate_stage.entered_at IS 'When the candidate entered the current stage (set by the trigger).';
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row (set by workflow_ext). The optimistic lock: an UPDATE that writes back an older value is refused with 40001.';
COMMENT ON COLUMN candidate_stage.added_by IS 'The actor who brought the candidate into the job (set by workflow_ext on INSERT, never changed). Only rows the profile owner added open that owner''s profile to others.';
COMMENT ON COLUMN candidate_stage.visit_transition_id IS 'The stage_transition that entered the current stage: identifies the stage visit (status changes do not start a new one). Set by workflow_ext.';

CREATE TABLE alert_event (
    id              bigserial PRIMARY KEY,
    alert_id        bigint REFERENCES alert (id) ON DELETE SET NULL,
    job_id          bigint NOT NULL,
    candidate_id    bigint NOT NULL,
    workflow_id     bigint NOT NULL,
    stage_id        bigint NOT NULL,
    -- No foreign keys of their own on transition_id and stage_id: only the
    -- extension's C code writes alert_event (history_write_guard), always with
    -- the transition that began the stage visit and that transition's
    -- to_stage_id, which stage_transition_to_stage_fk keeps.  The delete side
    -- of the former key: stage_transition_keeps_alert_events.
    transition_id   bigint NOT NULL,
    cause           text NOT NULL CHECK (cause IN ('entry', 'facts', 'sla')),
    severity        text NOT NULL,
    message         text NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    facts           jsonb NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    acknowledged_by text,
    xact_id         xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX alert_event_once_per_visit_idx ON alert_event (candidate_id, transition_id, alert_id);
CREATE UNIQUE INDEX alert_event_sla_once_idx ON alert_event (candidate_id, transition_id) WHERE cause = 'sla';
CREATE INDEX alert_event_open_idx ON alert_event (job_id, candidate_id) WHERE acknowledged_at IS NULL;
CREATE INDEX alert_event_feed_idx ON alert_event (xact_id, id);
COMMENT ON TABLE alert_event IS 'An alert that fired for a candidate during one stage visit (transition_id), with the facts it saw.';
COMMENT ON COLUMN alert_event.alert_id IS 'The alert definition; NULL for SLA events and after the definition is deleted (message and severity are kept).';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit (candidate_stage.visit_transition_id); an alert fires at most once per visit.';
COMMENT ON COLUMN alert_event.cause IS '''entry'': on entering the stage; ''facts'': the candidate''s facts changed; ''sla'': raise_overdue_alerts().';
COMMENT ON COLUMN alert_event.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN alert_event.facts IS 'Snapshot of the candidate''s facts when the alert fired.';

CREATE TABLE facts_source (
    id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    relation   regclass NOT NULL,
    key_column name NOT NULL,
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE facts_source IS 'At most one row: the user table whose rows are the candidates'' facts (set_candidate_source); none means candidate_profile.';

CREATE TYPE move_result AS (
    job_id        bigint,
    candidate_id  bigint,
    from_stage_id bigint,
    to_stage_id   bigint,
    to_stage_name text,
    transition_id bigint,
    alerts_raised integer,
    warnings      jsonb
);
COMMENT ON TYPE move_result IS 'What move_to_next_stage() and move_to_stage() return: the move, its history row, alerts raised and the failed leaves of a warn rule.';

-- History is written by the extension's C code alone (src/pg/rights.c); a
-- superuser restoring a dump with COPY is let through.
CREATE FUNCTION history_write_guard() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_history_write_guard';
COMMENT ON FUNCTION history_write_guard() IS
    'BEFORE INSERT trigger on stage_transition and alert_event: accepts only the row workflow_ext''s C code announced (42501 otherwise), or a superuser''s COPY of a dump.';
CREATE TRIGGER stage_transition_write_guard BEFORE INSERT ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();
CREATE TRIGGER alert_event_write_guard BEFORE INSERT ON alert_event
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();

-- A transition that alert events name stays (23503), as when alert_event had
-- a foreign key to it.  Only the tables' owner may delete history; nobody
-- updates it (stage_transition_immutable).
CREATE FUNCTION history_keeps_alert_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'stage_transition' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'history_keeps_alert_events() fires only on stage_transition'
            USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.alert_event e
                WHERE e.candidate_id = OLD.candidate_id AND e.transition_id = OLD.id) THEN
        RAISE EXCEPTION 'delete on table "stage_transition" would orphan rows of table "alert_event"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "alert_event".', OLD.id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION history_keeps_alert_events() IS
    'AFTER DELETE trigger on stage_transition: a transition that alert events name cannot be deleted (23503), the delete side of a foreign key alert_event does not carry.';
CREATE TRIGGER stage_transition_keeps_alert_events AFTER DELETE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_keeps_alert_events();

-- workflow_ext.require_actor on every write.  Where row triggers already ask
-- for the actor (candidate_stage inserts and updates) or only the extension's
-- own triggers write (history inserts), the statement trigger covers the rest.
DO $$
DECLARE
    t text;
    events text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'stage_transition',
                             'candidate_stage', 'alert_event', 'facts_source']
    LOOP
        events := CASE WHEN t IN ('candidate_stage', 'stage_transition', 'alert_event')
                       THEN 'UPDATE OR DELETE OR TRUNCATE' ELSE 'INSERT OR UPDATE OR DELETE OR TRUNCATE' END;
        IF t = 'candidate_stage' THEN
            events := 'DELETE OR TRUNCATE';
        END IF;
        EXECUTE format('CREATE TRIGGER %I BEFORE %s ON @extschema@.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_actor_trigger()',
                       t || '_require_actor', events, t);
    END LOOP;
END $$;
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
-- The condition language (README: Conditions), evaluated by the C++ core.

CREATE FUNCTION validate_condition(condition jsonb) RETURNS void
    LANGUAGE C IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_validate_condition';
COMMENT ON FUNCTION validate_condition(jsonb) IS
    'Checks a condition; raises 22023 with the JSON path of the first offending node. NULL is rejected too.';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb) IS
    'True when the facts satisfy the condition. Compiles the condition once per query (cached across rows); for bulk screening.';

CREATE FUNCTION condition_matches(condition jsonb, facts jsonb, at timestamptz) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, timestamptz) IS
    'True when the facts satisfy the condition, relative time (within_last, within_next, older_than) measured from at. Immutable: the same arguments give the same answer.';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb) IS
    'Explains a condition against facts: {"result", "leaves": [{path, field, op, expected, actual, result, negated, passed, reason}]}.';

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb, at timestamptz) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, timestamptz) IS
    'Explains a condition against facts, relative time measured from at.';

CREATE FUNCTION condition_leaves(condition jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_leaves_sql';
COMMENT ON FUNCTION condition_leaves(jsonb) IS
    'The leaves of a valid condition as a JSON array of {path, field, op, value, ignore_case, negated}, operators in canonical form; used to generate a rule''s alerts.';
-- Workflow definitions: stages, rules and alerts, their triggers, and the
-- functions of the original REST API's viewsets.

CREATE FUNCTION restoring() RETURNS boolean
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_restoring_sql';
COMMENT ON FUNCTION restoring() IS
    'True while a superuser restores a dump with COPY: rules then arrive with their alerts and pipeline rows with their history.';

CREATE FUNCTION touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.updated_at := now();
    IF TG_TABLE_NAME = 'workflow' THEN
        IF NEW.owner IS DISTINCT FROM OLD.owner THEN
            RAISE EXCEPTION 'the owner of workflow % cannot be changed', OLD.id
                USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION touch_updated_at() IS 'Trigger: keeps updated_at current and a workflow''s owner fixed.';
CREATE TRIGGER workflow_touch BEFORE UPDATE ON workflow
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER stage_rule_touch BEFORE UPDATE ON stage_rule
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER candidate_profile_touch BEFORE UPDATE ON candidate_profile
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
           (stage_id, rule_id, rule_path, field_name, operator, value, ignore_case, fires_on,
            message, severity)
    SELECT NEW.stage_id, NEW.id, l->>'path', l->>'field', l->>'op', l->'value',
           (l->>'ignore_case')::boolean,
           CASE WHEN (l->>'negated')::boolean THEN 'match' ELSE 'mismatch' END,
           format('rule "%s" failed: %s%s %s%s', NEW.name,
                  CASE WHEN (l->>'negated')::boolean THEN 'not ' ELSE '' END,
                  l->>'field', l->>'op', coalesce(' ' || (l->'value')::text, '')),
           CASE NEW.on_fail WHEN 'block' THEN 'critical' ELSE 'warning' END
      FROM jsonb_array_elements(@extschema@.condition_leaves(NEW.condition)) l
    ON CONFLICT (rule_id, rule_path) DO UPDATE
       SET field_name = EXCLUDED.field_name, operator = EXCLUDED.operator,
           value = EXCLUDED.value, ignore_case = EXCLUDED.ignore_case,
           fires_on = EXCLUDED.fires_on
     WHERE (a.field_name, a.operator, a.value, a.ignore_case, a.fires_on)
           IS DISTINCT FROM (EXCLUDED.field_name, EXCLUDED.operator, EXCLUDED.value,
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

CREATE FUNCTION stage_transition_immutable() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'stage_transition % is history and cannot be updated', OLD.id
        USING ERRCODE = '55000';
END $$;
COMMENT ON FUNCTION stage_transition_immutable() IS 'Trigger: history rows are never updated.';
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
    PERFORM @extschema@.current_actor();
    SELECT * INTO w FROM @extschema@.workflow x WHERE x.id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    IF for_edit AND w.id NOT IN (SELECT @extschema@.editable_workflow_ids()) THEN
        RAISE EXCEPTION 'workflow % is shared with % read-only', $1, @extschema@.current_actor()
            USING ERRCODE = '42501';
    END IF;
    RETURN w;
END $$;
COMMENT ON FUNCTION visible_workflow(bigint, boolean) IS
    'The workflow row if the actor sees it (P0002 otherwise) and, with for_edit, may edit it (42501 otherwise).';

CREATE FUNCTION get_stage_rule(stage_id bigint) RETURNS @extschema@.stage_rule
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r @extschema@.stage_rule;
BEGIN
    PERFORM @extschema@.current_actor();
    SELECT * INTO r FROM @extschema@.stage_rule x WHERE x.stage_id = $1;
    IF FOUND THEN
        RETURN r;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RAISE EXCEPTION 'stage % has no rule', $1 USING ERRCODE = 'P0002';
END $$;
COMMENT ON FUNCTION get_stage_rule(bigint) IS
    'The rule of a stage (the REST API''s GET stage/<id>/rule/). P0002 when the stage is not found or has no rule.';

CREATE FUNCTION get_stage_alerts(stage_id bigint) RETURNS SETOF @extschema@.alert
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM @extschema@.current_actor();
    RETURN QUERY SELECT * FROM @extschema@.alert a WHERE a.stage_id = $1 ORDER BY a.id;
    IF FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = $1) THEN
        RAISE EXCEPTION 'stage % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RAISE EXCEPTION 'stage % has no alerts', $1 USING ERRCODE = 'P0002';
END $$;
COMMENT ON FUNCTION get_stage_alerts(bigint) IS
    'The alerts of a stage (the REST API''s GET stage/<id>/alert/). P0002 when the stage is not found or has none.';

CREATE FUNCTION share_workflow(workflow_id bigint, grantee text, can_edit boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1);
BEGIN
    IF w.owner <> @extschema@.current_actor() THEN
        RAISE EXCEPTION 'only the owner of workflow % can share it', $1 USING ERRCODE = '42501';
    END IF;
    IF $2 IS NULL OR btrim($2) = '' THEN
        RAISE EXCEPTION 'grantee must name an actor' USING ERRCODE = '22023';
    END IF;
    IF $2 = w.owner THEN
        RAISE EXCEPTION 'workflow % is owned by %; there is nothing to share', $1, $2
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO @extschema@.workflow_share AS s (workflow_id, grantee, can_edit)
    VALUES ($1, $2, coalesce($3, false))
    ON CONFLICT ON CONSTRAINT workflow_share_workflow_grantee_key
    DO UPDATE SET can_edit = EXCLUDED.can_edit;
END $$;
COMMENT ON FUNCTION share_workflow(bigint, text, boolean) IS
    'Shares a workflow with another actor (owner only); can_edit lets them edit it. Sharing again updates can_edit.';

CREATE FUNCTION unshare_workflow(workflow_id bigint, grantee text) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    w @extschema@.workflow := @extschema@.visible_workflow($1);
BEGIN
    IF w.owner <> @extschema@.current_actor() THEN
        RAISE EXCEPTION 'only the owner of workflow % can unshare it', $1 USING ERRCODE = '42501';
    END IF;
    DELETE FROM @extschema@.workflow_share s WHERE s.workflow_id = $1 AND s.grantee = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % is not shared with %', $1, $2 USING ERRCODE = 'P0002';
    END IF;
END $$;
COMMENT ON FUNCTION unshare_workflow(bigint, text) IS 'Withdraws a share (owner only); P0002 when there is none.';

CREATE FUNCTION assign_workflow(job_id bigint, workflow_id bigint)
    RETURNS @extschema@.job_workflow
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    jw @extschema@.job_workflow;
BEGIN
    PERFORM @extschema@.visible_workflow($2);
    -- A job on a workflow the actor cannot see is refused by RLS (42501).
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.job_id = $1 AND c.workflow_id <> $2) THEN
        RAISE EXCEPTION 'job % has candidates in its current workflow; it cannot be reassigned', $1
            USING ERRCODE = '55000';
    END IF;
    INSERT INTO @extschema@.job_workflow AS x (job_id, workflow_id) VALUES ($1, $2)
    ON CONFLICT ON CONSTRAINT job_workflow_job_id_key DO UPDATE
       SET workflow_id = EXCLUDED.workflow_id, assigned_at = now(),
           assigned_by = EXCLUDED.assigned_by
    RETURNING * INTO jw;
    RETURN jw;
END $$;
COMMENT ON FUNCTION assign_workflow(bigint, bigint) IS
    'Assigns a visible workflow to a job (or reassigns it while the job has no candidates). Returns the job_workflow row.';

CREATE FUNCTION clone_workflow(workflow_id bigint, name text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src @extschema@.workflow := @extschema@.visible_workflow($1);
    new_id bigint;
BEGIN
    INSERT INTO @extschema@.workflow (name, description)
    VALUES ($2, src.description) RETURNING id INTO new_id;

    -- Stages map onto their copies by position, which is unique per workflow.
    INSERT INTO @extschema@.workflow_stage (workflow_id, name, position, kind, config, sla)
    SELECT new_id, s.name, s.position, s.kind, s.config, s.sla
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
    INSERT INTO @extschema@.alert (stage_id, field_name, operator, value, ignore_case, fires_on,
                                   message, severity)
    SELECT n.id, a.field_name, a.operator, a.value, a.ignore_case, a.fires_on, a.message,
           a.severity
      FROM @extschema@.alert a
      JOIN @extschema@.workflow_stage o ON o.id = a.stage_id AND o.workflow_id = $1
      JOIN @extschema@.workflow_stage n ON n.workflow_id = new_id AND n.position = o.position
     WHERE a.rule_id IS NULL
     ORDER BY a.id;
    RETURN new_id;
END $$;
COMMENT ON FUNCTION clone_workflow(bigint, text) IS
    'Copies a visible workflow (stages, rules, alerts) into a new one owned by the actor; returns its id.';

CREATE FUNCTION reorder_stages(workflow_id bigint, stage_ids bigint[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    PERFORM @extschema@.visible_workflow($1, true);
    SELECT count(*) INTO n FROM @extschema@.workflow_stage s WHERE s.workflow_id = $1;
    IF $2 IS NULL OR cardinality($2) <> n
       OR (SELECT count(DISTINCT x) FROM unnest($2) x) <> n
       OR EXISTS (SELECT 1 FROM unnest($2) x
                   WHERE x IS NULL OR NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s
                                                   WHERE s.id = x AND s.workflow_id = $1)) THEN
        RAISE EXCEPTION 'stage_ids must list each of the % stages of workflow % exactly once', n, $1
            USING ERRCODE = '22023';
    END IF;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key DEFERRED;
    UPDATE @extschema@.workflow_stage s SET position = o.ord
      FROM unnest($2) WITH ORDINALITY AS o(id, ord)
     WHERE s.id = o.id AND s.position <> o.ord;
    SET CONSTRAINTS @extschema@.workflow_stage_position_key IMMEDIATE;
END $$;
COMMENT ON FUNCTION reorder_stages(bigint, bigint[]) IS
    'Gives the stages of a workflow the positions 1..n in the order listed (22023 unless the list is exactly its stages).';

-- Trigger functions are attached by the extension only: nobody else may
-- attach them to a table of their own (CREATE TRIGGER needs EXECUTE).
REVOKE EXECUTE ON FUNCTION touch_updated_at(), stage_rule_validate(), alert_validate(),
    stage_rule_sync_alerts(), invalidate_caches(), stage_transition_immutable()
    FROM PUBLIC;
-- The pipeline: candidates in jobs, their moves, history, alerts and events.
-- The C triggers on candidate_stage enforce and record every change; the
-- functions below are conveniences over plain INSERT/UPDATE.

CREATE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts';
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The facts rules and alerts see for a candidate, read with the caller''s rights: candidate_profile.attributes (as its row-level security lets the actor read it), or to_jsonb(row) of the table set with set_candidate_source(); {} when there is none. 42P01 when the facts source table was dropped.';

-- The pipeline triggers run with the caller's rights (src/pg/rights.c).
CREATE FUNCTION candidate_stage_guard() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_guard';
COMMENT ON FUNCTION candidate_stage_guard() IS
    'BEFORE trigger on candidate_stage: fills a new row (workflow, first stage), checks every move and status change, evaluates the target stage''s rule (23514 when it blocks).';
CREATE TRIGGER candidate_stage_guard BEFORE INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_guard();

CREATE FUNCTION candidate_stage_record() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_record';
COMMENT ON FUNCTION candidate_stage_record() IS
    'AFTER trigger on candidate_stage: writes the stage_transition row, raises the entered stage''s alerts and sends NOTIFY workflow_events.';
CREATE TRIGGER candidate_stage_record AFTER INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_record();

CREATE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on candidate_profile and on the facts source table: evaluates again the alerts of the stages the candidate stands in, in the pipelines the writer sees (each fires at most once per visit). Arguments: the key column, and optionally the jsonb column holding the facts.';
CREATE TRIGGER facts_source_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facts_source
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER candidate_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('candidate_id', 'attributes');

-- The move functions are C (src/pg/move_functions.c): they run as the caller,
-- lock the row, check the next or target stage and move with a plain UPDATE,
-- so the candidate_stage triggers check and record it like any other.
CREATE FUNCTION move_to_next_stage(candidate_id bigint, job_id bigint,
                                   expected_stage_id bigint DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_to_next_stage';
COMMENT ON FUNCTION move_to_next_stage(bigint, bigint, bigint) IS
    'Moves a candidate to the next stage of the job''s workflow (the REST API''s PATCH move-to-nextstage/). P0002 job or candidate not found; 55000 not active, last stage or not in expected_stage_id; 23514 when the next stage''s rule blocks.';

CREATE FUNCTION move_to_stage(candidate_id bigint, job_id bigint, stage_id bigint,
                              reason text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_to_stage';
COMMENT ON FUNCTION move_to_stage(bigint, bigint, bigint, text) IS
    'Moves a candidate to any stage of the job''s workflow, back or forward, with the same checks, history and alerts as move_to_next_stage().';

CREATE FUNCTION add_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cs @extschema@.candidate_stage;
BEGIN
    PERFORM @extschema@.current_actor();
    IF NOT EXISTS (SELECT 1 FROM @extschema@.job_workflow j WHERE j.job_id = $2) THEN
        RAISE EXCEPTION 'job % not found', $2 USING ERRCODE = 'P0002';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c WHERE c.job_id = $2 AND c.candidate_id = $1) THEN
        RAISE EXCEPTION 'candidate % is already in job %', $1, $2 USING ERRCODE = '23505';
    END IF;
    INSERT INTO @extschema@.candidate_stage AS c (job_id, candidate_id) VALUES ($2, $1)
    RETURNING * INTO cs;
    RETURN cs;
END $$;
COMMENT ON FUNCTION add_candidate(bigint, bigint) IS
    'Puts a candidate into a job''s pipeline at the first stage (its rule and alerts apply). P0002 when the job has no visible workflow.';

CREATE FUNCTION set_candidate_status(candidate_id bigint, job_id bigint, status text, reason text)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_set_candidate_status';
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text) IS
    'Changes a candidate''s status (rejected, withdrawn, active) with a plain UPDATE that the triggers check (55000) and record with this reason. P0002 when the job or the candidate is not found.';

CREATE FUNCTION reject_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'rejected', $3) $$;
COMMENT ON FUNCTION reject_candidate(bigint, bigint, text) IS
    'Rejects an active candidate (55000 otherwise); recorded in stage_transition with the reason.';

CREATE FUNCTION withdraw_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'withdrawn', $3) $$;
COMMENT ON FUNCTION withdraw_candidate(bigint, bigint, text) IS
    'Marks an active candidate as withdrawn (55000 otherwise); recorded in stage_transition.';

CREATE FUNCTION reopen_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'active', NULL) $$;
COMMENT ON FUNCTION reopen_candidate(bigint, bigint) IS
    'Makes a rejected or withdrawn candidate active again in the same stage (55000 otherwise).';

-- Acknowledging is the one change an alert event takes: the trigger stamps
-- who and when, and refuses any other change.
CREATE FUNCTION alert_event_acknowledge() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'alert_event' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'alert_event_acknowledge() fires only on alert_event'
            USING ERRCODE = '39P01';
    END IF;
    -- The alert definition was deleted (alert_id ON DELETE SET NULL): the
    -- event keeps its message and severity.
    IF NEW.alert_id IS NULL AND OLD.alert_id IS NOT NULL
       AND (NEW.id, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id, NEW.transition_id,
            NEW.cause, NEW.severity, NEW.message, NEW.raised_at, NEW.facts, NEW.xact_id,
            NEW.acknowledged_at, NEW.acknowledged_by)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.job_id, OLD.candidate_id, OLD.workflow_id, OLD.stage_id, OLD.transition_id,
            OLD.cause, OLD.severity, OLD.message, OLD.raised_at, OLD.facts, OLD.xact_id,
            OLD.acknowledged_at, OLD.acknowledged_by) THEN
        RETURN NEW;
    END IF;
    IF OLD.acknowledged_at IS NOT NULL THEN
        RAISE EXCEPTION 'alert event % was already acknowledged by %', OLD.id, OLD.acknowledged_by
            USING ERRCODE = '55000';
    END IF;
    IF (NEW.id, NEW.alert_id, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id,
        NEW.transition_id, NEW.cause, NEW.severity, NEW.message, NEW.raised_at, NEW.facts,
        NEW.xact_id)
       IS DISTINCT FROM
       (OLD.id, OLD.alert_id, OLD.job_id, OLD.candidate_id, OLD.workflow_id, OLD.stage_id,
        OLD.transition_id, OLD.cause, OLD.severity, OLD.message, OLD.raised_at, OLD.facts,
        OLD.xact_id)
       AND NOT (@extschema@.restoring()) THEN
        RAISE EXCEPTION 'alert event % is history: only acknowledging it changes it', OLD.id
            USING ERRCODE = '55000';
    END IF;
    NEW.acknowledged_at := now();
    NEW.acknowledged_by := @extschema@.current_actor();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION alert_event_acknowledge() IS
    'Trigger: an UPDATE of alert_event acknowledges it once, by the current actor, now (55000 when already acknowledged or when another column changes); deleting the alert definition only clears alert_id.';
CREATE TRIGGER alert_event_acknowledge BEFORE UPDATE ON alert_event
    FOR EACH ROW EXECUTE FUNCTION alert_event_acknowledge();

CREATE FUNCTION acknowledge_alert(alert_event_id bigint) RETURNS @extschema@.alert_event
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e @extschema@.alert_event;
BEGIN
    PERFORM @extschema@.current_actor();
    UPDATE @extschema@.alert_event x SET acknowledged_at = now()
     WHERE x.id = $1
    RETURNING * INTO e;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert event % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    RETURN e;
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint) IS
    'Marks an alert event of a visible workflow as acknowledged by the actor (an UPDATE the caller may make; the trigger stamps it). P0002 when not found or not visible; 55000 when already acknowledged.';

-- A database-wide setting: every tenant's rules then read this table.  Its
-- rows are read with each caller's rights (the caller's privileges and the
-- table's RLS apply), never with the extension's.
CREATE FUNCTION set_candidate_source(relation regclass, key_column name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old @extschema@.facts_source;
    rel pg_class;
BEGIN
    PERFORM @extschema@.current_actor();
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = @extschema@.invoking_role())
       AND NOT pg_has_role(@extschema@.invoking_role(),
                           (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'only a superuser or the database owner can set the facts source'
            USING ERRCODE = '42501',
                  DETAIL = 'The facts source is a database-wide setting: every workflow''s rules read it.';
    END IF;
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'relation and key_column must not be NULL' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO rel FROM pg_class c WHERE c.oid = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', $1::oid USING ERRCODE = '42P01';
    END IF;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', $1 USING ERRCODE = '22023';
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table; the facts source is database-wide', $1
            USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid IN ('int8'::regtype, 'int4'::regtype, 'int2'::regtype)) THEN
        RAISE EXCEPTION 'table % has no integer column %', $1, $2 USING ERRCODE = '22023';
    END IF;
    SELECT * INTO old FROM @extschema@.facts_source;
    -- The old table may have been dropped (its regclass then dangles).
    IF FOUND AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = old.relation) THEN
        EXECUTE format('DROP TRIGGER IF EXISTS workflow_ext_facts_changed ON %s', old.relation);
    END IF;
    INSERT INTO @extschema@.facts_source (id, relation, key_column, set_by)
    VALUES (1, $1, $2, @extschema@.current_actor())
    ON CONFLICT (id) DO UPDATE
       SET relation = EXCLUDED.relation, key_column = EXCLUDED.key_column,
           set_by = EXCLUDED.set_by, set_at = now();
    EXECUTE format('CREATE TRIGGER workflow_ext_facts_changed AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION %I.candidate_facts_changed(%L)',
                   $1, '@extschema@', $2);
END $$;
COMMENT ON FUNCTION set_candidate_source(regclass, name) IS
    'Makes to_jsonb(row) of a table the candidates'' facts, keyed by an integer column; its inserts and updates re-evaluate alerts. Superuser or database owner only (42501); never a temporary table (22023). Rows are read with each caller''s rights, and for a pipeline only when the caller''s actor owns its workflow ({} elsewhere).';

CREATE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_raise_overdue_alerts';
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla, once per stage visit; returns how many. Sweeps the pipelines the caller sees (all for a superuser or a BYPASSRLS role). Schedule it with pg_cron.';

-- Trigger functions are attached by the extension only.
REVOKE EXECUTE ON FUNCTION candidate_stage_guard(), candidate_stage_record(),
    candidate_facts_changed(), alert_event_acknowledge(), history_write_guard(),
    history_keeps_alert_events(), require_actor_trigger() FROM PUBLIC;
-- Views of the original REST API's list endpoints; security_invoker so RLS applies to the caller.

CREATE VIEW workflow_with_stages WITH (security_invoker = true) AS
SELECT w.id, w.name, w.description, w.owner, w.created_at, w.updated_at,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'name', s.name,
                                                     'position', s.position, 'kind', s.kind,
                                                     'config', s.config, 'sla', s.sla)
                                  ORDER BY s.position)
                   FROM @extschema@.workflow_stage s WHERE s.workflow_id = w.id),
                '[]'::jsonb) AS stages
  FROM @extschema@.workflow w;
COMMENT ON VIEW workflow_with_stages IS 'One row per visible workflow, its stages as a JSON array in position order.';

CREATE VIEW stage_with_rules WITH (security_invoker = true) AS
SELECT s.id, s.workflow_id, s.name, s.position, s.kind, s.config, s.sla,
       r.id AS rule_id, r.name AS rule_name, r.condition, r.on_fail,
       coalesce((SELECT jsonb_agg(to_jsonb(a) - 'stage_id' ORDER BY a.id)
                   FROM @extschema@.alert a WHERE a.stage_id = s.id), '[]'::jsonb) AS alerts
  FROM @extschema@.workflow_stage s
  LEFT JOIN @extschema@.stage_rule r ON r.stage_id = s.id;
COMMENT ON VIEW stage_with_rules IS 'One row per visible stage with its rule (if any) and its alerts as a JSON array.';

GRANT SELECT ON workflow_with_stages, stage_with_rules TO PUBLIC;
-- The durable event feed: the changes (moves, status changes, alert events)
-- committed after a cursor, for consumers that must see each exactly once.
-- NOTIFY workflow_events stays the wake-up; this is where the data is read.
--
-- Order and completeness: every history and alert_event row carries the id of
-- the transaction that wrote it (xact_id).  The feed returns only rows whose
-- transaction is older than the oldest transaction still running
-- (pg_snapshot_xmin of the current snapshot): all of those have committed or
-- aborted, so no row can later appear before the cursor.  A transaction that
-- commits late with a lower id holds the feed back until it ends, rather than
-- being skipped.  Rows are ordered by (xact_id, history before alert events,
-- id); the cursor is that triple.  Row-level security applies: an actor reads
-- its own workflows' events.

-- A cursor is "xact_id:kind:id" (kind 0: history, 1: alert event); NULL is
-- the start.
CREATE FUNCTION workflow_event_position(cursor text, max_events integer,
                                        OUT after_xid xid8, OUT after_kind integer,
                                        OUT after_id bigint, OUT horizon xid8,
                                        OUT restored xid8, OUT own xid8)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    parts text[];
    snap pg_snapshot := pg_current_snapshot();
BEGIN
    PERFORM @extschema@.current_actor();
    PERFORM @extschema@.workflow_event_limit(max_events);
    after_xid := '0';
    after_kind := -1;
    after_id := 0;
    IF $1 IS NOT NULL THEN
        parts := regexp_match($1, '^([0-9]{1,20}):([01]):(-?[0-9]{1,19})$');
        IF parts IS NULL THEN
            RAISE EXCEPTION 'invalid event cursor "%"', $1
                USING ERRCODE = '22023',
                      HINT = 'Pass NULL to read from the start, or a cursor workflow_events_since() returned.';
        END IF;
        after_xid := parts[1]::xid8;
        after_kind := parts[2]::integer;
        after_id := parts[3]::bigint;
    END IF;
    -- Our own transaction is not in the snapshot's running set: hold the
    -- horizon at it too, so its rows wait for its commit like anyone's.
    own := coalesce(pg_current_xact_id_if_assigned(), '0'::xid8);
    horizon := pg_snapshot_xmin(snap);
    IF own <> '0'::xid8 AND own < horizon THEN
        horizon := own;
    END IF;
    restored := pg_snapshot_xmax(snap);
END $$;
COMMENT ON FUNCTION workflow_event_position(text, integer) IS
    'Parses an event cursor (22023 when malformed) and checks max_events; with the current snapshot''s horizon (xmin, held at our own transaction), xmax and our own transaction id. Used by workflow_events_since().';

CREATE FUNCTION workflow_event_limit(max_events integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF max_events IS NULL OR max_events < 1 OR max_events > 100000 THEN
        RAISE EXCEPTION 'max_events must be between 1 and 100000, not %', coalesce(max_events::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    RETURN max_events;
END $$;
COMMENT ON FUNCTION workflow_event_limit(integer) IS
    'max_events checked (22023 unless 1..100000); the LIMIT of workflow_events_since().';

-- A visible row written by a transaction at or past xmax is either our own
-- transaction's (left out until it commits) or was restored from another
-- cluster, whose ids ran ahead of this one's: it is complete, and sorts after
-- the live ones.
CREATE FUNCTION workflow_events_since(cursor text DEFAULT NULL, max_events integer DEFAULT 1000)
    RETURNS TABLE (cursor text, event jsonb)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT format('%s:%s:%s', f.xact_id, f.kind_order, f.id), f.event
      FROM @extschema@.workflow_event_position($1, $2) p,
           LATERAL (
            SELECT t.xact_id, 0 AS kind_order, t.id,
                   jsonb_build_object(
                       'kind', CASE WHEN t.from_stage_id IS NULL THEN 'enter'
                                    WHEN t.from_stage_id <> t.to_stage_id THEN 'move'
                                    ELSE 'status' END,
                       'job_id', t.job_id, 'candidate_id', t.candidate_id,
                       'workflow_id', t.workflow_id, 'transition_id', t.id,
                       'from_stage_id', t.from_stage_id, 'to_stage_id', t.to_stage_id,
                       'from_status', t.from_status, 'to_status', t.to_status,
                       'actor', t.actor, 'reason', t.reason, 'at', t.moved_at,
                       'alerts_raised', t.alerts_raised) AS event
              FROM @extschema@.stage_transition t
             WHERE (t.xact_id < p.horizon OR (t.xact_id >= p.restored AND t.xact_id <> p.own))
               AND (t.xact_id, 0, t.id) > (p.after_xid, p.after_kind, p.after_id)
            UNION ALL
            SELECT e.xact_id, 1, e.id,
                   jsonb_build_object(
                       'kind', 'alert', 'job_id', e.job_id, 'candidate_id', e.candidate_id,
                       'workflow_id', e.workflow_id, 'transition_id', e.transition_id,
                       'alert_event_id', e.id, 'alert_id', e.alert_id, 'stage_id', e.stage_id,
                       'cause', e.cause, 'severity', e.severity, 'message', e.message,
                       'at', e.raised_at)
              FROM @extschema@.alert_event e
             WHERE (e.xact_id < p.horizon OR (e.xact_id >= p.restored AND e.xact_id <> p.own))
               AND (e.xact_id, 1, e.id) > (p.after_xid, p.after_kind, p.after_id)) f
     ORDER BY f.xact_id, f.kind_order, f.id
     LIMIT @extschema@.workflow_event_limit($2)
$$;
COMMENT ON FUNCTION workflow_events_since(text, integer) IS
    'The durable event feed: moves, status changes and alert events committed after cursor (NULL: from the start), at most max_events (1..100000), each with the cursor to resume after it. Never skips a transaction that commits late with a lower id (it waits for it); row-level security applies. 22023 for a malformed cursor.';
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
            USING ERRCODE = '25006',
                  DETAIL = 'workflow_ext.node_role is shard; definitions arrive here by logical replication.',
                  HINT = 'Write workflows, shares, stages, rules, alerts and job assignments on the primary.';
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
        USING ERRCODE = '55000',
              DETAIL = 'workflow_ext.node_role is primary; pipeline rows, history and alert events on the shards may refer to it.',
              HINT = 'Keep it and stop using it (a new stage, rule or workflow for new jobs); docs/scale-out.md, Integrity.';
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
            USING ERRCODE = '22023';
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
            SELECT to_jsonb(c) INTO result FROM @extschema@.reject_candidate(cid, jid, args->>'reason') c;
        WHEN 'withdraw_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.withdraw_candidate(cid, jid, args->>'reason') c;
        WHEN 'reopen_candidate' THEN
            SELECT to_jsonb(c) INTO result FROM @extschema@.reopen_candidate(cid, jid) c;
        WHEN 'candidate_facts' THEN
            result := @extschema@.candidate_facts(cid);
        WHEN 'acknowledge_alert' THEN
            SELECT to_jsonb(e) INTO result
              FROM @extschema@.acknowledge_alert((args->>'alert_event_id')::bigint) e;
            IF (result->>'candidate_id')::bigint IS DISTINCT FROM cid THEN
                RAISE EXCEPTION 'alert event % of candidate % not found', args->>'alert_event_id', cid
                    USING ERRCODE = 'P0002';
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
                     WHERE c.job_id = jid
                     GROUP BY c.stage_id, c.status) s;
        WHEN 'screening_counts' THEN
            SELECT jsonb_build_object('candidates', count(*),
                                      'matching', count(*) FILTER (WHERE @extschema@.condition_matches(
                                          args->'condition', @extschema@.candidate_facts(c.candidate_id))))
              INTO result
              FROM @extschema@.candidate_stage c
             WHERE c.job_id = jid AND c.status = 'active';
        ELSE
            RAISE EXCEPTION 'shard_call has no operation "%"', operation USING ERRCODE = '22023';
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
-- pg_dump keeps the user data of every table and the state of its sequence.
-- (One call per statement: each call updates the pg_extension row.)
SELECT pg_catalog.pg_extension_config_dump('workflow', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_share_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage', '');
SELECT pg_catalog.pg_extension_config_dump('workflow_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule', '');
SELECT pg_catalog.pg_extension_config_dump('stage_rule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert', '');
SELECT pg_catalog.pg_extension_config_dump('alert_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow', '');
SELECT pg_catalog.pg_extension_config_dump('job_workflow_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition', '');
SELECT pg_catalog.pg_extension_config_dump('stage_transition_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage', '');
SELECT pg_catalog.pg_extension_config_dump('candidate_stage_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event', '');
SELECT pg_catalog.pg_extension_config_dump('alert_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('facts_source', '');
