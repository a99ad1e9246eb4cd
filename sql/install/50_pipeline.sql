-- The pipeline: candidates in jobs, their moves, history, alerts and events.
-- The C triggers on candidate_stage enforce and record every change; the
-- functions below are conveniences over plain INSERT/UPDATE.

CREATE FUNCTION candidate_facts(candidate_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_facts';
COMMENT ON FUNCTION candidate_facts(bigint) IS
    'The candidate facts rules and alerts see for a candidate of the current tenant, the same for every actor of it: candidate_profile.attributes, or to_jsonb(row) of the table set with set_candidate_source() (its row of this tenant when it has a tenant column); {} when there is none. Read with the caller''s rights. 42P01 when the facts source table was dropped; 22023 (null_argument) for a NULL candidate_id.';

CREATE FUNCTION candidate_facts(candidate_id bigint, job_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_application_facts';
COMMENT ON FUNCTION candidate_facts(bigint, bigint) IS
    'Every source a rule of the job''s pipeline sees for the candidate, as {"candidate": candidate_facts(candidate_id), "application": candidate_stage.attributes (this candidate in this job; {} when not in it or not visible), "job": job_profile.attributes}, all of the current tenant. A job of the caller''s own tenant only: P0002 (job_not_found) for a job the caller cannot see or that has no workflow; 42501 (other_tenant_facts) for another tenant''s job shared with the caller (its rules read that tenant''s facts, never opened by a share); 22023 (null_argument) for a NULL id.';

CREATE FUNCTION evaluate_condition(condition jsonb, candidate_id bigint, job_id bigint) RETURNS jsonb
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_evaluate_application_condition';
COMMENT ON FUNCTION evaluate_condition(jsonb, bigint, bigint) IS
    'Explains a condition (each leaf with its source, what it saw and its result) against the facts a rule of the job''s pipeline sees now for the candidate: candidate_facts(candidate_id, job_id). Relative time from the transaction''s start. 22023 for a malformed condition or a NULL argument (null_argument); the job as for candidate_facts(candidate_id, job_id): P0002 (job_not_found), 42501 (other_tenant_facts) for another tenant''s job.';

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

CREATE FUNCTION candidate_stage_removed() RETURNS trigger
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_candidate_stage_removed';
COMMENT ON FUNCTION candidate_stage_removed() IS
    'AFTER DELETE trigger on candidate_stage: every removal (remove_candidate() or a plain DELETE) writes a stage_transition row with to_status removed, from the stage and status the candidate had, and sends NOTIFY workflow_events (kind removal).';
CREATE TRIGGER candidate_stage_removed AFTER DELETE ON candidate_stage
    FOR EACH ROW EXECUTE FUNCTION candidate_stage_removed();

CREATE FUNCTION candidate_facts_changed() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_candidate_facts_changed';
COMMENT ON FUNCTION candidate_facts_changed() IS
    'AFTER trigger on candidate_profile, job_profile and the facts source table: evaluates again the alerts of the stages the candidate (or the job''s candidates) stand in, in the row''s tenant and the pipelines the writer sees (each fires at most once per visit). Arguments: the key column; the jsonb column holding the facts or ''''; ''candidate'' or ''job''; the tenant column or '''' (every tenant).';
CREATE TRIGGER facts_source_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facts_source
    FOR EACH STATEMENT EXECUTE FUNCTION invalidate_caches();
CREATE TRIGGER candidate_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON candidate_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('candidate_id', 'attributes', 'candidate', 'tenant');
CREATE TRIGGER job_profile_facts_changed AFTER INSERT OR UPDATE OF attributes ON job_profile
    FOR EACH ROW EXECUTE FUNCTION candidate_facts_changed('job_id', 'attributes', 'job', 'tenant');

-- Read-only: this backend's changes now running (src/pg/move_context.c).
CREATE FUNCTION is_auto_advance(transition_id bigint) RETURNS boolean
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_is_auto_advance';
COMMENT ON FUNCTION is_auto_advance(bigint) IS
    'For an application''s own trigger on candidate_stage, given NEW.transition_id: true when the change being made is a stage''s auto_advance (the engine moving the candidate on by itself because the next stage''s rule now holds), false for every other change (a move function, a bulk move, a plain UPDATE, a status change) and for NULL or an id of no change now running. Use it in a BEFORE UPDATE trigger whose name sorts after candidate_stage_guard (which stamps transition_id first), or an AFTER trigger. It reads the engine''s own state in C: no setting, argument or row value makes another change answer true.';

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
    'Moves a candidate to the next stage of the job''s workflow (the REST API''s PATCH move-to-nextstage/). P0002 job or candidate not found; 55000 not active, last stage or not in expected_stage_id; 23514 when the next stage''s rule blocks; 22023 (null_argument) for a NULL candidate_id or job_id.';

CREATE FUNCTION move_to_stage(candidate_id bigint, job_id bigint, stage_id bigint,
                              reason text DEFAULT NULL)
    RETURNS @extschema@.move_result
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_to_stage';
COMMENT ON FUNCTION move_to_stage(bigint, bigint, bigint, text) IS
    'Moves a candidate to any stage of the job''s workflow, back or forward, with the same checks, history and alerts as move_to_next_stage().';

-- Many candidates of one job, one row each (src/pg/bulk_moves.c): in batches,
-- one UPDATE and one subtransaction each; a refused candidate takes the single
-- move's path in its own subtransaction, so a refusal is that candidate's row,
-- never an error that undoes or stops the others.
CREATE FUNCTION move_candidates(job_id bigint, candidate_ids bigint[],
                                to_stage_id bigint DEFAULT NULL, reason text DEFAULT NULL)
    RETURNS TABLE(candidate_id bigint, outcome text, sqlstate text, from_stage_id bigint,
                  to_stage_id bigint, transition_id bigint, detail jsonb)
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_move_candidates';
COMMENT ON FUNCTION move_candidates(bigint, bigint[], bigint, text) IS
    'Moves each candidate of candidate_ids (in order; a repeated id is moved again after the first) in the job to to_stage_id, or NULL: each to its own next stage, with the checks, history, alerts and events of move_to_stage()/move_to_next_stage(). One row per id: outcome moved, blocked (detail: the failed leaves), not_found (a NULL id too), not_active, last_stage, stale (already there, or changed concurrently) or refused (another 55000 refusal); sqlstate and detail are what the single move raises (NULL and {alerts_raised, warnings} when moved). A refusal never undoes or stops another candidate''s move. Raises (nothing moved): 42501 without a required actor, P0002 job not found or to_stage_id not a stage of its workflow, 22023 NULL job_id or candidate_ids.';

CREATE FUNCTION add_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cs @extschema@.candidate_stage;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'candidate_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "candidate_id"}';
    END IF;
    IF $2 IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "job_id"}';
    END IF;
    IF @extschema@.job_tenant($2) IS NULL THEN
        RAISE EXCEPTION 'job % not found', $2
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'job_not_found', 'job_id', $2)::text;
    END IF;
    -- Only the job's own tenant enters candidates into its jobs (the
    -- candidate_stage guard refuses every other path the same way), before
    -- anything about the candidate is looked at.
    IF @extschema@.job_tenant($2) <> @extschema@.current_tenant() THEN
        RAISE EXCEPTION 'job % is another organization''s; candidate % cannot be entered into it', $2, $1
            USING ERRCODE = '42501',
                  DETAIL = jsonb_build_object('reason', 'other_tenant_job', 'candidate_id', $1, 'job_id', $2)::text,
                  HINT = 'Only the job''s organization enters candidates into its jobs; run a job of your own on the shared workflow (assign_workflow()) and add your candidates there.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.candidate_stage c
                WHERE c.tenant = @extschema@.current_tenant() AND c.job_id = $2 AND c.candidate_id = $1) THEN
        RAISE EXCEPTION 'candidate % is already in job %', $1, $2
            USING ERRCODE = '23505', DETAIL = jsonb_build_object('reason', 'already_in_job', 'candidate_id', $1, 'job_id', $2)::text;
    END IF;
    INSERT INTO @extschema@.candidate_stage AS c (job_id, candidate_id) VALUES ($2, $1)
    RETURNING * INTO cs;
    -- The row as it stands: an auto_advance first stage may have moved the candidate on.
    SELECT * INTO cs FROM @extschema@.candidate_stage c WHERE c.id = cs.id;
    RETURN cs;
END $$;
COMMENT ON FUNCTION add_candidate(bigint, bigint) IS
    'Puts a candidate into a job''s pipeline at the first stage (its rule and alerts apply) and returns the row as it then stands (an auto_advance first stage may have moved them on). P0002 when the job has no visible workflow; 42501 (other_tenant_job) for another tenant''s job shared with the caller: only the job''s tenant enters candidates into its jobs; 22023 (null_argument) for a NULL candidate_id or job_id.';

CREATE FUNCTION set_candidate_status(candidate_id bigint, job_id bigint, status text, reason text,
                                     reason_code text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_set_candidate_status';
COMMENT ON FUNCTION set_candidate_status(bigint, bigint, text, text, text) IS
    'Changes a candidate''s status (rejected, withdrawn, active) with a plain UPDATE that the triggers check (55000) and record with this reason and reason code (22023 unknown_reason_code or reason_code_required). P0002 when the job or the candidate is not found; 22023 (null_argument) for a NULL candidate_id, job_id or status, 22023 (unknown_status) for a status candidate_stage does not have.';

CREATE FUNCTION reject_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL,
                                 reason_code text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'rejected', $3, $4) $$;
COMMENT ON FUNCTION reject_candidate(bigint, bigint, text, text) IS
    'Rejects an active candidate (55000 otherwise); recorded in stage_transition with the reason and the reason code, a code of kind rejected of the tenant''s rejection_reason catalogue (22023 unknown_reason_code; reason_code_required when the workflow requires one).';

CREATE FUNCTION withdraw_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL,
                                   reason_code text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'withdrawn', $3, $4) $$;
COMMENT ON FUNCTION withdraw_candidate(bigint, bigint, text, text) IS
    'Marks an active candidate as withdrawn (55000 otherwise); recorded in stage_transition with the reason and the reason code, a code of kind withdrawn of the tenant''s rejection_reason catalogue (22023 unknown_reason_code; reason_code_required when the workflow requires one).';

-- Many candidates of one job rejected or withdrawn, one row each: the
-- single function's path (set_candidate_status) per id, each in its own
-- subtransaction (the exception block), so that a refusal is that
-- candidate's row, never an error that undoes or stops the others.  What is
-- the whole call's (the actor, the arguments, the job, the reason code) is
-- raised before anything changes.  As the caller: the triggers, RLS and
-- privileges decide each change as they decide a single one.
CREATE FUNCTION set_candidates_status(job_id bigint, candidate_ids bigint[], status text,
                                      reason text DEFAULT NULL, reason_code text DEFAULT NULL)
    RETURNS TABLE(candidate_id bigint, outcome text, sqlstate text, from_status text,
                  transition_id bigint, detail jsonb)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p_job ALIAS FOR $1;
    p_ids ALIAS FOR $2;
    p_status ALIAS FOR $3;
    p_reason ALIAS FOR $4;
    p_code ALIAS FOR $5;
    job_tenant_ text;
    workflow_id_ bigint;
    required boolean;
    id bigint;
    state text;
    detail_text text;
    detail_json jsonb;
    why text;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF p_job IS NULL THEN
        RAISE EXCEPTION 'job_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "job_id"}';
    END IF;
    IF p_ids IS NULL THEN
        RAISE EXCEPTION 'candidate_ids must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "candidate_ids"}';
    END IF;
    IF p_status IS NULL THEN
        RAISE EXCEPTION 'status must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "status"}';
    END IF;
    IF array_ndims(p_ids) > 1 THEN
        RAISE EXCEPTION 'candidate_ids must be a one-dimensional array'
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_argument", "argument": "candidate_ids"}';
    END IF;
    IF p_status NOT IN ('rejected', 'withdrawn') THEN
        RAISE EXCEPTION 'status must be rejected or withdrawn, not "%"', p_status
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'invalid_argument', 'argument', 'status', 'status', p_status)::text;
    END IF;
    -- The job as the caller sees it (move_candidates' job_workflow()).
    SELECT j.tenant, j.workflow_id INTO job_tenant_, workflow_id_
      FROM @extschema@.job_workflow j
     WHERE j.job_id = p_job AND j.tenant = @extschema@.job_tenant(p_job);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % not found', p_job
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'job_not_found', 'job_id', p_job)::text;
    END IF;
    -- The reason code, as the candidate_stage trigger checks it for each row
    -- (check_reason_code: the job's tenant's catalogue and the job's
    -- workflow, read with the caller's rights), once for the call.
    IF p_code IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM @extschema@.rejection_reason r
                        WHERE r.tenant = job_tenant_ AND r.kind = p_status AND r.code = p_code AND r.active) THEN
            RAISE EXCEPTION 'reason code "%" is not an active code for % candidates', p_code, p_status
                USING ERRCODE = '22023',
                      DETAIL = jsonb_build_object('reason', 'unknown_reason_code', 'code', p_code, 'kind', p_status)::text,
                      HINT = 'Add it to rejection_reason (code, label, kind), or use one listed there.';
        END IF;
    ELSE
        SELECT w.requires_reason_code INTO required FROM @extschema@.workflow w WHERE w.id = workflow_id_;
        IF coalesce(required, false) THEN
            RAISE EXCEPTION 'workflow % requires a reason code to mark candidates in job % %', workflow_id_, p_job, p_status
                USING ERRCODE = '22023',
                      DETAIL = jsonb_build_object('reason', 'reason_code_required', 'job_id', p_job, 'workflow_id', workflow_id_)::text,
                      HINT = 'Pass reason_code.';
        END IF;
    END IF;
    -- One row per element, in order; a repeated id is tried again and finds
    -- the row as the earlier element left it.
    FOREACH id IN ARRAY p_ids LOOP
        candidate_id := id;
        IF id IS NULL THEN
            outcome := 'not_found'; sqlstate := 'P0002'; from_status := NULL; transition_id := NULL;
            detail := jsonb_build_object('reason', 'candidate_not_found', 'candidate_id', NULL, 'job_id', p_job);
            RETURN NEXT;
            CONTINUE;
        END IF;
        BEGIN
            SELECT c.transition_id INTO transition_id
              FROM @extschema@.set_candidate_status(id, p_job, p_status, p_reason, p_code) c;
            outcome := p_status; state := NULL; from_status := 'active'; detail := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail_text = PG_EXCEPTION_DETAIL;
            detail_json := NULL;
            IF detail_text LIKE '{%}' THEN
                BEGIN
                    detail_json := detail_text::jsonb;
                EXCEPTION WHEN invalid_text_representation THEN
                    detail_json := NULL;
                END;
            END IF;
            why := CASE WHEN jsonb_typeof(detail_json) = 'object' THEN detail_json ->> 'reason' END;
            transition_id := NULL; from_status := NULL;
            IF state = 'P0002' AND why = 'candidate_not_found' THEN
                outcome := 'not_found';
            ELSIF state = '55000' AND why IN ('not_active', 'status_unchanged') THEN
                outcome := 'not_active'; from_status := detail_json ->> 'status';
            ELSIF state = '55000' AND why = 'transferred' THEN
                outcome := 'not_active'; from_status := 'transferred';
            ELSIF state = '55000' THEN
                outcome := 'refused';       -- another refusal, e.g. an application trigger's
            ELSIF state = '40001' AND (why IS NOT NULL OR
                  (current_setting('transaction_isolation') IN ('repeatable read', 'serializable')
                   AND coalesce(detail_text, '') NOT LIKE 'Reason code:%')) THEN
                -- the row changed since the snapshot, or the engine's own
                -- 40001; not SSI's (DETAIL "Reason code: ...": read/write
                -- dependencies, the row unchanged, after which every write of
                -- the transaction fails: the transaction's, raised as
                -- reject_candidate() raises it, attack16), nor an
                -- application's at READ COMMITTED
                outcome := 'refused';
                detail_json := coalesce(detail_json, '{"reason": "concurrent_update"}');
            ELSE
                RAISE;                      -- not a refusal of this candidate: the whole call's
            END IF;
            detail := detail_json;
        END;
        sqlstate := state;      -- (inside the handler, SQLSTATE is the handler's own variable)
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION set_candidates_status(bigint, bigint[], text, text, text) IS
    'The common body of reject_candidates() and withdraw_candidates() (status rejected or withdrawn; 22023 invalid_argument otherwise): set_candidate_status() for each id of candidate_ids in the job, in order, each in its own subtransaction; one row per id.';

CREATE FUNCTION reject_candidates(job_id bigint, candidate_ids bigint[], reason text DEFAULT NULL,
                                  reason_code text DEFAULT NULL)
    RETURNS TABLE(candidate_id bigint, outcome text, sqlstate text, from_status text,
                  transition_id bigint, detail jsonb)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM @extschema@.set_candidates_status($1, $2, 'rejected', $3, $4) $$;
COMMENT ON FUNCTION reject_candidates(bigint, bigint[], text, text) IS
    'Rejects each candidate of candidate_ids (in order; a repeated id is tried again after the first: not_active) in the job, as reject_candidate() does, with the same checks, history, reason code and events. One row per id: outcome rejected (from_status active, transition_id the history row), not_found (a NULL id, another tenant''s id too), not_active (already rejected or withdrawn, hired, transferred; from_status says which) or refused (any other 55000 refusal, or 40001 when the row changed since the snapshot; a failure of serializable snapshot isolation, or an application''s 40001 at READ COMMITTED, raises, as the single function''s); sqlstate and detail are what reject_candidate() raises for it. A refusal never undoes or stops another candidate''s rejection. Raises (nothing changes): 42501 without a required actor, P0002 job_not_found, 22023 null_argument (job_id, candidate_ids), unknown_reason_code, reason_code_required; any error that is not a refusal of one candidate.';

CREATE FUNCTION withdraw_candidates(job_id bigint, candidate_ids bigint[], reason text DEFAULT NULL,
                                    reason_code text DEFAULT NULL)
    RETURNS TABLE(candidate_id bigint, outcome text, sqlstate text, from_status text,
                  transition_id bigint, detail jsonb)
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM @extschema@.set_candidates_status($1, $2, 'withdrawn', $3, $4) $$;
COMMENT ON FUNCTION withdraw_candidates(bigint, bigint[], text, text) IS
    'Marks each candidate of candidate_ids withdrawn, as withdraw_candidate() does, one row per id in order, exactly as reject_candidates() (outcome withdrawn; a code of kind withdrawn).';

CREATE FUNCTION reopen_candidate(candidate_id bigint, job_id bigint)
    RETURNS @extschema@.candidate_stage
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT @extschema@.set_candidate_status($1, $2, 'active', NULL) $$;
COMMENT ON FUNCTION reopen_candidate(bigint, bigint) IS
    'Makes a rejected or withdrawn candidate active again in the same stage (55000 otherwise; reason transferred for a candidate transferred to another job).';

-- Transfer and removal are C (src/pg/transfer.c, src/pg/pipeline_remove.c):
-- plain statements whose triggers check and record them like any change.
CREATE FUNCTION transfer_candidate(candidate_id bigint, from_job_id bigint, to_job_id bigint,
                                   to_stage_id bigint DEFAULT NULL, reason text DEFAULT NULL)
    RETURNS @extschema@.candidate_stage
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_transfer_candidate';
COMMENT ON FUNCTION transfer_candidate(bigint, bigint, bigint, bigint, text) IS
    'Moves an active candidate from one job''s pipeline to another job of the same tenant, at to_stage_id (NULL: the first stage; its rule applies, 23514 changes nothing). The old row becomes transferred (history: to_status transferred, related_job_id the new job); the new row''s entry names the old job. Returns the new row. P0002 job not visible or candidate not in from_job_id; 55000 not active; 42501 other_tenant_job (the jobs of two tenants, or into another tenant''s job); 23505 already_in_job; 42501 not_editable (no edit rights on the from job''s workflow); 22023 null_argument.';

CREATE FUNCTION remove_candidate(candidate_id bigint, job_id bigint, reason text DEFAULT NULL)
    RETURNS void
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_remove_candidate';
COMMENT ON FUNCTION remove_candidate(bigint, bigint, text) IS
    'Takes a candidate out of a job''s pipeline (a DELETE of the row, recorded in stage_transition with to_status removed and this reason, and in the event feed as kind removal). P0002 job or candidate not found; 42501 not_editable without edit rights on the job''s workflow; 22023 (null_argument) for a NULL candidate_id or job_id.';

-- A GDPR erasure (src/pg/erasure.c): the caller's tenant only, its
-- administrator only; not SECURITY DEFINER (the removals and the profile's
-- deletion run with the caller's rights; only the history rewrite runs as the
-- tables' owner, for fixed statements on the extension's tables).
CREATE FUNCTION erase_candidate(candidate_id bigint, OUT jobs_removed integer, OUT history_rows_redacted integer,
                                OUT alert_events_emptied integer, OUT profile_deleted boolean)
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_erase_candidate';
COMMENT ON FUNCTION erase_candidate(bigint) IS
    'GDPR erasure of a candidate of the current tenant, by a tenant administrator (42501 not_tenant_admin otherwise): removes it from every job of the tenant (remove_candidate with reason erasure: the removal history rows and removal events record the erasure, the rows'' attributes go), deletes its candidate_profile row, redacts the facts out of its history rows'' warnings and empties its alert events'' facts; who moved it where and when stays. Other tenants'' rows are never touched: an id that is not a candidate of the tenant changes nothing (all zeros). Returns the jobs removed from, the history rows redacted, the alert events emptied and whether a profile was deleted.';

-- Acknowledging is the one change an alert event takes: the trigger stamps
-- who and when, and refuses any other change.
CREATE FUNCTION alert_event_acknowledge() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'alert_event' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'alert_event_acknowledge() fires only on alert_event'
            USING ERRCODE = '39P01', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    -- erase_candidate() emptying the facts snapshot, and nothing else of the row
    IF NEW.facts IS DISTINCT FROM OLD.facts
       AND @extschema@.erasing_candidate(OLD.tenant, OLD.candidate_id)
       AND NEW.facts OPERATOR(pg_catalog.=) '{}'::jsonb
       AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) 'facts'::text)
           OPERATOR(pg_catalog.=) (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) 'facts'::text) THEN
        RETURN NEW;
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
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'already_acknowledged', 'alert_event_id', OLD.id)::text;
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
            USING ERRCODE = '55000', DETAIL = jsonb_build_object('reason', 'history_immutable', 'alert_event_id', OLD.id)::text;
    END IF;
    NEW.acknowledged_at := now();
    NEW.acknowledged_by := @extschema@.current_actor();
    RETURN NEW;
END $$;
COMMENT ON FUNCTION alert_event_acknowledge() IS
    'Trigger: an UPDATE of alert_event acknowledges it once, by the current actor, now (55000 when already acknowledged or when another column changes); deleting the alert definition only clears alert_id; erase_candidate() empties the facts of the candidate it erases (erasing_candidate()).';
CREATE TRIGGER alert_event_acknowledge BEFORE UPDATE ON alert_event
    FOR EACH ROW EXECUTE FUNCTION alert_event_acknowledge();

CREATE FUNCTION acknowledge_alert(alert_event_id bigint) RETURNS @extschema@.alert_event
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    e @extschema@.alert_event;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'alert_event_id must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument", "argument": "alert_event_id"}';
    END IF;
    UPDATE @extschema@.alert_event x SET acknowledged_at = now()
     WHERE x.id = $1
    RETURNING * INTO e;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'alert event % not found', $1
            USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'alert_event_not_found', 'alert_event_id', $1)::text;
    END IF;
    RETURN e;
END $$;
COMMENT ON FUNCTION acknowledge_alert(bigint) IS
    'Marks an alert event of a visible workflow as acknowledged by the actor (an UPDATE the caller may make; the trigger stamps it). P0002 when not found or not visible; 55000 when already acknowledged; 22023 (null_argument) for a NULL alert_event_id.';

-- A database-wide setting: every tenant's rules then read this table, each
-- the rows of its own tenant (tenant_column), or all of them when the table
-- is one organization's.  Its rows are read with each caller's rights (the
-- caller's privileges and the table's RLS apply), never with the extension's.
CREATE FUNCTION set_candidate_source(relation regclass, key_column name,
                                     tenant_column name DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old @extschema@.facts_source;
    rel pg_class;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = @extschema@.invoking_role())
       AND NOT pg_has_role(@extschema@.invoking_role(),
                           (SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()),
                           'MEMBER') THEN
        RAISE EXCEPTION 'only a superuser or the database owner can set the facts source'
            USING ERRCODE = '42501', DETAIL = '{"reason": "not_database_owner"}',
                  HINT = 'The facts source is a database-wide setting: every workflow''s rules read it.';
    END IF;
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'relation and key_column must not be NULL'
            USING ERRCODE = '22023', DETAIL = '{"reason": "null_argument"}';
    END IF;
    SELECT * INTO rel FROM pg_class c WHERE c.oid = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', $1::oid
            USING ERRCODE = '42P01', DETAIL = '{"reason": "facts_source_dropped"}';
    END IF;
    IF rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', $1
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'invalid_facts_source', 'table', $1::text)::text;
    END IF;
    IF NOT pg_has_role(@extschema@.invoking_role(), rel.relowner, 'USAGE')
       AND NOT has_table_privilege(@extschema@.invoking_role(), $1, 'TRIGGER') THEN
        RAISE EXCEPTION 'permission denied to put the facts trigger on %', $1
            USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'no_trigger_privilege', 'table', $1::text)::text,
                  HINT = 'The table''s owner, or a role with TRIGGER on it, sets it as the facts source.';
    END IF;
    IF rel.relrowsecurity OR rel.relforcerowsecurity THEN
        RAISE EXCEPTION '% has row-level security enabled; its policies would run inside every reader of the facts', $1
            USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'facts_source_policies', 'table', $1::text)::text,
                  HINT = 'Name the tenant column instead: set_candidate_source(relation, key_column, tenant_column).';
    END IF;
    -- a partition key's operator class or collation runs whenever the
    -- partitions are opened (the trigger below is cloned onto them): as the
    -- extension's owner here, as every reader later
    IF EXISTS (SELECT 1 FROM pg_partitioned_table p
                WHERE p.partrelid IN (SELECT $1::oid UNION SELECT t.relid FROM pg_partition_tree($1) t
                                      UNION SELECT a.relid FROM pg_partition_ancestors($1) a)
                  AND (p.partexprs IS NOT NULL
                       OR EXISTS (SELECT 1 FROM unnest(p.partclass::oid[] || p.partcollation::oid[]) x
                                   WHERE x >= 16384))) THEN
        RAISE EXCEPTION '% has a partition key that is not built in; it would run inside every reader of the facts', $1
            USING ERRCODE = '42501', DETAIL = jsonb_build_object('reason', 'facts_source_user_code', 'table', $1::text)::text,
                  HINT = 'Partition the table by plain columns with their default operator classes.';
    END IF;
    IF rel.relpersistence = 't' THEN
        RAISE EXCEPTION '% is a temporary table; the facts source is database-wide', $1
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'invalid_facts_source', 'table', $1::text)::text;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid IN ('int8'::regtype, 'int4'::regtype, 'int2'::regtype)) THEN
        RAISE EXCEPTION 'table % has no integer column %', $1, $2
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'facts_table_column', 'table', $1::text, 'column', $2)::text;
    END IF;
    IF $3 IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM pg_attribute a
            WHERE a.attrelid = $1 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped
              AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)) THEN
        RAISE EXCEPTION 'table % has no text column %', $1, $3
            USING ERRCODE = '22023', DETAIL = jsonb_build_object('reason', 'facts_table_column', 'table', $1::text, 'column', $3)::text;
    END IF;
    SELECT * INTO old FROM @extschema@.facts_source;
    -- The old table may have been dropped (its regclass then dangles).
    IF FOUND AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = old.relation) THEN
        EXECUTE format('DROP TRIGGER IF EXISTS workflow_ext_facts_changed ON %s', old.relation);
    END IF;
    INSERT INTO @extschema@.facts_source (id, relation, key_column, tenant_column, set_by)
    VALUES (1, $1, $2, $3, @extschema@.current_actor())
    ON CONFLICT (id) DO UPDATE
       SET relation = EXCLUDED.relation, key_column = EXCLUDED.key_column,
           tenant_column = EXCLUDED.tenant_column, set_by = EXCLUDED.set_by, set_at = now();
    EXECUTE format('CREATE TRIGGER workflow_ext_facts_changed AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION %I.candidate_facts_changed(%L, %L, %L, %L)',
                   $1, '@extschema@', $2, '', 'candidate', coalesce($3, ''));
END $$;
COMMENT ON FUNCTION set_candidate_source(regclass, name, name) IS
    'Makes to_jsonb(row) of a table the candidates'' facts, keyed by an integer column and, with tenant_column (a text column), matched on the tenant: a row is the facts of that tenant''s candidate only. Without tenant_column the table is one organization''s, its rows the facts of every tenant''s candidate of that id. Its inserts and updates re-evaluate alerts. Superuser or database owner only (42501); before every read, 42501 when the table''s owner is neither a superuser, the database owner nor a member of the reading role, or anything on the table would run code that is not built in inside the read; never a temporary table (22023). Rows are read with each caller''s rights.';

CREATE FUNCTION raise_overdue_alerts() RETURNS integer
    LANGUAGE C
    SET search_path = pg_catalog, pg_temp
    SET IntervalStyle = postgres
    AS 'MODULE_PATHNAME', 'wf_raise_overdue_alerts';
COMMENT ON FUNCTION raise_overdue_alerts() IS
    'SLA sweep: raises an alert event (cause sla) for every active candidate longer in a stage than its sla (entered_at + sla passed on the UTC calendar, whatever the session TimeZone), once per stage visit; returns how many. Sweeps the pipelines the caller sees (all for a superuser or a BYPASSRLS role). Schedule it with pg_cron.';

-- Trigger functions are attached by the extension only.
REVOKE EXECUTE ON FUNCTION candidate_stage_guard(), candidate_stage_record(),
    candidate_stage_removed(), candidate_facts_changed(), alert_event_acknowledge(), history_write_guard(),
    history_keeps_alert_events(), require_actor_trigger() FROM PUBLIC;
