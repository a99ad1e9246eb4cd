-- The durable event feed: the changes (entries, moves, status changes,
-- transfers, removals, alert events, the on_enter actions of the stages
-- entered) committed after a cursor, for consumers that must see each
-- exactly once.
-- NOTIFY workflow_events stays the wake-up; this is where the data is read.
--
-- Order and completeness: every history and alert_event row carries the id of
-- the transaction that wrote it (xact_id).  The feed returns only rows whose
-- transaction is older than the oldest transaction still running
-- (pg_snapshot_xmin of the current snapshot): all of those have committed or
-- aborted, so no row can later appear before the cursor.  A transaction that
-- commits late with a lower id holds the feed back until it ends, rather than
-- being skipped.  Rows are ordered by (xact_id, history, then alert events,
-- then stage actions, id); the cursor is that triple.  A stage action is the
-- on_enter the history row of an entry copied from its stage at the entry:
-- one per entry, the same whenever it is read.  Row-level security applies: an actor reads
-- its own workflows' events.

-- Across clusters: xact_id is the writing transaction's id within a
-- generation, generation << 48 | its full id (src/pg/feed_origin.c): each
-- cluster the database is restored into takes the next generation on its
-- first event, so what it writes sorts after everything restored and a
-- consumer's cursor from the old cluster resumes exactly after what it saw.
CREATE TABLE feed_origin (
    id                bigint PRIMARY KEY CHECK (id >= 0),
    system_identifier text NOT NULL,
    first_event_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE feed_origin IS 'The clusters this database has written events in, in order: id is the generation of the event feed''s positions (stage_transition.xact_id, alert_event.xact_id = generation << 48 | transaction id). Written by the extension on a cluster''s first event; no one else has rights on it.';
COMMENT ON COLUMN feed_origin.system_identifier IS 'pg_control_system().system_identifier of the cluster (a promoted standby keeps its primary''s).';
COMMENT ON COLUMN feed_origin.id IS 'The generation: 0 for the first cluster, then one more for each cluster the database was restored into.';

CREATE FUNCTION feed_xact_id() RETURNS xid8
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_feed_xact_id';
COMMENT ON FUNCTION feed_xact_id() IS
    'The current transaction''s position in the event feed: feed generation << 48 | pg_current_xact_id() (assigns a transaction id; records this cluster in feed_origin on its first event). The history writer stamps it into xact_id.';
REVOKE EXECUTE ON FUNCTION feed_xact_id() FROM PUBLIC;

CREATE FUNCTION feed_generation() RETURNS bigint
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_feed_generation';
COMMENT ON FUNCTION feed_generation() IS
    'The feed generation this cluster writes in (feed_origin): the one recorded for it, or the next one when it has written no event yet.';

CREATE FUNCTION feed_advance(after xid8) RETURNS bigint
    LANGUAGE C VOLATILE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'wf_feed_advance';
COMMENT ON FUNCTION feed_advance(xid8) IS
    'Makes every feed position this cluster gives from now on sort after `after` (a position copied from another shard with a tenant: shard_tenant_import), taking a new generation when needed (a feed_origin row naming this cluster, under feed_origin''s exclusive lock: it waits for the transactions holding a position of the old generation). Returns the generation written in from now on.';
REVOKE EXECUTE ON FUNCTION feed_advance(xid8) FROM PUBLIC;

-- A cursor is "xact_id:kind:id" (kind 0: history, 1: alert event, 2: stage
-- action, whose id is its history row's); NULL is the start.
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
    base numeric;
BEGIN
    PERFORM @extschema@.current_tenant();   -- (asks for the actor too: require_actor, require_tenant)
    PERFORM @extschema@.workflow_event_limit(max_events);
    after_xid := '0';
    after_kind := -1;
    after_id := 0;
    IF $1 IS NOT NULL THEN
        parts := regexp_match($1, '^([0-9]{1,20}):([012]):(-?[0-9]{1,19})$');
        IF parts IS NULL THEN
            RAISE EXCEPTION 'invalid event cursor "%"', $1
                USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_cursor"}',
                      HINT = 'Pass NULL to read from the start, or a cursor workflow_events_since() returned.';
        END IF;
        after_xid := parts[1]::xid8;
        after_kind := parts[2]::integer;
        after_id := parts[3]::bigint;
    END IF;
    -- This cluster's transaction ids as feed positions (feed_origin.c).
    base := @extschema@.feed_generation()::numeric * 281474976710656;
    -- Our own transaction is not in the snapshot's running set: hold the
    -- horizon at it too, so its rows wait for its commit like anyone's.
    own := coalesce((base + pg_current_xact_id_if_assigned()::text::numeric)::text::xid8, '0'::xid8);
    horizon := (base + pg_snapshot_xmin(snap)::text::numeric)::text::xid8;
    IF own <> '0'::xid8 AND own < horizon THEN
        horizon := own;
    END IF;
    restored := (base + pg_snapshot_xmax(snap)::text::numeric)::text::xid8;
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
            USING ERRCODE = '22023', DETAIL = '{"reason": "invalid_max_events"}';
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
                       'kind', CASE WHEN t.to_status = 'removed' THEN 'removal'
                                    WHEN t.to_status = 'transferred' THEN 'transfer'
                                    WHEN t.from_stage_id IS NULL THEN 'enter'
                                    WHEN t.from_stage_id <> t.to_stage_id THEN 'move'
                                    ELSE 'status' END,
                       'tenant', t.tenant, 'job_id', t.job_id, 'candidate_id', t.candidate_id,
                       'workflow_id', t.workflow_id, 'transition_id', t.id,
                       'from_stage_id', t.from_stage_id, 'to_stage_id', t.to_stage_id,
                       'from_status', t.from_status, 'to_status', t.to_status,
                       'actor', t.actor, 'reason', t.reason, 'at', t.moved_at,
                       'alerts_raised', t.alerts_raised)
                   -- (only when set: a transfer's other job, a rejection's code)
                   || CASE WHEN t.to_status = 'transferred' THEN jsonb_build_object('to_job_id', t.related_job_id)
                           WHEN t.related_job_id IS NOT NULL THEN jsonb_build_object('from_job_id', t.related_job_id)
                           ELSE '{}' END
                   || CASE WHEN t.reason_code IS NOT NULL THEN jsonb_build_object('reason_code', t.reason_code)
                           ELSE '{}' END AS event
              FROM @extschema@.stage_transition t
             WHERE (t.xact_id < p.horizon OR (t.xact_id >= p.restored AND t.xact_id <> p.own))
               AND (t.xact_id, 0, t.id) > (p.after_xid, p.after_kind, p.after_id)
            UNION ALL
            SELECT e.xact_id, 1, e.id,
                   jsonb_build_object(
                       'kind', 'alert', 'tenant', e.tenant, 'job_id', e.job_id, 'candidate_id', e.candidate_id,
                       'workflow_id', e.workflow_id, 'transition_id', e.transition_id,
                       'alert_event_id', e.id, 'alert_id', e.alert_id, 'stage_id', e.stage_id,
                       'cause', e.cause, 'severity', e.severity, 'message', e.message,
                       'at', e.raised_at)
              FROM @extschema@.alert_event e
             WHERE (e.xact_id < p.horizon OR (e.xact_id >= p.restored AND e.xact_id <> p.own))
               AND (e.xact_id, 1, e.id) > (p.after_xid, p.after_kind, p.after_id)
            UNION ALL
            SELECT a.xact_id, 2, a.id,
                   jsonb_build_object(
                       'kind', 'stage_action', 'tenant', a.tenant, 'job_id', a.job_id, 'candidate_id', a.candidate_id,
                       'workflow_id', a.workflow_id, 'transition_id', a.id,
                       'stage_id', a.to_stage_id, 'actions', a.on_enter,
                       'actor', a.actor, 'reason', a.reason, 'at', a.moved_at)
              FROM @extschema@.stage_transition a
             WHERE a.on_enter IS NOT NULL
               AND (a.xact_id < p.horizon OR (a.xact_id >= p.restored AND a.xact_id <> p.own))
               AND (a.xact_id, 2, a.id) > (p.after_xid, p.after_kind, p.after_id)) f
     ORDER BY f.xact_id, f.kind_order, f.id
     LIMIT @extschema@.workflow_event_limit($2)
$$;
COMMENT ON FUNCTION workflow_events_since(text, integer) IS
    'The durable event feed: entries, moves, status changes, transfers, removals, alert events and the stage actions (on_enter) of entries committed after cursor (NULL: from the start), at most max_events (1..100000), each with the cursor to resume after it; every event names the tenant of its row (job and candidate ids are per tenant). Never skips a transaction that commits late with a lower id (it waits for it); row-level security applies. 22023 for a malformed cursor.';
