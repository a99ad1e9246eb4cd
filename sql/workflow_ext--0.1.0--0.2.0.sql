-- workflow_ext 0.1.0 -> 0.2.0, run by ALTER EXTENSION workflow_ext UPDATE.
--
-- Brings a 0.1.0 database to exactly what a fresh 0.2.0 install creates
-- (sql/install/*.sql), keeping every row.  make updatecheck proves it: it fills
-- a 0.1.0 database, updates it, and lists every object that differs from a
-- fresh install (columns, constraints, indexes, policies, triggers, functions,
-- comments, grants, pg_extension_config_dump entries) and every table whose
-- rows changed.  Each schema change made in sql/install/ needs its statement
-- here, in the same order.
\echo Use "ALTER EXTENSION workflow_ext UPDATE TO '0.2.0'" to load this file. \quit

-- As of the layout change that introduced 0.2.0, the install script of 0.2.0
-- creates the same objects as 0.1.0's; the changes of this round follow.

-- ---------------------------------------------------------------- 10_schema
-- History keeps its stages; pipeline rows know the change that began their
-- stage visit.  Constraints are added NOT VALID and validated when the data
-- allows (0.1.0 let a stage that only history named be deleted).
ALTER TABLE @extschema@.candidate_stage ADD COLUMN visit_transition_id bigint;
-- Who brought each candidate in: the actor of the row's latest entry into the
-- job in history, else the workflow's owner (0.1.0 did not record it).
-- (Added bare and filled in place: a default would rewrite the table, and the
-- rewritten rows would queue deferred foreign-key checks on the UPDATE.)
ALTER TABLE @extschema@.candidate_stage ADD COLUMN added_by text;
-- The backfill is not a move: the pipeline triggers stay out of it.
ALTER TABLE @extschema@.candidate_stage DISABLE TRIGGER candidate_stage_guard,
    DISABLE TRIGGER candidate_stage_record;
-- One UPDATE: a row updated twice in this transaction would queue the
-- deferred foreign-key checks, and ALTER TABLE refuses pending trigger events.
UPDATE @extschema@.candidate_stage c
   SET visit_transition_id = CASE WHEN c.transition_id IS NOT NULL THEN
           COALESCE((SELECT max(t.id) FROM @extschema@.stage_transition t
                      WHERE t.job_id = c.job_id AND t.candidate_id = c.candidate_id
                        AND t.to_stage_id = c.stage_id
                        AND t.from_stage_id IS DISTINCT FROM t.to_stage_id),
                    c.transition_id) END,
       added_by = COALESCE((SELECT t.actor FROM @extschema@.stage_transition t
                             WHERE t.job_id = c.job_id AND t.candidate_id = c.candidate_id
                               AND t.from_stage_id IS NULL
                             ORDER BY t.id DESC LIMIT 1),
                           (SELECT w.owner FROM @extschema@.workflow w WHERE w.id = c.workflow_id),
                           '');
ALTER TABLE @extschema@.candidate_stage ENABLE TRIGGER candidate_stage_guard,
    ENABLE TRIGGER candidate_stage_record,
    ALTER COLUMN added_by SET DEFAULT @extschema@.current_actor(),
    ALTER COLUMN added_by SET NOT NULL;
ALTER TABLE @extschema@.candidate_stage ADD CONSTRAINT candidate_stage_visit_transition_fk
    FOREIGN KEY (visit_transition_id) REFERENCES @extschema@.stage_transition (id)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE @extschema@.stage_transition
    ADD CONSTRAINT stage_transition_from_stage_fk FOREIGN KEY (from_stage_id)
        REFERENCES @extschema@.workflow_stage (id) NOT VALID,
    ADD CONSTRAINT stage_transition_to_stage_fk FOREIGN KEY (to_stage_id)
        REFERENCES @extschema@.workflow_stage (id) NOT VALID;
-- alert_event names its transition and stage without foreign keys of its own
-- (written by the C code alone, with the visit's transition and its
-- to_stage_id); the delete side of the former key is a trigger below.
ALTER TABLE @extschema@.alert_event DROP CONSTRAINT alert_event_transition_id_fkey;
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES ('stage_transition', 'stage_transition_from_stage_fk'),
                                   ('stage_transition', 'stage_transition_to_stage_fk')) v(t, n) LOOP
        BEGIN
            EXECUTE format('ALTER TABLE @extschema@.%I VALIDATE CONSTRAINT %I', c.t, c.n);
        EXCEPTION WHEN foreign_key_violation THEN
            RAISE WARNING 'workflow_ext: % names stages deleted under 0.1.0; % stays NOT VALID', c.t, c.n
                USING HINT = 'New history is checked; see the README (Upgrading).';
        END;
    END LOOP;
END $$;
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row (set by workflow_ext). The optimistic lock: an UPDATE that writes back an older value is refused with 40001.';
COMMENT ON COLUMN candidate_stage.added_by IS 'The actor who brought the candidate into the job (set by workflow_ext on INSERT, never changed). Only rows the profile owner added open that owner''s profile to others.';
COMMENT ON COLUMN candidate_stage.visit_transition_id IS 'The stage_transition that entered the current stage: identifies the stage visit (status changes do not start a new one). Set by workflow_ext.';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit (candidate_stage.visit_transition_id); an alert fires at most once per visit.';

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
REVOKE EXECUTE ON FUNCTION history_keeps_alert_events() FROM PUBLIC;

-- -------------------------------------------------------------- 20_security
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

DROP POLICY job_workflow_use ON @extschema@.job_workflow;
DROP POLICY candidate_stage_use ON @extschema@.candidate_stage;
DROP POLICY candidate_profile_use ON @extschema@.candidate_profile;
CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));
CREATE POLICY candidate_stage_read ON candidate_stage FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_add ON candidate_stage FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_move ON candidate_stage FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY candidate_stage_remove ON candidate_stage FOR DELETE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));
CREATE POLICY stage_transition_record ON stage_transition FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY alert_event_record ON alert_event FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY alert_event_acknowledge ON alert_event FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
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
GRANT INSERT ON @extschema@.stage_transition, @extschema@.alert_event TO PUBLIC;
-- USAGE only: SELECT on a sequence would show every tenant's count.
REVOKE SELECT ON SEQUENCE @extschema@.workflow_id_seq, @extschema@.workflow_share_id_seq,
    @extschema@.workflow_stage_id_seq, @extschema@.stage_rule_id_seq, @extschema@.alert_id_seq,
    @extschema@.job_workflow_id_seq, @extschema@.candidate_profile_id_seq,
    @extschema@.candidate_stage_id_seq FROM PUBLIC;
GRANT UPDATE (acknowledged_at, acknowledged_by) ON @extschema@.alert_event TO PUBLIC;

-- ----------------------------------------------------------- 30_conditions
-- Relative time needs an explicit reference instant: three-argument forms.
CREATE FUNCTION condition_matches(condition jsonb, facts jsonb, at timestamptz) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'wf_condition_matches';
COMMENT ON FUNCTION condition_matches(jsonb, jsonb, timestamptz) IS
    'True when the facts satisfy the condition, relative time (within_last, within_next, older_than) measured from at. Immutable: the same arguments give the same answer.';
CREATE FUNCTION evaluate_condition(condition jsonb, facts jsonb, at timestamptz) RETURNS jsonb
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, jsonb, timestamptz) IS
    'Explains a condition against facts, relative time measured from at.';

-- ----------------------------------------------------------- 40_definitions
COMMENT ON FUNCTION get_stage_rule(bigint) IS
    'The rule of a stage (the REST API''s GET stage/<id>/rule/). P0002 when the stage is not found or has no rule.';
COMMENT ON FUNCTION get_stage_alerts(bigint) IS
    'The alerts of a stage (the REST API''s GET stage/<id>/alert/). P0002 when the stage is not found or has none.';
CREATE FUNCTION restoring() RETURNS boolean
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_restoring_sql';
COMMENT ON FUNCTION restoring() IS
    'True while a superuser restores a dump with COPY: rules then arrive with their alerts and pipeline rows with their history.';
CREATE OR REPLACE FUNCTION stage_rule_sync_alerts() RETURNS trigger
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
REVOKE EXECUTE ON FUNCTION @extschema@.touch_updated_at(), @extschema@.stage_rule_validate(),
    @extschema@.alert_validate(), @extschema@.stage_rule_sync_alerts(),
    @extschema@.invalidate_caches(), @extschema@.stage_transition_immutable() FROM PUBLIC;

-- ------------------------------------------------------------- 50_pipeline
COMMENT ON FUNCTION move_to_next_stage(bigint, bigint, bigint) IS
    'Moves a candidate to the next stage of the job''s workflow (the REST API''s PATCH move-to-nextstage/). P0002 job or candidate not found; 55000 not active, last stage or not in expected_stage_id; 23514 when the next stage''s rule blocks.';
CREATE OR REPLACE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts';
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The facts rules and alerts see for a candidate, read with the caller''s rights: candidate_profile.attributes (as its row-level security lets the actor read it), or to_jsonb(row) of the table set with set_candidate_source(); {} when there is none. 42P01 when the facts source table was dropped.';
CREATE OR REPLACE FUNCTION candidate_stage_guard() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_guard';
COMMENT ON FUNCTION candidate_stage_guard() IS
    'BEFORE trigger on candidate_stage: fills a new row (workflow, first stage), checks every move and status change, evaluates the target stage''s rule (23514 when it blocks).';
CREATE OR REPLACE FUNCTION candidate_stage_record() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_record';
COMMENT ON FUNCTION candidate_stage_record() IS
    'AFTER trigger on candidate_stage: writes the stage_transition row, raises the entered stage''s alerts and sends NOTIFY workflow_events.';
CREATE OR REPLACE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on candidate_profile and on the facts source table: evaluates again the alerts of the stages the candidate stands in, in the pipelines the writer sees (each fires at most once per visit). Arguments: the key column, and optionally the jsonb column holding the facts.';
DROP FUNCTION @extschema@.lock_candidate(bigint, bigint);
CREATE OR REPLACE FUNCTION set_candidate_status(candidate_id bigint, job_id bigint, status text, reason text)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_set_candidate_status';
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text) IS
    'Changes a candidate''s status (rejected, withdrawn, active) with a plain UPDATE that the triggers check (55000) and record with this reason. P0002 when the job or the candidate is not found.';
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
CREATE OR REPLACE FUNCTION acknowledge_alert(alert_event_id bigint) RETURNS @extschema@.alert_event
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
CREATE OR REPLACE FUNCTION set_candidate_source(relation regclass, key_column name) RETURNS void
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
CREATE OR REPLACE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_raise_overdue_alerts';
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla, once per stage visit; returns how many. Sweeps the pipelines the caller sees (all for a superuser or a BYPASSRLS role). Schedule it with pg_cron.';
REVOKE EXECUTE ON FUNCTION @extschema@.candidate_stage_guard(), @extschema@.candidate_stage_record(),
    @extschema@.candidate_facts_changed(), @extschema@.alert_event_acknowledge(),
    @extschema@.history_write_guard(), @extschema@.require_actor_trigger() FROM PUBLIC;

-- -------------------------------------------------------------- event feed
-- Existing rows take the upgrading transaction's id: they are all in the
-- feed from its start.
ALTER TABLE @extschema@.stage_transition ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE @extschema@.alert_event ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX stage_transition_feed_idx ON stage_transition (xact_id, id);
CREATE INDEX alert_event_feed_idx ON alert_event (xact_id, id);
COMMENT ON COLUMN stage_transition.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN alert_event.xact_id IS 'The writing transaction (pg_current_xact_id()): orders the event feed by commit horizon (workflow_events_since).';

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
