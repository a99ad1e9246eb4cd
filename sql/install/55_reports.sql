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

CREATE FUNCTION pipeline_funnel(job_id bigint DEFAULT NULL, workflow_id bigint DEFAULT NULL,
                                since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, stage_name text, "position" integer, entered bigint,
                   "current" bigint, advanced bigint, rejected bigint, withdrawn bigint,
                   hired bigint, conversion numeric, median_time_in_stage interval,
                   p90_time_in_stage interval)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    jt text;
    wf bigint := $2;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    IF $1 IS NULL AND $2 IS NULL THEN
        RAISE EXCEPTION 'pipeline_funnel() needs a job_id or a workflow_id'
            USING ERRCODE = '22023', DETAIL = '{"reason": "funnel_scope_missing"}';
    END IF;
    IF $1 IS NOT NULL THEN
        jt := @extschema@.job_tenant($1);
        IF jt IS NOT NULL THEN
            SELECT j.workflow_id INTO wf FROM @extschema@.job_workflow j
             WHERE j.tenant = jt AND j.job_id = $1;
        END IF;
        IF jt IS NULL OR wf IS NULL THEN
            RAISE EXCEPTION 'job % not found', $1
                USING ERRCODE = 'P0002', DETAIL = json_build_object('reason', 'job_not_found', 'job_id', $1)::text;
        END IF;
        IF $2 IS NOT NULL THEN
            PERFORM @extschema@.visible_workflow($2);
            wf := $2;           -- that workflow's history of the job (it may have followed it before)
        END IF;
    ELSE
        PERFORM @extschema@.visible_workflow($2);
    END IF;

    -- One statement text per scope, planned with the values (EXECUTE ... USING),
    -- so that the job's quals reach the index under the window of stage_visit.
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
