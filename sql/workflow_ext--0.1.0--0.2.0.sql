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

-- Covers sql/install/ as of main 6f4d0e7 (security and enforcement); a
-- schema change made after that needs its statement here too.

-- 1. Helpers the new policies, triggers and functions use.
CREATE OR REPLACE FUNCTION restoring() RETURNS boolean
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_restoring_sql';
COMMENT ON FUNCTION restoring() IS
    'True while a superuser restores a dump with COPY: rules then arrive with their alerts and pipeline rows with their history.';

CREATE OR REPLACE FUNCTION workflow_owned_by(workflow_id bigint, actor text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT EXISTS (SELECT 1 FROM @extschema@.workflow w WHERE w.id = $1 AND w.owner = $2)
    $$;
COMMENT ON FUNCTION workflow_owned_by(bigint, text) IS
    'True when the workflow is owned by the actor named (used by the candidate_profile policy).';

CREATE OR REPLACE FUNCTION history_write_guard() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_history_write_guard';
COMMENT ON FUNCTION history_write_guard() IS
    'BEFORE INSERT trigger on stage_transition and alert_event: accepts only the row workflow_ext''s C code announced (42501 otherwise), or a superuser''s COPY of a dump.';

CREATE OR REPLACE FUNCTION alert_event_acknowledge() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'alert_event' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'alert_event_acknowledge() fires only on alert_event'
            USING ERRCODE = '39P01';
    END IF;
    IF OLD.acknowledged_at IS NOT NULL THEN
        RAISE EXCEPTION 'alert event % was already acknowledged by %', OLD.id, OLD.acknowledged_by
            USING ERRCODE = '55000';
    END IF;
    IF (NEW.id, NEW.alert_id, NEW.job_id, NEW.candidate_id, NEW.workflow_id, NEW.stage_id,
        NEW.transition_id, NEW.cause, NEW.severity, NEW.message, NEW.raised_at, NEW.facts)
       IS DISTINCT FROM
       (OLD.id, OLD.alert_id, OLD.job_id, OLD.candidate_id, OLD.workflow_id, OLD.stage_id,
        OLD.transition_id, OLD.cause, OLD.severity, OLD.message, OLD.raised_at, OLD.facts)
       AND NOT (@extschema@.restoring()) THEN
        RAISE EXCEPTION 'alert event % is history: only acknowledging it changes it', OLD.id
            USING ERRCODE = '55000';
    END IF;
    NEW.acknowledged_at := now();
    NEW.acknowledged_by := @extschema@.current_actor();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION alert_event_acknowledge() IS
    'Trigger: an UPDATE of alert_event acknowledges it once, by the current actor, now (55000 when already acknowledged or when another column changes).';

-- 2. The stage visit: the transition that entered the current stage.
--    Backfilled from the history: the latest transition into the current stage
--    that was a move or an entry (a status change names the same stage twice).
ALTER TABLE candidate_stage ADD COLUMN visit_transition_id bigint;
SET LOCAL session_replication_role = replica;   -- a backfill, not a move: no pipeline triggers
UPDATE candidate_stage cs
   SET visit_transition_id = (SELECT max(t.id) FROM stage_transition t
                               WHERE t.job_id = cs.job_id AND t.candidate_id = cs.candidate_id
                                 AND t.to_stage_id = cs.stage_id
                                 AND t.from_stage_id IS DISTINCT FROM t.to_stage_id);
RESET session_replication_role;
ALTER TABLE candidate_stage ADD CONSTRAINT candidate_stage_visit_transition_fk
    FOREIGN KEY (visit_transition_id) REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED;
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row (set by workflow_ext). The optimistic lock: an UPDATE that writes back an older value is refused with 40001.';
COMMENT ON COLUMN candidate_stage.visit_transition_id IS 'The stage_transition that entered the current stage: identifies the stage visit (status changes do not start a new one). Set by workflow_ext.';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit (candidate_stage.visit_transition_id); an alert fires at most once per visit.';

-- 3. History keeps its stages.  0.1.0 let a stage that history names be
--    deleted; such rows make the update stop here, naming how many.
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM @extschema@.stage_transition t
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = t.to_stage_id)
        OR (t.from_stage_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = t.from_stage_id));
    n := n + (SELECT count(*) FROM @extschema@.alert_event e
               WHERE NOT EXISTS (SELECT 1 FROM @extschema@.workflow_stage s WHERE s.id = e.stage_id));
    IF n > 0 THEN
        RAISE EXCEPTION 'workflow_ext 0.2.0: % history or alert event rows name deleted stages', n
            USING ERRCODE = '23503',
                  HINT = '0.2.0 keeps the stages that history names; decide what to do with those rows, then update again.';
    END IF;
END $$;
ALTER TABLE stage_transition
    ADD CONSTRAINT stage_transition_from_stage_fk FOREIGN KEY (from_stage_id) REFERENCES workflow_stage (id),
    ADD CONSTRAINT stage_transition_to_stage_fk FOREIGN KEY (to_stage_id) REFERENCES workflow_stage (id);
ALTER TABLE alert_event
    ADD CONSTRAINT alert_event_stage_fk FOREIGN KEY (stage_id) REFERENCES workflow_stage (id);

-- 4. History is written by the extension's C code only; acknowledging is the
--    one change an alert event takes.
CREATE TRIGGER stage_transition_write_guard BEFORE INSERT ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();
CREATE TRIGGER alert_event_write_guard BEFORE INSERT ON alert_event
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();
CREATE TRIGGER alert_event_acknowledge BEFORE UPDATE ON alert_event
    FOR EACH ROW EXECUTE FUNCTION alert_event_acknowledge();

-- 5. Policies: one per command where 0.1.0 had FOR ALL.
DROP POLICY job_workflow_use ON job_workflow;
CREATE POLICY job_workflow_read ON job_workflow FOR SELECT
    USING (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_assign ON job_workflow FOR INSERT
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_reassign ON job_workflow FOR UPDATE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()))
    WITH CHECK (workflow_id IN (SELECT @extschema@.visible_workflow_ids()));
CREATE POLICY job_workflow_remove ON job_workflow FOR DELETE
    USING (workflow_id IN (SELECT @extschema@.editable_workflow_ids()));

DROP POLICY candidate_stage_use ON candidate_stage;
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

DROP POLICY candidate_profile_use ON candidate_profile;
CREATE POLICY candidate_profile_read ON candidate_profile FOR SELECT
    USING (owner = @extschema@.current_actor()
           OR EXISTS (SELECT 1 FROM @extschema@.candidate_stage cs
                       WHERE cs.candidate_id = candidate_profile.candidate_id
                         AND @extschema@.workflow_owned_by(cs.workflow_id, candidate_profile.owner)));
CREATE POLICY candidate_profile_create ON candidate_profile FOR INSERT
    WITH CHECK (owner = @extschema@.current_actor());
CREATE POLICY candidate_profile_change ON candidate_profile FOR UPDATE
    USING (owner = @extschema@.current_actor())
    WITH CHECK (owner = @extschema@.current_actor());
CREATE POLICY candidate_profile_remove ON candidate_profile FOR DELETE
    USING (owner = @extschema@.current_actor());

-- 6. Privileges: the pipeline runs with the caller's rights.
GRANT SELECT, INSERT ON stage_transition, alert_event TO PUBLIC;
GRANT UPDATE (acknowledged_at, acknowledged_by) ON alert_event TO PUBLIC;

-- 7. Functions: the pipeline in C with the caller's rights.
CREATE OR REPLACE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts';
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The facts rules and alerts see for a candidate, read with the caller''s rights: candidate_profile.attributes (as its row-level security lets the actor read it), or to_jsonb(row) of the table set with set_candidate_source(); {} when there is none. 42P01 when the facts source table was dropped.';

CREATE OR REPLACE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on candidate_profile and on the facts source table: evaluates again the alerts of the stages the candidate stands in, in the pipelines the writer sees (each fires at most once per visit). Arguments: the key column, and optionally the jsonb column holding the facts.';

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

CREATE OR REPLACE FUNCTION set_candidate_status(candidate_id bigint, job_id bigint, status text, reason text)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_set_candidate_status';
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text) IS
    'Changes a candidate''s status (rejected, withdrawn, active) with a plain UPDATE that the triggers check (55000) and record with this reason. P0002 when the job or the candidate is not found.';

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
    'Makes to_jsonb(row) of a table the candidates'' facts, keyed by an integer column; its inserts and updates re-evaluate alerts. Superuser or database owner only (42501); never a temporary table (22023). Rows are read with each caller''s rights.';

CREATE OR REPLACE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_raise_overdue_alerts';
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla, once per stage visit; returns how many. Sweeps the pipelines the caller sees (all for a superuser or a BYPASSRLS role). Schedule it with pg_cron.';

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
COMMENT ON FUNCTION stage_rule_sync_alerts() IS 'Trigger: regenerates a rule''s alerts (one per leaf, fires_on mismatch, or match under a "not").';

DROP FUNCTION lock_candidate(bigint, bigint);

-- 8. Trigger functions are attached by the extension only.
REVOKE EXECUTE ON FUNCTION touch_updated_at(), stage_rule_validate(), alert_validate(),
    stage_rule_sync_alerts(), invalidate_caches(), stage_transition_immutable()
    FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION candidate_stage_guard(), candidate_stage_record(),
    candidate_facts_changed(), alert_event_acknowledge(), history_write_guard(),
    require_actor_trigger() FROM PUBLIC;
