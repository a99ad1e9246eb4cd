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
