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

-- A folded visit (stage_visit_summary) that history changes: the job's
-- summary on the workflow goes and all its visits count as not folded, in
-- the transaction that changes the visit.  Taken in the order compaction
-- takes them (the job's advisory lock, then the summary, then the rows).
CREATE FUNCTION stage_visits_unfold(tenant text, job_id bigint, workflow_id bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- (shared among writers: only a compaction holds the lock alone, and it
    -- never waits; two writers unfolding the same job meet on its rows)
    PERFORM pg_advisory_xact_lock_shared(2071117, hashtext(format('%s/%s/%s', $1, $2, $3)));
    DELETE FROM @extschema@.stage_visit_summary s
     WHERE s.tenant = $1 AND s.job_id = $2 AND s.workflow_id = $3;
    UPDATE @extschema@.stage_visit_row v SET folded = false
     WHERE v.tenant = $1 AND v.job_id = $2 AND v.workflow_id = $3 AND v.folded;
END
$$;
COMMENT ON FUNCTION stage_visits_unfold(text, bigint, bigint) IS
    'Empties the stage_visit_summary of a job on a workflow and marks its visit rows not folded (history changed a folded visit: an owner''s DELETE, a history row arriving before a later one). Run by workflow_ext as the owner; not granted.';
REVOKE EXECUTE ON FUNCTION stage_visits_unfold(text, bigint, bigint) FROM PUBLIC;

-- Folding ended visits into stage_visit_summary: maintenance, run by the
-- owner (or a role it grants EXECUTE to), e.g. from pg_cron or after the SLA
-- sweep.  Each job and workflow in its own advisory lock; a visit row some
-- move holds locked right now is skipped (folded next time), and so is a
-- job whose history a transaction is changing (its lock held), so compaction
-- never waits (and never deadlocks).  Only visits whose time in stage has no months and
-- is in the form timestamptz subtraction gives (days, then under a day of
-- the same sign) are folded, so that the summary gives back exactly the
-- interval it took; others stay unfolded and are read from the index.
CREATE FUNCTION compact_stage_visits(job_id bigint DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    r record;
    n bigint;
    total bigint := 0;
BEGIN
    -- Each job's fold must see the summary as it is once its lock is held
    -- (a snapshot taken before could merge a summary emptied meanwhile).
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'compact_stage_visits() runs only in a READ COMMITTED transaction'
            USING ERRCODE = '55000',
                  DETAIL = jsonb_build_object('reason', 'compaction_isolation',
                                             'isolation', current_setting('transaction_isolation'))::text;
    END IF;
    FOR r IN SELECT DISTINCT v.tenant, v.job_id, v.workflow_id
               FROM @extschema@.stage_visit_row v
              WHERE ($1 IS NULL OR v.job_id = $1) AND NOT v.folded AND v.time_in_stage IS NOT NULL
              ORDER BY 1, 2, 3
    LOOP
        -- A job whose history is being changed (its lock held by an
        -- unfold, a DELETE, an out-of-order restore) is left for next time:
        -- waiting here while holding the jobs folded before could deadlock
        -- with a transaction that changes several jobs in another order.
        -- (Alone: the writers that change history hold it shared.)
        IF NOT pg_try_advisory_xact_lock(2071117, hashtext(format('%s/%s/%s', r.tenant, r.job_id, r.workflow_id))) THEN
            CONTINUE;
        END IF;
        WITH candidates AS (
            SELECT v.id, v.time_in_stage, p.d, p.t
              FROM @extschema@.stage_visit_row v,
                   LATERAL (SELECT extract(day FROM v.time_in_stage) AS d,
                                   extract(epoch FROM v.time_in_stage
                                           - make_interval(days => extract(day FROM v.time_in_stage)::int)) * 1000000 AS t) p
             WHERE v.tenant = r.tenant AND v.job_id = r.job_id AND v.workflow_id = r.workflow_id
               AND NOT v.folded AND v.time_in_stage IS NOT NULL
               AND extract(year FROM v.time_in_stage) = 0 AND extract(month FROM v.time_in_stage) = 0
               AND abs(p.t) < 86400000000 AND ((p.d >= 0 AND p.t >= 0) OR (p.d <= 0 AND p.t <= 0))
               FOR UPDATE OF v SKIP LOCKED
        ), f AS (
            UPDATE @extschema@.stage_visit_row v SET folded = true
              FROM candidates c
             WHERE v.id = c.id AND NOT v.folded AND v.time_in_stage = c.time_in_stage
            RETURNING v.stage_id, v.next_stage_id, v.next_status, (c.d * 86400000000 + c.t)::bigint AS micros
        ), touched AS (
            SELECT DISTINCT f.stage_id FROM f
        ), old AS (
            SELECT s.* FROM @extschema@.stage_visit_summary s
             WHERE s.tenant = r.tenant AND s.job_id = r.job_id AND s.workflow_id = r.workflow_id
               AND s.stage_id IN (SELECT touched.stage_id FROM touched)
        ), counted AS (
            SELECT x.stage_id, x.next_stage_id, x.next_status, sum(x.n)::bigint AS n
              FROM (SELECT f.stage_id, f.next_stage_id, f.next_status, 1 AS n FROM f
                    UNION ALL
                    SELECT o.stage_id, u.next_stage_id, u.next_status, u.n
                      FROM old o, unnest(o.next_stage_ids, o.next_statuses, o.visits) u(next_stage_id, next_status, n)) x
             GROUP BY x.stage_id, x.next_stage_id, x.next_status
        ), timed AS (
            SELECT x.stage_id, array_agg(x.micros ORDER BY x.micros) AS times
              FROM (SELECT f.stage_id, f.micros FROM f
                    UNION ALL
                    SELECT o.stage_id, unnest(o.time_in_stage) FROM old o) x
             GROUP BY x.stage_id
        ), done AS (
            INSERT INTO @extschema@.stage_visit_summary AS s
                   (tenant, job_id, workflow_id, stage_id, next_stage_ids, next_statuses, visits, time_in_stage)
            SELECT r.tenant, r.job_id, r.workflow_id, t.stage_id,
                   array_agg(c.next_stage_id ORDER BY c.next_stage_id, c.next_status),
                   array_agg(c.next_status ORDER BY c.next_stage_id, c.next_status),
                   array_agg(c.n ORDER BY c.next_stage_id, c.next_status), t.times
              FROM timed t JOIN counted c ON c.stage_id = t.stage_id
             GROUP BY t.stage_id, t.times
             ORDER BY t.stage_id
            ON CONFLICT ON CONSTRAINT stage_visit_summary_pkey DO UPDATE
               SET next_stage_ids = excluded.next_stage_ids, next_statuses = excluded.next_statuses,
                   visits = excluded.visits, time_in_stage = excluded.time_in_stage
            RETURNING 1
        )
        SELECT count(*) INTO n FROM f, (SELECT count(*) FROM done) d;
        total := total + n;
    END LOOP;
    RETURN total;
END
$$;
COMMENT ON FUNCTION compact_stage_visits(bigint) IS
    'Folds the ended stage visits of a job (NULL: of every job) not folded yet into stage_visit_summary, per job, workflow and stage, and returns how many it folded. Maintenance for the table owner or a role it grants EXECUTE to (pg_cron, after the SLA sweep, before a benchmark): pipeline_funnel(job_id) then reads the summary and only the visits not folded since, with identical results (it is exact whether or not compaction ran). Never waits: rows a move holds locked, and the jobs whose history a transaction in progress is changing (an owner''s DELETE, an out-of-order restore), are left for next time. Only in a READ COMMITTED transaction (55000 compaction_isolation).';
REVOKE EXECUTE ON FUNCTION compact_stage_visits(bigint) FROM PUBLIC;

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
        TRUNCATE @extschema@.stage_visit_row, @extschema@.stage_visit_summary;
        RETURN NULL;
    END IF;
    -- A folded visit that goes or changes: the summary no longer holds.
    -- Decided under the job's lock (a compaction in progress has committed
    -- or not begun), with the snapshot of the statement that follows it.
    -- (Shared: DELETEs of history never wait for one another here, only
    -- for a compaction of the job in progress.)
    PERFORM pg_advisory_xact_lock_shared(2071117, hashtext(format('%s/%s/%s', OLD.tenant, OLD.job_id, OLD.workflow_id)));
    IF EXISTS (SELECT FROM @extschema@.stage_visit_row v
                WHERE v.folded
                  AND v.id IN (OLD.id, (SELECT t.id FROM @extschema@.stage_transition t
                                         WHERE t.tenant = OLD.tenant AND t.job_id = OLD.job_id
                                           AND t.candidate_id = OLD.candidate_id AND t.workflow_id = OLD.workflow_id
                                           AND t.id < OLD.id
                                         ORDER BY t.id DESC LIMIT 1))) THEN
        PERFORM @extschema@.stage_visits_unfold(OLD.tenant, OLD.job_id, OLD.workflow_id);
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
    'AFTER DELETE (row) and AFTER TRUNCATE trigger on stage_transition: the stage visit rows follow history the table owner deletes (the visit a deleted row began goes; the one it ended now ends at the next remaining row) or truncates; when that touches a folded visit, the job''s summary is emptied and its visits unfolded first (stage_visits_unfold).';
CREATE TRIGGER stage_transition_forget_visits AFTER DELETE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION stage_visits_forget();
CREATE TRIGGER stage_transition_truncate_visits AFTER TRUNCATE ON stage_transition
    FOR EACH STATEMENT EXECUTE FUNCTION stage_visits_forget();
REVOKE EXECUTE ON FUNCTION stage_visits_forget() FROM PUBLIC;   -- (a trigger function: attached by the extension only)

-- One ordered pass over a job's visit rows (src/pg/stage_visits.c).
CREATE FUNCTION stage_visit_counts(tenant text, job_id bigint, workflow_id bigint,
                                   since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stage_id bigint, next_stage_id bigint, next_status text, visits bigint,
                   median_time_in_stage interval, p90_time_in_stage interval)
    LANGUAGE C STABLE
    AS 'MODULE_PATHNAME', 'wf_stage_visit_counts';
COMMENT ON FUNCTION stage_visit_counts(text, bigint, bigint, timestamptz, timestamptz) IS
    'The stage visits of a job on a workflow (stage_visit_row) that began in [since, until), per stage, counted by how they ended (next_stage_id and next_status of the history row that ended them; NULL, NULL: still open), with percentile_cont(0.5) and (0.9) of the time in stage of the stage''s ended ones on each row of the stage: one ordered index-only pass (stage_visit_row_funnel_idx). Reads as the caller: SELECT on stage_visit_row needed, and under row-level security nothing unless tenant is the current tenant and the workflow one the caller sees (the policy stage_visit_row_read, decided once), and nothing either when stage_transition, stage_visit_row or stage_visit_summary carries a policy besides the extension''s. pipeline_funnel() is built on it.';

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
        BEGIN
            jt := @extschema@.job_tenant($1);
        EXCEPTION WHEN cardinality_violation THEN
            -- Two tenants sharing their workflows with the caller use that job
            -- id: a workflow named settles which (a job follows a workflow of
            -- its own tenant); without one, say how to name it.
            IF $2 IS NULL THEN
                RAISE EXCEPTION 'job % is a job of more than one tenant sharing its workflow with you', $1
                    USING ERRCODE = '21000', DETAIL = jsonb_build_object('reason', 'ambiguous_job', 'job_id', $1)::text,
                          HINT = 'Name the workflow too: pipeline_funnel(job_id, workflow_id).';
            END IF;
            jt := (@extschema@.visible_workflow($2)).tenant;
        END;
        -- A workflow named settles whose job it is, whichever other tenant's
        -- job job_tenant() found: the caller's own tenant's job first (an id
        -- of one's own is never another tenant's), else the job of the
        -- workflow's tenant.
        IF $2 IS NOT NULL AND jt IS NOT NULL AND jt <> @extschema@.current_tenant() THEN
            jt := (@extschema@.visible_workflow($2)).tenant;
        END IF;
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
    -- Only while the three tables (history, visit rows, summary) carry the extension's policies alone: a
    -- policy the owner added (one hiding some history, or one on the visit
    -- rows) is not the rule stage_visit_counts() decides once, so the funnel
    -- is then derived from the history the caller sees (below).
    IF j IS NOT NULL AND jt = @extschema@.current_tenant()
       AND (SELECT pg_catalog.array_agg(p.polname::text ORDER BY p.polname) FROM pg_catalog.pg_policy p
             WHERE p.polrelid = '@extschema@.stage_transition'::pg_catalog.regclass)
           = '{stage_transition_read,stage_transition_record}'::text[]
       AND (SELECT pg_catalog.array_agg(p.polname::text) FROM pg_catalog.pg_policy p
             WHERE p.polrelid = '@extschema@.stage_visit_row'::pg_catalog.regclass)
           = '{stage_visit_row_read}'::text[]
       AND (SELECT pg_catalog.array_agg(p.polname::text) FROM pg_catalog.pg_policy p
             WHERE p.polrelid = '@extschema@.stage_visit_summary'::pg_catalog.regclass)
           = '{stage_visit_summary_read}'::text[] THEN
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
