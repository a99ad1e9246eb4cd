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
-- Tables of the data model (DESIGN.md section 2).  Every table has a single
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
    warnings      jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX stage_transition_candidate_idx ON stage_transition (candidate_id, job_id, id);
COMMENT ON TABLE stage_transition IS 'History: one row per move or status change of a candidate in a job, written by the candidate_stage triggers and never updated.';
COMMENT ON COLUMN stage_transition.from_stage_id IS 'NULL when the candidate entered the pipeline; equal to to_stage_id for a status change.';
COMMENT ON COLUMN stage_transition.reason IS 'The reason given to the function, or workflow_ext.reason for a plain UPDATE.';
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
    CONSTRAINT candidate_stage_job_candidate_key UNIQUE (job_id, candidate_id),
    CONSTRAINT candidate_stage_job_workflow_fk FOREIGN KEY (job_id, workflow_id)
        REFERENCES job_workflow (job_id, workflow_id),
    CONSTRAINT candidate_stage_stage_fk FOREIGN KEY (workflow_id, stage_id)
        REFERENCES workflow_stage (workflow_id, id),
    CONSTRAINT candidate_stage_transition_fk FOREIGN KEY (transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX candidate_stage_candidate_idx ON candidate_stage (candidate_id);
CREATE INDEX candidate_stage_stage_idx ON candidate_stage (workflow_id, stage_id);
CREATE INDEX candidate_stage_active_idx ON candidate_stage (stage_id, entered_at) WHERE status = 'active';
COMMENT ON TABLE candidate_stage IS 'Where a candidate stands in a job''s pipeline. Triggers enforce and record every change: a plain UPDATE of stage_id is a move, checked like move_to_next_stage().';
COMMENT ON COLUMN candidate_stage.workflow_id IS 'The job''s workflow (filled from job_workflow on INSERT); ties stage_id to it through a composite foreign key.';
COMMENT ON COLUMN candidate_stage.stage_id IS 'The current stage; filled with the first stage on INSERT. Updating it is a move.';
COMMENT ON COLUMN candidate_stage.entered_at IS 'When the candidate entered the current stage (set by the trigger).';
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row; identifies the current stage visit.';

CREATE TABLE alert_event (
    id              bigserial PRIMARY KEY,
    alert_id        bigint REFERENCES alert (id) ON DELETE SET NULL,
    job_id          bigint NOT NULL,
    candidate_id    bigint NOT NULL,
    workflow_id     bigint NOT NULL,
    stage_id        bigint NOT NULL,
    transition_id   bigint NOT NULL REFERENCES stage_transition (id),
    cause           text NOT NULL CHECK (cause IN ('entry', 'facts', 'sla')),
    severity        text NOT NULL,
    message         text NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    facts           jsonb NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    acknowledged_by text
);
CREATE UNIQUE INDEX alert_event_once_per_visit_idx ON alert_event (candidate_id, transition_id, alert_id);
CREATE UNIQUE INDEX alert_event_sla_once_idx ON alert_event (candidate_id, transition_id) WHERE cause = 'sla';
CREATE INDEX alert_event_open_idx ON alert_event (job_id, candidate_id) WHERE acknowledged_at IS NULL;
COMMENT ON TABLE alert_event IS 'An alert that fired for a candidate during one stage visit (transition_id), with the facts it saw.';
COMMENT ON COLUMN alert_event.alert_id IS 'The alert definition; NULL for SLA events and after the definition is deleted (message and severity are kept).';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit; an alert fires at most once per visit.';
COMMENT ON COLUMN alert_event.cause IS '''entry'': on entering the stage; ''facts'': the candidate''s facts changed; ''sla'': raise_overdue_alerts().';
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
-- The condition language (DESIGN.md section 4), evaluated by the C++ core.

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

CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb) IS
    'Explains a condition against facts: {"result", "leaves": [{path, field, op, expected, actual, result, negated, passed, reason}]}.';

CREATE FUNCTION condition_leaves(condition jsonb) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_condition_leaves_sql';
COMMENT ON FUNCTION condition_leaves(jsonb) IS
    'The leaves of a valid condition as a JSON array of {path, field, op, value, ignore_case, negated}, operators in canonical form; used to generate a rule''s alerts.';
-- Workflow definitions: stages, rules and alerts, their triggers, and the
-- functions of the seed's viewsets.

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
    -- A rule inserted with an earlier created_at is restored (pg_dump) or
    -- imported: its alerts arrive with it, under their own ids.
    IF TG_OP = 'INSERT' AND NEW.created_at <> now() THEN
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
    'The rule of a stage (seed: GET stage/<id>/rule/). P0002 when the stage is not found or has no rule.';

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
    'The alerts of a stage (seed: GET stage/<id>/alert/). P0002 when the stage is not found or has none.';

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
-- The pipeline: candidates in jobs, their moves, history, alerts and events.
-- The C triggers on candidate_stage enforce and record every change; the
-- functions below are conveniences over plain INSERT/UPDATE.

CREATE FUNCTION invoking_role() RETURNS name
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_invoking_role';
COMMENT ON FUNCTION invoking_role() IS
    'The role that called in, unchanged inside SECURITY DEFINER functions (used for owner-only checks).';

CREATE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src @extschema@.facts_source;
    facts jsonb;
BEGIN
    PERFORM @extschema@.current_actor();
    SELECT * INTO src FROM @extschema@.facts_source;
    IF FOUND THEN
        -- relation is a regclass: its text form is quoted and schema-qualified.
        EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE t.%I = $1', src.relation, src.key_column)
           INTO facts USING $1;
    ELSE
        SELECT p.attributes INTO facts FROM @extschema@.candidate_profile p WHERE p.candidate_id = $1;
    END IF;
    RETURN coalesce(facts, '{}'::jsonb);
END $$;
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The facts rules and alerts see for a candidate: candidate_profile.attributes, or to_jsonb(row) of the table set with set_candidate_source(); {} when there is none.';

CREATE FUNCTION candidate_stage_guard() RETURNS trigger
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_guard';
COMMENT ON FUNCTION candidate_stage_guard() IS
    'BEFORE trigger on candidate_stage: fills a new row (workflow, first stage), checks every move and status change, evaluates the target stage''s rule (23514 when it blocks).';
CREATE TRIGGER candidate_stage_guard BEFORE INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_guard();

CREATE FUNCTION candidate_stage_record() RETURNS trigger
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_record';
COMMENT ON FUNCTION candidate_stage_record() IS
    'AFTER trigger on candidate_stage: writes the stage_transition row, raises the entered stage''s alerts and sends NOTIFY workflow_events.';
CREATE TRIGGER candidate_stage_record AFTER INSERT OR UPDATE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_record();

CREATE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on the facts source: evaluates again the alerts of the stages the candidate stands in (each fires at most once per visit). Arguments: the key column, and optionally the jsonb column holding the facts.';
CREATE TRIGGER facts_source_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facts_source
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER candidate_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('candidate_id', 'attributes');

-- Locks the candidate's pipeline row; P0002 naming the job or the candidate
-- (the status functions' counterpart of the C move functions' lock).
CREATE FUNCTION lock_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cs @extschema@.candidate_stage;
BEGIN
    PERFORM @extschema@.current_actor();
    SELECT * INTO cs FROM @extschema@.candidate_stage c
     WHERE c.job_id = $2 AND c.candidate_id = $1 FOR UPDATE;
    IF FOUND THEN
        RETURN cs;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.job_workflow j WHERE j.job_id = $2) THEN
        RAISE EXCEPTION 'job % not found', $2 USING ERRCODE = 'P0002';
    END IF;
    RAISE EXCEPTION 'candidate % is not in job %', $1, $2 USING ERRCODE = 'P0002';
END $$;
COMMENT ON FUNCTION lock_candidate(bigint, bigint) IS
    'The candidate''s pipeline row in a job, locked FOR UPDATE; P0002 when the job or the candidate is not found (or not visible).';

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
    'Moves a candidate to the next stage of the job''s workflow (seed: PATCH move-to-nextstage/). P0002 job or candidate not found; 55000 not active, last stage or not in expected_stage_id; 23514 when the next stage''s rule blocks.';

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
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cs @extschema@.candidate_stage := @extschema@.lock_candidate($1, $2);
    outer_reason text := current_setting('workflow_ext.reason', true);
BEGIN
    IF cs.status = $3 THEN
        RAISE EXCEPTION 'candidate % in job % is already %', $1, $2, $3
            USING ERRCODE = '55000';
    END IF;
    PERFORM set_config('workflow_ext.reason', coalesce($4, ''), true);
    UPDATE @extschema@.candidate_stage c SET status = $3 WHERE c.id = cs.id RETURNING * INTO cs;
    PERFORM set_config('workflow_ext.reason', coalesce(outer_reason, ''), true);
    RETURN cs;
END $$;
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text) IS
    'Changes a candidate''s status with a plain UPDATE; the trigger checks the change (55000) and records it.';

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

CREATE FUNCTION acknowledge_alert(alert_event_id bigint) RETURNS @extschema@.alert_event
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e @extschema@.alert_event;
BEGIN
    SELECT * INTO e FROM @extschema@.alert_event x
     WHERE x.id = $1 AND x.workflow_id IN (SELECT @extschema@.visible_workflow_ids())
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert event % not found', $1 USING ERRCODE = 'P0002';
    END IF;
    IF e.acknowledged_at IS NOT NULL THEN
        RAISE EXCEPTION 'alert event % was already acknowledged by %', $1, e.acknowledged_by
            USING ERRCODE = '55000';
    END IF;
    UPDATE @extschema@.alert_event x
       SET acknowledged_at = now(), acknowledged_by = @extschema@.current_actor()
     WHERE x.id = $1
    RETURNING * INTO e;
    RETURN e;
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint) IS
    'Marks an alert event of a visible workflow as acknowledged by the actor. P0002 when not found; 55000 when already acknowledged.';

CREATE FUNCTION set_candidate_source(relation regclass, key_column name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old @extschema@.facts_source;
BEGIN
    PERFORM @extschema@.current_actor();
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'relation and key_column must not be NULL' USING ERRCODE = '22023';
    END IF;
    IF NOT pg_has_role(@extschema@.invoking_role(),
                       (SELECT c.relowner FROM pg_class c WHERE c.oid = $1), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of % can make it the facts source', $1
            USING ERRCODE = '42501';
    END IF;
    IF (SELECT c.relkind FROM pg_class c WHERE c.oid = $1) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', $1 USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid IN ('int8'::regtype, 'int4'::regtype, 'int2'::regtype)) THEN
        RAISE EXCEPTION 'table % has no integer column %', $1, $2 USING ERRCODE = '22023';
    END IF;
    SELECT * INTO old FROM @extschema@.facts_source;
    IF FOUND THEN
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
    'Makes to_jsonb(row) of a table the candidates'' facts, keyed by an integer column; its inserts and updates re-evaluate alerts. Only the table''s owner may do this.';

CREATE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n integer;
BEGIN
    PERFORM @extschema@.current_actor();
    WITH raised AS (
        INSERT INTO @extschema@.alert_event AS e
               (job_id, candidate_id, workflow_id, stage_id, transition_id, cause, severity,
                message, facts)
        SELECT c.job_id, c.candidate_id, c.workflow_id, c.stage_id, c.transition_id, 'sla',
               'warning',
               format('candidate %s has been in stage "%s" of job %s for more than %s',
                      c.candidate_id, s.name, c.job_id, s.sla),
               @extschema@.candidate_facts(c.candidate_id)
          FROM @extschema@.candidate_stage c
          JOIN @extschema@.workflow_stage s ON s.id = c.stage_id
         WHERE c.status = 'active' AND s.sla IS NOT NULL AND c.entered_at + s.sla < now()
           AND c.transition_id IS NOT NULL
        ON CONFLICT (candidate_id, transition_id) WHERE cause = 'sla' DO NOTHING
        RETURNING e.*
    )
    SELECT count(pg_notify('workflow_events',
                           json_build_object('event', 'sla', 'alert_event_id', r.id,
                                             'job_id', r.job_id, 'candidate_id', r.candidate_id,
                                             'stage_id', r.stage_id,
                                             'transition_id', r.transition_id)::text))
      INTO n FROM raised r;
    RETURN n;
END $$;
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla, once per visit; returns how many. Schedule it with pg_cron.';
-- Views of the seed's list endpoints; security_invoker so RLS applies to the caller.

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
