-- Reports over history: each candidate's visits to the stages of a job's
-- pipeline (stage_visit), and the pipeline funnel built on them.  Both read
-- with the caller's rights: row-level security on stage_transition decides
-- what counts.

-- A visit begins at a history row that puts the candidate, active (or
-- hired), into a stage: the entry into the job, a move, a reopen.  It ends at
-- the next history row of the same candidate in the same job and workflow,
-- whatever that row is, and what that row is says how it ended: a move to a
-- later stage (advanced; hired when it hired the candidate), to an earlier or
-- same-position one (moved_back), a status change to rejected or withdrawn,
-- anything else (a transfer, a removal, ...) just ended.
CREATE VIEW stage_visit WITH (security_invoker = true) AS
SELECT v.tenant, v.job_id, v.candidate_id, v.workflow_id, v.stage_id,
       v.id AS transition_id,
       v.moved_at AS entered_at,
       v.next_moved_at AS left_at,
       CASE WHEN v.next_id IS NULL THEN NULL
            WHEN v.next_to_status = 'hired' AND v.next_to_stage_id <> v.stage_id THEN 'hired'
            WHEN v.next_to_stage_id <> v.stage_id
                 THEN CASE WHEN ns.position > s.position THEN 'advanced' ELSE 'moved_back' END
            WHEN v.next_to_status IN ('rejected', 'withdrawn') THEN v.next_to_status
            ELSE 'ended'
       END AS outcome,
       coalesce(v.next_to_stage_id <> v.stage_id AND ns.position > s.position, false) AND v.next_id IS NOT NULL
           AS advanced,
       v.next_moved_at - v.moved_at AS time_in_stage,
       v.next_id AS ended_by_transition_id
  FROM (SELECT t.tenant, t.job_id, t.candidate_id, t.workflow_id, t.to_stage_id AS stage_id,
               t.id, t.moved_at, t.from_stage_id, t.from_status, t.to_status,
               lead(t.id) OVER w AS next_id,
               lead(t.moved_at) OVER w AS next_moved_at,
               lead(t.to_stage_id) OVER w AS next_to_stage_id,
               lead(t.to_status) OVER w AS next_to_status
          FROM @extschema@.stage_transition t
        WINDOW w AS (PARTITION BY t.tenant, t.job_id, t.candidate_id, t.workflow_id ORDER BY t.id)) v
  LEFT JOIN @extschema@.workflow_stage s ON s.id = v.stage_id
  LEFT JOIN @extschema@.workflow_stage ns ON ns.id = v.next_to_stage_id
 WHERE v.to_status IN ('active', 'hired')
   AND (v.from_stage_id IS DISTINCT FROM v.stage_id OR v.from_status IS DISTINCT FROM v.to_status);
COMMENT ON VIEW stage_visit IS
    'Each visible stage visit of a candidate in a job: from the history row that put the candidate, active or hired, into the stage (entry, move, reopen: transition_id, entered_at) to the next history row of the candidate in the job (ended_by_transition_id, left_at; NULL while still there). outcome: advanced (moved to a later stage), hired (moved into a hired stage), moved_back, rejected, withdrawn, ended (anything else: a transfer, a removal), NULL while open; advanced is true when it left for a later position (hires included). Positions are the stages'' current ones. Row-level security of stage_transition applies (security_invoker).';

-- Visit rows (stage_visit_row) stay what the view derives as history is
-- written; history the table owner deletes or truncates takes its visits
-- along (the visit the deleted row ended now ends at the row after it).
CREATE FUNCTION stage_visits_forget() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'stage_transition' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'stage_visits_forget() fires only on stage_transition'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE @extschema@.stage_visit_row;
        RETURN NULL;
    END IF;
    DELETE FROM @extschema@.stage_visit_row v WHERE v.id = OLD.id;
    UPDATE @extschema@.stage_visit_row v
       SET (left_at, ended_by_transition_id, next_stage_id, next_status, time_in_stage) =
           (SELECT n.moved_at, n.id, n.to_stage_id, n.to_status, n.moved_at - v.entered_at
              FROM (SELECT NULL) x
              LEFT JOIN LATERAL (SELECT t.moved_at, t.id, t.to_stage_id, t.to_status
                                   FROM @extschema@.stage_transition t
                                  WHERE t.tenant = OLD.tenant AND t.job_id = OLD.job_id
                                    AND t.candidate_id = OLD.candidate_id AND t.workflow_id = OLD.workflow_id
                                    AND t.id > v.id
                                  ORDER BY t.id LIMIT 1) n ON true)
     WHERE v.id = (SELECT t.id FROM @extschema@.stage_transition t
                    WHERE t.tenant = OLD.tenant AND t.job_id = OLD.job_id
                      AND t.candidate_id = OLD.candidate_id AND t.workflow_id = OLD.workflow_id
                      AND t.id < OLD.id
                    ORDER BY t.id DESC LIMIT 1);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION stage_visits_forget() IS
    'AFTER DELETE (row) and AFTER TRUNCATE trigger on stage_transition: the stage visit rows follow history the table owner deletes (the visit a deleted row began goes; the one it ended now ends at the next remaining row) or truncates.';
CREATE TRIGGER stage_transition_forget_visits AFTER DELETE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION stage_visits_forget();
CREATE TRIGGER stage_transition_truncate_visits AFTER TRUNCATE ON stage_transition
    FOR EACH STATEMENT EXECUTE FUNCTION stage_visits_forget();

-- One ordered pass over a job's visit rows (src/pg/stage_visits.c).
CREATE FUNCTION stage_visit_counts(tenant text, job_id bigint, workflow_id bigint,
                                   since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, next_stage_id bigint, next_status text, visits bigint,
                   median_time_in_stage interval, p90_time_in_stage interval)
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_stage_visit_counts';
COMMENT ON FUNCTION stage_visit_counts(text, bigint, bigint, timestamptz, timestamptz) IS
    'The stage visits of a job on a workflow (stage_visit_row) that began in [since, until), per stage, counted by how they ended (next_stage_id and next_status of the history row that ended them; NULL, NULL: still open), with percentile_cont(0.5) and (0.9) of the time in stage of the stage''s ended ones on each row of the stage: one ordered index-only pass (stage_visit_row_funnel_idx). Reads as the caller: SELECT on stage_visit_row needed, and under row-level security nothing unless tenant is the current tenant and the workflow one the caller sees (the policy stage_visit_row_read, decided once), and nothing either when stage_transition or stage_visit_row carries a policy besides the extension''s. pipeline_funnel() is built on it.';

CREATE FUNCTION pipeline_funnel(job_id bigint DEFAULT NULL, workflow_id bigint DEFAULT NULL,
                                since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, stage_name text, "position" integer, entered bigint,
                   "current" bigint, advanced bigint, rejected bigint, withdrawn bigint,
                   hired bigint, conversion numeric, median_time_in_stage interval,
                   p90_time_in_stage interval)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    AS $$
#variable_conflict use_column
DECLARE
    jt text;
    wf bigint := $2;
    j bigint := $1;
    lo_at timestamptz := $3;
    hi_at timestamptz := $4;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL AND $2 IS NULL THEN
        RAISE EXCEPTION 'pipeline_funnel() needs a job_id or a workflow_id'
            USING ERRCODE = '22023', DETAIL = '{"reason": "funnel_scope_missing"}';
    END IF;
    IF $1 IS NOT NULL THEN
        jt := @extschema@.job_tenant($1);
        IF jt IS NOT NULL THEN
            SELECT jw.workflow_id INTO wf FROM @extschema@.job_workflow jw
             WHERE jw.tenant = jt AND jw.job_id = j;
        END IF;
        IF jt IS NULL OR wf IS NULL THEN
            RAISE EXCEPTION 'job % not found', $1
                USING ERRCODE = 'P0002', DETAIL = jsonb_build_object('reason', 'job_not_found', 'job_id', $1)::text;
        END IF;
        IF $2 IS NOT NULL THEN
            PERFORM @extschema@.visible_workflow($2);
            wf := $2;           -- that workflow's history of the job (it may have followed it before)
        END IF;
    ELSE
        PERFORM @extschema@.visible_workflow($2);
    END IF;

    -- The caller's own tenant's pipeline (a job of its tenant, or a workflow
    -- no other tenant shares pipelines of with the caller): every history row
    -- of it is visible, so the visit rows are exactly the visits stage_visit
    -- derives: stage_visit_counts() reads the job's visits in one ordered
    -- pass of stage_visit_row_funnel_idx (counts by how they ended, and the
    -- percentiles from the values the index gives in order).
    -- Only while the two tables carry the extension's policies alone: a
    -- policy the owner added (one hiding some history, or one on the visit
    -- rows) is not the rule stage_visit_counts() decides once, so the funnel
    -- is then derived from the history the caller sees (below).
    IF j IS NOT NULL AND jt = @extschema@.current_tenant()
       AND (SELECT pg_catalog.array_agg(p.polname::text ORDER BY p.polname) FROM pg_catalog.pg_policy p
             WHERE p.polrelid = '@extschema@.stage_transition'::pg_catalog.regclass)
           = '{stage_transition_read,stage_transition_record}'::text[]
       AND (SELECT pg_catalog.array_agg(p.polname::text) FROM pg_catalog.pg_policy p
             WHERE p.polrelid = '@extschema@.stage_visit_row'::pg_catalog.regclass)
           = '{stage_visit_row_read}'::text[] THEN
        RETURN QUERY
            WITH g AS MATERIALIZED (
                SELECT * FROM @extschema@.stage_visit_counts(jt, j, wf, lo_at, hi_at)
            ), k AS MATERIALIZED (
                SELECT g.stage_id AS sid,
                       sum(g.visits)::bigint AS entered,
                       coalesce(sum(g.visits) FILTER (WHERE g.next_stage_id <> g.stage_id AND ns.position > vs.position), 0)::bigint AS advanced,
                       coalesce(sum(g.visits) FILTER (WHERE g.next_stage_id = g.stage_id AND g.next_status = 'rejected'), 0)::bigint AS rejected,
                       coalesce(sum(g.visits) FILTER (WHERE g.next_stage_id = g.stage_id AND g.next_status = 'withdrawn'), 0)::bigint AS withdrawn,
                       coalesce(sum(g.visits) FILTER (WHERE g.next_stage_id <> g.stage_id AND g.next_status = 'hired'), 0)::bigint AS hired,
                       min(g.median_time_in_stage) AS median,
                       min(g.p90_time_in_stage) AS p90
                  FROM g
                  LEFT JOIN @extschema@.workflow_stage vs ON vs.id = g.stage_id
                  LEFT JOIN @extschema@.workflow_stage ns ON ns.id = g.next_stage_id
                 GROUP BY g.stage_id
            ), standing AS MATERIALIZED (
                SELECT c.stage_id AS sid, count(*) AS n
                  FROM @extschema@.candidate_stage c
                 WHERE c.tenant = jt AND c.job_id = j AND c.workflow_id = wf AND c.status = 'active'
                 GROUP BY c.stage_id
            )
            SELECT s.id, s.name, s.position,
                   coalesce(k.entered, 0), coalesce(st.n, 0), coalesce(k.advanced, 0),
                   coalesce(k.rejected, 0), coalesce(k.withdrawn, 0), coalesce(k.hired, 0),
                   round(k.advanced::numeric / nullif(k.entered, 0), 4),
                   k.median, k.p90
              FROM @extschema@.workflow_stage s
              LEFT JOIN k ON k.sid = s.id
              LEFT JOIN standing st ON st.sid = s.id
             WHERE s.workflow_id = wf
             ORDER BY s.position;
        RETURN;
    END IF;

    -- A workflow's jobs, or another tenant's job shared with the caller:
    -- derived from the history the caller sees (stage_visit).  One statement
    -- text per scope, planned with the values (EXECUTE ... USING), so that
    -- the job's quals reach the index under the window of stage_visit.
    RETURN QUERY EXECUTE
    'WITH visits AS (
        SELECT v.stage_id, v.outcome, v.advanced, v.time_in_stage
          FROM @extschema@.stage_visit v
         WHERE v.workflow_id = $1' ||
           CASE WHEN $1 IS NOT NULL THEN ' AND v.tenant = $2 AND v.job_id = $3' ELSE '' END ||
           CASE WHEN $3 IS NOT NULL THEN ' AND v.entered_at >= $4' ELSE '' END ||
           CASE WHEN $4 IS NOT NULL THEN ' AND v.entered_at < $5' ELSE '' END || '
    ), counted AS (
        SELECT v.stage_id,
               count(*) AS entered,
               count(*) FILTER (WHERE v.advanced) AS advanced,
               count(*) FILTER (WHERE v.outcome = ''rejected'') AS rejected,
               count(*) FILTER (WHERE v.outcome = ''withdrawn'') AS withdrawn,
               count(*) FILTER (WHERE v.outcome = ''hired'') AS hired,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY v.time_in_stage) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY v.time_in_stage) AS p90
          FROM visits v
         GROUP BY v.stage_id
    ), standing AS (
        SELECT c.stage_id, count(*) AS n
          FROM @extschema@.candidate_stage c
         WHERE c.workflow_id = $1 AND c.status = ''active''' ||
           CASE WHEN $1 IS NOT NULL THEN ' AND c.tenant = $2 AND c.job_id = $3' ELSE '' END || '
         GROUP BY c.stage_id
    )
    SELECT s.id, s.name, s.position,
           coalesce(k.entered, 0), coalesce(st.n, 0), coalesce(k.advanced, 0),
           coalesce(k.rejected, 0), coalesce(k.withdrawn, 0), coalesce(k.hired, 0),
           round(k.advanced::numeric / nullif(k.entered, 0), 4),
           k.median, k.p90
      FROM @extschema@.workflow_stage s
      LEFT JOIN counted k ON k.stage_id = s.id
      LEFT JOIN standing st ON st.stage_id = s.id
     WHERE s.workflow_id = $1
     ORDER BY s.position'
    USING wf, jt, $1, $3, $4;
END $$;
COMMENT ON FUNCTION pipeline_funnel(bigint, bigint, timestamptz, timestamptz) IS
    'The funnel of a job''s pipeline (job_id), or of every visible job on a workflow (workflow_id), one row per stage of the workflow in position order (archived stages included), exact, from history (stage_visit): entered = visits that began in the stage in [since, until) (NULL: unbounded); of those, advanced = left for a later stage, rejected / withdrawn = ended so, hired = left into a hired stage; conversion = advanced / entered, rounded to 4 decimals (NULL when none entered); current = active candidates standing there now (whatever the window); median and p90 time in stage (percentile_cont) over those visits that have ended. Row-level security applies (security invoker): P0002 for a job or workflow the caller cannot see; 22023 when both are NULL.';

-- (no grant to PUBLIC: README, Privileges gives the application role SELECT)
